"""`securepay check`: is this host ready to take payments, and can no card digit leak?

Each check gives OK, FAIL (with the fix an operator applies) or SKIP (not configured,
or it needs a check that failed). Nothing is changed on Asterisk or anywhere else: the
checks only read, except that a throw-away ARI application is registered for a moment
when the daemon's own is not (never the daemon's name: that would take its calls).
Secrets are never printed.
"""

from __future__ import annotations

import asyncio
import sys
import tomllib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import aiohttp
import redis.asyncio as aioredis
from redis.exceptions import AuthenticationError, RedisError

from securepay.ami import AmiAuthError, AmiClient, AmiError, succeeded
from securepay.ari import AriAuthError, AriError, AriNotFound, AriRest
from securepay.config import ConfigError, Settings
from securepay.crm.connector import DeliveryError, Unauthorized
from securepay.crm.factory import open_connector
from securepay.gateway.errors import GatewayAuthError, GatewayError
from securepay.gateway.factory import gateway_kind, open_gateway, simulated
from securepay.ops.manager_conf import (
    Categories,
    ManagerConfError,
    config_from_getconfig,
    leaking_users,
    read_manager_conf,
)

TIMEOUT_S = 10.0
CRM_FIXES = {
    "webhook": (
        "check [crm] webhook_url",
        "start the receiver or fix [crm] webhook_url",
    ),
    "salesforce": (
        "check [crm] salesforce_client_id and salesforce_client_secret",
        "check [crm] salesforce_url (the My Domain URL), salesforce_client_id and salesforce_client_secret, "
        "and that the connected app enables the client credentials flow with a run-as user",
    ),
    "hubspot": (
        "set [crm] hubspot_token to the private app's access token",
        "give the private app the crm.objects.<record type>.read/.write scopes and create the note "
        "property named by [crm] hubspot_id_property (README, Ledger and CRM)",
    ),
}
"""For each CRM kind: the fix when it rejects our credentials, and the fix for anything else."""
GATEWAY_FIXES = {
    "authorizenet": (
        "api_login_id {gw.api_login_id!r} / transaction_key",
        "copy both from Authorize.Net Account > Settings > API Credentials & Keys; sandbox and "
        "production credentials differ, so [gateway] environment must match",
        "Authorize.Net",
    ),
    "stripe": (
        "stripe_secret_key",
        "copy a secret key from the Stripe Dashboard > Developers > API keys (or a restricted key that "
        "may write PaymentIntents and Refunds and read PaymentIntents); sk_test_ keys need environment = "
        "sandbox",
        "Stripe",
    ),
    "braintree": (
        "braintree_public_key {gw.braintree_public_key!r} / braintree_private_key",
        "copy both from the Braintree Control Panel > Settings > API > API Keys; sandbox and production "
        "keys differ, so [gateway] environment must match",
        "Braintree",
    ),
}
"""For each gateway kind: what it rejected, the fix, and whom the host must reach."""
PROMPT_CATALOGUE_PLACES = (
    Path(sys.prefix) / "share" / "securepay" / "catalogue.toml",  # make install-service puts it here
    Path(__file__).resolve().parents[2] / "sounds" / "catalogue.toml",  # a checkout
)
CORE_SOUNDS = ("digits/0", "digits/1", "digits/9")
"""Number and digit read-backs come from Asterisk's core sounds, not ours."""
AMI_ACTIONS = ("Redirect", "Getvar", "Status", "MixMonitorMute")
BRIDGE_MEDIA = "chan_bridge_media.so"


class Status(StrEnum):
    OK = "OK"
    FAIL = "FAIL"
    SKIP = "SKIP"


@dataclass(frozen=True)
class Result:
    name: str
    status: Status
    detail: str
    fix: str = ""


def ok(name: str, detail: str) -> Result:
    return Result(name, Status.OK, detail)


def fail(name: str, detail: str, fix: str) -> Result:
    return Result(name, Status.FAIL, detail, fix)


def skip(name: str, detail: str) -> Result:
    return Result(name, Status.SKIP, detail)


def run(settings: Settings, config_path: Path | None) -> int:
    """Print the table; 0 when nothing failed, 1 otherwise."""
    results = asyncio.run(run_checks(settings, config_path))
    print(render(results))
    return 1 if any(r.status is Status.FAIL for r in results) else 0


