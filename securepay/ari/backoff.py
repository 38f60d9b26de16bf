"""Capped exponential backoff with jitter (each wait is drawn from the upper half).

Jitter keeps several daemons (or one daemon's retries) from reconnecting in lockstep
when Asterisk restarts; the cap keeps a long outage from growing the wait unbounded.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    initial: float = 0.2
    cap: float = 10.0
    factor: float = 2.0
    rng: random.Random = field(default_factory=random.Random)
    _attempt: int = 0

    def next_delay(self) -> float:
        ceiling = min(self.cap, self.initial * self.factor**self._attempt)
        self._attempt += 1
        return self.rng.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        self._attempt = 0
