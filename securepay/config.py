"""Settings: a TOML file, then `SECUREPAY_<SECTION>_<KEY>` environment overrides.

Every problem is reported as one `ConfigError` naming the key (`ari.port: ...`), so
an operator fixes it without reading a traceback. Secrets are never echoed back.
Every key is documented in the README's configuration reference.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

ENV_PREFIX = "SECUREPAY_"
NOT_CONFIG_ENV = {"SECUREPAY_CONFIG", "SECUREPAY_ASTERISK_ROOT"}
ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")


class ConfigError(ValueError):
    """A bad config file or value; the message names the key."""


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AriConfig(Section):
    url: str = "http://127.0.0.1:8088"
    username: str = "securepay"
    password: SecretStr = SecretStr("change-me")
    app: str = "securepay"
    reconnect_max_s: float = Field(10.0, gt=0)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        if "@" in value.split("//", 1)[1].split("/", 1)[0]:
            raise ValueError("must not contain credentials: use ari.username and ari.password")
        return value.rstrip("/")


class AmiConfig(Section):
    """Asterisk's manager interface: needed only to take payments on calls bridged by Queue()/Dial()."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(5038, ge=1, le=65535)
    username: str = "securepay"
    password: SecretStr = SecretStr("change-me")
    manager_conf: str = ""
    """Path of Asterisk's manager.conf: `securepay check` reads it for users that receive DTMF events."""


class HttpConfig(Section):
    listen: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)


class RedisConfig(Section):
    url: str = ""

    @field_validator("url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be empty (in-process bus) or a redis://, rediss:// or unix:// URL")
        return value


class LogConfig(Section):
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["json", "text"] = "json"


class PaymentsConfig(Section):
    max_amount: Decimal = Field(Decimal("10000.00"), gt=0)
    default_currency: str = Field("USD", pattern=r"^[A-Z]{3}$")
    default_language: str = "en"
    languages: tuple[str, ...] = ("en", "es")
    default_mode: Literal["private", "assisted"] = "private"
    agent_hears_prompts: bool = False
    """Assisted payments play their instructions on the bridge, so the agent hears them too;
    read-backs of what the caller keyed always play to the caller alone."""


class IvrConfig(Section):
    max_attempts: int = Field(3, ge=1, le=10)
    input_timeout_s: float = Field(60.0, gt=0)
    interdigit_timeout_s: float = Field(5.0, gt=0)
    accepted_brands: tuple[str, ...] = ("visa", "mastercard", "amex", "discover")
    postal_code_min: int = Field(5, ge=1, le=10)
    postal_code_max: int = Field(5, ge=1, le=10)
    moh_class: str = "default"
    fallback_context: str = "securepay-fallback"
    fallback_extension: str = "s"


