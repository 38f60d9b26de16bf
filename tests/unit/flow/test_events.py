"""Event values."""

import pytest

from securepay.flow import Digit


@pytest.mark.parametrize("key", [*"0123456789", "*", "#"])
def test_digit_accepts_every_dtmf_key(key: str) -> None:
    assert Digit(key).digit == key


@pytest.mark.parametrize("key", ["A", "", "12", " ", "x"])
def test_digit_refuses_anything_else(key: str) -> None:
    with pytest.raises(ValueError, match="Digit"):
        Digit(key)


def test_digit_error_does_not_echo_the_value() -> None:
    with pytest.raises(ValueError) as caught:
        Digit("41")
    assert "41" not in str(caught.value)