def render(results: list[Result]) -> str:
    width = max(len(r.name) for r in results)
    lines = []
    for r in results:
        lines.append(f"{r.status.value:<4}  {r.name:<{width}}  {r.detail}")
        if r.fix:
            lines.append(f"{'':<4}  {'':<{width}}  fix: {r.fix}")
    failed = sum(r.status is Status.FAIL for r in results)
    lines.append(f"{failed} failed" if failed else "all checks passed")
    return "\n".join(lines)


@dataclass
class _Context:
    settings: Settings
    ari: AriRest | None = None
    ari_session: aiohttp.ClientSession | None = None
    ari_ok: bool = False
    ami_config: Categories | None = None
    ami_config_problem: str = ""
    results: list[Result] = field(default_factory=list)


async def run_checks(settings: Settings, config_path: Path | None) -> list[Result]:
    ctx = _Context(settings)
    ctx.results.append(
        ok("config", f"{config_path} is valid" if config_path else "no --config: embedded defaults")
    )
    ctx.ari_session = aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=TIMEOUT_S, connect=5),
        headers={
            "Authorization": aiohttp.encode_basic_auth(
                settings.ari.username, settings.ari.password.get_secret_value()
            )
        },
    )
    ctx.ari = AriRest(ctx.ari_session, settings.ari.url)
    try:
        steps: list[Callable[[_Context], Awaitable[list[Result]]]] = [
            _check_ari,
            _check_ari_app,
            _check_prompts,
            _check_bridge_media,
            _check_logger_dtmf,
            _check_ari_debug,
            _check_ami,
            _check_manager_users,
            _check_redis,
            _check_gateway,
            _check_crm,
        ]
        for step in steps:
            try:
                ctx.results.extend(await asyncio.wait_for(step(ctx), TIMEOUT_S * 2))
            except TimeoutError:
                detail = f"no answer within {TIMEOUT_S * 2:.0f} s"
                ctx.results.append(fail(_name(step), detail, "check the service is up and reachable"))
            except (AriError, AmiError, OSError, aiohttp.ClientError) as exc:
                detail = f"{type(exc).__name__}: {exc}"
                ctx.results.append(fail(_name(step), detail, "check the service is up and reachable"))
    finally:
        await ctx.ari_session.close()
    return ctx.results


def _name(step: Callable[..., object]) -> str:
    return step.__name__.removeprefix("_check_").replace("_", " ")


# --- ARI ---------------------------------------------------------------------------------


async def _check_ari(ctx: _Context) -> list[Result]:
    ari = ctx.settings.ari
    assert ctx.ari is not None
    try:
        info = await ctx.ari.asterisk_info()
    except AriAuthError:
        return [
            fail(
                "ari",
                f"user {ari.username!r} rejected at {ari.url}",
                f"set [ari] password to the password of [{ari.username}] in Asterisk's ari.conf "
                "(`ari show users` lists the users), or fix [ari] username",
            )
        ]
    except AriError as exc:
        return [
            fail(
                "ari",
                f"{ari.url} unreachable ({exc.message})",
                "start Asterisk; in http.conf set enabled = yes and the bindaddr/bindport of [ari] url; "
                "load res_ari.so",
            )
        ]
    ctx.ari_ok = True
    version = str(info.get("system", {}).get("version", "?"))
    return [ok("ari", f"Asterisk {version} at {ari.url} as {ari.username!r}")]


async def _check_ari_app(ctx: _Context) -> list[Result]:
    if not ctx.ari_ok:
        return [skip("ari app", "needs ARI")]
    assert ctx.ari is not None and ctx.ari_session is not None
    app = ctx.settings.ari.app
    apps = {a.get("name") for a in await ctx.ari.request("GET", "/applications")}
    if app in apps:
        return [ok("ari app", f"{app!r} registered: the daemon is connected")]
    probe = f"{app}-check-{uuid.uuid4().hex[:8]}"
    url = ctx.settings.ari.url + "/ari/events"
    try:
        async with ctx.ari_session.ws_connect(url, params={"app": probe, "subscribeAll": "false"}):
            apps = {a.get("name") for a in await ctx.ari.request("GET", "/applications")}
    except (aiohttp.ClientError, AriError) as exc:
        return [
            fail(
                "ari app",
                f"cannot open the ARI events WebSocket ({type(exc).__name__})",
                "load res_http_websocket.so, res_ari_events.so and res_stasis.so; "
                "set read_only = no for the ARI user in ari.conf",
            )
        ]
    if probe not in apps:
        return [
            fail(
                "ari app",
                "an events WebSocket opened but no application was registered",
                "load res_stasis.so and res_ari_applications.so",
            )
        ]
    return [
        ok(
            "ari app",
            f"{app!r} not registered now (the daemon is not connected); registering an app works",
        )
    ]