class GatewayConfig(Section):
    kind: Literal["authorizenet", "stripe", "braintree", "simulator"] = "simulator"
    simulator: bool = False
    """Charge through this kind's local simulator, run in-process (demos, tests); no real card is charged."""
    environment: Literal["sandbox", "production"] = "sandbox"
    url: str = ""
    api_login_id: str = ""
    transaction_key: SecretStr = Field(SecretStr(""), validate_default=True)
    timeout_s: float = Field(20.0, gt=0)
    duplicate_window_s: int = Field(600, ge=1, le=28800)
    stripe_secret_key: SecretStr = SecretStr("")
    braintree_public_key: str = ""
    braintree_private_key: SecretStr = SecretStr("")
    braintree_merchant_account_id: str = ""

    @field_validator("transaction_key")
    @classmethod
    def _credentials_for_authorizenet(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        if (
            info.data.get("kind") == "authorizenet"
            and not info.data.get("simulator")
            and not (info.data.get("api_login_id") and value.get_secret_value())
        ):
            raise ValueError("gateway.api_login_id and gateway.transaction_key are required for authorizenet")
        return value

    @field_validator("duplicate_window_s")
    @classmethod
    def _resend_stays_inside_the_window(cls, value: int, info: ValidationInfo) -> int:
        """The one resend after a lost answer is safe only inside Authorize.Net's duplicate window."""
        if value <= 3 * info.data.get("timeout_s", 0):
            raise ValueError("must exceed three times gateway.timeout_s")
        return value

    @model_validator(mode="after")
    def _credentials_of_the_kind(self) -> GatewayConfig:
        """Each kind checks its own keys only, and not when its simulator stands in."""
        if self.simulator or self.kind not in ("stripe", "braintree"):
            return self
        required = {
            "stripe": ("stripe_secret_key",),
            "braintree": ("braintree_public_key", "braintree_private_key"),
        }[self.kind]
        for key in required:
            value = getattr(self, key)
            if not (value.get_secret_value() if isinstance(value, SecretStr) else value):
                raise ValueError(f"gateway.{key} is required when gateway.kind = {self.kind!r}")
        if self.kind == "stripe":
            _stripe_key_matches(self.stripe_secret_key.get_secret_value(), self.environment)
        return self


def _stripe_key_matches(key: str, environment: str) -> None:
    """Stripe has no sandbox URL: the key decides, so it must agree with gateway.environment."""
    if not key.startswith(("sk_", "rk_")):
        raise ValueError("gateway.stripe_secret_key must be a secret key (sk_...) or restricted key (rk_...)")
    live = key[3:8] == "live_"
    if live != (environment == "production"):
        expected = "production" if live else "sandbox"
        kind = "live" if live else "test"
        raise ValueError(f"gateway.stripe_secret_key is a {kind} key: set gateway.environment = {expected!r}")


class LedgerConfig(Section):
    path: Path = Path("/var/lib/securepay/ledger.sqlite3")


class CrmConfig(Section):
    """Where each payment's activity is posted; the connector's keys are checked for its kind only."""

    kind: Literal["none", "webhook", "salesforce", "hubspot"] = "none"
    post_unsubmitted: bool = False
    timezone: str = "UTC"
    timeout_s: float = Field(10.0, gt=0)
    retry_base_s: float = Field(2.0, gt=0)
    retry_max_s: float = Field(300.0, gt=0)
    give_up_after_h: float = Field(24.0, gt=0)
    webhook_url: str = ""
    webhook_secret: SecretStr = SecretStr("")
    salesforce_url: str = ""
    salesforce_client_id: str = ""
    salesforce_client_secret: SecretStr = SecretStr("")
    salesforce_api_version: str = Field("60.0", pattern=r"^\d+\.\d$")
    hubspot_url: str = "https://api.hubapi.com"
    hubspot_token: SecretStr = SecretStr("")
    hubspot_record_type: Literal["contacts", "companies", "deals", "tickets"] = "contacts"
    hubspot_id_property: str = Field("securepay_payment_id", pattern=r"^[a-z][a-z0-9_]*$")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as Europe/Paris)") from None
        return value

    @field_validator("webhook_url", "salesforce_url", "hubspot_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _connector_complete(self) -> CrmConfig:
        required = {
            "webhook": ("webhook_url", "webhook_secret"),
            "salesforce": ("salesforce_url", "salesforce_client_id", "salesforce_client_secret"),
            "hubspot": ("hubspot_url", "hubspot_token"),
        }.get(self.kind, ())
        for key in required:
            value = getattr(self, key)
            if not (value.get_secret_value() if isinstance(value, SecretStr) else value):
                raise ValueError(f"crm.{key} is required when crm.kind = {self.kind!r}")
        return self


SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


def _token_hash(value: str) -> str:
    value = value.strip().lower()
    if not SHA256_HEX.match(value):
        raise ValueError("must be the 64-character sha256 hex printed by `securepay token`")
    return value


def _text_list(value: object) -> object:
    """One env value without a comma is a single-item list, not a string."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class AgentConfig(Section):
    name: str = Field(min_length=1)
    endpoint: str = Field(pattern=r"^[A-Za-z]+/\S+$")
    token_sha256: str = ""
    """The agent's API token, hashed; empty means the agent cannot use the API or the panel."""

    @field_validator("token_sha256")
    @classmethod
    def _hashed_token(cls, value: str) -> str:
        return _token_hash(value) if value else value


class WebConfig(Section):
    """Who may reach the HTTP API from where, and the brake on guessing tokens."""

    cors_origins: tuple[str, ...] = ()
    supervisor_tokens_sha256: tuple[str, ...] = ()
    auth_failures_max: int = Field(10, ge=1)
    auth_failures_window_s: float = Field(60.0, gt=0)

    @field_validator("cors_origins", "supervisor_tokens_sha256", mode="before")
    @classmethod
    def _list(cls, value: object) -> object:
        return _text_list(value)

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for origin in value:
            if not ORIGIN.match(origin):
                raise ValueError(
                    f"{origin!r} is not an origin such as https://crm.example.com (no path, no *)"
                )
        return value

    @field_validator("supervisor_tokens_sha256")
    @classmethod
    def _hashed_tokens(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_token_hash(token) for token in value)


class Settings(Section):
    ari: AriConfig = AriConfig()
    ami: AmiConfig = AmiConfig()
    http: HttpConfig = HttpConfig()
    redis: RedisConfig = RedisConfig()
    log: LogConfig = LogConfig()
    payments: PaymentsConfig = PaymentsConfig()
    ivr: IvrConfig = IvrConfig()
    gateway: GatewayConfig = GatewayConfig()
    ledger: LedgerConfig = LedgerConfig()
    crm: CrmConfig = CrmConfig()
    web: WebConfig = WebConfig()
    agents: dict[str, AgentConfig] = {}


def load(path: Path | None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read the file (None: embedded defaults), apply env overrides, validate."""
    data: dict[str, Any] = _read_toml(path) if path is not None else {}
    _apply_env(data, os.environ if environ is None else environ)
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def _apply_env(data: dict[str, Any], environ: Mapping[str, str]) -> None:
    sections = {name for name, field in Settings.model_fields.items() if name != "agents"}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or name in NOT_CONFIG_ENV:
            continue
        section, _, key = name[len(ENV_PREFIX) :].lower().partition("_")
        if section not in sections or not key:
            raise ConfigError(f"{name}: not a securepay setting (expected SECUREPAY_<SECTION>_<KEY>)")
        target = data.setdefault(section, {})
        target[key] = _env_value(value)


def _env_value(value: str) -> Any:
    """Comma lists for tuple keys; pydantic coerces numbers and booleans from text."""
    return [part.strip() for part in value.split(",")] if "," in value else value


def _describe(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors(include_input=False, include_url=False):
        key = ".".join(str(part) for part in error["loc"])
        message = (
            "unknown key"
            if error["type"] == "extra_forbidden"
            else error["msg"].removeprefix("Value error, ")
        )
        lines.append(f"{key}: {message}")
    return "; ".join(lines)
