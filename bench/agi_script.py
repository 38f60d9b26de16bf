"""The AGI-per-call baseline: one Python process per call runs the same PaymentFlow.

This is how an operator would classically build it (pyst2 style): Asterisk hands the
call to a fresh process over AGI, which plays prompts with STREAM FILE (any key barges
in), waits for keys with WAIT FOR DIGIT, and charges through the same gateway client.
The flow is securepay's own sans-I/O state machine, so both sides run identical logic.
Each step is announced in the channel variable BENCH_STEP (the bench keys on it, as it
keys on the daemon's step events); at exit the process appends its own CPU time and
peak RSS to the file named by BENCH_AGI_USAGE.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
from datetime import UTC, datetime
from decimal import Decimal
from typing import TextIO

from securepay.config import GatewayConfig
from securepay.flow import (
    CardDetails,
    Charge,
    Digit,
    Event,
    Finished,
    FlowSettings,
    GatewayResult,
    GatewayStatus,
    PaymentFlow,
    Play,
    PromptFinished,
    PublishStep,
    Start,
    StartTimer,
    StepStatus,
    TimerFired,
)
from securepay.gateway.factory import open_gateway
from securepay.gateway.request import ChargeRequest, new_invoice_number
from securepay.gateway.result import ChargeStatus

ESCAPE = '"0123456789*#"'


class Agi:
    def __init__(self, reader: TextIO, writer: TextIO) -> None:
        self._in, self._out = reader, writer
        self.env: dict[str, str] = {}
        while line := reader.readline().strip():
            key, _, value = line.partition(": ")
            self.env[key] = value

    def command(self, text: str) -> int:
        """Send one command; the `result=` value (a key's code for playback commands)."""
        self._out.write(text + "\n")
        self._out.flush()
        reply = self._in.readline()

        if not reply.startswith("200"):
            raise ConnectionError("the call is gone")
        code = int(reply.split("result=", 1)[1].split()[0])
        if code < 0:
            raise ConnectionError("the call is gone")
        return code

    def play(self, media: str) -> str | None:
        """Play one ARI-style media item; the key that interrupted it, if any."""
        scheme, _, value = media.partition(":")
        verbs = {
            "sound": "STREAM FILE",
            "number": "SAY NUMBER",
            "digits": "SAY DIGITS",
            "characters": "SAY ALPHA",
        }
        code = self.command(f"{verbs[scheme]} {value} {ESCAPE}")
        return chr(code) if code > 0 else None


def run(agi: Agi) -> str:
    """Run the flow to its end over AGI; returns the outcome."""
    amount = Decimal(agi.env.get("agi_arg_1", "49.95"))
    flow = PaymentFlow(amount, "USD", FlowSettings(), datetime.now(UTC).date())
    events: list[Event] = [Start()]
    waiting: tuple[int, float] | None = None
    while events:
        # Steps are announced before the prompts of the same batch: STREAM FILE blocks until
        # a prompt ends, and the bench's caller keys once the announced step's prompt is over.
        actions = sorted(flow.handle(events.pop(0)), key=lambda action: not isinstance(action, PublishStep))
        for action in actions:
            match action:
                case Play(prompt_id=prompt_id, media=media):
                    agi.command("SET VARIABLE BENCH_PLAYING 1")
                    key = next((k for item in media if (k := agi.play(item))), None)
                    agi.command("SET VARIABLE BENCH_PLAYING 0")
                    events.append(Digit(key) if key else PromptFinished(prompt_id))
                case StartTimer(timer_id=timer_id, seconds=seconds):
                    waiting = (timer_id, seconds)
                case PublishStep(step=step, status=StepStatus.ENTERING):
                    agi.command(f"SET VARIABLE BENCH_STEP {step.value}")
                case Charge(card=card):
                    events.append(asyncio.run(charge(amount, card)))
                case Finished(outcome=outcome):
                    return outcome.value
        if not events and waiting is not None:
            timer_id, seconds = waiting
            waiting = None
            code = agi.command(f"WAIT FOR DIGIT {int(seconds * 1000)}")
            events.append(Digit(chr(code)) if code > 0 else TimerFired(timer_id))
    return "unfinished"


async def charge(amount: Decimal, card: CardDetails) -> GatewayResult:
    request = ChargeRequest(
        invoice_number=new_invoice_number(), amount=amount, description="Bench widget", card=card
    )
    async with open_gateway(GatewayConfig()) as gateway:
        result = await gateway.charge(request)
    status = GatewayStatus.APPROVED if result.status is ChargeStatus.APPROVED else GatewayStatus.DECLINED
    return GatewayResult(status, None, result.transaction_id)


def main() -> int:
    agi = Agi(sys.stdin, sys.stdout)
    try:
        outcome = run(agi)
        agi.command(f"SET VARIABLE BENCH_RESULT {outcome}")
    except ConnectionError:
        outcome = "hung-up"
    usage = resource.getrusage(resource.RUSAGE_SELF)
    record = {"cpu_s": usage.ru_utime + usage.ru_stime, "max_rss_kb": usage.ru_maxrss, "outcome": outcome}
    with open(os.environ["BENCH_AGI_USAGE"], "a") as out:
        out.write(json.dumps(record) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
