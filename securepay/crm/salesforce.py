"""Salesforce connector: a completed Task on the record, through the REST API.

Authentication is the OAuth 2.0 client credentials flow of a connected app (an
integration user runs it): ``POST /services/oauth2/token`` on the org's My Domain URL.
The token is kept until Salesforce answers 401, then fetched again once.

Exactly once: the Task's Subject ends with the payment id in brackets, so before
creating, a SOQL query looks for a Task on the same record with that very Subject
(Subject is filterable; a Task's Description is not). A delivery whose answer was lost
finds the Task it created and returns its id instead of creating a second one.

A Task names a person (Contact ``003...``, Lead ``00Q...``) in ``WhoId`` and anything
else (Account, Opportunity, Case, custom objects) in ``WhatId``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import SecretStr

from securepay.crm.activity import CrmActivity
from securepay.crm.connector import DeliveryError, Unauthorized
from securepay.crm.http import CrmHttp

SUBJECT_MAX = 255
WHO_PREFIXES = ("003", "00Q")
_RECORD_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")
_SOQL_ESCAPES = {"\\": "\\\\", "'": "\\'", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def task_subject(activity: CrmActivity) -> str:
    """``Payment Success: <product> [<payment id>]``, the product shortened to fit 255 characters."""
    head, tail = f"Payment {activity.status}: ", f" [{activity.payment_id}]"
    room = SUBJECT_MAX - len(head) - len(tail)
    product = " ".join(activity.product_name.split())
    if len(product) > room:
        product = product[: room - 3] + "..."
    return head + product + tail


def task_fields(activity: CrmActivity) -> dict[str, str]:
    """The Task's fields as the sObject REST API takes them."""
    return {
        relation_field(activity.record_id): activity.record_id,
        "Subject": task_subject(activity),
        "Description": activity.text,
        "Status": "Completed",
        "ActivityDate": activity.occurred_at.date().isoformat(),
    }


def relation_field(record_id: str) -> str:
    return "WhoId" if record_id.startswith(WHO_PREFIXES) else "WhatId"


def soql_quote(value: str) -> str:
    """``value`` as a SOQL string literal."""
    return "'" + "".join(_SOQL_ESCAPES.get(char, char) for char in value) + "'"


class SalesforceConnector:
    kind = "salesforce"

    def __init__(
        self, url: str, client_id: str, client_secret: SecretStr, api_version: str, timeout_s: float
    ) -> None:
        self._url = url
        self._client_id = client_id
        self._client_secret = client_secret
        self._api_version = api_version
        self._http = CrmHttp(timeout_s, (client_secret,))
        self._token: str | None = None
        self._instance_url = url

    async def close(self) -> None:
        await self._http.close()

    async def deliver(self, activity: CrmActivity) -> str:
        if not _RECORD_ID.match(activity.record_id):
            raise DeliveryError(
                f"{activity.record_id!r} is not a Salesforce record id (15 or 18 letters and digits)",
                permanent=True,
            )
        try:
            return await self._find_or_create(activity)
        except Unauthorized:
            self._token = None
            return await self._find_or_create(activity)

    async def _find_or_create(self, activity: CrmActivity) -> str:
        existing = await self._existing_task(activity)
        if existing is not None:
            return existing
        answer = await self._api(
            "POST", "/sobjects/Task", what="salesforce create Task", body=task_fields(activity)
        )
        if not isinstance(answer, dict) or not answer.get("id"):
            raise DeliveryError("salesforce create Task: the answer has no id", permanent=False)
        return str(answer["id"])

    async def _existing_task(self, activity: CrmActivity) -> str | None:
        record = activity.record_id
        soql = (
            f"SELECT Id FROM Task WHERE {relation_field(record)} = {soql_quote(record)}"
            f" AND Subject = {soql_quote(task_subject(activity))} LIMIT 1"
        )
        answer = await self._api("GET", "/query", what="salesforce query Task", params={"q": soql})
        records = answer.get("records") if isinstance(answer, dict) else None
        if not isinstance(records, list):
            raise DeliveryError("salesforce query Task: the answer has no records", permanent=False)
        return str(records[0]["Id"]) if records else None

    async def _api(
        self,
        method: str,
        path: str,
        *,
        what: str,
        body: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> Any:
        token = await self._access_token()
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        return await self._http.request(
            method,
            f"{self._instance_url}/services/data/v{self._api_version}{path}",
            what=what,
            headers=headers,
            data=json.dumps(body).encode() if body is not None else None,
            params=params,
        )

    async def verify(self) -> str:
        self._token = None
        await self._access_token()
        return f"salesforce token granted by {self._url}"

    async def _access_token(self) -> str:
        if self._token is not None:
            return self._token
        try:
            answer = await self._http.request(
                "POST",
                f"{self._url}/services/oauth2/token",
                what="salesforce token",
                headers={"Accept": "application/json"},
                data={
                    "grant_type": "client_credentials",
                    "client_id": self._client_id,
                    "client_secret": self._client_secret.get_secret_value(),
                },
            )
        except Unauthorized as exc:  # a 401 here is the credentials, not an expired token
            raise DeliveryError(str(exc), permanent=True) from None
        if not isinstance(answer, dict) or not answer.get("access_token"):
            raise DeliveryError("salesforce token: the answer has no access_token", permanent=False)
        self._token = str(answer["access_token"])
        self._instance_url = str(answer.get("instance_url") or self._url).rstrip("/")
        return self._token
