"""Settings of the Stripe client."""

from dataclasses import dataclass, field

from securepay.gateway.endpoint import checked_endpoint
from securepay.gateway.errors import GatewayConfigError

API_URL = "https://api.stripe.com"
API_VERSION = "2024-06-20"
"""Pinned so the answers' shape cannot change under us when Stripe moves the account default."""

KEY_PREFIXES = ("sk_test_", "sk_live_", "rk_test_", "rk_live_")


@dataclass(frozen=True, slots=True)
class StripeConfig:
    """Secret (or restricted) key, endpoint and time limits.

    ``endpoint`` is the API base URL (tests point it at the simulator). A charge whose
    answer was lost is retried with the same idempotency key ``retries`` times before it
    is searched for; Stripe keeps idempotency keys for 24 hours, far beyond a charge. A
    lookup the search index cannot answer yet lists the intents of the last
    ``recent_window_s`` (at most ``recent_max_pages`` pages of 100).
    """

    secret_key: str = field(repr=False)
    endpoint: str = API_URL
    connect_timeout_s: float = 5.0
    timeout_s: float = 30.0
    retries: int = 1
    recent_window_s: float = 3600.0
    recent_max_pages: int = 5

    def __post_init__(self) -> None:
        if not self.secret_key.startswith(KEY_PREFIXES) or len(self.secret_key) < 12:
            raise GatewayConfigError("stripe_secret_key must be a secret (sk_) or restricted (rk_) key")
        if not 0 < self.connect_timeout_s <= self.timeout_s:
            raise GatewayConfigError("timeouts must satisfy 0 < connect_timeout_s <= timeout_s")
        if not 0 <= self.retries <= 3:
            raise GatewayConfigError("retries must be 0-3")
        checked_endpoint(self.endpoint)

    @property
    def live(self) -> bool:
        return "_live_" in self.secret_key[:8]
