"""Card gateways: one interface for the payment flow, Authorize.Net behind it."""

from securepay.gateway.authorizenet import AuthorizeNetGateway
from securepay.gateway.authorizenet_config import (
    PRODUCTION_URL,
    SANDBOX_URL,
    AuthorizeNetConfig,
)
from securepay.gateway.base import Gateway
from securepay.gateway.card import CardData
from securepay.gateway.errors import (
    GatewayAuthError,
    GatewayConfigError,
    GatewayError,
    GatewayUnavailableError,
)
from securepay.gateway.request import ChargeRequest, new_invoice_number
from securepay.gateway.result import ChargeReason, ChargeResult, ChargeStatus

__all__ = [
    "PRODUCTION_URL",
    "SANDBOX_URL",
    "AuthorizeNetConfig",
    "AuthorizeNetGateway",
    "CardData",
    "ChargeReason",
    "ChargeRequest",
    "ChargeResult",
    "ChargeStatus",
    "Gateway",
    "GatewayAuthError",
    "GatewayConfigError",
    "GatewayError",
    "GatewayUnavailableError",
    "new_invoice_number",
]
