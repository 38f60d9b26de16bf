"""A canary card made fresh for each run, and the spellings a leak of it could take.

The PAN is searched whole and without its last four (which may be shown), plain,
spaced, dashed, with any short separator between digits (a JSON list of keys), one
digit per line (a DTMF log line or AMI event per key), base64 at every alignment, and
JSON \\u-escaped. The expiry and security code are too short to search alone in
megabytes of logs without false hits, so they are searched as keyed (expiry then code,
with or without the confirming 1), next to a field name (cvc=..., "cardCode": ...), and
in the date shapes a gateway payload or a log would use.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from tests.unit.flow.driver import luhn_number

SEPARATOR = rb"[^0-9A-Za-z]{1,4}"


def spellings(secret: str) -> Iterator[bytes]:
    """`secret` (digits) as it could be written down: plain, grouped, base64, JSON-escaped."""
    data = secret.encode()
    yield data
    groups = [secret[i : i + 4] for i in range(0, len(secret), 4)]
    yield " ".join(groups).encode()
    yield "-".join(groups).encode()
    for offset in range(3):
        # Inside a larger base64 text the secret starts at any byte offset: encode it at each,
        # keeping only the characters that do not depend on the bytes around it.
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"\0" * offset + data)
            start = (0, 2, 3)[offset]
            end = (offset + len(data)) // 3 * 4
            yield encoded[start:end]
    yield "".join(f"\\u{ord(c):04x}" for c in secret).encode()
    yield "".join(f"\\u{ord(c):04X}" for c in secret).encode()


@dataclass(frozen=True)
class Canary:
    """A Luhn-valid Visa PAN, a future expiry (MMYY) and a security code no test uses."""

    pan: str
    expiry: str
    cvc: str

    @classmethod
    def generate(cls, today: date) -> Canary:
        random = secrets.SystemRandom()
        body = "4" + "".join(random.choice("0123456789") for _ in range(14))
        year = today.year + random.randint(2, 9)
        return cls(
            pan=luhn_number(body, 16),
            expiry=f"{random.randint(1, 12):02d}{year % 100:02d}",
            cvc=f"{random.randint(100, 999)}",
        )

    def patterns(self) -> list[re.Pattern[bytes]]:
        hidden = self.pan[:-4]
        literal = {spelling for secret in (self.pan, hidden) for spelling in spellings(secret)}
        month, year = self.expiry[:2], self.expiry[2:]
        cvc = re.escape(self.cvc.encode())
        dates = [self.expiry, f"{month}/{year}", f"{month}-{year}", f"20{year}-{month}", f"{month}/20{year}"]
        return [
            *(re.compile(re.escape(spelling)) for spelling in sorted(literal)),
            re.compile(SEPARATOR.join(re.escape(digit.encode()) for digit in hidden)),
            re.compile(rb"(?<!\d)" + re.escape(self.expiry.encode()) + rb"1?" + cvc + rb"(?!\d)"),
            re.compile(rb"(?<!\d)" + cvc + re.escape(self.expiry.encode()) + rb"(?!\d)"),
            re.compile(rb"(?i)(cvc|cvv2?|card_?code|security_?code)\W{0,6}" + cvc + rb"(?!\d)"),
            re.compile(
                rb"(?i)exp\w*\W{0,6}(" + b"|".join(re.escape(d.encode()) for d in dates) + rb")(?!\d)"
            ),
        ]

    def hits(self, data: bytes) -> int:
        hidden = self.pan[:-4].encode()
        in_streams = sum(stream.count(hidden) for stream in keyed_streams(data))
        return in_streams + sum(len(pattern.findall(data)) for pattern in self.patterns())


_LONE_DIGIT = re.compile(rb"(?<![0-9A-Za-z])[0-9](?![0-9A-Za-z])")
_NUMBER = re.compile(rb"[0-9]+")


def keyed_streams(data: bytes) -> Iterator[bytes]:
    """Digits leaked one per line ("DTMF end '4' received", "Digit: 4", a log line per key),
    joined back in order: lines alike but for their lone digits (other numbers, such as
    timestamps, masked) form one stream per lone-digit position."""
    streams: dict[tuple[bytes, int], bytearray] = {}
    for line in data.splitlines():
        lone = _LONE_DIGIT.findall(line)
        if not lone:
            continue
        template = _NUMBER.sub(b"N", _LONE_DIGIT.sub(b"<d>", line))
        for position, digit in enumerate(lone):
            streams.setdefault((template, position), bytearray()).extend(digit)
    return (bytes(stream) for stream in streams.values())
