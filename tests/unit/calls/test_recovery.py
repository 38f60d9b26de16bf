"""A caller left in a payment bridge by a killed daemon: back with the agent at once, told the right thing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from securepay.ari import AriError
from securepay.calls.recovery import (
    PROMPT_VARIABLE,
    PROMPTS_PER_NAME,
    RECOVERY_PROMPT,
    RETURNING_PROMPT,
    recover,
)
from securepay.calls.registry import Call, CallRegistry

CALL = "c-0123456789ab"
PAYMENT = "p-00000000000000a1"


@dataclass
class Language:
    language: str = "en"


@dataclass
class FakeRest:
    """Asterisk as a killed daemon left it: the agent's bridge, and the caller in a payment bridge."""

    played: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    bridged: list[tuple[str, str]] = field(default_factory=list)
    stopped: list[str] = field(default_factory=list)
    unmuted: list[str] = field(default_factory=list)
    destroyed: list[str] = field(default_factory=list)
    hung_up: list[str] = field(default_factory=list)
    assisted: bool = False
    """An assisted payment: the agent was in the payment's bridge too."""
    refuse_bridging: bool = False

    async def list_bridges(self) -> list[dict[str, Any]]:
        agent = [f"{CALL}-agent"]
        in_call, in_pay = ([], agent) if self.assisted else (agent, [])
        return [
            {"id": "b-call", "name": f"securepay/call/{CALL}/alice", "channels": in_call},
            {"id": "b-pay", "name": f"securepay/pay/{PAYMENT}/{CALL}", "channels": ["caller-1", *in_pay]},
        ]

    async def unmute_from(self, channel_id: str) -> None:
        self.unmuted.append(channel_id)

    async def get_channel(self, channel_id: str) -> Language:
        return Language()

    async def get_variable(self, channel_id: str, name: str) -> str:
        return f"{PAYMENT}-7" if (channel_id, name) == ("caller-1", PROMPT_VARIABLE) else ""

    async def stop_playback(self, playback_id: str) -> None:
        assert not self.bridged, "the prompt holds the channel: stop it before moving the caller"
        self.stopped.append(playback_id)

    async def stop_bridge_moh(self, bridge_id: str) -> None:
        return None

    async def destroy_bridge(self, bridge_id: str) -> None:
        self.destroyed.append(bridge_id)

    async def add_to_bridge(self, bridge_id: str, channel_id: str) -> None:
        if self.refuse_bridging:
            raise AriError("POST", f"/bridges/{bridge_id}/addChannel", 500, "Internal Server Error")
        self.bridged.append((bridge_id, channel_id))

    async def hangup(self, channel_id: str) -> None:
        self.hung_up.append(channel_id)

    async def play(self, channel_id: str, media: tuple[str, ...], lang: str = "") -> None:
        self.played.append((channel_id, tuple(media)))


async def to_fallback(call: Call) -> None:
    raise AssertionError("the agent is still there")


@pytest.mark.parametrize(
    ("submitted", "prompt"),
    [(False, RECOVERY_PROMPT), (True, RETURNING_PROMPT)],
    ids=["not-charged", "charged"],
)
async def test_the_caller_is_back_with_the_agent_and_told_failure_only_if_no_charge_was_sent(
    submitted: bool, prompt: tuple[str, ...]
) -> None:
    rest, registry, asked = FakeRest(), CallRegistry(), []

    async def charge_submitted(payment_id: str) -> bool:
        asked.append(payment_id)
        return submitted

    await recover(rest, registry, "en", to_fallback, charge_submitted)  # type: ignore[arg-type]
    # the prompts the dead daemon named, one of which may still be playing
    assert rest.stopped == [f"{PAYMENT}-{n}" for n in range(7, 7 + PROMPTS_PER_NAME)]
    assert rest.bridged == [("b-call", "caller-1")] and asked == [PAYMENT]
    assert rest.played == [("caller-1", prompt)]
    call = registry.get(CALL)
    assert call is not None and call.caller_channel == "caller-1" and call.payment_id is None


async def test_after_an_assisted_payment_the_agent_is_back_in_the_call_too_and_the_caller_unmuted() -> None:
    rest, registry = FakeRest(assisted=True), CallRegistry()

    async def charge_submitted(payment_id: str) -> bool:
        return False

    await recover(rest, registry, "en", to_fallback, charge_submitted)  # type: ignore[arg-type]
    assert rest.bridged == [("b-call", f"{CALL}-agent"), ("b-call", "caller-1")]
    assert rest.unmuted == ["caller-1"]
    assert rest.played == [("caller-1", RECOVERY_PROMPT)]


async def test_the_payment_bridge_goes_only_once_the_caller_is_in_the_agents_bridge() -> None:
    """Should the new daemon die too, the caller is in one bridge or the other, never in none."""
    rest, registry = FakeRest(), CallRegistry()

    async def charge_submitted(payment_id: str) -> bool:
        destroyed_when_asked.extend(rest.destroyed)
        return False

    destroyed_when_asked: list[str] = []
    await recover(rest, registry, "en", to_fallback, charge_submitted)  # type: ignore[arg-type]
    assert rest.bridged == [("b-call", "caller-1")] and rest.destroyed == ["b-pay"] == destroyed_when_asked


async def test_a_caller_asterisk_will_not_bridge_back_goes_to_the_fallback_and_the_agent_is_freed() -> None:
    rest, registry, sent = FakeRest(refuse_bridging=True), CallRegistry(), []

    async def charge_submitted(payment_id: str) -> bool:
        return False

    async def fallback(call: Call) -> None:
        sent.append(call.caller_channel)

    await recover(rest, registry, "en", fallback, charge_submitted)
    assert sent == ["caller-1"]
    assert rest.hung_up == [f"{CALL}-agent"] and set(rest.destroyed) == {"b-pay", "b-call"}
