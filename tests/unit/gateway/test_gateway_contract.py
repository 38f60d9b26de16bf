"""The promises of the ``Gateway`` interface, kept by every gateway against its simulator."""

import logging
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from securepay.gateway import (
    AuthorizeNetGateway,
    BraintreeConfig,
    BraintreeGateway,
    ChargeReason,
    ChargeStatus,
    Gateway,
    StripeConfig,
    StripeGateway,
)
from securepay.gateway.factory import Simulator
from securepay.testing import braintree_sim, gateway_sim, stripe_sim
from securepay.testing.sim_faults import Fault

from .conftest import FAST_TIMEOUT_S, TestCard, closed_port_url, make_card, make_request, sim_config

TIMEOUTS = {"timeout_s": FAST_TIMEOUT_S, "connect_timeout_s": FAST_TIMEOUT_S}


@dataclass(frozen=True)
class Kind:
    """How to run one gateway against its simulator, and a card it charges."""

    simulator: Callable[[], Simulator]
    serve: Callable[[Any], Any]
    client: Callable[[str], Gateway]
    pan: str
    cvc: str
    zip_code: str
    secret: str

    def card(self) -> TestCard:
        return make_card(self.pan, cvc=self.cvc, postal_code=self.zip_code)


KINDS = {
    "authorizenet": Kind(
        gateway_sim.GatewaySimulator,
        gateway_sim.serve_simulator,
        lambda url: AuthorizeNetGateway(sim_config(url)),
        "4111111111111111",
        "900",
        "46201",
        gateway_sim.SIM_TRANSACTION_KEY,
    ),
    "stripe": Kind(
        stripe_sim.StripeSimulator,
        stripe_sim.serve_stripe_simulator,
        lambda url: StripeGateway(
            StripeConfig(secret_key=stripe_sim.SIM_SECRET_KEY, endpoint=url, **TIMEOUTS)
        ),
        "4242424242424242",
        "123",
        "10001",
        stripe_sim.SIM_SECRET_KEY,
    ),
    "braintree": Kind(
        braintree_sim.BraintreeSimulator,
        braintree_sim.serve_braintree_simulator,
        lambda url: BraintreeGateway(
            BraintreeConfig(
                braintree_sim.SIM_PUBLIC_KEY, braintree_sim.SIM_PRIVATE_KEY, endpoint=url, **TIMEOUTS
            )
        ),
        "4111111111111111",
        "123",
        "60606",
        braintree_sim.SIM_PRIVATE_KEY,
    ),
}


@dataclass
class Rig:
    kind: Kind
    sim: Simulator
    gateway: Gateway

    def card(self) -> TestCard:
        return make_card(
            bytes(self.kind.card.pan).decode(),
            cvc=self.kind.card.cvc.decode(),
            postal_code=self.kind.card.postal_code.decode(),
        )

    def approved(self) -> list[Any]:
        return [charge for charge in self.sim.charges if charge.status == "approved"]


@pytest.fixture(params=list(KINDS))
async def rig(request: pytest.FixtureRequest) -> AsyncIterator[Rig]:
    kind = KINDS[request.param]
    sim = kind.simulator()
    sim.slow_response_s = FAST_TIMEOUT_S * 3
    async with kind.serve(sim) as url, kind.client(url) as gateway:  # type: ignore[attr-defined]
        yield Rig(kind, sim, gateway)


@pytest.mark.parametrize("fault", [Fault.SLOW_RESPONSE, Fault.DROP_CONNECTION])
async def test_a_charge_committed_but_answered_too_late_is_approved_and_charged_once(
    rig: Rig, fault: Fault
) -> None:
    rig.sim.inject(fault)
    request = make_request(rig.kind.card())
    result = await rig.gateway.charge(request)
    assert (result.status, result.reconciled, result.invoice_number) == (
        ChargeStatus.APPROVED,
        True,
        request.invoice_number,
    )
    assert [charge.invoice_number for charge in rig.approved()] == [request.invoice_number]
    assert len(rig.sim.charges) == 1


async def test_a_charge_is_found_again_by_its_invoice_number(rig: Rig) -> None:
    request = make_request(rig.kind.card())
    charged = await rig.gateway.charge(request)
    found = await rig.gateway.lookup(request.invoice_number)
    assert found is not None
    assert (found.status, found.transaction_id, found.invoice_number, found.amount, found.reconciled) == (
        ChargeStatus.APPROVED,
        charged.transaction_id,
        request.invoice_number,
        request.amount,
        True,
    )
    assert await rig.gateway.lookup("SP20260101NOTHERE") is None


async def test_voiding_twice_voids_once(rig: Rig) -> None:
    charged = await rig.gateway.charge(make_request(rig.kind.card()))
    assert charged.transaction_id is not None
    first = await rig.gateway.void(charged.transaction_id)
    second = await rig.gateway.void(charged.transaction_id)
    assert (first.status, second.status) == (ChargeStatus.VOIDED, ChargeStatus.VOIDED)
    assert [charge.status for charge in rig.sim.charges] == ["voided"]


@pytest.mark.parametrize("kind", list(KINDS))
async def test_no_connection_charges_nothing_and_says_unavailable(kind: str) -> None:
    async with KINDS[kind].client(closed_port_url()) as gateway:  # type: ignore[attr-defined]
        result = await gateway.charge(make_request(KINDS[kind].card()))
    assert (result.status, result.reason) == (ChargeStatus.ERROR, ChargeReason.GATEWAY_UNAVAILABLE)


async def test_no_log_line_holds_card_data_or_the_credentials(
    caplog: pytest.LogCaptureFixture, rig: Rig
) -> None:
    caplog.set_level(logging.DEBUG)
    rig.sim.inject(Fault.DROP_CONNECTION)
    card = rig.kind.card()
    card.cvc[:] = b"987" if len(card.cvc) == 3 else b"9876"
    request = make_request(card)
    result = await rig.gateway.charge(request)
    logged = without_ids(caplog.text, request.invoice_number, result.transaction_id)
    pan = bytes(card.pan).decode()
    assert pan not in logged and pan[:6] not in logged
    assert "987" not in logged and rig.kind.secret not in logged
    assert "outcome unknown" in logged


def without_ids(text: str, *ids: str | None) -> str:
    """The log text less the ids and timings a line may carry: a random invoice number or a
    transaction id can hold the three digits of a security code by chance."""
    for found in ids:
        if found:
            text = text.replace(found, "<id>")
    return re.sub(r"elapsed_ms=\d+", "elapsed_ms=<ms>", text)
