"""The ARI client against a real Asterisk 22."""

from __future__ import annotations

import asyncio

import pytest

from securepay.ari import AriNotFound
from securepay.ari.models import ChannelDtmfReceived, PlaybackFinished, PlaybackStarted
from securepay.ari.rest import AppState
from securepay.testing.asterisk_rig import AsteriskInstance
from tests.e2e.ari_helpers import connected, local_call
from tests.e2e.tcp_proxy import TcpProxy


async def test_playing_a_sound_raises_playback_started_and_finished(asterisk: AsteriskInstance) -> None:
    async with connected(asterisk.ari) as (client, log):
        _, leg = await local_call(client, log)
        playback = await client.rest.play(leg, ["sound:beep"], playback_id="pb-beep")
        await log.wait_for(PlaybackStarted, lambda e: e.playback.id == playback.id)
        finished = await log.wait_for(PlaybackFinished, lambda e: e.playback.id == playback.id)
        assert finished.playback.state == "done"
        await client.rest.hangup(leg)


async def test_dtmf_sent_to_the_phone_arrives_on_the_dialplan_leg_in_order(
    asterisk: AsteriskInstance,
) -> None:
    async with connected(asterisk.ari) as (client, log):
        phone, leg = await local_call(client, log)
        await client.rest.send_dtmf(phone, "4111*#", between_ms=50, duration_ms=80)
        for count in range(1, 7):
            await log.wait_for(ChannelDtmfReceived, lambda e, n=count: len(log.of(ChannelDtmfReceived)) >= n)
        digits = "".join(e.digit for e in log.of(ChannelDtmfReceived, lambda e: e.channel.id == leg))
        assert digits == "4111*#"
        await client.rest.hangup(leg)


async def test_events_reconnect_and_resync_reports_the_channel_still_owned(
    asterisk: AsteriskInstance,
) -> None:
    proxy = TcpProxy(asterisk.ari_port)
    await proxy.start()
    resyncs: list[AppState] = []
    try:
        async with connected(asterisk.ari, url=f"http://127.0.0.1:{proxy.port}") as (client, log):

            async def remember(state: AppState) -> None:
                resyncs.append(state)

            client.on_resync(remember)
            _, leg = await local_call(client, log)
            client.connected.clear()
            proxy.cut()
            await asyncio.wait_for(client.connected.wait(), 2)
            assert resyncs and leg in resyncs[-1].channel_ids
            assert client.reconnects == 1
            await client.rest.hangup(leg)
    finally:
        await proxy.stop()


async def test_a_call_on_a_gone_channel_raises_not_found(asterisk: AsteriskInstance) -> None:
    async with connected(asterisk.ari) as (client, _):
        with pytest.raises(AriNotFound):
            await client.rest.hangup("no-such-channel")
