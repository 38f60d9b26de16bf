"""The registry of live calls, indexed the ways the daemon looks them up.

ARI-native calls (dialplan `Stasis(securepay,inbound,<agent>)`) and, later, calls
moved in from `Queue()`/`Dial()` land here alike: the payment code only needs the two
channels and the agent's bridge.
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime


class Role(enum.Enum):
    CALLER = "caller"
    AGENT = "agent"


@dataclass
class Call:
    id: str
    agent_id: str
    caller_channel: str
    bridge_id: str
    language: str
    agent_channel: str | None = None
    caller_name: str = ""
    agent_name: str = ""
    """Channel names (e.g. PJSIP/alice-00000012): AMI addresses channels by name."""
    agent_dialing: str | None = None
    """The agent leg we originated, until it answers."""
    crm_record_id: str | None = None
    payment_id: str | None = None
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def connected(self) -> bool:
        return self.agent_channel is not None

    def view(self) -> dict[str, object]:
        """The call as the API, the event stream and other daemons' panels see it."""
        return {
            "id": self.id,
            "agent_id": self.agent_id,
            "connected": self.connected,
            "language": self.language,
            "crm_record_id": self.crm_record_id,
            "payment_id": self.payment_id,
            "started_at": self.started_at.isoformat(),
        }


def bridge_name(call: Call) -> str:
    """The agent bridge's name carries the call and agent, so a restarted daemon can adopt it."""
    return f"securepay/call/{call.id}/{call.agent_id}"


def playback_id(payment_id: str, prompt_id: int) -> str:
    """A prompt's ARI playback id names its payment, so its events find the runner directly."""
    return f"{payment_id}-{prompt_id}"


def payment_of_playback(playback: str) -> str:
    """The payment id inside a `playback_id` (anything else yields an id no payment has)."""
    return playback.rpartition("-")[0]


def new_call_id() -> str:
    return "c-" + secrets.token_hex(6)


class CallRegistry:
    """The live calls, found by id, agent or channel.

    A channel lookup runs on every ARI event of a call (each keyed digit), so it goes
    through an index rather than a scan of every call: with thousands of calls, the scan
    was most of the daemon's CPU. The index learns a call's channels when it is added
    and when `note` is called after a channel is set on a registered call; each lookup
    checks the call still has that channel.
    """

    def __init__(self) -> None:
        self._calls: dict[str, Call] = {}
        self._by_channel: dict[str, str] = {}
        self._channels_of: dict[str, set[str]] = {}

    def add(self, call: Call) -> None:
        self._calls[call.id] = call
        self.note(call)

    def note(self, call: Call) -> None:
        """Index the channels the call has now (after setting its agent leg)."""
        for channel in (call.caller_channel, call.agent_channel, call.agent_dialing):
            if channel:
                self._by_channel[channel] = call.id
                self._channels_of.setdefault(call.id, set()).add(channel)

    def remove(self, call_id: str) -> Call | None:
        call = self._calls.pop(call_id, None)
        for channel in self._channels_of.pop(call_id, ()):
            if self._by_channel.get(channel) == call_id:
                del self._by_channel[channel]
        return call

    def get(self, call_id: str) -> Call | None:
        return self._calls.get(call_id)

    def for_agent(self, agent_id: str) -> Call | None:
        """The agent's most recent live call."""
        calls = [c for c in self._calls.values() if c.agent_id == agent_id]
        return max(calls, key=lambda c: c.started_at) if calls else None

    def by_channel(self, channel_id: str) -> tuple[Call, Role] | None:
        call = self._indexed(channel_id)
        if call is None:
            return None
        if call.caller_channel == channel_id:
            return call, Role.CALLER
        if call.agent_channel == channel_id:
            return call, Role.AGENT
        return None

    def dialing(self, channel_id: str) -> Call | None:
        """The call whose agent leg `channel_id` is being dialled."""
        call = self._indexed(channel_id)
        return call if call is not None and call.agent_dialing == channel_id else None

    def _indexed(self, channel_id: str) -> Call | None:
        call_id = self._by_channel.get(channel_id)
        return self._calls.get(call_id) if call_id is not None else None

    def all(self) -> list[Call]:
        return list(self._calls.values())

    def __len__(self) -> int:
        return len(self._calls)
