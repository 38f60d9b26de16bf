"""The configured gateway, opened and closed with the daemon.

With ``simulator = true`` (or the older ``kind = "simulator"``, which is Authorize.Net's)
the kind's local simulator runs in-process and the real client of that kind is pointed at
it over loopback HTTP, so demos and tests go through the same client code as production.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from securepay.config import ConfigError, GatewayConfig
from securepay.gateway.authorizenet import AuthorizeNetGateway
from securepay.gateway.authorizenet_config import AuthorizeNetConfig
from securepay.gateway.base import Gateway
from securepay.gateway.braintree import BraintreeGateway
from securepay.gateway.braintree_config import BraintreeConfig
from securepay.gateway.errors import GatewayConfigError
from securepay.gateway.stripe import StripeGateway
from securepay.gateway.stripe_config import API_URL, StripeConfig
from securepay.testing.braintree_sim import BraintreeSimulator, serve_braintree_simulator
from securepay.testing.gateway_sim import GatewaySimulator, serve_simulator
from securepay.testing.stripe_sim import StripeSimulator, serve_stripe_simulator

Simulator = GatewaySimulator | StripeSimulator | BraintreeSimulator
_SIMULATORS: dict[str, Callable[[], Simulator]] = {
    "authorizenet": GatewaySimulator,
    "stripe": StripeSimulator,
    "braintree": BraintreeSimulator,
}


def gateway_kind(config: GatewayConfig) -> str:
    """The processor: ``kind = "simulator"`` is the Authorize.Net simulator."""
    return "authorizenet" if config.kind == "simulator" else config.kind


def simulated(config: GatewayConfig) -> bool:
    return config.simulator or config.kind == "simulator"


def new_simulator(config: GatewayConfig) -> Simulator:
    """A fresh simulated account of the configured kind."""
    return _SIMULATORS[gateway_kind(config)]()


@asynccontextmanager
async def open_gateway(config: GatewayConfig, simulator: Simulator | None = None) -> AsyncIterator[Gateway]:
    kind = gateway_kind(config)
    if simulated(config):
        simulator = simulator or new_simulator(config)
        async with _served(simulator) as url, _client(kind, config, simulator, url) as gateway:
            yield gateway
        return
    async with _client(kind, config, None, config.url or None) as gateway:
        yield gateway


def _served(simulator: Simulator) -> AbstractAsyncContextManager[str]:
    if isinstance(simulator, StripeSimulator):
        return serve_stripe_simulator(simulator)
    if isinstance(simulator, BraintreeSimulator):
        return serve_braintree_simulator(simulator)
    return serve_simulator(simulator)


def _client(
    kind: str, config: GatewayConfig, simulator: Simulator | None, endpoint: str | None
) -> AbstractAsyncContextManager[Gateway]:
    builders: dict[str, Callable[[], AbstractAsyncContextManager[Gateway]]] = {
        "authorizenet": lambda: AuthorizeNetGateway(_authorizenet_config(config, simulator, endpoint)),
        "stripe": lambda: StripeGateway(_stripe_config(config, simulator, endpoint)),
        "braintree": lambda: BraintreeGateway(_braintree_config(config, simulator, endpoint)),
    }
    try:
        return builders[kind]()
    except GatewayConfigError as exc:
        raise ConfigError(f"gateway.{exc}") from None


def _authorizenet_config(
    config: GatewayConfig, simulator: Simulator | None, endpoint: str | None
) -> AuthorizeNetConfig:
    if isinstance(simulator, GatewaySimulator):
        login, key = simulator.api_login_id, simulator.transaction_key
    else:
        login, key = config.api_login_id, config.transaction_key.get_secret_value()
    return AuthorizeNetConfig(
        api_login_id=login,
        transaction_key=key,
        environment=config.environment,
        endpoint=endpoint,
        duplicate_window_s=config.duplicate_window_s,
        timeout_s=config.timeout_s,
        connect_timeout_s=min(5.0, config.timeout_s),
    )


def _stripe_config(config: GatewayConfig, simulator: Simulator | None, endpoint: str | None) -> StripeConfig:
    if isinstance(simulator, StripeSimulator):
        secret_key = simulator.secret_key
    else:
        secret_key = config.stripe_secret_key.get_secret_value()
    return StripeConfig(
        secret_key=secret_key,
        endpoint=endpoint or API_URL,
        timeout_s=config.timeout_s,
        connect_timeout_s=min(5.0, config.timeout_s),
    )


def _braintree_config(
    config: GatewayConfig, simulator: Simulator | None, endpoint: str | None
) -> BraintreeConfig:
    if isinstance(simulator, BraintreeSimulator):
        public_key, private_key = simulator.public_key, simulator.private_key
    else:
        public_key, private_key = config.braintree_public_key, config.braintree_private_key.get_secret_value()
    return BraintreeConfig(
        public_key=public_key,
        private_key=private_key,
        environment=config.environment,
        endpoint=endpoint,
        merchant_account_id=config.braintree_merchant_account_id,
        timeout_s=config.timeout_s,
        connect_timeout_s=min(5.0, config.timeout_s),
    )
