"""Settings of the Authorize.Net client."""

from dataclasses import dataclass, field
from typing import Literal

from securepay.gateway.endpoint import checked_endpoint
from securepay.gateway.errors import GatewayConfigError

SANDBOX_URL = "https://apitest.authorize.net/xml/v1/request.api"
PRODUCTION_URL = "https://api.authorize.net/xml/v1/request.api"

DUPLICATE_WINDOW_MAX_S = 28800
"""The largest duplicate window Authorize.Net accepts (8 hours)."""


@dataclass(frozen=True, slots=True)
class AuthorizeNetConfig:
    """Credentials, endpoint and time limits.

    ``endpoint`` overrides ``environment`` (tests point it at the simulator). The duplicate
    window is what makes the single resend after a lost answer safe: Authorize.Net refuses
    an identical transaction inside it, so it must comfortably exceed a charge's worst-case
    time (two attempts and the lookups between them).
    """

    api_login_id: str = field(repr=False)
    transaction_key: str = field(repr=False)
    environment: Literal["sandbox", "production"] = "sandbox"
    endpoint: str | None = None
    duplicate_window_s: int = 600
    connect_timeout_s: float = 5.0
    timeout_s: float = 30.0
    lookup_page_size: int = 100
    lookup_max_pages: int = 10

    def __post_init__(self) -> None:
        if not 1 <= len(self.api_login_id) <= 25:
            raise GatewayConfigError("api_login_id must be 1-25 characters")
        if not 1 <= len(self.transaction_key) <= 16:
            raise GatewayConfigError("transaction_key must be 1-16 characters")
        if self.environment not in ("sandbox", "production"):
            raise GatewayConfigError("environment must be 'sandbox' or 'production'")
        if not 0 < self.connect_timeout_s <= self.timeout_s:
            raise GatewayConfigError("timeouts must satisfy 0 < connect_timeout_s <= timeout_s")
        if not 3 * self.timeout_s < self.duplicate_window_s <= DUPLICATE_WINDOW_MAX_S:
            raise GatewayConfigError(
                "duplicate_window_s must exceed three request timeouts and be at most "
                f"{DUPLICATE_WINDOW_MAX_S}"
            )
        if not 1 <= self.lookup_page_size <= 1000:
            raise GatewayConfigError("lookup_page_size must be 1-1000")
        if self.lookup_max_pages < 1:
            raise GatewayConfigError("lookup_max_pages must be at least 1")
        checked_endpoint(self.url)

    @property
    def url(self) -> str:
        if self.endpoint is not None:
            return self.endpoint
        return SANDBOX_URL if self.environment == "sandbox" else PRODUCTION_URL
