"""Fixtures: a real simulator on loopback HTTP and a client pointed at it."""

import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from securepay.gateway import (
    AuthorizeNetConfig,
    AuthorizeNetGateway,
    ChargeRequest,
    new_invoice_number,
)
from securepay.testing.gateway_sim import (
    SIM_API_LOGIN_ID,
    SIM_TRANSACTION_KEY,
    GatewaySimulator,
    serve_simulator,
)

VISA = "4111111111111111"
FAST_TIMEOUT_S = 1.0
"""Long enough for a loaded machine to answer a healthy request (0.3 s was not, in CI),
short enough that the timeout tests stay quick; the simulators answer slow ones after 3x."""
FUTURE_YEAR = datetime.now(UTC).year + 5


@dataclass
class TestCard:
    """Implements ``CardData`` the way the caller flow's card does: mutable buffers."""

    __test__ = False

    pan: bytearray
    exp_month: bytearray
    exp_year: bytearray
    cvc: bytearray
    postal_code: bytearray
    brand: str | None
    last4: str


def make_card(
    pan: str = VISA,
    *,
    exp_month: str = "12",
    exp_year: str = str(FUTURE_YEAR),
    cvc: str = "900",
    postal_code: str = "46201",
    brand: str | None = "visa",
) -> TestCard:
    return TestCard(
        pan=bytearray(pan.encode()),
        exp_month=bytearray(exp_month.encode()),
        exp_year=bytearray(exp_year.encode()),
        cvc=bytearray(cvc.encode()),
        postal_code=bytearray(postal_code.encode()),
        brand=brand,
        last4=pan[-4:],
    )


def make_request(
    card: TestCard | None = None,
    *,
    amount: str = "49.95",
    invoice_number: str | None = None,
    description: str = "Blue widget",
) -> ChargeRequest:
    return ChargeRequest(
        invoice_number=invoice_number or new_invoice_number(),
        amount=Decimal(amount),
        description=description,
        card=card or make_card(),
    )


def sim_config(url: str, **overrides: object) -> AuthorizeNetConfig:
    settings: dict[str, object] = {
        "api_login_id": SIM_API_LOGIN_ID,
        "transaction_key": SIM_TRANSACTION_KEY,
        "endpoint": url,
        "connect_timeout_s": FAST_TIMEOUT_S,
        "timeout_s": FAST_TIMEOUT_S,
    }
    settings.update(overrides)
    return AuthorizeNetConfig(**settings)  # type: ignore[arg-type]


def closed_port_url() -> str:
    """A loopback URL nothing listens on: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/xml/v1/request.api"


@pytest.fixture
def sim() -> GatewaySimulator:
    return GatewaySimulator()


@pytest.fixture
async def sim_url(sim: GatewaySimulator) -> AsyncIterator[str]:
    async with serve_simulator(sim) as url:
        yield url


@pytest.fixture
async def gateway(sim_url: str) -> AsyncIterator[AuthorizeNetGateway]:
    async with AuthorizeNetGateway(sim_config(sim_url)) as client:
        yield client
