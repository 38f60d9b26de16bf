"""Endpoint choice and the rule that card data only travels over TLS."""

import pytest

from securepay.gateway import (
    PRODUCTION_URL,
    SANDBOX_URL,
    AuthorizeNetConfig,
    AuthorizeNetGateway,
    GatewayConfigError,
)


def config(**overrides: object) -> AuthorizeNetConfig:
    settings: dict[str, object] = {"api_login_id": "login", "transaction_key": "key"}
    settings.update(overrides)
    return AuthorizeNetConfig(**settings)  # type: ignore[arg-type]


def test_sandbox_is_the_default_endpoint() -> None:
    assert config().url == SANDBOX_URL


def test_production_endpoint_by_environment() -> None:
    assert config(environment="production").url == PRODUCTION_URL


def test_explicit_endpoint_overrides_environment() -> None:
    url = "https://gateway.example/xml/v1/request.api"
    assert config(environment="production", endpoint=url).url == url


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/xml/v1/request.api",
        "http://api.authorize.net/xml/v1/request.api",
        "http://127.0.0.1.example.com/xml/v1/request.api",
        "http://10.0.0.5:8089/xml/v1/request.api",
    ],
)
def test_plain_http_to_a_non_loopback_host_is_refused(url: str) -> None:
    with pytest.raises(GatewayConfigError, match="https only"):
        config(endpoint=url)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8089/xml/v1/request.api", "http://localhost:8089/xml/v1/request.api"],
)
def test_plain_http_to_loopback_is_allowed_for_the_simulator(url: str) -> None:
    assert AuthorizeNetGateway(config(endpoint=url)).name == "authorizenet"


def test_other_schemes_are_refused() -> None:
    with pytest.raises(GatewayConfigError, match="scheme"):
        config(endpoint="ftp://127.0.0.1/x")


def test_duplicate_window_must_cover_the_retry() -> None:
    with pytest.raises(GatewayConfigError, match="duplicate_window_s"):
        config(duplicate_window_s=60, timeout_s=30)


def test_duplicate_window_is_capped_at_eight_hours() -> None:
    with pytest.raises(GatewayConfigError, match="28800"):
        config(duplicate_window_s=28801)


def test_overlong_transaction_key_is_refused_without_echoing_it() -> None:
    with pytest.raises(GatewayConfigError) as raised:
        config(transaction_key="K" * 17)
    assert "K" * 17 not in str(raised.value)


def test_repr_of_config_hides_credentials() -> None:
    text = repr(config(api_login_id="LOGIN-ID-123", transaction_key="SECRETKEY"))
    assert "LOGIN-ID-123" not in text
    assert "SECRETKEY" not in text
