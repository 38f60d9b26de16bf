"""The end-to-end payment rig: the daemon in-process against the real Asterisk, plus a
driver app that plays the caller's phone and the agent's phone.

The driver keys digits as soon as the flow is waiting for them (so prompts are
barged in on, keeping the suite fast) and records every digit the agent's phone hears.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from securepay import config
from securepay.ari import AriClient, AriSettings
from securepay.ari.models import ChannelDtmfReceived, StasisStart
from securepay.config import Settings
from securepay.daemon import Daemon
from securepay.events.bus import InProcessBus
from securepay.flow import State
from securepay.gateway.factory import open_gateway
from securepay.payments.model import Payment
from securepay.testing.asterisk_rig import AsteriskInstance
from securepay.testing.gateway_sim import GatewaySimulator
from tests.e2e.ari_helpers import EventLog

DRIVER_APP = "securepay-driver"
AGENT_ENDPOINT = "Local/agentphone@securepay-test/n"
FAST_IVR = {
    "SECUREPAY_IVR_INPUT_TIMEOUT_S": "10",
    "SECUREPAY_IVR_INTERDIGIT_TIMEOUT_S": "3",
}


def rig_settings(asterisk: AsteriskInstance, overrides: Mapping[str, str] = ()) -> Settings:
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
    agents = {"alice": config.AgentConfig(name="Alice Smith", endpoint=AGENT_ENDPOINT)}
    return base.model_copy(update={"agents": agents})


@dataclass
class Phones:
    """The driver's side of one call: the caller's phone and the agent's phone."""

    driver: AriClient
    log: EventLog
    caller_phone: str = ""
    agent_phone: str = ""
    agent_heard: list[str] = field(default_factory=list)

    async def key(self, digits: str) -> None:
        await self.driver.rest.send_dtmf(self.caller_phone, digits, between_ms=40, duration_ms=70)

    async def hang_up_caller(self) -> None:
        await self.driver.rest.hangup(self.caller_phone)

    async def hang_up_agent(self) -> None:
        await self.driver.rest.hangup(self.agent_phone)


class PaymentRig:
    def __init__(self, daemon: Daemon, simulator: GatewaySimulator, phones: Phones) -> None:
        self.daemon = daemon
        self.simulator = simulator
        self.phones = phones
        self.http = aiohttp.ClientSession(base_url=f"http://127.0.0.1:{daemon.http_port}")

    async def place_call(self, agent: str = "alice", language: str = "", crm_record: str = "") -> str:
        """Dial in as a caller and wait until caller and agent are bridged; returns the call id."""
        variables = {"_CALLER_LANGUAGE": language, "_CRM_RECORD": crm_record}
        phone = await self.phones.driver.rest.originate(
            f"Local/call-{agent}@securepay-test/n",
            app=DRIVER_APP,
            app_args="callerphone",
            variables=variables,
        )
        self.phones.caller_phone = phone.id
        call = await self.until(lambda: self._connected_call(agent))
        return call

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

    def state(self, payment: Payment) -> State | None:
        return self.daemon.payments.flow_state(payment.id)

    async def at(self, payment: Payment, state: State, timeout: float = 30) -> None:
        await self.until(lambda: self.state(payment) == state or None, timeout)

    async def key_at(self, payment: Payment, state: State, digits: str) -> None:
        """Wait until the flow asks for this input, then key it (barging in on the prompt)."""
        await self.at(payment, state)
        await self.phones.key(digits)

    async def finished(self, payment: Payment, timeout: float = 40) -> Payment:
        """Wait until the payment is over and its caller placed (with the agent or beyond)."""
        await self.until(lambda: not self.daemon.payments.is_running(payment.id), timeout)
        return payment

    async def bridge_members(self, call_id: str) -> set[str]:
        call = self.daemon.calls.get(call_id)
        assert call is not None
        bridge = await self.daemon.ari.rest.request("GET", f"/bridges/{call.bridge_id}")
        return set(bridge["channels"])

    @staticmethod
    async def until(check: Any, timeout: float = 30) -> Any:
        async def poll() -> Any:
            while not (value := check()):
                await asyncio.sleep(0.02)
            return value

        return await asyncio.wait_for(poll(), timeout)


@contextlib.asynccontextmanager
async def payment_rig(
    asterisk: AsteriskInstance, overrides: Mapping[str, str] = ()
) -> AsyncIterator[PaymentRig]:
    settings = rig_settings(asterisk, overrides)
    simulator = GatewaySimulator()
    ari = asterisk.ari
    driver = AriClient(AriSettings(ari.url, ari.username, ari.password, DRIVER_APP))
    phones = Phones(driver, EventLog(driver))

    async def answer_agent_phone(event: StasisStart) -> None:
        if event.args == ("agentphone",):
            phones.agent_phone = event.channel.id
            await driver.rest.answer(event.channel.id)

    def agent_heard(event: ChannelDtmfReceived) -> None:
        if event.channel.id == phones.agent_phone:
            phones.agent_heard.append(event.digit)

    driver.on(StasisStart, answer_agent_phone)
    driver.on(ChannelDtmfReceived, agent_heard)
    driver_task = asyncio.create_task(driver.run())
    async with open_gateway(settings.gateway, simulator=simulator) as gateway:
        daemon = Daemon(settings, gateway, InProcessBus())
        await daemon.start()
        rig = PaymentRig(daemon, simulator, phones)
        try:
            await asyncio.wait_for(daemon.ari.connected.wait(), 10)
            await asyncio.wait_for(driver.connected.wait(), 10)
            yield rig
        finally:
            await rig.http.close()
            for channel in (phones.caller_phone, phones.agent_phone):
                if channel:
                    with contextlib.suppress(Exception):
                        await driver.rest.hangup(channel)
            await daemon.stop()
            await driver.close()
            driver_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await driver_task
