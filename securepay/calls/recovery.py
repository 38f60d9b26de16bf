"""After a daemon crash or restart: adopt the calls Asterisk still holds, free stranded callers.

Channels stay in Stasis when the daemon dies, so a caller in the middle of a payment
would sit in the private bridge forever. The daemon names its bridges
`securepay/call/<call id>/<agent id>` and `securepay/pay/<payment id>/<call id>`, and
the agent leg it dials is `<call id>-agent`; from those, any bridge the registry does
not know is rebuilt into a call, the caller is told the payment could not complete
and is put back with the agent (or, with no agent left, sent to the fallback).
The payment's own fate is settled from the ledger, not here; so a caller whose charge
had been sent is only told they are returning to the agent, who gets the result (the
card may well have been charged, and "could not complete" would invite a second payment).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from securepay.ari import AriError, AriNotFound, AriRest
from securepay.calls.registry import Call, CallRegistry, payment_of_playback, playback_id
from securepay.logs import ids

log = logging.getLogger("securepay.calls")

PROMPT_VARIABLE = "SECUREPAY_PROMPT"
"""The caller's channel variable naming the first of the PROMPTS_PER_NAME playback ids
(`<payment id>-<prompt number>`, numbers in a row; no card data) one of which may be playing
to them, so a new daemon can stop a prompt the dead one left playing."""
PROMPTS_PER_NAME = 16
"""Asterisk sets a channel variable in the channel's own queue, so the request has to go
before the prompt's and costs the caller a round trip: naming a run of prompts at once
pays it on one prompt in 16 (a payment plays 12 to 18), and recovery stops 16 ids."""
RETURNING_PROMPT = ("sound:securepay/returning-to-agent",)
RECOVERY_PROMPT = ("sound:securepay/payment-error", *RETURNING_PROMPT)


@dataclass
class _Orphan:
    call_id: str
    agent_id: str = ""
    call_bridge: dict[str, Any] | None = None
    pay_bridges: list[dict[str, Any]] = field(default_factory=list)
    payment_ids: list[str] = field(default_factory=list)

    @property
    def agent_channel(self) -> str:
        return f"{self.call_id}-agent"

    @property
    def members(self) -> list[str]:
        members = list(self.call_bridge["channels"]) if self.call_bridge else []
        for pay in self.pay_bridges:
            members += pay["channels"]
        return members

    @property
    def callers(self) -> list[str]:
        return [channel for channel in self.members if channel != self.agent_channel]


def _orphans(bridges: list[dict[str, Any]], registry: CallRegistry) -> list[_Orphan]:
    found: dict[str, _Orphan] = {}
    for bridge in bridges:
        parts = str(bridge.get("name", "")).split("/")
        if len(parts) != 4 or parts[0] != "securepay":
            continue
        if parts[1] == "call":
            orphan = found.setdefault(parts[2], _Orphan(parts[2]))
            orphan.agent_id, orphan.call_bridge = parts[3], bridge
        elif parts[1] == "pay":
            orphan = found.setdefault(parts[3], _Orphan(parts[3]))
            orphan.pay_bridges.append(bridge)
            orphan.payment_ids.append(parts[2])
    return [orphan for call_id, orphan in found.items() if registry.get(call_id) is None]


async def recover(
    rest: AriRest,
    registry: CallRegistry,
    default_language: str,
    to_fallback: Callable[[Call], Awaitable[None]],
    charge_submitted: Callable[[str], Awaitable[bool]],
) -> None:
    for orphan in _orphans(await rest.list_bridges(), registry):
        try:
            await _recover_call(rest, registry, orphan, default_language, to_fallback, charge_submitted)
        except AriError as exc:
            message = "could not recover the call (%s): its caller to the fallback"
            log.error(message, exc.message, extra=ids(orphan.call_id))
            await _release(rest, orphan, to_fallback, default_language)


async def _recover_call(
    rest: AriRest,
    registry: CallRegistry,
    orphan: _Orphan,
    default_language: str,
    to_fallback: Callable[[Call], Awaitable[None]],
    charge_submitted: Callable[[str], Awaitable[bool]],
) -> None:
    agent_channel, callers = orphan.agent_channel, orphan.callers
    has_agent = agent_channel in orphan.members
    if orphan.call_bridge is None or not callers:
        await _release(rest, orphan, to_fallback, default_language)
        return
    caller = callers[0]
    call = Call(
        id=orphan.call_id,
        agent_id=orphan.agent_id,
        caller_channel=caller,
        bridge_id=orphan.call_bridge["id"],
        language=(await rest.get_channel(caller)).language or default_language,
        agent_channel=agent_channel if has_agent else None,
    )
    was_paying = bool(orphan.pay_bridges)
    if was_paying:
        await _stop_prompt(rest, caller)
    if not has_agent:
        log.warning("recovered call has no agent left: caller to the fallback", extra=ids(call.id))
        registry.add(call)
        await to_fallback(call)
        await _destroy_pay_bridges(rest, orphan)
        return
    if was_paying:
        with contextlib.suppress(AriError):
            await rest.stop_bridge_moh(call.bridge_id)
        # Moved first, the payment's bridge closed after: should this daemon die too, no
        # leg is ever in no bridge, where recovery could not see it.
        if agent_channel not in orphan.call_bridge["channels"]:
            # An assisted payment had the agent in the payment's bridge too.
            await rest.add_to_bridge(call.bridge_id, agent_channel)
        await rest.add_to_bridge(call.bridge_id, caller)
        await _destroy_pay_bridges(rest, orphan)
        with contextlib.suppress(AriError):  # muted while keying an assisted payment
            await rest.unmute_from(caller)
        charged = [pid for pid in orphan.payment_ids if await charge_submitted(pid)]
        with contextlib.suppress(AriError):  # back with the agent already: the prompt is a courtesy
            await rest.play(caller, RETURNING_PROMPT if charged else RECOVERY_PROMPT, lang=call.language)
        log.warning(
            "recovered call: the caller's unfinished payment was ended; back with the agent",
            extra=ids(call.id),
        )
    else:
        log.info("recovered call with agent %s", call.agent_id, extra=ids(call.id))
    registry.add(call)


def named_playbacks(first: str) -> list[str]:
    """The playback ids a PROMPT_VARIABLE value names (a bare id from an older run: itself)."""
    payment, number = payment_of_playback(first), first.rpartition("-")[2]
    if not payment or not number.isdigit():
        return [first] if first else []
    return [playback_id(payment, int(number) + offset) for offset in range(PROMPTS_PER_NAME)]


async def _stop_prompt(rest: AriRest, caller: str) -> None:
    """Asterisk plays the rest of a prompt's media before it moves the channel or plays
    anything else: stop what the dead daemon left playing, so the caller is back at once."""
    with contextlib.suppress(AriError):
        first = await rest.get_variable(caller, PROMPT_VARIABLE)
        for playback in named_playbacks(first):
            with contextlib.suppress(AriNotFound):  # long over, or never played
                await rest.stop_playback(playback)


async def _destroy_pay_bridges(rest: AriRest, orphan: _Orphan) -> None:
    for pay in orphan.pay_bridges:
        with contextlib.suppress(AriError):
            await rest.destroy_bridge(pay["id"])


async def _release(
    rest: AriRest, orphan: _Orphan, to_fallback: Callable[[Call], Awaitable[None]], default_language: str
) -> None:
    """A call that cannot be rebuilt (no caller, no agent bridge, or Asterisk refused a step):
    its callers to the fallback, the rest ended. Never raises: it is the last resort."""
    for caller in orphan.callers:
        await _stop_prompt(rest, caller)
        stray = Call(orphan.call_id, orphan.agent_id, caller, "", default_language)
        await to_fallback(stray)
    await _destroy_pay_bridges(rest, orphan)
    if orphan.agent_channel in orphan.members:
        with contextlib.suppress(AriError):
            await rest.hangup(orphan.agent_channel)
    if orphan.call_bridge is not None:
        with contextlib.suppress(AriError):
            await rest.destroy_bridge(orphan.call_bridge["id"])
