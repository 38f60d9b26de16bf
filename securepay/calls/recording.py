"""Mutes every MixMonitor on a call's channels while the caller is in a payment.

Queue() recordings sit on the caller's channel: RFC 4733 digits are not written to
them, but spoken read-backs (the expiry, the ZIP) and in-band tones are. AMI
`MixMonitorMute` silences them (the file keeps running as silence) and is undone when
the caller leaves the payment, on every path.
"""

from __future__ import annotations

import logging

from securepay.ami import AmiClient, AmiError
from securepay.calls.registry import Call
from securepay.logs import ids

log = logging.getLogger("securepay.calls")


class RecordingMuter:
    def __init__(self, ami: AmiClient | None) -> None:
        self._ami = ami

    async def mute(self, call: Call) -> None:
        await self._set(call, "1")

    async def unmute(self, call: Call) -> None:
        await self._set(call, "0")

    async def _set(self, call: Call, state: str) -> None:
        if self._ami is None:
            return
        for name in (call.caller_name, call.agent_name):
            if not name:
                continue
            try:
                await self._ami.action("MixMonitorMute", Channel=name, Direction="both", State=state)
            except AmiError as exc:
                log.debug("MixMonitorMute %s: %s", state, exc, extra=ids(call.id))
