"""The securepay daemon: one ARI connection and the services hanging off it.

Losing Asterisk is not fatal (the ARI client retries and resyncs); wrong ARI
credentials are, since retrying cannot fix them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from aiohttp import web

from securepay import metrics
from securepay.ami import AmiClient
from securepay.ari import AriClient, AriSettings
from securepay.ari.client import ConnectionState
from securepay.calls.dialplan import DialplanCalls
from securepay.calls.intake import CallIntake
from securepay.calls.recording import RecordingMuter
from securepay.calls.registry import CallRegistry
from securepay.config import ConfigError, Settings
from securepay.crm.connector import Connector
from securepay.crm.factory import open_connector
from securepay.crm.outbox import CrmOutbox
from securepay.events.bus import EventBus, make_bus
from securepay.gateway.base import Gateway
from securepay.gateway.factory import open_gateway
from securepay.ledger import Ledger, LedgerError
from securepay.payments.recording import PaymentRecorder
from securepay.payments.service import PaymentService
from securepay.payments.settle import settle_unfinished
from securepay.web.app import build_app, start_site
from securepay.web.health import Health, Probe

log = logging.getLogger("securepay")


def open_ledger(path: Path) -> Ledger:
    """The ledger, or a ConfigError naming the key when its file cannot be used."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return Ledger.open(path)
    except (OSError, LedgerError) as exc:
        raise ConfigError(f"ledger.path: cannot open {path}: {exc}") from None


def ami_client(settings: Settings) -> AmiClient | None:
    """AMI is needed only for Queue/Dial calls and MixMonitor muting: off unless enabled."""
    ami = settings.ami
    if not ami.enabled:
        return None
    return AmiClient(ami.host, ami.port, ami.username, ami.password.get_secret_value())


def ari_settings(settings: Settings) -> AriSettings:
    return AriSettings(
        url=settings.ari.url,
        username=settings.ari.username,
        password=settings.ari.password.get_secret_value(),
        app=settings.ari.app,
        reconnect_max_s=settings.ari.reconnect_max_s,
    )


class Daemon:
    """Everything wired together; `start()` returns once the HTTP API listens."""

    def __init__(
        self,
        settings: Settings,
        gateway: Gateway,
        bus: EventBus,
        ledger: Ledger,
        crm: Connector | None = None,
    ) -> None:
        self.settings = settings
        self.bus = bus
        self.ari = AriClient(ari_settings(settings))
        self.calls = CallRegistry()
        self.recorder = PaymentRecorder(ledger, settings)
        self.ami = ami_client(settings)
        self.dialplan = DialplanCalls(self.ari.rest, self.ami, self.calls, settings) if self.ami else None
        self.payments = PaymentService(
            settings,
            self.calls,
            self.ari.rest,
            gateway,
            bus,
            self.recorder,
            RecordingMuter(self.ami),
            self.dialplan,
        )
        self._gateway = gateway
        self._ledger = ledger
        self.outbox = (
            CrmOutbox.from_config(ledger, crm, settings.crm, on_delivery=self.payments.crm_delivered)
            if crm is not None
            else None
        )
        self._background: set[asyncio.Task[None]] = set()
        self.ari.on_state(lambda state: metrics.ari_connected(state == ConnectionState.CONNECTED))
        self.intake = CallIntake(self.ari, self.calls, settings, self.payments, bus, self.dialplan)
        self.payments.to_fallback = self.intake.caller_to_fallback
        self.payments.end_call = self.intake.end_call
        self.http_port = 0
        self._web: web.AppRunner | None = None
        self.ari_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        app = build_app(
            self.settings, self.payments, self.calls, self.bus, Health(self._probes(), self._ledger)
        )
        self._web, self.http_port = await start_site(app, self.settings.http.listen, self.settings.http.port)
        self.ari_task = asyncio.create_task(self.ari.run(), name="ari")
        self._spawn(
            settle_unfinished(self._ledger, self._gateway, self.recorder, self.bus, self.payments.settled),
            "settle",
        )
        if self.outbox is not None:
            self._spawn(self.outbox.run(), "crm-outbox")
        log.info("HTTP API on http://%s:%d", self.settings.http.listen, self.http_port)

    def _probes(self) -> dict[str, Probe]:
        async def ari_connected() -> bool:
            return self.ari.connected.is_set()

        probes: dict[str, Probe] = {
            "ari": ari_connected,
            "events": self.bus.ping,
            "ledger": self._ledger.writable,
        }
        ami = self.ami
        if ami is not None:

            async def ami_answers() -> bool:
                await ami.action("Ping")
                return True

            probes["ami"] = ami_answers
        return probes

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(work, name=name)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def stop(self) -> None:
        await self.payments.shutdown()
        if self.outbox is not None:
            await self.outbox.stop()
        for task in list(self._background):
            task.cancel()
        await self.intake.close()
        if self.ami is not None:
            await self.ami.close()
        if self._web is not None:
            await self._web.cleanup()
        await self.ari.close()
        if self.ari_task is not None:
            self.ari_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.ari_task


async def run(settings: Settings) -> None:
    """Run until SIGTERM/SIGINT or cancellation; raises AriAuthError on wrong credentials."""
    from securepay import __version__

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("securepay %s starting; ARI %s app %s", __version__, settings.ari.url, settings.ari.app)
    bus = make_bus(settings.redis.url)
    ledger = open_ledger(settings.ledger.path)
    async with open_gateway(settings.gateway) as gateway, open_connector(settings.crm) as crm:
        daemon = Daemon(settings, gateway, bus, ledger, crm)
        await daemon.start()
        assert daemon.ari_task is not None
        stop_task = asyncio.create_task(stop.wait(), name="stop")
        try:
            await asyncio.wait({daemon.ari_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
            if daemon.ari_task.done():
                daemon.ari_task.result()
        finally:
            log.info("securepay stopping")
            stop_task.cancel()
            await daemon.stop()
            await bus.close()
            ledger.close()
