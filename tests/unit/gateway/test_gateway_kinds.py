"""`[gateway] kind` picks the processor; each kind names its own missing or wrong key."""

import pytest

from securepay import config
from securepay.config import ConfigError
from securepay.gateway.braintree import BraintreeGateway
from securepay.gateway.factory import open_gateway
from securepay.gateway.stripe import StripeGateway
from securepay.ops.check import Status, _check_gateway, _Context
from securepay.testing.braintree_sim import BraintreeSimulator, serve_braintree_simulator
from securepay.testing.stripe_sim import StripeSimulator, serve_stripe_simulator


def gateway_settings(**keys: str) -> config.Settings:
    return config.load(None, {f"SECUREPAY_GATEWAY_{key.upper()}": value for key, value in keys.items()})


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"kind": "stripe"}, "gateway.stripe_secret_key is required when gateway.kind = 'stripe'"),
        (
            {"kind": "braintree", "braintree_public_key": "pub"},
            "gateway.braintree_private_key is required when gateway.kind = 'braintree'",
        ),
        ({"kind": "stripe", "stripe_secret_key": "pk_test_abc"}, "must be a secret key (sk_...)"),
        (
            {"kind": "stripe", "stripe_secret_key": "sk_live_abcdefghijkl"},
            "is a live key: set gateway.environment = 'production'",
        ),
        (
            {"kind": "stripe", "stripe_secret_key": "sk_test_abcdefghijkl", "environment": "production"},
            "is a test key: set gateway.environment = 'sandbox'",
        ),
        ({"kind": "paypal"}, "gateway.kind"),
    ],
)
def test_a_kind_without_its_keys_is_refused_naming_the_key(keys: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match="gateway") as caught:
        gateway_settings(**keys)
    assert message in str(caught.value)
    assert "abcdefghijkl" not in str(caught.value)


def test_a_simulated_kind_needs_no_keys() -> None:
    for kind in ("authorizenet", "stripe", "braintree"):
        assert gateway_settings(kind=kind, simulator="true").gateway.simulator


@pytest.mark.parametrize(("kind", "client"), [("stripe", StripeGateway), ("braintree", BraintreeGateway)])
async def test_the_simulated_kind_charges_through_its_own_client(kind: str, client: type) -> None:
    async with open_gateway(gateway_settings(kind=kind, simulator="true").gateway) as gateway:
        assert isinstance(gateway, client)
        await gateway.check_credentials()


async def test_check_passes_against_a_simulated_stripe() -> None:
    results = await _check_gateway(_Context(gateway_settings(kind="stripe", simulator="true")))
    assert (results[0].status, results[0].detail) == (
        Status.OK,
        "stripe simulator (no real card is charged): credentials accepted",
    )


async def test_check_names_the_stripe_key_stripe_rejected() -> None:
    async with serve_stripe_simulator(StripeSimulator()) as url:
        settings = gateway_settings(kind="stripe", stripe_secret_key="sk_test_notTheRightOne", url=url)
        result = (await _check_gateway(_Context(settings)))[0]
    assert result.status is Status.FAIL
    assert result.detail == "stripe sandbox rejected stripe_secret_key"
    assert "Developers > API keys" in result.fix
    assert "notTheRightOne" not in result.detail + result.fix


async def test_check_names_the_braintree_keys_braintree_rejected() -> None:
    async with serve_braintree_simulator(BraintreeSimulator()) as url:
        settings = gateway_settings(
            kind="braintree", braintree_public_key="pub", braintree_private_key="wrong-private", url=url
        )
        result = (await _check_gateway(_Context(settings)))[0]
    assert result.status is Status.FAIL
    assert result.detail == "braintree sandbox rejected braintree_public_key 'pub' / braintree_private_key"
    assert "Control Panel" in result.fix and "wrong-private" not in result.fix


async def test_check_says_which_gateway_it_could_not_reach() -> None:
    settings = gateway_settings(
        kind="braintree",
        braintree_public_key="p",
        braintree_private_key="k",
        url="http://127.0.0.1:9/graphql",
    )
    result = (await _check_gateway(_Context(settings)))[0]
    assert result.status is Status.FAIL
    assert "braintree sandbox unreachable" in result.detail and "Braintree" in result.fix
