"""Salesforce: client-credentials token, then one completed Task on the record, checked before creating."""

from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from securepay.crm.connector import DeliveryError
from securepay.crm.salesforce import SalesforceConnector, soql_quote, task_subject
from tests.unit.crm.fakes import SF_CLIENT_ID, SF_CLIENT_SECRET, FakeSalesforce, serve
from tests.unit.ledger.factories import SF_ACCOUNT, make_activity, make_payment


@pytest.fixture
async def salesforce() -> AsyncIterator[tuple[FakeSalesforce, SalesforceConnector]]:
    fake = FakeSalesforce()
    async with serve(fake.app()) as url:
        fake.base_url = url
        connector = SalesforceConnector(url, SF_CLIENT_ID, SecretStr(SF_CLIENT_SECRET), "60.0", timeout_s=2)
        yield fake, connector
        await connector.close()


async def test_a_completed_task_is_created_on_the_record(
    salesforce: tuple[FakeSalesforce, SalesforceConnector],
) -> None:
    fake, connector = salesforce
    activity = make_activity(make_payment(record=SF_ACCOUNT))
    task_id = await connector.deliver(activity)
    assert fake.problems == []
    assert fake.requests == ["POST token", "GET query", "POST Task"]
    assert fake.tasks == {
        task_id: {
            "WhatId": SF_ACCOUNT,
            "Subject": "Payment Success: Blue widget [p-00000000000000a1]",
            "Description": activity.text,
            "Status": "Completed",
            "ActivityDate": "2024-07-01",
        }
    }


async def test_a_contact_is_linked_through_who_id(
    salesforce: tuple[FakeSalesforce, SalesforceConnector],
) -> None:
    fake, connector = salesforce
    task_id = await connector.deliver(make_activity(make_payment(record="003Ax00000ZyXwVuTS")))
    assert fake.tasks[task_id]["WhoId"] == "003Ax00000ZyXwVuTS"
    assert "WhatId" not in fake.tasks[task_id]


async def test_an_existing_task_for_the_payment_is_not_created_again(
    salesforce: tuple[FakeSalesforce, SalesforceConnector],
) -> None:
    fake, connector = salesforce
    activity = make_activity()
    first = await connector.deliver(activity)
    second = await connector.deliver(activity)
    assert first == second
    assert len(fake.tasks) == 1


async def test_the_token_is_reused_and_fetched_again_once_it_expires(
    salesforce: tuple[FakeSalesforce, SalesforceConnector],
) -> None:
    fake, connector = salesforce
    await connector.deliver(make_activity(make_payment("p-00000000000000b1")))
    fake.expire_token = True
    await connector.deliver(make_activity(make_payment("p-00000000000000b2")))
    assert fake.tokens_issued == 2
    assert len(fake.tasks) == 2


async def test_rejected_client_credentials_are_permanent() -> None:
    fake = FakeSalesforce()
    async with serve(fake.app()) as url:
        fake.base_url = url
        connector = SalesforceConnector(url, SF_CLIENT_ID, SecretStr("wrong-secret"), "60.0", timeout_s=2)
        with pytest.raises(DeliveryError) as caught:
            await connector.deliver(make_activity())
        await connector.close()
    assert caught.value.permanent
    assert "invalid_client" in str(caught.value)
    assert "wrong-secret" not in str(caught.value)


async def test_a_record_id_that_is_not_salesforces_is_permanent(
    salesforce: tuple[FakeSalesforce, SalesforceConnector],
) -> None:
    fake, connector = salesforce
    with pytest.raises(DeliveryError) as caught:
        await connector.deliver(make_activity(make_payment(record="x' OR Id != '")))
    assert caught.value.permanent
    assert fake.requests == []


def test_soql_literals_escape_quotes_and_backslashes() -> None:
    assert soql_quote('Bob\'s \\ "best"\n') == "'Bob\\'s \\\\ \\\"best\\\"\\n'"


async def test_quotes_in_the_product_name_reach_the_query_intact(
    salesforce: tuple[FakeSalesforce, SalesforceConnector],
) -> None:
    fake, connector = salesforce
    activity = make_activity(make_payment(item="Bob's 'special' \\ widget"))
    first = await connector.deliver(activity)
    assert await connector.deliver(activity) == first
    assert fake.problems == []


def test_a_long_product_name_is_shortened_to_fit_the_subject() -> None:
    subject = task_subject(make_activity(make_payment(item="x" * 400)))
    assert len(subject) == 255
    assert subject.endswith("... [p-00000000000000a1]")
