"""Properties of every payment flow, whatever the caller, the shell and the gateway do.

Hypothesis drives 10,000 random runs per `make test`: keys (random ones and valid entries
for the step being asked), prompt ends, timer expiries (current and old ids), gateway
answers, hang-ups, agent aborts and internal failures, in any order. A shell that only
reads the flow's actions then lets the run play out. Every run must end in exactly one
`Finished`, charge at most once and only after all five steps were confirmed with 1,
leave no card byte in memory the flow can reach, and never read back what the caller
keyed in a prompt that is not private. Only the flow's public API is used.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from decimal import Decimal

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from securepay.flow import (
    Action,
    AgentAbort,
    AgentHungUp,
    CallerHungUp,
    CancelTimer,
    CardDetails,
    Charge,
    Digit,
    Event,
    Finished,
    FlowSettings,
    GatewayResult,
    GatewayStatus,
    InternalFailure,
    PaymentFlow,
    Play,
    PromptFinished,
    Start,
    StartTimer,
    State,
    Step,
    StopPlayback,
    TimerFired,
    luhn_valid,
)

from .driver import CVC, EXPIRY, POSTAL, TODAY, VISA

RUNS = 10_000
DRAIN_LIMIT = 100
"""Shell moves after the random ones; a flow that needs more is stuck."""

VALID_ENTRY = {
    State.CARD_NUMBER_ENTRY: VISA + "#",
    State.EXPIRY_ENTRY: EXPIRY,
    State.CVC_ENTRY: CVC,
    State.POSTAL_CODE_ENTRY: POSTAL,
}
CONFIRMS = {
    State.AMOUNT_CONFIRM: Step.AMOUNT,
    State.CARD_NUMBER_CONFIRM: Step.CARD_NUMBER,
    State.EXPIRY_CONFIRM: Step.EXPIRY,
    State.CVC_CONFIRM: Step.CVC,
    State.POSTAL_CODE_CONFIRM: Step.POSTAL_CODE,
}
ANSWERS = [
    GatewayResult(GatewayStatus.APPROVED, None, "40012345"),
    GatewayResult(GatewayStatus.DECLINED, "This transaction has been declined.", "40012346"),
    GatewayResult(GatewayStatus.ERROR, "gateway unreachable"),
    GatewayResult(GatewayStatus.HELD_FOR_REVIEW, "held", "40012347"),
    GatewayResult(GatewayStatus.OUTCOME_UNKNOWN, "timed out after submit"),
]

READBACK_SOUNDS = ("card-ending-in", "expiry-is", "month-", "cvc-3-digits", "cvc-4-digits", "postal-code-is")
SPOKEN_DATA = {"number:49", "number:95", *(f"digits:{a.transaction_id}" for a in ANSWERS if a.transaction_id)}
"""All a prompt that is not private may say besides our own sounds: the amount the agent
asked for and the transaction id."""


def keyed(media: tuple[str, ...]) -> list[str]:
    """The media of a prompt that tell what the caller keyed."""
    sounds = [m.removeprefix("sound:securepay/") for m in media if m.startswith("sound:")]
    data = [m for m in media if not m.startswith("sound:") and m not in SPOKEN_DATA]
    return [name for name in sounds if name.startswith(READBACK_SOUNDS)] + data


# A move is what the caller, the shell or the gateway does next; ids are resolved
# against what the shell is waiting for at that moment. Valid entries are drawn often
# enough that many runs reach the charge with noise all around it.
moves = st.one_of(
    st.sampled_from("0123456789*#").map(lambda key: ("key", key)),
    st.just(("key", "1")),
    *[st.just(("valid-entry", None))] * 4,
    st.just(("prompt-finished", None)),
    st.integers(0, 40).map(lambda index: ("old-prompt", index)),
    st.just(("timer-fired", None)),
    st.integers(0, 40).map(lambda index: ("old-timer", index)),
    st.sampled_from(ANSWERS).map(lambda answer: ("gateway", answer)),
    st.sampled_from(
        [
            ("event", Start()),
            ("event", CallerHungUp()),
            ("event", AgentHungUp()),
            ("event", AgentAbort()),
            ("event", InternalFailure("ari refused to play")),
        ]
    ),
)


@dataclass
class Shell:
    """What an I/O shell knows: only the actions the flow returned."""

    flow: PaymentFlow
    prompt: int | None = None
    timer: int | None = None
    used_ids: list[int] = field(default_factory=list)
    charges: list[CardDetails] = field(default_factory=list)
    charge_pending: bool = False
    confirmed: set[Step] = field(default_factory=set)
    finished: list[Finished] = field(default_factory=list)

    def send(self, event: Event) -> None:
        if isinstance(event, Digit) and event.digit == "1" and self.flow.state in CONFIRMS:
            self.confirmed.add(CONFIRMS[self.flow.state])
        actions = self.flow.handle(event)
        if isinstance(event, GatewayResult):
            self.charge_pending = False
        if self.finished:
            assert actions == [], f"{event} after Finished gave {actions}"
        for action in actions:
            self._perform(action)
        if any(isinstance(action, Finished) for action in actions):
            assert isinstance(actions[-1], Finished), "Finished must be the last action"

    def _perform(self, action: Action) -> None:
        match action:
            case Play(prompt_id=prompt_id, media=media, private=private):
                assert private or not keyed(media), f"a shared prompt reads back {keyed(media)}"
                self.prompt = prompt_id
                self.used_ids.append(prompt_id)
            case StopPlayback(prompt_id=prompt_id) if prompt_id == self.prompt:
                self.prompt = None
            case StartTimer(timer_id=timer_id):
                self.timer = timer_id
                self.used_ids.append(timer_id)
            case CancelTimer(timer_id=timer_id) if timer_id == self.timer:
                self.timer = None
            case Charge(card=card):
                assert not self.charges, "a second Charge in one flow"
                assert self.confirmed == set(CONFIRMS.values()), (
                    f"Charge with only {self.confirmed} confirmed"
                )
                assert luhn_valid(card.pan) and card.exp_month and card.exp_year and card.cvc
                assert card.postal_code
                self.charges.append(card)
                self.charge_pending = True
            case Finished():
                self.finished.append(action)

    def move(self, kind: str, value: object) -> None:
        if kind == "key":
            self.send(Digit(str(value)))
        elif kind == "valid-entry":
            for key in VALID_ENTRY.get(self.flow.state, "1"):
                self.send(Digit(key))
        elif kind == "prompt-finished" and self.prompt is not None:
            prompt, self.prompt = self.prompt, None
            self.send(PromptFinished(prompt))
        elif kind == "old-prompt" and self.used_ids:
            self.send(PromptFinished(self.used_ids[int(str(value)) % len(self.used_ids)]))
        elif kind == "timer-fired" and self.timer is not None:
            timer, self.timer = self.timer, None
            self.send(TimerFired(timer))
        elif kind == "old-timer" and self.used_ids:
            self.send(TimerFired(self.used_ids[int(str(value)) % len(self.used_ids)]))
        elif kind == "gateway":
            assert isinstance(value, GatewayResult)
            self.send(value)
        elif kind == "event":
            self.send(value)  # type: ignore[arg-type]

    def drain(self, answer: GatewayResult) -> None:
        """Let the run play out: the caller keys valid entries, the gateway gives `answer`, prompts
        end and timers fire, as a shell would report them."""
        if self.flow.state is State.NEW:
            self.send(Start())
        for _ in range(DRAIN_LIMIT):
            if self.finished:
                return
            if self.charge_pending:
                self.send(answer)
            elif self.flow.state in VALID_ENTRY or self.flow.state in CONFIRMS:
                self.move("valid-entry", None)
            elif self.prompt is not None:
                self.move("prompt-finished", None)
            elif self.timer is not None:
                self.move("timer-fired", None)
            else:
                raise AssertionError(f"stranded in {self.flow.state}: no prompt, timer or charge pending")
        raise AssertionError(f"not finished after {DRAIN_LIMIT} shell moves, in {self.flow.state}")


def card_bytes_reachable(root: object) -> list[bytearray]:
    """Every non-empty bytearray the flow can still reach, however it stores them."""
    seen: set[int] = set()
    found: list[bytearray] = []
    pending = [root]
    while pending:
        item = pending.pop()
        if id(item) in seen or isinstance(item, type):
            continue
        seen.add(id(item))
        if isinstance(item, bytearray):
            if item:
                found.append(item)
            continue
        if isinstance(item, CardDetails):
            pending += [getattr(item, slot) for slot in CardDetails.__slots__]
        pending += gc.get_referents(item)
    return found


@settings(
    max_examples=RUNS,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.booleans(), st.lists(moves, max_size=60), st.sampled_from(ANSWERS))
def test_any_sequence_ends_once_charges_only_confirmed_cards_and_wipes_them(
    started: bool, sequence: list[tuple[str, object]], answer: GatewayResult
) -> None:
    shell = Shell(PaymentFlow(Decimal("49.95"), "USD", FlowSettings(), TODAY))
    if started:
        shell.send(Start())
    for kind, value in sequence:
        shell.move(kind, value)
    shell.drain(answer)
    assert len(shell.finished) == 1
    assert shell.flow.finished and shell.flow.state is State.FINISHED
    for card in shell.charges:
        assert not (card.pan or card.exp_month or card.exp_year or card.cvc or card.postal_code)
    assert card_bytes_reachable(shell.flow) == []
    event(f"outcome: {shell.finished[0].outcome.value}")
    event("charged" if shell.charges else "not charged")
