"""Legs in securepay's app that no bridge holds and no call knows: released, never left.

Recovery rebuilds calls from securepay's bridges, so it cannot see a channel in none: one a
daemon answered and died before bridging, or whose `StasisStart` was sent while the events
connection was down. Such a caller would sit in silence until they hang up. After every
(re)connect, a channel that is still unbridged and unknown a grace period later (what a live
daemon has in flight, an agent being bridged or a dialplan call being adopted, settles well
within it) is released: a caller to the fallback context, an agent's leg hung up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from securepay.ari import AriError, AriRest
from securepay.calls.registry import CallRegistry

log = logging.getLogger("securepay.calls")

GRACE_S = 2.0
AGENT_LEG_SUFFIX = "-agent"


async def unbridged_unknown(rest: AriRest, app: str, registry: CallRegistry) -> set[str]:
    """Channels in `app`'s Stasis that are in no bridge and belong to no call."""
    bridged = {channel for bridge in await rest.list_bridges() for channel in bridge["channels"]}
    return {
        channel.id
        for channel in await rest.list_channels()
        if channel.stasis_app == app
        and channel.id not in bridged
        and registry.by_channel(channel.id) is None
        and registry.dialing(channel.id) is None
    }


async def release_strays(
    rest: AriRest,
    app: str,
    registry: CallRegistry,
    to_fallback: Callable[[str], Awaitable[None]],
    grace_s: float = GRACE_S,
) -> None:
    first = await unbridged_unknown(rest, app, registry)
    if not first:
        return
    await asyncio.sleep(grace_s)
    for channel in sorted(first & await unbridged_unknown(rest, app, registry)):
        if channel.endswith(AGENT_LEG_SUFFIX):
            log.warning("an agent's leg no call knows was left in securepay: hanging it up")
            with contextlib.suppress(AriError):
                await rest.hangup(channel)
        else:
            log.warning("a caller was left in securepay outside any bridge: to the fallback")
            await to_fallback(channel)
