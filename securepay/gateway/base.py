"""The interface the payment flow charges through, whichever gateway is configured."""

from typing import Protocol

from securepay.gateway.request import ChargeRequest
from securepay.gateway.result import ChargeResult


class Gateway(Protocol):
    """A card gateway.

    ``charge`` never raises for the gateway's answer or for network trouble: every outcome,
    including "unknown", is a ``ChargeResult``, and an implementation must never charge a
    request twice. Programming errors (a malformed request) still raise ``ValueError``.
    """

    name: str

    async def charge(self, request: ChargeRequest) -> ChargeResult:
        """Authorize and capture ``request`` once."""
        ...

    async def lookup(self, invoice_number: str) -> ChargeResult | None:
        """Find the charge made for ``invoice_number``; None when there is none.

        Raises ``GatewayError`` when the gateway cannot be asked, so "not found" is never
        confused with "could not look".
        """
        ...

    async def void(self, transaction_id: str) -> ChargeResult:
        """Cancel an unsettled charge; status ``voided`` on success."""
        ...

    async def check_credentials(self) -> None:
        """Raise ``GatewayAuthError`` if the gateway rejects the configured credentials."""
        ...
