"""Measuring what a leg of a call carried, from a recording: how loud a tone is in it.

The tests prove "the agent hears the caller but no prompt" on what Asterisk actually
wrote for the agent's leg, not on what we asked it to do. The Goertzel algorithm
measures one frequency's amplitude (as DTMF receivers do).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from pathlib import Path

WAV_HEADER_BYTES = 44


def wav_samples(path: Path) -> list[int]:
    """The 16-bit samples of a PCM WAV file Asterisk is still writing (so its header may
    not carry the final length yet): everything after the 44-byte header."""
    data = path.read_bytes()[WAV_HEADER_BYTES:]
    return list(struct.unpack(f"<{len(data) // 2}h", data[: len(data) // 2 * 2]))


def tone_amplitude(samples: Sequence[int], frequency: float, rate: int = 8000) -> float:
    """The amplitude of ``frequency`` in ``samples`` (a sine of amplitude A gives about A)."""
    if not samples:
        return 0.0
    coefficient = 2 * math.cos(2 * math.pi * frequency / rate)
    previous = before = 0.0
    for sample in samples:
        previous, before = sample + coefficient * previous - before, previous
    power = previous * previous + before * before - coefficient * previous * before
    return 2 * math.sqrt(max(power, 0.0)) / len(samples)


def frame_levels(samples: Sequence[int], frame: int) -> list[float]:
    """The RMS of each whole ``frame`` samples (a trailing part frame is left out)."""
    return [
        math.sqrt(sum(s * s for s in samples[start : start + frame]) / frame)
        for start in range(0, len(samples) - frame + 1, frame)
    ]


def seconds_of_sound(samples: Sequence[int], level: float = 300.0, rate: int = 8000) -> float:
    """How long ``samples`` carry sound louder than ``level`` (RMS of each 20 ms frame):
    speech prompts are well above it, digital silence is 0."""
    return sum(rms > level for rms in frame_levels(samples, rate // 50)) / 50
