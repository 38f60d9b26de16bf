"""A leg left in securepay's app outside any bridge, that no call knows, is released, not left."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from securepay.ari.models import Channel
from securepay.calls.registry import Call, CallRegistry
from securepay.calls.strays import release_strays

APP = "securepay"


def in_stasis(channel_id: str, app: str = APP) -> Channel:
    return Channel(channel_id, f"Local/{channel_id}", "Up", stasis_app=app)


@dataclass
class FakeRest:
    """Asterisk's channels and bridges; `settle` is what happens during the grace period."""

    channels: list[Channel]
    bridges: dict[str, list[str]] = field(default_factory=dict)
    settle: dict[str, list[str]] = field(default_factory=dict)
    hung_up: list[str] = field(default_factory=list)
    looks: int = 0

    async def list_bridges(self) -> list[dict[str, Any]]:
        self.looks += 1
        if self.looks == 2:
            self.bridges.update(self.settle)
        return [{"id": bridge, "channels": members} for bridge, members in self.bridges.items()]

    async def list_channels(self) -> list[Channel]:
        return self.channels

    async def hangup(self, channel_id: str) -> None:
        self.hung_up.append(channel_id)


async def release(rest: FakeRest, registry: CallRegistry | None = None) -> list[str]:
    sent: list[str] = []

    async def to_fallback(channel_id: str) -> None:
        sent.append(channel_id)

    await release_strays(rest, APP, registry or CallRegistry(), to_fallback, grace_s=0)  # type: ignore[arg-type]
    return sent


async def test_a_caller_in_no_bridge_that_no_call_knows_goes_to_the_fallback() -> None:
    rest = FakeRest([in_stasis("caller-1")])
    assert await release(rest) == ["caller-1"] and rest.hung_up == []


async def test_an_agents_leg_no_call_knows_is_hung_up() -> None:
    rest = FakeRest([in_stasis("c-0123456789ab-agent")])
    assert await release(rest) == [] and rest.hung_up == ["c-0123456789ab-agent"]


async def test_a_leg_bridged_during_the_grace_period_is_left_alone() -> None:
    """A live daemon had it in flight (an agent answering, a dialplan call being adopted)."""
    rest = FakeRest([in_stasis("caller-1")], settle={"b-call": ["caller-1"]})
    assert await release(rest) == [] and rest.hung_up == []


async def test_bridged_known_dialled_and_foreign_channels_are_left_alone() -> None:
    registry = CallRegistry()
    registry.add(Call("c-1", "alice", "known-caller", "b-1", "en", agent_dialing="c-1-agent"))
    rest = FakeRest(
        [
            in_stasis("bridged"),
            in_stasis("known-caller"),
            in_stasis("c-1-agent"),
            in_stasis("driver-phone", app="securepay-driver"),
            Channel("dialled-half", "Local/x;1", "Ring"),
        ],
        bridges={"b-other": ["bridged"]},
    )
    assert await release(rest, registry) == [] and rest.hung_up == []


def test_a_channel_says_whose_stasis_it_is_in_and_a_leg_being_dialled_is_in_none() -> None:
    """As `GET /channels` shows them (Asterisk 22): the app is the first of Stasis()'s arguments."""
    in_app = {"id": "1", "dialplan": {"app_name": "Stasis", "app_data": "securepay,inbound,alice"}}
    dialled = {"id": "2", "dialplan": {"app_name": "AppDial2", "app_data": "(Outgoing Line)"}}
    assert Channel.from_json(in_app).stasis_app == APP
    assert Channel.from_json(dialled).stasis_app == ""
