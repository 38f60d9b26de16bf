"""The configured gateway, opened and closed with the daemon.

`kind = "simulator"` runs the local Authorize.Net simulator in-process and points
the real Authorize.Net client at it over loopback HTTP, so demos and tests go through
the same client code as production.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from securepay.config import ConfigError, GatewayConfig
from securepay.gateway.authorizenet import AuthorizeNetGateway
from securepay.gateway.authorizenet_config import AuthorizeNetConfig
from securepay.gateway.base import Gateway
from securepay.gateway.errors import GatewayConfigError
from securepay.testing.gateway_sim import GatewaySimulator, serve_simulator


@asynccontextmanager
async def open_gateway(
    config: GatewayConfig, simulator: GatewaySimulator | None = None
) -> AsyncIterator[Gateway]:
    if config.kind == "simulator":
        simulator = simulator or GatewaySimulator()
        async with (
            serve_simulator(simulator) as url,
            AuthorizeNetGateway(
                _client_config(config, simulator.api_login_id, simulator.transaction_key, url)
            ) as gateway,
        ):
            yield gateway
        return
    key = config.transaction_key.get_secret_value()
    async with AuthorizeNetGateway(
        _client_config(config, config.api_login_id, key, config.url or None)
    ) as gateway:
        yield gateway


def _client_config(config: GatewayConfig, login: str, key: str, endpoint: str | None) -> AuthorizeNetConfig:
    try:
        return AuthorizeNetConfig(
            api_login_id=login,
            transaction_key=key,
            environment=config.environment,
            endpoint=endpoint,
            duplicate_window_s=config.duplicate_window_s,
            timeout_s=config.timeout_s,
            connect_timeout_s=min(5.0, config.timeout_s),
        )
    except GatewayConfigError as exc:
        raise ConfigError(f"gateway.{exc}") from None
