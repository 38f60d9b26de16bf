"""Settings of the Braintree client."""

from dataclasses import dataclass, field
from typing import Literal

from securepay.gateway.endpoint import checked_endpoint
from securepay.gateway.errors import GatewayConfigError

SANDBOX_URL = "https://payments.sandbox.braintree-api.com/graphql"
PRODUCTION_URL = "https://payments.braintree-api.com/graphql"
API_VERSION = "2019-01-01"
"""The ``Braintree-Version`` sent with every request, so the schema cannot move under us."""


@dataclass(frozen=True, slots=True)
class BraintreeConfig:
    """API key pair, endpoint, merchant account and time limits.

    ``endpoint`` overrides ``environment`` (tests point it at the simulator). The merchant
    account decides the currency; empty means the account's default.
    """

    public_key: str
    private_key: str = field(repr=False)
    environment: Literal["sandbox", "production"] = "sandbox"
    endpoint: str | None = None
    merchant_account_id: str = ""
    connect_timeout_s: float = 5.0
    timeout_s: float = 30.0

    def __post_init__(self) -> None:
        if not self.public_key or not self.private_key:
            raise GatewayConfigError("braintree_public_key and braintree_private_key are required")
        if self.environment not in ("sandbox", "production"):
            raise GatewayConfigError("environment must be 'sandbox' or 'production'")
        if not 0 < self.connect_timeout_s <= self.timeout_s:
            raise GatewayConfigError("timeouts must satisfy 0 < connect_timeout_s <= timeout_s")
        checked_endpoint(self.url)

    @property
    def url(self) -> str:
        if self.endpoint is not None:
            return self.endpoint
        return SANDBOX_URL if self.environment == "sandbox" else PRODUCTION_URL
