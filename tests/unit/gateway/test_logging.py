"""No card data and no credentials in any log record, from any logger, at any level."""

import logging
import re

import pytest

from securepay.gateway import AuthorizeNetGateway, ChargeRequest, ChargeStatus
from securepay.testing.gateway_sim import (
    SIM_API_LOGIN_ID,
    SIM_TRANSACTION_KEY,
    Fault,
    GatewaySimulator,
)

from .conftest import make_card, make_request

AMEX = "370000000000002"
CVC = "8274"
EXP_MONTH, EXP_YEAR = "11", "2039"


def secrets_in(text: str) -> list[str]:
    """The card and credential fragments that appear in ``text``."""
    patterns = {
        "pan": re.escape(AMEX),
        "pan without last4": re.escape(AMEX[:-4]),
        "cvc": rf"(?<!\d){CVC}(?!\d)",
        "expiry": rf"{EXP_YEAR}-{EXP_MONTH}|(?<!\d){EXP_MONTH}/?{EXP_YEAR[2:]}(?!\d)",
        "login": re.escape(SIM_API_LOGIN_ID),
        "key": re.escape(SIM_TRANSACTION_KEY),
    }
    return [name for name, pattern in patterns.items() if re.search(pattern, text)]


def logged_text(caplog: pytest.LogCaptureFixture) -> str:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(record) + repr(record.args) for record in caplog.records)


def amex_request() -> ChargeRequest:
    card = make_card(AMEX, exp_month=EXP_MONTH, exp_year=EXP_YEAR, cvc=CVC, brand="amex")
    return make_request(card)


async def test_approved_charge_logs_no_card_data(
    caplog: pytest.LogCaptureFixture, gateway: AuthorizeNetGateway
) -> None:
    caplog.set_level(logging.DEBUG)
    result = await gateway.charge(amex_request())
    assert result.status is ChargeStatus.APPROVED
    text = logged_text(caplog)
    assert "securepay.gateway" in text
    assert secrets_in(text) == []


async def test_reconciled_charge_logs_no_card_data(
    caplog: pytest.LogCaptureFixture, sim: GatewaySimulator, gateway: AuthorizeNetGateway
) -> None:
    caplog.set_level(logging.DEBUG)
    sim.inject(Fault.DROP_CONNECTION)
    sim.inject(Fault.HTTP_500, times=None, request="getUnsettledTransactionListRequest")
    result = await gateway.charge(amex_request())
    assert result.status is ChargeStatus.APPROVED
    assert secrets_in(logged_text(caplog)) == []


async def test_unknown_outcome_logs_no_card_data(
    caplog: pytest.LogCaptureFixture, sim: GatewaySimulator, gateway: AuthorizeNetGateway
) -> None:
    caplog.set_level(logging.DEBUG)
    sim.inject(Fault.E00001, times=None)
    result = await gateway.charge(amex_request())
    assert result.status is ChargeStatus.OUTCOME_UNKNOWN
    text = logged_text(caplog)
    assert "outcome unknown" in text
    assert secrets_in(text) == []


def test_the_check_itself_would_catch_a_leak() -> None:
    assert secrets_in(f"card {AMEX} cvc {CVC} exp {EXP_YEAR}-{EXP_MONTH}") == [
        "pan",
        "pan without last4",
        "cvc",
        "expiry",
    ]
