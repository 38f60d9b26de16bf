"""The operator-tunable knobs of the payment flow, with the defaults from the spec."""

import math
from dataclasses import dataclass

from securepay.flow.card import KNOWN_BRANDS


@dataclass(frozen=True)
class FlowSettings:
    """Limits and choices for one payment flow; ``validate`` before use.

    Timeouts are seconds (float is fine for time; money is never float).
    """

    max_attempts: int = 3
    input_timeout_s: float = 60.0
    interdigit_timeout_s: float = 5.0
    accepted_brands: tuple[str, ...] = ("visa", "mastercard", "amex", "discover")
    postal_code_min: int = 5
    postal_code_max: int = 5
    max_card_digits: int = 19
    expiry_max_years: int = 20
    assisted: bool = False
    """The agent stays on the line: the caller hears the assisted intro, is not told they
    are returning to the agent, and the charge waits for the agent's ``AgentSubmit``."""

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first field whose value cannot work."""
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        for name in ("input_timeout_s", "interdigit_timeout_s"):
            seconds = getattr(self, name)
            if not (math.isfinite(seconds) and seconds > 0):
                raise ValueError(f"{name} must be a positive number of seconds")
        if not self.accepted_brands:
            raise ValueError("accepted_brands must name at least one brand")
        unknown = sorted(set(self.accepted_brands) - KNOWN_BRANDS)
        if unknown:
            raise ValueError(f"accepted_brands has unknown brands {unknown}; known: {sorted(KNOWN_BRANDS)}")
        if self.postal_code_min < 1:
            raise ValueError("postal_code_min must be at least 1")
        if self.postal_code_max < self.postal_code_min:
            raise ValueError("postal_code_max must be at least postal_code_min")
        # 13 is the shortest PAN any known brand issues, 19 the longest.
        if not 13 <= self.max_card_digits <= 19:
            raise ValueError("max_card_digits must be between 13 and 19")
        # Two-digit years are resolved to the nearest century, which needs under 50.
        if not 1 <= self.expiry_max_years <= 49:
            raise ValueError("expiry_max_years must be between 1 and 49")