async def _check_prompts(ctx: _Context) -> list[Result]:
    if not ctx.ari_ok:
        return [skip("prompts", "needs ARI")]
    assert ctx.ari is not None
    payments = ctx.settings.payments
    languages = list(dict.fromkeys([payments.default_language, *payments.languages]))
    names = prompt_names()
    if names is None:
        places = " or ".join(str(p) for p in PROMPT_CATALOGUE_PLACES)
        return [skip("prompts", f"no prompt catalogue found ({places}); reinstall with make install-service")]
    found = await _sound_languages(ctx.ari, [f"securepay/{name}" for name in names])
    core = await _sound_languages(ctx.ari, list(CORE_SOUNDS))
    results = []
    missing_prompts = {lang: [n for n in names if lang not in found[f"securepay/{n}"]] for lang in languages}
    if any(missing_prompts.values()):
        detail = "; ".join(
            f"{lang}: {len(missing)} of {len(names)} missing ({_sample(missing)})"
            for lang, missing in missing_prompts.items()
            if missing
        )
        bad = ", ".join(lang for lang, missing in missing_prompts.items() if missing)
        results.append(
            fail(
                "prompts",
                detail,
                f"copy sounds/<lang>/securepay/ to <astdatadir>/sounds/<lang>/securepay/ for {bad} "
                "(a new language needs its prompts rendered first: sounds/README.md), "
                "or remove the language from [payments] languages",
            )
        )
    else:
        results.append(ok("prompts", f"all {len(names)} prompts in {', '.join(languages)}"))
    missing_core = [lang for lang in languages if any(lang not in core[s] for s in CORE_SOUNDS)]
    if missing_core:
        results.append(
            fail(
                "core sounds",
                f"no digit sounds for {', '.join(missing_core)}: amounts and card endings cannot be read",
                "install " + " ".join(f"asterisk-core-sounds-{lang}" for lang in missing_core),
            )
        )
    else:
        results.append(ok("core sounds", f"digits in {', '.join(languages)}"))
    return results


async def _check_bridge_media(ctx: _Context) -> list[Result]:
    """Hold music on the agent's bridge and prompts on an assisted payment's bridge are
    played by an announcer channel, which Asterisk cannot make without chan_bridge_media."""
    if not ctx.ari_ok:
        return [skip("bridge media", "needs ARI")]
    assert ctx.ari is not None
    hears = ctx.settings.payments.agent_hears_prompts
    try:
        module = await ctx.ari.request("GET", f"/asterisk/modules/{BRIDGE_MEDIA}")
    except AriNotFound:
        module = {}
    if module.get("status") == "Running":
        uses = "hold music for the agent" + (", prompts on assisted payments' bridges" if hears else "")
        return [ok("bridge media", f"{BRIDGE_MEDIA} running: {uses}")]
    lost = "the agent gets no hold music during a private payment" + (
        " and hears no prompt of an assisted one ([payments] agent_hears_prompts)" if hears else ""
    )
    return [
        fail(
            "bridge media",
            f"{BRIDGE_MEDIA} is not loaded: {lost}",
            f"add `load => {BRIDGE_MEDIA}` to modules.conf and run `module load {BRIDGE_MEDIA}`",
        )
    ]


def prompt_names() -> list[str] | None:
    """The prompt names of sounds/catalogue.toml, or None when it is not installed."""
    for place in PROMPT_CATALOGUE_PLACES:
        if place.is_file():
            with open(place, "rb") as handle:
                return list(tomllib.load(handle).get("prompts", {}))
    return None


async def _sound_languages(ari: AriRest, sound_ids: list[str]) -> dict[str, set[str]]:
    """For each sound, the languages Asterisk has it in (`GET /sounds/{id}` lists every format)."""

    async def one(sound_id: str) -> set[str]:
        try:
            sound = await ari.request("GET", f"/sounds/{quote(sound_id, safe='')}")
        except AriNotFound:
            return set()
        return {f.get("language", "") for f in sound.get("formats", [])}

    found = await asyncio.gather(*(one(s) for s in sound_ids))
    return dict(zip(sound_ids, found, strict=True))


