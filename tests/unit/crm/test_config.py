"""The [crm] and [ledger] config sections: defaults, validation, secrets kept secret."""

from pathlib import Path

import pytest

from securepay import config


def test_crm_is_off_and_the_ledger_has_its_default_path() -> None:
    settings = config.load(None, {})
    assert (settings.crm.kind, settings.crm.timezone, settings.crm.post_unsubmitted) == ("none", "UTC", False)
    assert settings.ledger.path == Path("/var/lib/securepay/ledger.sqlite3")


def test_an_unknown_timezone_is_a_config_error_naming_the_key() -> None:
    with pytest.raises(config.ConfigError, match=r"crm\.timezone: .*Mars/Olympus"):
        config.load(None, {"SECUREPAY_CRM_TIMEZONE": "Mars/Olympus"})


@pytest.mark.parametrize(
    ("kind", "missing"),
    [("webhook", "webhook_url"), ("salesforce", "salesforce_url"), ("hubspot", "hubspot_token")],
)
def test_a_connector_without_its_keys_is_a_config_error(kind: str, missing: str) -> None:
    with pytest.raises(config.ConfigError, match=f"crm.{missing} is required"):
        config.load(None, {"SECUREPAY_CRM_KIND": kind})


def test_crm_keys_come_from_the_environment(tmp_path: Path) -> None:
    settings = config.load(
        None,
        {
            "SECUREPAY_CRM_KIND": "webhook",
            "SECUREPAY_CRM_WEBHOOK_URL": "https://crm.example.com/hooks/securepay/",
            "SECUREPAY_CRM_WEBHOOK_SECRET": "s3cr3t-value",
            "SECUREPAY_CRM_POST_UNSUBMITTED": "true",
            "SECUREPAY_LEDGER_PATH": str(tmp_path / "l.sqlite3"),
        },
    )
    assert settings.crm.webhook_url == "https://crm.example.com/hooks/securepay"
    assert settings.crm.post_unsubmitted is True
    assert settings.ledger.path == tmp_path / "l.sqlite3"


def test_crm_secrets_never_show_in_the_settings_or_errors() -> None:
    settings = config.load(
        None,
        {
            "SECUREPAY_CRM_KIND": "salesforce",
            "SECUREPAY_CRM_SALESFORCE_URL": "https://acme.my.salesforce.com",
            "SECUREPAY_CRM_SALESFORCE_CLIENT_ID": "3MVG9",
            "SECUREPAY_CRM_SALESFORCE_CLIENT_SECRET": "client-secret-value",
            "SECUREPAY_CRM_HUBSPOT_TOKEN": "pat-token-value",
        },
    )
    assert "client-secret-value" not in repr(settings) + str(settings)
    assert "pat-token-value" not in repr(settings) + str(settings)
    with pytest.raises(config.ConfigError) as caught:
        config.load(None, {"SECUREPAY_CRM_KIND": "hubspot", "SECUREPAY_CRM_HUBSPOT_URL": "ftp://x"})
    assert "hubspot_url" in str(caught.value)
