"""The end-to-end payment rig: the daemon in-process against the real Asterisk, plus the
driver app (securepay.testing.phones) that plays the caller's phone and the agent's phone.

The driver keys digits as soon as the flow is waiting for them (so prompts are
barged in on, keeping the suite fast) and records every digit the agent's phone hears.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any, Protocol

import aiohttp

from securepay import config
from securepay.ari.models import PlaybackFinished, PlaybackStarted
from securepay.config import Settings
from securepay.crm.factory import open_connector
from securepay.daemon import Daemon, open_ledger
from securepay.events.bus import EventBus, InProcessBus
from securepay.flow import State
from securepay.gateway.factory import Simulator, new_simulator, open_gateway
from securepay.ledger import Ledger
from securepay.payments.model import Payment
from securepay.testing.asterisk_rig import HOLD_CLASS, AsteriskInstance
from securepay.testing.phones import AGENT_ENDPOINT, Phones, driven_phones
from securepay.web.auth import token_hash

RECORDED_AGENT_ENDPOINT = "Local/agentphone-recorded@securepay-test/n"
"""An agent phone whose received audio Asterisk records (see the rig's test dialplan)."""

ALICE_TOKEN = "alice-test-token-0123456789abcdef0123456789"
FAST_IVR = {
    "SECUREPAY_IVR_INPUT_TIMEOUT_S": "10",
    "SECUREPAY_IVR_INTERDIGIT_TIMEOUT_S": "3",
    "SECUREPAY_IVR_FALLBACK_CONTEXT": "securepay-test-fallback",
    "SECUREPAY_IVR_MOH_CLASS": HOLD_CLASS,
}


class Keypad(Protocol):
    """The caller's phone keys: Local channels over ARI, or a SIP phone over RTP."""

    async def key(self, digits: str) -> None: ...


def rig_settings(
    asterisk: AsteriskInstance, overrides: Mapping[str, str] = (), agent_endpoint: str = AGENT_ENDPOINT
) -> Settings:
    ari = asterisk.ari
    env = {
        "SECUREPAY_ARI_URL": ari.url,
        "SECUREPAY_ARI_USERNAME": ari.username,
        "SECUREPAY_ARI_PASSWORD": ari.password,
        "SECUREPAY_ARI_RECONNECT_MAX_S": "1",
        "SECUREPAY_HTTP_PORT": "0",
        **FAST_IVR,
        **dict(overrides),
    }
    base = config.load(None, env)
    agents = {
        "alice": config.AgentConfig(
            name="Alice Smith", endpoint=agent_endpoint, token_sha256=token_hash(ALICE_TOKEN)
        )
    }
    return base.model_copy(update={"agents": agents})


class PaymentRig:
    def __init__(self, daemon: Daemon, simulator: Simulator, phones: Phones, ledger: Ledger) -> None:
        self.daemon = daemon
        self.ledger = ledger
        self.simulator = simulator
        self.phones = phones
        self.keypad: Keypad = phones
        self.playback_states: list[str] = []
        self.monitor_dir = Path()
        self.playing: set[str] = set()
        """Playbacks (prompts) under way on any channel."""
        self._prompts_changed = time.monotonic()
        daemon.ari.on(PlaybackStarted, self._prompt_started)
        daemon.ari.on(PlaybackFinished, self._prompt_finished)
        daemon.ari.on(PlaybackFinished, lambda event: self.playback_states.append(event.playback.state))
        self.http = aiohttp.ClientSession(
            base_url=f"http://127.0.0.1:{daemon.http_port}",
            headers={"Authorization": f"Bearer {ALICE_TOKEN}"},
        )

    async def place_call(self, agent: str = "alice", language: str = "", crm_record: str = "") -> str:
        """Dial in as a caller and wait until caller and agent are bridged; returns the call id."""
        await self.phones.call_in(agent, language, crm_record)
        return await self.connected_call(agent)

    async def connected_call(self, agent: str = "alice") -> str:
        """Wait until the agent's caller and agent are bridged; returns the call id."""
        return str(await self.until(lambda: self._connected_call(agent)))

    def _connected_call(self, agent: str) -> str | None:
        call = self.daemon.calls.for_agent(agent)
        return call.id if call and call.connected else None

    async def request_payment(self, call_id: str, **body: Any) -> Payment:
        payload = {"item": "Blue widget", "amount": "49.95", **body}
        async with self.http.post(f"/api/v1/calls/{call_id}/payments", json=payload) as resp:
            data = await resp.json()
            assert resp.status == 201, data
        payment = self.daemon.payments.get(data["id"])
        assert payment is not None
        return payment

    @staticmethod
    def step_error(payment: Payment) -> str | None:
        """The error of the last step event published (e.g. "card-invalid")."""
        return payment.last_error

    @staticmethod
    def failures(payment: Payment) -> int:
        return payment.error_count

    def state(self, payment: Payment) -> State | None:
        return self.daemon.payments.flow_state(payment.id)

    async def at(self, payment: Payment, state: State, timeout: float = 30) -> None:
        await self.until(lambda: self.state(payment) == state or None, timeout)

    async def key_at(self, payment: Payment, state: State, digits: str) -> None:
        """Wait until the flow asks for this input, then key it (barging in on the prompt)."""
        await self.at(payment, state)
        await self.keypad.key(digits)

    async def finished(self, payment: Payment, timeout: float = 40) -> Payment:
        """Wait until the payment is over and its caller placed (with the agent or beyond)."""
        await self.until(lambda: not self.daemon.payments.is_running(payment.id), timeout)
        return payment

    def agent_heard_audio(self) -> Path:
        """What the agent's phone received, recorded (RECORDED_AGENT_ENDPOINT only)."""
        return self.monitor_dir / f"agent-heard-{self.phones.agent_phone}.wav"

    async def bridge_of(self, channel_id: str) -> set[str]:
        """The members of the bridge `channel_id` is in (empty if in none)."""
        for bridge in await self.daemon.ari.rest.list_bridges():
            if channel_id in bridge["channels"]:
                return set(bridge["channels"])
        return set()

    async def bridge_members(self, call_id: str) -> set[str]:
        call = self.daemon.calls.get(call_id)
        assert call is not None
        bridge = await self.daemon.ari.rest.request("GET", f"/bridges/{call.bridge_id}")
        return set(bridge["channels"])

    def _prompt_started(self, event: PlaybackStarted) -> None:
        self.playing.add(event.playback.id)
        self._prompts_changed = time.monotonic()

    def _prompt_finished(self, event: PlaybackFinished) -> None:
        self.playing.discard(event.playback.id)
        self._prompts_changed = time.monotonic()

    async def quiet(self, for_s: float = 0.5, timeout: float = 30) -> None:
        """Until no prompt has played for `for_s`. A prompt's end alone is not enough: the
        flow's next prompt starts a few milliseconds after the one before it ends."""
        await self.until(
            lambda: not self.playing and time.monotonic() - self._prompts_changed >= for_s, timeout
        )

    @staticmethod
    async def until(check: Any, timeout: float = 30) -> Any:
        async def poll() -> Any:
            while not (value := check()):
                await asyncio.sleep(0.02)
            return value

        return await asyncio.wait_for(poll(), timeout)


@contextlib.asynccontextmanager
async def payment_rig(
    asterisk: AsteriskInstance,
    overrides: Mapping[str, str] = (),
    bus: EventBus | None = None,
    agent_endpoint: str = AGENT_ENDPOINT,
) -> AsyncIterator[PaymentRig]:
    """The daemon and both phones; `agent_endpoint` may be RECORDED_AGENT_ENDPOINT."""
    workdir = Path(tempfile.mkdtemp(prefix="securepay-rig-"))
    ledger_path = {"SECUREPAY_LEDGER_PATH": str(workdir / "ledger.sqlite3")}
    settings = rig_settings(asterisk, {**ledger_path, **dict(overrides)}, agent_endpoint)
    simulator = new_simulator(settings.gateway)
    ledger = open_ledger(settings.ledger.path)
    async with (
        driven_phones(asterisk.ari) as phones,
        open_gateway(settings.gateway, simulator=simulator) as gateway,
        open_connector(settings.crm) as crm,
    ):
        daemon = Daemon(settings, gateway, bus or InProcessBus(), ledger, crm)
        await daemon.start()
        rig = PaymentRig(daemon, simulator, phones, ledger)
        rig.monitor_dir = asterisk.dir / "spool" / "monitor"
        try:
            await asyncio.wait_for(daemon.ari.connected.wait(), 10)
            yield rig
        finally:
            await rig.http.close()
            for channel in (phones.caller_phone, phones.agent_phone):
                if channel:
                    with contextlib.suppress(Exception):
                        await phones.driver.rest.hangup(channel)
            with contextlib.suppress(TimeoutError):
                await rig.until(lambda: not daemon.calls.all(), 10)
            await daemon.stop()
            ledger.close()
            shutil.rmtree(workdir, ignore_errors=True)