def _sample(names: list[str], count: int = 4) -> str:
    return ", ".join(names[:count]) + (", ..." if len(names) > count else "")


async def _log_channels(ctx: _Context) -> list[dict[str, Any]]:
    assert ctx.ari is not None
    channels = await ctx.ari.request("GET", "/asterisk/logging")
    return [c for c in channels if str(c.get("status", "")).lower() == "enabled"]


def _channel_name(channel: dict[str, Any]) -> str:
    kind = str(channel.get("type", "")).lower()
    if kind == "console":
        return "console"
    path = str(channel.get("channel", ""))
    return f"syslog {path}" if kind == "syslog" else Path(path).name or path


def _levels(channel: dict[str, Any]) -> set[str]:
    return {level.lower() for level in str(channel.get("configuration", "")).split()}


async def _check_logger_dtmf(ctx: _Context) -> list[Result]:
    if not ctx.ari_ok:
        return [skip("logger dtmf", "needs ARI")]
    try:
        channels = await _log_channels(ctx)
    except AriError as exc:
        return [skip("logger dtmf", f"cannot list log channels ({exc.message}): load res_ari_asterisk.so")]
    leaking = [_channel_name(c) for c in channels if "dtmf" in _levels(c)]
    if leaking:
        return [
            fail(
                "logger dtmf",
                f"log channel(s) {', '.join(leaking)} record every keyed digit (level dtmf)",
                "in logger.conf remove dtmf (and any *) from "
                + ", ".join(leaking)
                + ", then `asterisk -rx 'logger reload'` (FreePBX: Settings > Asterisk Logfile Settings)",
            )
        ]
    return [ok("logger dtmf", f"no dtmf level in {len(channels)} log channel(s)")]


async def _check_ari_debug(ctx: _Context) -> list[Result]:
    """ARI debug is not readable over ARI; what it writes lands in logs that take `verbose`/`debug`."""
    if not ctx.ari_ok:
        return [skip("ari debug", "needs ARI")]
    try:
        channels = await _log_channels(ctx)
    except AriError as exc:
        return [skip("ari debug", f"cannot list log channels ({exc.message})")]
    recording = [
        _channel_name(c)
        for c in channels
        if str(c.get("type", "")).lower() != "console" and _levels(c) & {"verbose", "debug"}
    ]
    if recording:
        return [
            fail(
                "ari debug",
                f"{', '.join(recording)} keep verbose/debug lines: `ari set debug` or core debug would "
                "write every ARI event there, keyed digits included",
                "in logger.conf remove verbose and debug from "
                + ", ".join(recording)
                + ", then `asterisk -rx 'logger reload'`; never run `ari set debug` on a live system",
            )
        ]
    return [ok("ari debug", "no log file keeps verbose/debug lines, where ARI debug output would be written")]


# --- AMI ---------------------------------------------------------------------------------


async def _check_ami(ctx: _Context) -> list[Result]:
    ami = ctx.settings.ami
    if not ami.enabled:
        return [skip("ami", "[ami] enabled = false (needed only for calls bridged by Queue()/Dial())")]
    user_fix = (
        f"set [ami] password to the secret of [{ami.username}] in manager.conf "
        "(`manager show users` lists the users), or fix [ami] username"
    )
    try:
        async with AmiClient(ami.host, ami.port, ami.username, ami.password.get_secret_value()) as client:
            denied, missing = [], []
            for action in AMI_ACTIONS:
                # Harmless probes: no such channel. "Permission denied" means the class is missing.
                answer = await client.send(action, Channel=f"securepay-check-{uuid.uuid4().hex[:8]}")
                message = answer.get("Message", "").lower()
                if "permission denied" in message:
                    denied.append(action)
                elif "invalid/unknown command" in message:
                    missing.append(action)
            if not ami.manager_conf:
                config = await client.send("GetConfig", Filename="manager.conf")
                if succeeded(config):
                    ctx.ami_config = config_from_getconfig(config)
                else:
                    ctx.ami_config_problem = config.get("Message", "")
    except AmiAuthError as exc:
        return [fail("ami", str(exc), user_fix)]
    except AmiError as exc:
        return [
            fail(
                "ami",
                str(exc),
                "in manager.conf set enabled = yes, bindaddr and port matching [ami] host and port; "
                "then `asterisk -rx 'manager reload'`",
            )
        ]
    results = [ok("ami", f"logged in as {ami.username!r} at {ami.host}:{ami.port}")]
    if denied:
        results.append(
            fail(
                "ami actions",
                f"{ami.username!r} may not use {', '.join(denied)}",
                f"set write = call for [{ami.username}] in manager.conf, then `manager reload`",
            )
        )
    else:
        usable = [a for a in AMI_ACTIONS if a not in missing]
        detail = f"{', '.join(usable)} allowed"
        if "MixMonitorMute" in missing:
            detail += "; MixMonitorMute absent (app_mixmonitor not loaded: no recordings to mute)"
        results.append(ok("ami actions", detail))
    return results


