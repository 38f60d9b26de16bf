"""Card gateways: one interface for the payment flow; Authorize.Net, Stripe and Braintree behind it."""

from securepay.gateway.authorizenet import AuthorizeNetGateway
from securepay.gateway.authorizenet_config import (
    PRODUCTION_URL,
    SANDBOX_URL,
    AuthorizeNetConfig,
)
from securepay.gateway.base import Gateway
from securepay.gateway.braintree import BraintreeGateway
from securepay.gateway.braintree_config import BraintreeConfig
from securepay.gateway.card import CardData
from securepay.gateway.errors import (
    GatewayAuthError,
    GatewayConfigError,
    GatewayError,
    GatewayUnavailableError,
)
from securepay.gateway.request import ChargeRequest, new_invoice_number
from securepay.gateway.result import ChargeReason, ChargeResult, ChargeStatus
from securepay.gateway.stripe import StripeGateway
from securepay.gateway.stripe_config import StripeConfig

__all__ = [
    "PRODUCTION_URL",
    "SANDBOX_URL",
    "AuthorizeNetConfig",
    "AuthorizeNetGateway",
    "BraintreeConfig",
    "BraintreeGateway",
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
    "StripeConfig",
    "StripeGateway",
    "new_invoice_number",
]
