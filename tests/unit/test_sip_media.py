"""The test phones' RTP, on loopback: what Asterisk needs to see every RFC 4733 digit."""

from __future__ import annotations

import asyncio
import struct

from securepay.testing.sip.audio import DTMF_HZ, VOICE, dtmf_share, tone, voice_share
from securepay.testing.sip.rtp import RtpPhone
from securepay.testing.sip.sipp import received_sdp


class Capture(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.packets: list[bytes] = []

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.packets.append(data)


async def test_each_digit_is_an_event_with_its_own_timestamp_a_marker_and_three_end_packets() -> None:
    loop = asyncio.get_running_loop()
    capture = Capture()
    transport, _ = await loop.create_datagram_endpoint(lambda: capture, local_addr=("127.0.0.1", 0))
    phone = RtpPhone("127.0.0.1")
    await phone.open()
    phone.start(transport.get_extra_info("sockname"), 101)
    try:
        await phone.key("19", duration_ms=60, gap_ms=60)
    finally:
        await phone.close()
        transport.close()
    events = [p for p in capture.packets if p[1] & 0x7F == 101]
    fields = [(p[1] >> 7, struct.unpack("!I", p[4:8])[0], *struct.unpack("!BBH", p[12:16])) for p in events]
    timestamps = sorted({ts for _, ts, *_ in fields})
    assert len(timestamps) == 2 and timestamps[1] - timestamps[0] == 6 * 160
    first = [(marker, code, flags >> 7, duration) for marker, ts, code, flags, duration in fields]
    assert first[:6] == [(1, 1, 0, 160), (0, 1, 0, 320), (0, 1, 0, 480)] + [(0, 1, 1, 480)] * 3
    assert first[6:] == [(1, 9, 0, 160), (0, 9, 0, 320), (0, 9, 0, 480)] + [(0, 9, 1, 480)] * 3
    seqs = [struct.unpack("!H", p[2:4])[0] for p in capture.packets]
    assert seqs == [(seqs[0] + i) & 0xFFFF for i in range(len(seqs))]


async def test_a_phone_counts_the_digits_and_the_voice_it_hears() -> None:
    speaker, listener = RtpPhone("127.0.0.1"), RtpPhone("127.0.0.1")
    await speaker.open()
    listener_port = await listener.open()
    speaker.start(("127.0.0.1", listener_port), 101)
    try:
        await speaker.key("*0#", duration_ms=40, gap_ms=40)
        await asyncio.sleep(0.1)
    finally:
        await speaker.close()
        await listener.close()
    assert listener.digits_heard == ["*", "0", "#"]
    assert listener.event_packets == 3 * (2 + 3)
    assert listener.voice_frames >= 1


def test_the_voice_and_dtmf_tones_are_told_apart() -> None:
    key_five = tone(DTMF_HZ["5"], 160)
    assert voice_share(VOICE) > 0.9 and dtmf_share(VOICE) < 0.1
    assert dtmf_share(key_five) > 0.9 and voice_share(key_five) < 0.1


def test_the_far_ends_media_comes_from_the_first_sdp_sipp_received() -> None:
    event = "a=rtpmap:96 telephone-event/8000\n"
    trace = (
        "UDP message sent (10 bytes):\n\nINVITE sip:7000@127.0.0.1 SIP/2.0\n\n"
        "c=IN IP4 127.0.0.2\nm=audio 4000 RTP/AVP 0\n"
        "UDP message received [20] bytes :\n\nSIP/2.0 200 OK\n\n"
        f"c=IN IP4 127.0.0.1\nm=audio 20010 RTP/AVP 0 96\n{event}"
    )
    assert received_sdp(trace) == (("127.0.0.1", 20010), 96)
    assert received_sdp(trace.replace(event, "")) == (("127.0.0.1", 20010), 101)
    assert received_sdp(trace.split("UDP message received")[0]) is None
