"""HubSpot: a private-app token and one Note associated with the record, searched for before creating."""

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from pydantic import SecretStr

from securepay.crm.connector import DeliveryError
from securepay.crm.hubspot import HubSpotConnector
from tests.unit.crm.fakes import HUBSPOT_TOKEN, NOTE_ID_PROPERTY, FakeHubSpot, serve
from tests.unit.ledger.factories import make_activity, make_payment


@pytest.fixture
async def hubspot() -> AsyncIterator[tuple[FakeHubSpot, str]]:
    fake = FakeHubSpot()
    async with serve(fake.app()) as url:
        yield fake, url


def _connector(url: str, record_type: str = "contacts", token: str = HUBSPOT_TOKEN) -> HubSpotConnector:
    return HubSpotConnector(url, SecretStr(token), record_type, NOTE_ID_PROPERTY, timeout_s=2)


async def test_a_note_is_created_and_associated_with_the_contact(hubspot: tuple[FakeHubSpot, str]) -> None:
    fake, url = hubspot
    connector = _connector(url)
    note_id = await connector.deliver(make_activity(make_payment(record="51")))
    await connector.close()
    assert fake.problems == []
    assert fake.requests == ["POST search", "POST note"]
    assert fake.notes[note_id] == {
        "properties": {
            "hs_timestamp": "2024-07-01T16:30:05.000Z",
            "hs_note_body": (
                "Agent: Alice Smith<br>Product Name: Blue widget<br>Transaction ID: 60123456789<br>"
                "Amount Charged: $49.95<br>Payment Status: Success<br>Timestamp: 2024-07-01 16:30:05"
            ),
            NOTE_ID_PROPERTY: "p-00000000000000a1",
        },
        "associations": [
            {
                "to": {"id": "51"},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 202}],
            }
        ],
    }


@pytest.mark.parametrize(("record_type", "type_id"), [("companies", 190), ("deals", 214), ("tickets", 228)])
async def test_other_record_types_use_their_note_association(
    hubspot: tuple[FakeHubSpot, str], record_type: str, type_id: int
) -> None:
    fake, url = hubspot
    connector = _connector(url, record_type)
    note_id = await connector.deliver(make_activity(make_payment(record="77")))
    await connector.close()
    assert fake.notes[note_id]["associations"][0]["types"][0]["associationTypeId"] == type_id


async def test_an_existing_note_for_the_payment_is_not_created_again(
    hubspot: tuple[FakeHubSpot, str],
) -> None:
    fake, url = hubspot
    connector = _connector(url)
    activity = make_activity(make_payment(record="51"))
    first = await connector.deliver(activity)
    assert await connector.deliver(activity) == first
    await connector.close()
    assert len(fake.notes) == 1


async def test_the_note_body_is_html_escaped(hubspot: tuple[FakeHubSpot, str]) -> None:
    fake, url = hubspot
    connector = _connector(url)
    note_id = await connector.deliver(make_activity(make_payment(item="<b>Cups & saucers</b>", record="51")))
    await connector.close()
    assert (
        "Product Name: &lt;b&gt;Cups &amp; saucers&lt;/b&gt;<br>"
        in fake.notes[note_id]["properties"]["hs_note_body"]
    )


async def test_a_rejected_token_is_permanent(hubspot: tuple[FakeHubSpot, str]) -> None:
    _, url = hubspot
    connector = _connector(url, token="pat-wrong")
    with pytest.raises(DeliveryError) as caught:
        await connector.deliver(make_activity(make_payment(record="51")))
    await connector.close()
    assert caught.value.permanent
    assert "pat-wrong" not in str(caught.value)


async def test_a_record_id_that_is_not_hubspots_is_permanent(hubspot: tuple[FakeHubSpot, str]) -> None:
    fake, url = hubspot
    connector = _connector(url)
    with pytest.raises(DeliveryError) as caught:
        await connector.deliver(make_activity(make_payment(record="001Ax00000AbCdEfGH")))
    await connector.close()
    assert caught.value.permanent
    assert fake.requests == []


async def test_a_token_echoed_back_in_an_error_is_masked() -> None:
    async def echo(request: web.Request) -> web.Response:
        return web.json_response(
            {"message": f"bad request with {request.headers['Authorization']}"}, status=400
        )

    app = web.Application()
    app.router.add_post("/crm/v3/objects/notes/search", echo)
    async with serve(app) as url:
        connector = _connector(url)
        with pytest.raises(DeliveryError) as caught:
            await connector.deliver(make_activity(make_payment(record="51")))
        await connector.close()
    assert HUBSPOT_TOKEN not in str(caught.value)
    assert "Bearer [redacted]" in str(caught.value)