async def _check_manager_users(ctx: _Context) -> list[Result]:
    ami = ctx.settings.ami
    if ami.manager_conf:
        path = Path(ami.manager_conf)
        try:
            categories = read_manager_conf(path)
        except ManagerConfError as exc:
            return [
                fail(
                    "manager users",
                    str(exc),
                    "point [ami] manager_conf at Asterisk's manager.conf; run check as a user "
                    "allowed to read it",
                )
            ]
        where = str(path)
    elif ctx.ami_config is not None:
        categories, where = ctx.ami_config, "manager.conf (read over AMI)"
    else:
        reason = (
            f"AMI may not read manager.conf ({ctx.ami_config_problem})"
            if ctx.ami_config_problem
            else "AMI is off"
        )
        return [
            skip(
                "manager users",
                f'{reason}: set [ami] manager_conf = "/etc/asterisk/manager.conf" to check its users',
            )
        ]
    leaking = leaking_users(categories)
    if leaking:
        names = ", ".join(f"{u.name} (read = {','.join(u.read)})" for u in leaking)
        return [
            fail(
                "manager users",
                f"{names} in {where} receive every keyed digit (DTMFBegin/DTMFEnd events)",
                "replace dtmf/all in their read with only the classes they need "
                "(for example read = system,call), then `asterisk -rx 'manager reload'`",
            )
        ]
    count = sum(1 for name, _ in categories if name.lower() != "general")
    return [ok("manager users", f"none of {count} user(s) in {where} reads dtmf or all")]


# --- the rest ----------------------------------------------------------------------------


def _without_credentials(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


async def _check_redis(ctx: _Context) -> list[Result]:
    url = ctx.settings.redis.url
    if not url:
        return [skip("redis", "[redis] url is empty: in-process event bus (one daemon)")]
    shown = _without_credentials(url)
    client = aioredis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
    try:
        await client.ping()
    except AuthenticationError:
        return [fail("redis", f"{shown} rejected the credentials", "fix the user/password in [redis] url")]
    except (RedisError, OSError) as exc:
        return [
            fail(
                "redis",
                f"{shown} unreachable ({type(exc).__name__})",
                "start redis-server (systemctl start redis-server) or fix [redis] url",
            )
        ]
    finally:
        await client.aclose()
    return [ok("redis", f"PING answered at {shown}")]


async def _check_gateway(ctx: _Context) -> list[Result]:
    gw = ctx.settings.gateway
    kind = gateway_kind(gw)
    where = f"{kind} simulator (no real card is charged)" if simulated(gw) else f"{kind} {gw.environment}"
    rejected, fix, vendor = GATEWAY_FIXES[kind]
    try:
        async with open_gateway(gw) as gateway:
            await gateway.check_credentials()
    except ConfigError as exc:
        return [fail("gateway", str(exc), "fix that key in [gateway]")]
    except GatewayAuthError:
        return [fail("gateway", f"{where} rejected {rejected.format(gw=gw)}", fix)]
    except GatewayError as exc:
        return [
            fail(
                "gateway",
                f"{where} unreachable ({exc})",
                f"allow outbound HTTPS to {vendor} from this host, or fix [gateway] url",
            )
        ]
    return [ok("gateway", f"{where}: credentials accepted")]


async def _check_crm(ctx: _Context) -> list[Result]:
    crm = ctx.settings.crm
    if crm.kind == "none":
        return [skip("crm", "[crm] kind = none: payments go to the ledger only")]
    async with open_connector(crm) as connector:
        assert connector is not None
        try:
            return [ok("crm", await connector.verify())]
        except Unauthorized as exc:
            return [fail("crm", str(exc), CRM_FIXES[crm.kind][0])]
        except DeliveryError as exc:
            return [fail("crm", str(exc), CRM_FIXES[crm.kind][1])]
