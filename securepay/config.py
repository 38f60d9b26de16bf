"""Settings: a TOML file, then `SECUREPAY_<SECTION>_<KEY>` environment overrides.

Every problem is reported as one `ConfigError` naming the key (`ari.port: ...`), so
an operator fixes it without reading a traceback. Secrets are never echoed back.
Every key is documented in the README's configuration reference.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

ENV_PREFIX = "SECUREPAY_"
NOT_CONFIG_ENV = {"SECUREPAY_CONFIG", "SECUREPAY_ASTERISK_ROOT"}


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
    kind: Literal["authorizenet", "simulator"] = "simulator"
    environment: Literal["sandbox", "production"] = "sandbox"
    url: str = ""
    api_login_id: str = ""
    transaction_key: SecretStr = SecretStr("")
    timeout_s: float = Field(20.0, gt=0)
    duplicate_window_s: int = Field(600, ge=0, le=28800)


class AgentConfig(Section):
    name: str = Field(min_length=1)
    endpoint: str = Field(pattern=r"^[A-Za-z]+/\S+$")


class Settings(Section):
    ari: AriConfig = AriConfig()
    http: HttpConfig = HttpConfig()
    redis: RedisConfig = RedisConfig()
    log: LogConfig = LogConfig()
    payments: PaymentsConfig = PaymentsConfig()
    ivr: IvrConfig = IvrConfig()
    gateway: GatewayConfig = GatewayConfig()
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
        message = "unknown key" if error["type"] == "extra_forbidden" else error["msg"]
        lines.append(f"{key}: {message}")
    return "; ".join(lines)
