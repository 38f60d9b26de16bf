"""The `[web]` section and agents' token hashes: what an operator writes, and the one-line errors."""

from __future__ import annotations

import pytest

from securepay import config
from securepay.web.auth import token_hash

HASH = token_hash("some-token")


def test_an_agent_token_hash_is_accepted_in_any_case_and_stored_lowercase(tmp_path) -> None:
    path = tmp_path / "securepay.toml"
    path.write_text(
        f'[agents.alice]\nname = "Alice"\nendpoint = "PJSIP/alice"\ntoken_sha256 = "{HASH.upper()}"\n'
    )
    assert config.load(path, {}).agents["alice"].token_sha256 == HASH


def test_an_agent_token_that_is_not_a_sha256_is_refused_naming_the_key(tmp_path) -> None:
    path = tmp_path / "securepay.toml"
    path.write_text('[agents.alice]\nname = "Alice"\nendpoint = "PJSIP/alice"\ntoken_sha256 = "secret"\n')
    with pytest.raises(config.ConfigError, match=r"agents\.alice\.token_sha256: .*securepay token"):
        config.load(path, {})


def test_web_lists_come_from_the_environment_even_with_a_single_value() -> None:
    settings = config.load(
        None,
        {
            "SECUREPAY_WEB_CORS_ORIGINS": "https://crm.example.com",
            "SECUREPAY_WEB_SUPERVISOR_TOKENS_SHA256": HASH,
            "SECUREPAY_WEB_AUTH_FAILURES_MAX": "3",
        },
    )
    assert settings.web.cors_origins == ("https://crm.example.com",)
    assert settings.web.supervisor_tokens_sha256 == (HASH,)
    assert settings.web.auth_failures_max == 3


def test_cors_is_closed_and_no_supervisor_exists_by_default() -> None:
    web = config.load(None, {}).web
    assert web.cors_origins == () and web.supervisor_tokens_sha256 == ()


@pytest.mark.parametrize("origin", ["*", "https://crm.example.com/app", "crm.example.com"])
def test_a_cors_entry_that_is_not_an_origin_is_refused(origin: str) -> None:
    with pytest.raises(config.ConfigError, match=r"web\.cors_origins: .*not an origin"):
        config.load(None, {"SECUREPAY_WEB_CORS_ORIGINS": origin})
