"""What every bench caller does, on real Asterisk and on the stand-in alike: wait for the
step's prompt, think, then key the entry and a 1 to confirm (the demo's test card).

Steps are announced by the daemon's own events (`payment.step`, status `entering`) on
Redis, so the bench keys exactly as the flow asks, like a caller following the prompts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from securepay.events.bus import RedisBus
from securepay.events.publisher import agent_channel
from securepay.testing.demo import KEYS_FOR_STEP

ITEM = "Bench widget"


def amount_for(index: int) -> str:
    """A distinct amount per payment: the same card and amount twice is a gateway duplicate."""
    return f"{10 + index // 100}.{index % 100:02d}"


def keys_for(event: dict[str, Any]) -> str | None:
    """The digits a caller keys after this event, if it asks for an entry."""
    if event.get("type") == "payment.step" and event.get("status") == "entering":
        return KEYS_FOR_STEP.get(event["step"])
    return None


@dataclass
class EventTally:
    """Results and event -> subscriber latency, as a panel subscribed on Redis sees them."""

    latencies_ms: list[float] = field(default_factory=list)
    outcomes: dict[str, str] = field(default_factory=dict)

    def seen(self, event: dict[str, Any]) -> None:
        sent = datetime.fromisoformat(event["ts"]).timestamp()
        self.latencies_ms.append((time.time() - sent) * 1000)
        if event.get("type") == "payment.result":
            self.outcomes[event["agent_id"]] = event["outcome"]

    @property
    def succeeded(self) -> int:
        return sum(outcome == "success" for outcome in self.outcomes.values())


async def follow_agents(
    bus: RedisBus,
    agents: Sequence[str],
    tally: EventTally,
    on_keys: Callable[[str, str], None],
    after_event: Callable[[], None] = lambda: None,
) -> None:
    """Tally every event of these agents; hand each entry to `on_keys(agent_id, digits)`."""
    async with bus.subscribe([agent_channel(agent) for agent in agents]) as events:
        async for event in events:
            tally.seen(event)
            digits = keys_for(event)
            if digits is not None:
                on_keys(event["agent_id"], digits)
            after_event()
