"""G.711 mu-law and the tones the test phones speak and listen for.

A phone's voice is a steady 1 kHz tone: the other end can then tell the caller's
audio from silence, prompts and hold music with one Goertzel filter.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from securepay.testing.audio import tone_amplitude

RATE = 8000
FRAME_SAMPLES = 160
VOICE_HZ = 1000
DTMF_HZ = {
    "1": (697, 1209), "2": (697, 1336), "3": (697, 1477), "A": (697, 1633),
    "4": (770, 1209), "5": (770, 1336), "6": (770, 1477), "B": (770, 1633),
    "7": (852, 1209), "8": (852, 1336), "9": (852, 1477), "C": (852, 1633),
    "*": (941, 1209), "0": (941, 1336), "#": (941, 1477), "D": (941, 1633),
}  # fmt: skip
_BIAS = 0x84
_CLIP = 32635


def ulaw_encode(sample: int) -> int:
    sign = 0x80 if sample < 0 else 0
    magnitude = min(abs(sample), _CLIP) + _BIAS
    exponent = max(0, magnitude.bit_length() - 8)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def _ulaw_decode(byte: int) -> int:
    byte = ~byte & 0xFF
    magnitude = ((((byte & 0x0F) << 3) + _BIAS) << ((byte >> 4) & 0x07)) - _BIAS
    return -magnitude if byte & 0x80 else magnitude


ULAW_TO_LINEAR = tuple(_ulaw_decode(b) for b in range(256))


def tone(freqs: Sequence[int], samples: int, amplitude: int = 6000) -> bytes:
    """`samples` of the sum of sine waves, mu-law encoded, starting at phase 0."""
    return bytes(
        ulaw_encode(round(sum(amplitude * math.sin(2 * math.pi * f * n / RATE) for f in freqs)))
        for n in range(samples)
    )


SILENCE = bytes([ulaw_encode(0)]) * FRAME_SAMPLES
VOICE = tone([VOICE_HZ], FRAME_SAMPLES)


ROWS_HZ = (697, 770, 852, 941)
COLUMNS_HZ = (1209, 1336, 1477, 1633)


def _shares(frame: bytes, freqs: Sequence[int]) -> list[float]:
    """Share of a mu-law frame's energy at each of `freqs` (Goertzel): about 1 for a pure
    tone at that frequency, 0 for silence."""
    samples = [ULAW_TO_LINEAR[b] for b in frame]
    mean_power = sum(s * s for s in samples) / len(samples)
    if mean_power < 100**2:
        return [0.0] * len(freqs)
    return [tone_amplitude(samples, freq, RATE) ** 2 / 2 / mean_power for freq in freqs]


def voice_share(frame: bytes) -> float:
    return _shares(frame, [VOICE_HZ])[0]


def dtmf_share(frame: bytes) -> float:
    """Share of the strongest DTMF row plus the strongest column: near 1 for a keyed tone."""
    shares = _shares(frame, ROWS_HZ + COLUMNS_HZ)
    return max(shares[:4]) + max(shares[4:])
