"""The configured CRM connector, opened and closed with the daemon (None for ``kind = "none"``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from securepay.config import CrmConfig
from securepay.crm.connector import Connector
from securepay.crm.hubspot import HubSpotConnector
from securepay.crm.salesforce import SalesforceConnector
from securepay.crm.webhook import WebhookConnector


def make_connector(config: CrmConfig) -> Connector | None:
    match config.kind:
        case "webhook":
            return WebhookConnector(config.webhook_url, config.webhook_secret, config.timeout_s)
        case "salesforce":
            return SalesforceConnector(
                config.salesforce_url,
                config.salesforce_client_id,
                config.salesforce_client_secret,
                config.salesforce_api_version,
                config.timeout_s,
            )
        case "hubspot":
            return HubSpotConnector(
                config.hubspot_url,
                config.hubspot_token,
                config.hubspot_record_type,
                config.hubspot_id_property,
                config.timeout_s,
            )
    return None


@asynccontextmanager
async def open_connector(config: CrmConfig) -> AsyncIterator[Connector | None]:
    connector = make_connector(config)
    try:
        yield connector
    finally:
        if connector is not None:
            await connector.close()
