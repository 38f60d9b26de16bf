"""HubSpot connector: a Note on the record's timeline, through the CRM v3 objects API.

Authentication is a private app's access token (scopes: the record type's
``crm.objects.<type>.read`` and ``.write``). The note is created with
``POST /crm/v3/objects/notes``, associated with the record by HubSpot's default
note association type for the configured record type.

Exactly once: the note carries the payment id in a custom note property
(``crm.hubspot_id_property``, created once by the operator, see the README); before
creating, ``POST /crm/v3/objects/notes/search`` looks for a note with that value.
HubSpot's search index trails a create by a few seconds, so this closes the retry
window except for a crash in those very seconds.

HubSpot renders ``hs_note_body`` as HTML: each field goes on its own line
(``<br>``-separated) with its text HTML-escaped.
"""

from __future__ import annotations

import html
import json
import re
from datetime import UTC
from typing import Any

from pydantic import SecretStr

from securepay.crm.activity import CrmActivity
from securepay.crm.connector import DeliveryError
from securepay.crm.http import CrmHttp

NOTE_ASSOCIATION_TYPES = {"contacts": 202, "companies": 190, "deals": 214, "tickets": 228}
"""HubSpot-defined association type ids from a note to each record type."""

_RECORD_ID = re.compile(r"^[0-9]{1,20}$")


def note_body(activity: CrmActivity) -> str:
    return "<br>".join(html.escape(f"{label}: {value}") for label, value in activity.fields())


def note_timestamp(activity: CrmActivity) -> str:
    """``hs_timestamp`` in UTC with milliseconds, as HubSpot documents it."""
    return activity.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{activity.occurred_at.microsecond // 1000:03d}Z"
    )


def note_create_body(activity: CrmActivity, record_type: str, id_property: str) -> dict[str, Any]:
    return {
        "properties": {
            "hs_timestamp": note_timestamp(activity),
            "hs_note_body": note_body(activity),
            id_property: activity.payment_id,
        },
        "associations": [
            {
                "to": {"id": activity.record_id},
                "types": [
                    {
                        "associationCategory": "HUBSPOT_DEFINED",
                        "associationTypeId": NOTE_ASSOCIATION_TYPES[record_type],
                    }
                ],
            }
        ],
    }


def note_search_body(payment_id: str, id_property: str) -> dict[str, Any]:
    return {
        "filterGroups": [{"filters": [{"propertyName": id_property, "operator": "EQ", "value": payment_id}]}],
        "properties": [id_property],
        "limit": 1,
    }


class HubSpotConnector:
    kind = "hubspot"

    def __init__(
        self, url: str, token: SecretStr, record_type: str, id_property: str, timeout_s: float
    ) -> None:
        if record_type not in NOTE_ASSOCIATION_TYPES:
            raise ValueError(f"record type must be one of {', '.join(NOTE_ASSOCIATION_TYPES)}")
        self._url = url
        self._token = token
        self._record_type = record_type
        self._id_property = id_property
        self._http = CrmHttp(timeout_s, (token,))

    async def close(self) -> None:
        await self._http.close()

    async def verify(self) -> str:
        """A search on the note property proves the token, the scopes and the property at once."""
        await self._post(
            "/crm/v3/objects/notes/search",
            note_search_body("securepay-check", self._id_property),
            what="hubspot search notes",
        )
        return f"hubspot token accepted; note property {self._id_property!r} searchable"

    async def deliver(self, activity: CrmActivity) -> str:
        if not _RECORD_ID.match(activity.record_id):
            raise DeliveryError(
                f"{activity.record_id!r} is not a HubSpot record id (digits only)", permanent=True
            )
        found = await self._post(
            "/crm/v3/objects/notes/search",
            note_search_body(activity.payment_id, self._id_property),
            what="hubspot search notes",
        )
        results = found.get("results") if isinstance(found, dict) else None
        if not isinstance(results, list):
            raise DeliveryError("hubspot search notes: the answer has no results", permanent=False)
        if results:
            return str(results[0]["id"])
        created = await self._post(
            "/crm/v3/objects/notes",
            note_create_body(activity, self._record_type, self._id_property),
            what="hubspot create note",
        )
        if not isinstance(created, dict) or not created.get("id"):
            raise DeliveryError("hubspot create note: the answer has no id", permanent=False)
        return str(created["id"])

    async def _post(self, path: str, body: dict[str, Any], *, what: str) -> Any:
        return await self._http.request(
            "POST",
            f"{self._url}{path}",
            what=what,
            headers={
                "Authorization": f"Bearer {self._token.get_secret_value()}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
            data=json.dumps(body).encode(),
        )
