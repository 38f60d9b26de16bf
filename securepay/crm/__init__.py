"""The CRM activity of each payment and the connectors and outbox that deliver it.

Only the pure activity is exported here; the outbox and connectors are imported from
their modules (``securepay.crm.outbox``, ``securepay.crm.factory``), since the outbox
depends on the ledger, which stores activities.
"""

from securepay.crm.activity import CrmActivity, agent_display_name, build_activity, reached_gateway

__all__ = ["CrmActivity", "agent_display_name", "build_activity", "reached_gateway"]
