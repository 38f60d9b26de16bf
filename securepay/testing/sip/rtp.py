"""RTP for the test phones: 20 ms PCMU frames and RFC 4733 telephone-events.

The SIP signalling is sipp's; the media is ours, so every packet is known: each digit
is an event with its own RTP timestamp (Asterisk drops a digit whose timestamp repeats
the previous one), the marker bit on its first packet, the duration growing by one
frame per packet, and three end packets. What arrives is counted: telephone-event
packets and the digits they carry, the frames that carry the other phone's voice (a
1 kHz tone) and the frames that carry DTMF tones.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import struct
from collections import deque
from dataclasses import dataclass

from securepay.testing.sip.audio import (
    DTMF_HZ,
    FRAME_SAMPLES,
    SILENCE,
    VOICE,
    dtmf_share,
    tone,
    voice_share,
)

PCMU = 0
FRAME_S = FRAME_SAMPLES / 8000
EVENT_CODES = "0123456789*#ABCD"
END_PACKETS = 3
VOLUME = 10  # -10 dBm0, as RFC 4733 events usually carry
TONE_SHARE = 0.5


@dataclass(frozen=True)
class EventStep:
    """One 20 ms tick of a telephone-event: packet `index` (1-based) of `count`."""

    code: int
    index: int
    count: int


Step = EventStep | bytes | asyncio.Future[None]


class RtpPhone(asyncio.DatagramProtocol):
    """One phone's media: a 20 ms clock that sends voice (silence when not `speaking`)
    unless a digit is being keyed."""

    def __init__(self, ip: str, event_pt: int = 101) -> None:
        self.ip = ip
        self.event_pt = event_pt
        self.digits_sent = ""
        self.digits_heard: list[str] = []
        self.event_packets = 0
        self.voice_frames = 0
        self.tone_frames = 0
        self.audio_frames = 0
        self._transport: asyncio.DatagramTransport | None = None
        self._remote: tuple[str, int] | None = None
        self._clock: asyncio.Task[None] | None = None
        self._script: deque[Step] = deque()
        self._seq = secrets.randbelow(1 << 16)
        self._ts = secrets.randbelow(1 << 31)
        self._ssrc = secrets.randbits(32)
        self._event_ts = 0
        self._last_heard_ts: int | None = None
        self.speaking = True

    async def open(self) -> int:
        """Bind a UDP port on this phone's address; returns it (for the SDP)."""
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(lambda: self, local_addr=(self.ip, 0))
        self._transport = transport
        return int(transport.get_extra_info("sockname")[1])

    def start(self, remote: tuple[str, int], event_pt: int) -> None:
        """Media flows: the far end's address and telephone-event payload type from its SDP."""
        self._remote = remote
        self.event_pt = event_pt
        if self._clock is None:
            self._clock = asyncio.get_running_loop().create_task(self._run_clock())

    async def close(self) -> None:
        if self._clock is not None:
            self._clock.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._clock
        if self._transport is not None:
            self._transport.close()

    async def key(self, digits: str, duration_ms: int = 80, gap_ms: int = 80, inband: bool = False) -> None:
        """Key `digits` (each held `duration_ms`, then `gap_ms` of quiet); returns once sent."""
        self.digits_sent += digits
        frames = max(1, duration_ms // 20)
        gap = [SILENCE] * max(1, gap_ms // 20)
        for digit in digits:
            if inband:
                samples = tone(DTMF_HZ[digit], frames * FRAME_SAMPLES)
                frames_of_tone = range(0, len(samples), FRAME_SAMPLES)
                self._script.extend(samples[i : i + FRAME_SAMPLES] for i in frames_of_tone)
            else:
                code = EVENT_CODES.index(digit)
                self._script.extend(EventStep(code, i, frames) for i in range(1, frames + 1))
            self._script.extend(gap)
        sent = asyncio.get_running_loop().create_future()
        self._script.append(sent)
        await sent

    def reset_counts(self) -> None:
        self.digits_heard.clear()
        self.event_packets = self.voice_frames = self.tone_frames = self.audio_frames = 0

    async def _run_clock(self) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time()
        while True:
            self._tick()
            due += FRAME_S
            await asyncio.sleep(max(0.0, due - loop.time()))

    def _tick(self) -> None:
        step = self._script.popleft() if self._script else None
        if isinstance(step, EventStep):
            self._send_event(step)
        elif isinstance(step, bytes):
            self._send(PCMU, step, self._ts)
        else:
            if isinstance(step, asyncio.Future) and not step.done():
                step.set_result(None)
            self._send(PCMU, VOICE if self.speaking else SILENCE, self._ts)
        self._ts = (self._ts + FRAME_SAMPLES) & 0xFFFFFFFF

    def _send_event(self, step: EventStep) -> None:
        if step.index == 1:
            self._event_ts = self._ts
        duration = step.index * FRAME_SAMPLES
        event = struct.pack("!BBH", step.code, VOLUME, duration)
        self._send(self.event_pt, event, self._event_ts, marker=step.index == 1)
        if step.index == step.count:
            end = struct.pack("!BBH", step.code, 0x80 | VOLUME, duration)
            for _ in range(END_PACKETS):
                self._send(self.event_pt, end, self._event_ts)

    def _send(self, pt: int, payload: bytes, ts: int, marker: bool = False) -> None:
        if self._transport is None or self._remote is None:
            return
        header = struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | pt, self._seq, ts, self._ssrc)
        self._seq = (self._seq + 1) & 0xFFFF
        self._transport.sendto(header + payload, self._remote)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if len(data) < 12 or data[0] >> 6 != 2:
            return
        pt = data[1] & 0x7F
        start = 12 + 4 * (data[0] & 0x0F)
        if data[0] & 0x10:
            start += 4 + 4 * int.from_bytes(data[start + 2 : start + 4])
        payload = data[start:]
        if pt == self.event_pt and len(payload) >= 4:
            self._event_heard(payload[0], int.from_bytes(data[4:8]))
        elif pt == PCMU:
            self.audio_frames += 1
            if voice_share(payload) > TONE_SHARE:
                self.voice_frames += 1
            elif dtmf_share(payload) > TONE_SHARE:
                self.tone_frames += 1

    def _event_heard(self, code: int, ts: int) -> None:
        self.event_packets += 1
        if ts != self._last_heard_ts and code < len(EVENT_CODES):
            self._last_heard_ts = ts
            self.digits_heard.append(EVENT_CODES[code])
