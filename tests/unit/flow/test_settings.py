"""FlowSettings defaults and validation."""

import dataclasses
import math
from typing import Any

import pytest

from securepay.flow import FlowSettings


def test_defaults_match_the_spec_and_validate() -> None:
    settings = FlowSettings()
    settings.validate()
    assert settings == FlowSettings(
        max_attempts=3,
        input_timeout_s=60.0,
        interdigit_timeout_s=5.0,
        accepted_brands=("visa", "mastercard", "amex", "discover"),
        postal_code_min=5,
        postal_code_max=5,
        max_card_digits=19,
        expiry_max_years=20,
    )


def test_settings_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        FlowSettings().max_attempts = 5  # type: ignore[misc]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_attempts", 0),
        ("input_timeout_s", 0.0),
        ("input_timeout_s", -1.0),
        ("input_timeout_s", math.inf),
        ("interdigit_timeout_s", 0.0),
        ("interdigit_timeout_s", math.nan),
        ("accepted_brands", ()),
        ("accepted_brands", ("visa", "maestro")),
        ("postal_code_min", 0),
        ("postal_code_max", 4),
        ("max_card_digits", 12),
        ("max_card_digits", 20),
        ("expiry_max_years", 0),
        ("expiry_max_years", 50),
    ],
)
def test_validate_names_the_bad_field(field: str, value: Any) -> None:
    settings = dataclasses.replace(FlowSettings(), **{field: value})
    with pytest.raises(ValueError, match=field):
        settings.validate()


def test_wider_postal_code_range_validates() -> None:
    FlowSettings(postal_code_min=3, postal_code_max=10).validate()
