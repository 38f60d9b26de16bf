"""PaymentFlow: the caller's side of a phone payment as a sans-I/O state machine.

Like h11 for HTTP, the flow does no I/O and keeps no clock: the shell feeds it events
(keys, prompt ends, timer expiries, the gateway's answer, hang-ups) and performs the
actions it returns (play, stop, start/cancel timers, publish steps, charge, hand the
caller back). That keeps every rule of the caller experience testable without Asterisk
and lets one shell drive many flows.

Conventions the shell relies on:

* At most one prompt plays at a time. The next prompt is only emitted after the
  ``PromptFinished`` of the current one, or together with a ``StopPlayback`` for it.
* At most one timer runs at a time; an event with a stale prompt or timer id is ignored.
* Prompt and timer ids come from one counter per flow, so they never repeat.
* ``Finished`` is always the last action; afterwards ``handle`` returns ``[]``.

Partial results: every key of a card field, every complete, refused or re-asked entry is
also published as a ``PublishEntry`` (counts, bullets, brand, attempt, error type), so an
agent's screen fills in while the digits themselves stay here.

Assisted mode (``FlowSettings.assisted``): the agent stays on the call. The agent may ask
for one field again (``AgentRestart``), and the charge waits for ``AgentSubmit`` once the
caller has confirmed every field (state ``READY``). Every read-back of what the caller
keyed is a private ``Play``, so a shell that lets the agent hear the instructions still
plays those to the caller alone.
"""

from datetime import date
from decimal import Decimal
from enum import Enum
from itertools import count

from securepay.flow.actions import (
    Action,
    CancelTimer,
    Charge,
    Fallback,
    Finished,
    Play,
    PublishEntry,
    PublishStep,
    ReturnCaller,
    StartTimer,
    StopPlayback,
)
from securepay.flow.card import (
    CardDetails,
    CardStatus,
    ExpiryStatus,
    brand_by_iin,
    check_cvc,
    check_expiry,
    check_postal_code,
    cvc_length,
    validate_card_number,
    wipe_buffer,
)
from securepay.flow.events import (
    AgentAbort,
    AgentHungUp,
    AgentRestart,
    AgentSubmit,
    CallerHungUp,
    Digit,
    Event,
    GatewayResult,
    GatewayStatus,
    InternalFailure,
    PromptFinished,
    Start,
    TimerFired,
)
from securepay.flow.media import characters, digits, number, sound
from securepay.flow.money import amount_media
from securepay.flow.outcome import Outcome
from securepay.flow.settings import FlowSettings
from securepay.flow.steps import Step, StepStatus


class State(Enum):
    """Where the flow is: the step, and whether the caller is keying it in (``_ENTRY``)
    or answering "1 to confirm, 2 to re-enter" (``_CONFIRM``)."""

    NEW = "new"
    INTRO = "intro"
    AMOUNT_CONFIRM = "amount-confirm"
    CARD_NUMBER_ENTRY = "card-number-entry"
    CARD_NUMBER_CONFIRM = "card-number-confirm"
    EXPIRY_ENTRY = "expiry-entry"
    EXPIRY_CONFIRM = "expiry-confirm"
    CVC_ENTRY = "cvc-entry"
    CVC_CONFIRM = "cvc-confirm"
    POSTAL_CODE_ENTRY = "postal-code-entry"
    POSTAL_CODE_CONFIRM = "postal-code-confirm"
    READY = "ready"
    """Assisted mode: every field is confirmed and the agent has yet to submit."""
    PROCESSING = "processing"
    CLOSING = "closing"
    FINISHED = "finished"


_ENTRY_STATES = {
    Step.CARD_NUMBER: State.CARD_NUMBER_ENTRY,
    Step.EXPIRY: State.EXPIRY_ENTRY,
    Step.CVC: State.CVC_ENTRY,
    Step.POSTAL_CODE: State.POSTAL_CODE_ENTRY,
}
_CONFIRM_STATES = {
    Step.AMOUNT: State.AMOUNT_CONFIRM,
    Step.CARD_NUMBER: State.CARD_NUMBER_CONFIRM,
    Step.EXPIRY: State.EXPIRY_CONFIRM,
    Step.CVC: State.CVC_CONFIRM,
    Step.POSTAL_CODE: State.POSTAL_CODE_CONFIRM,
}
_ENTRY_STEPS = {state: step for step, state in _ENTRY_STATES.items()}
_CONFIRM_STEPS = {state: step for step, state in _CONFIRM_STATES.items()}
_STATE_STEPS = {**_ENTRY_STEPS, **_CONFIRM_STEPS, State.PROCESSING: Step.PROCESSING}
# States in which the caller is answering a question: digits barge in, timers run.
_COLLECTING = frozenset(_STATE_STEPS) - {State.PROCESSING}
_ABORTABLE = _COLLECTING | {State.NEW, State.INTRO, State.READY}
_FIELDS = (Step.CARD_NUMBER, Step.EXPIRY, Step.CVC, Step.POSTAL_CODE)
"""The card fields, in the order the caller keys them."""
# The entry error type the panel gets for each invalid-entry prompt.
_ENTRY_ERRORS = {
    "card-invalid": "invalid-card-number",
    "card-not-accepted": "card-type-not-accepted",
    "expiry-invalid": "invalid-expiry",
    "card-expired": "card-expired",
    "cvc-invalid": "invalid-cvc",
    "postal-code-invalid": "invalid-postal-code",
}
_BULLET = "\u2022"
# The message that opens the closing prompt of a flow that ends before the charge.
_ENDING_PROMPTS = {
    Outcome.AMOUNT_DECLINED: "amount-declined",
    Outcome.CALLER_CANCELLED: "payment-cancelled",
    Outcome.AGENT_CANCELLED: "payment-cancelled",
    Outcome.TOO_MANY_FAILED_ATTEMPTS: "too-many-attempts",
    Outcome.INPUT_TIMEOUT: "input-timeout",
}
_GATEWAY_OUTCOMES = {
    GatewayStatus.APPROVED: Outcome.SUCCESS,
    GatewayStatus.DECLINED: Outcome.DECLINED,
}


SPOKEN_REFERENCE_MAX = 12
"""Longest transaction id read to the caller whole (Authorize.Net's digits, Braintree's 8)."""


def spoken_reference(transaction_id: str) -> str:
    """What the caller hears of the transaction id: a caller can write down 12 characters,
    not a 27-character Stripe PaymentIntent id, so a longer id is read as its last 8 (the
    agent's panel and the CRM show it whole, and it is found by its ending)."""
    if len(transaction_id) <= SPOKEN_REFERENCE_MAX:
        return transaction_id
    return transaction_id[-8:]


class PaymentFlow:
    """One caller's payment, from the intro to the hand-back, with no I/O.

    Feed every event to :meth:`handle` and perform the returned actions in order.
    Card data lives only in this object's buffers and in the ``CardDetails`` handed out
    with ``Charge``; both are wiped on every path that ends the flow.
    """

    def __init__(self, amount: Decimal, currency: str, settings: FlowSettings, today: date) -> None:
        """Raise ``ValueError``/``TypeError`` now for a bad amount, currency or settings,
        rather than in front of a caller. ``today`` dates the expiry checks."""
        settings.validate()
        self._amount_media = tuple(amount_media(amount, currency))
        self._settings = settings
        self._today = today
        self._state = State.NEW
        self._outcome: Outcome | None = None
        self._reason: str | None = None
        self._transaction_id: str | None = None
        self._brand: str | None = None
        self._last4: str | None = None
        self._steps = dict.fromkeys(Step, StepStatus.WAITING)
        self._failures = dict.fromkeys(Step, 0)
        self._card = CardDetails()
        self._entry = bytearray()
        self._prompt_ids = count(1)
        """Prompts are numbered in a row (the shell names runs of them for crash recovery)."""
        self._timer_ids = count(1)
        self._prompt: int | None = None
        self._timer: int | None = None
        self._charging = False
        self._agent_gone = False
        self._caller_gone = False
        # The closing prompt told the caller "returning you to your agent".
        self._promised_return = False

    @property
    def state(self) -> State:
        """The current step and phase."""
        return self._state

    @property
    def outcome(self) -> Outcome | None:
        """The outcome, once decided (it may be decided while closing prompts still play)."""
        return self._outcome

    @property
    def steps(self) -> dict[Step, StepStatus]:
        """A copy of every step's status, as last published."""
        return dict(self._steps)

    @property
    def can_abort(self) -> bool:
        """Whether ``AgentAbort`` would act: not once the charge is submitted or the
        outcome is decided."""
        return self._state in _ABORTABLE

    @property
    def keying(self) -> bool:
        """Whether the caller is keying a card field (not answering a 1-or-2 question)."""
        return self._state in _ENTRY_STEPS

    @property
    def can_submit(self) -> bool:
        """Whether ``AgentSubmit`` would charge: assisted, and every field confirmed."""
        return self._state is State.READY

    def can_restart(self, step: Step) -> bool:
        """Whether ``AgentRestart(step)`` would act: a card field the caller has reached,
        while the caller is still answering (not once the charge is submitted)."""
        return (
            step in _FIELDS
            and (self._state in _COLLECTING or self._state is State.READY)
            and self._steps[step] is not StepStatus.WAITING
        )

    @property
    def finished(self) -> bool:
        """Whether ``Finished`` has been emitted."""
        return self._state is State.FINISHED

    def handle(self, event: Event) -> list[Action]:
        """Apply one event and return the actions to perform, in order."""
        if self._state is State.FINISHED:
            return []
        match event:
            case Start():
                return self._start()
            case Digit(digit=key):
                return self._key(key)
            case PromptFinished(prompt_id=prompt_id):
                return self._prompt_finished(prompt_id)
            case TimerFired(timer_id=timer_id):
                return self._timer_fired(timer_id)
            case GatewayResult():
                return self._gateway_result(event)
            case CallerHungUp():
                return self._caller_hung_up()
            case AgentHungUp():
                self._agent_gone = True
                # Nobody is left to submit what the caller has confirmed: charge now.
                return self._charge() if self.can_submit else []
            case AgentAbort():
                return self._end_early(Outcome.AGENT_CANCELLED) if self.can_abort else []
            case AgentRestart(step=step):
                return self._restart(step) if self.can_restart(step) else []
            case AgentSubmit():
                return self._charge() if self.can_submit else []
            case InternalFailure(reason=reason):
                return self._internal_failure(reason)
        raise TypeError(f"not a payment flow event: {type(event).__name__}")

    # Events

    def _start(self) -> list[Action]:
        if self._state is not State.NEW:
            return []
        self._state = State.INTRO
        return [self._play(sound("intro-assisted" if self._settings.assisted else "intro"))]

    def _key(self, key: str) -> list[Action]:
        if self._state is State.INTRO or self._state is State.READY:
            # The intro says "press star at any time"; nothing else is asked yet.
            return self._end_early(Outcome.CALLER_CANCELLED) if key == "*" else []
        if self._state not in _COLLECTING:
            return []
        entry_step = _ENTRY_STEPS.get(self._state)
        if key == "#" and (entry_step is None or not self._entry):
            # '#' only ends an entry. With nothing typed, or at a 1-or-2 question (often
            # a habitual '#' after an entry that ended by length), it means nothing.
            return []
        # Barge-in: the key stops the question being asked and counts as the answer.
        actions = self._stop_prompt() + self._cancel_timer()
        if key == "*":
            return actions + self._end_early(Outcome.CALLER_CANCELLED)
        if entry_step is not None:
            return actions + self._entry_key(entry_step, key)
        return actions + self._answer(_CONFIRM_STEPS[self._state], key)

    def _prompt_finished(self, prompt_id: int) -> list[Action]:
        if prompt_id != self._prompt:
            return []
        self._prompt = None
        if self._state is State.INTRO:
            self._state = State.AMOUNT_CONFIRM
            media = (sound("amount-is"), *self._amount_media, sound("amount-confirm"))
            return [self._play(*media), self._publish(Step.AMOUNT, StepStatus.ENTERING)]
        if self._state in _COLLECTING:
            # The question has been asked in full: now the caller has to answer.
            return [self._start_timer(self._settings.input_timeout_s)]
        if self._state is State.PROCESSING:
            # "Please wait" is over; if the gateway has already answered, say so now.
            return [] if self._charging else self._close(self._result_media())
        if self._state is State.READY:
            # The agent submits while talking to the caller: no timer runs.
            return []
        return self._hand_back()

    def _timer_fired(self, timer_id: int) -> list[Action]:
        if timer_id != self._timer:
            return []
        self._timer = None
        entry_step = _ENTRY_STEPS.get(self._state)
        if entry_step is not None and self._entry:
            # A pause after the first key: take the entry as typed.
            return self._submit(entry_step)
        step = _STATE_STEPS.get(self._state)
        timed_out = [self._publish_field(step, "input-timeout")] if step in _FIELDS else []
        return timed_out + self._end_early(Outcome.INPUT_TIMEOUT)

    def _gateway_result(self, result: GatewayResult) -> list[Action]:
        if not self._charging:
            return []
        self._charging = False
        self._card.wipe()
        outcome = _GATEWAY_OUTCOMES.get(result.status, Outcome.GATEWAY_ERROR)
        self._outcome = outcome
        self._reason = result.reason
        self._transaction_id = result.transaction_id
        error = None if outcome is Outcome.SUCCESS else outcome.value
        status = StepStatus.COMPLETED if error is None else StepStatus.FAILED
        actions: list[Action] = [self._publish(Step.PROCESSING, status, error)]
        if self._caller_gone:
            return [*actions, self._finish()]
        if self._prompt is not None:
            # Let "please wait" play out; the result follows its PromptFinished.
            return actions
        return actions + self._close(self._result_media())

    def _caller_hung_up(self) -> list[Action]:
        self._caller_gone = True
        if self._charging:
            # The charge was submitted: its result must still be recorded.
            return []
        if self._outcome is not None:
            return [self._finish()]
        actions = self._cancel_timer() + self._fail_current_step(Outcome.CALLER_HUNG_UP)
        self._discard_card()
        self._outcome = Outcome.CALLER_HUNG_UP
        return [*actions, self._finish()]

    def _internal_failure(self, reason: str) -> list[Action]:
        actions = self._stop_prompt() + self._cancel_timer()
        if self._outcome is None:
            actions += self._fail_current_step(Outcome.INTERNAL_ERROR)
            self._outcome = Outcome.INTERNAL_ERROR
            self._reason = reason
        self._charging = False
        self._promised_return = False
        self._discard_card()
        if self._caller_gone:
            return [*actions, self._finish()]
        return actions + self._hand_back()

    # Collecting the card

    def _entry_key(self, step: Step, key: str) -> list[Action]:
        if key == "#":
            return self._submit(step)
        self._entry.append(ord(key))
        keyed = self._publish_field(step)
        if len(self._entry) >= self._max_length(step):
            return [keyed, *self._submit(step)]
        return [keyed, self._start_timer(self._settings.interdigit_timeout_s)]

    def _max_length(self, step: Step) -> int:
        if step is Step.CARD_NUMBER:
            return self._settings.max_card_digits
        if step is Step.EXPIRY:
            return 4
        if step is Step.CVC:
            return cvc_length(self._card.brand)
        return self._settings.postal_code_max

    def _submit(self, step: Step) -> list[Action]:
        error = self._store(step)
        if error is not None:
            if self._count_failure(step):
                refused = self._publish_field(step, _ENTRY_ERRORS[error])
                return [refused, *self._end_early(Outcome.TOO_MANY_FAILED_ATTEMPTS, error)]
            return self._ask_entry(step, error)
        self._state = _CONFIRM_STATES[step]
        return [
            self._publish_field(step),
            self._play(*self._readback(step), sound("confirm-or-reenter"), private=True),
        ]

    def _store(self, step: Step) -> str | None:
        """Validate the typed entry and move it into the card; return the error prompt
        name if it is not valid. The entry buffer is wiped either way."""
        entry = self._entry
        card = self._card
        settings = self._settings
        try:
            if step is Step.CARD_NUMBER:
                check = validate_card_number(entry, settings.accepted_brands)
                if check.status is CardStatus.INVALID:
                    return "card-invalid"
                if check.status is CardStatus.NOT_ACCEPTED:
                    return "card-not-accepted"
                card.pan.extend(entry)
                card.brand = check.brand
            elif step is Step.EXPIRY:
                expiry = check_expiry(entry, self._today, settings.expiry_max_years)
                if expiry.status is ExpiryStatus.INVALID:
                    return "expiry-invalid"
                if expiry.status is ExpiryStatus.EXPIRED:
                    return "card-expired"
                card.exp_month.extend(b"%02d" % expiry.month)
                card.exp_year.extend(b"%04d" % expiry.year)
            elif step is Step.CVC:
                if not check_cvc(entry, card.brand):
                    return "cvc-invalid"
                card.cvc.extend(entry)
            else:
                if not check_postal_code(entry, settings.postal_code_min, settings.postal_code_max):
                    return "postal-code-invalid"
                card.postal_code.extend(entry)
            return None
        finally:
            wipe_buffer(entry)

    def _readback(self, step: Step) -> tuple[str, ...]:
        """What the caller hears back: never more than the last four of the card, and
        only the length of the security code. Played as a private prompt: the agent of an
        assisted payment never hears it, even where the agent hears the instructions."""
        card = self._card
        if step is Step.CARD_NUMBER:
            return (sound("card-ending-in"), digits(card.last4))
        if step is Step.EXPIRY:
            month = card.exp_month.decode("ascii")
            return (sound("expiry-is"), sound(f"month-{month}"), number(int(card.exp_year)))
        if step is Step.CVC:
            return (sound(f"cvc-{len(card.cvc)}-digits"),)
        return (sound("postal-code-is"), digits(card.postal_code.decode("ascii")))

    def _answer(self, step: Step, key: str) -> list[Action]:
        if key == "1":
            return self._confirm(step)
        if key == "2":
            if step is Step.AMOUNT:
                return self._end_early(Outcome.AMOUNT_DECLINED)
            self._clear(step)
            return self._ask_entry(step)
        # A wrong key counts against the step, so a stuck key cannot loop forever.
        if self._count_failure(step):
            return self._end_early(Outcome.TOO_MANY_FAILED_ATTEMPTS)
        return [self._play(sound("press-1-or-2"))]

    def _confirm(self, step: Step) -> list[Action]:
        actions: list[Action] = [self._publish(step, StepStatus.COMPLETED)]
        if step is Step.CARD_NUMBER:
            self._brand = self._card.brand
            self._last4 = self._card.last4
        following = next((field for field in _FIELDS if self._steps[field] is not StepStatus.COMPLETED), None)
        if following is not None:
            return actions + self._ask_entry(following)
        if self._settings.assisted and not self._agent_gone:
            self._state = State.READY
            return [*actions, self._play(sound("agent-will-submit"))]
        return actions + self._charge()

    def _clear(self, step: Step) -> None:
        card = self._card
        if step is Step.CARD_NUMBER:
            wipe_buffer(card.pan)
            card.brand = None
            self._brand = self._last4 = None
        elif step is Step.EXPIRY:
            wipe_buffer(card.exp_month)
            wipe_buffer(card.exp_year)
        elif step is Step.CVC:
            wipe_buffer(card.cvc)
        else:
            wipe_buffer(card.postal_code)

    def _ask_entry(self, step: Step, error: str | None = None) -> list[Action]:
        """Ask for a step's entry, after the message for an invalid one if any."""
        self._state = _ENTRY_STATES[step]
        media = [sound(error)] if error else []
        media.append(sound(self._entry_prompt(step)))
        return [
            self._play(*media),
            self._publish(step, StepStatus.ENTERING, error),
            self._publish_field(step, _ENTRY_ERRORS.get(error or "")),
        ]

    def _restart(self, step: Step) -> list[Action]:
        """The agent asked for ``step`` again: drop it (and the CVC with a new card number,
        whose brand sets the CVC's length) and whatever the caller was keying, then ask."""
        actions = self._stop_prompt() + self._cancel_timer()
        wipe_buffer(self._entry)
        dropped = {step, _STATE_STEPS.get(self._state)}
        if step is Step.CARD_NUMBER:
            dropped.add(Step.CVC)
        for field in _FIELDS:
            if field not in dropped:
                continue
            self._clear(field)
            if field is not step and self._steps[field] is not StepStatus.WAITING:
                actions.append(self._publish(field, StepStatus.WAITING))
        return actions + self._ask_entry(step, "reenter-requested")

    def _entry_prompt(self, step: Step) -> str:
        if step is Step.CARD_NUMBER:
            return "enter-card"
        if step is Step.EXPIRY:
            return "enter-expiry"
        if step is Step.CVC:
            return "enter-cvc-amex" if self._card.brand == "amex" else "enter-cvc"
        return "enter-postal-code"

    def _count_failure(self, step: Step) -> bool:
        """Count an invalid entry of ``step``; True once the limit is reached."""
        self._failures[step] += 1
        return self._failures[step] >= self._settings.max_attempts

    # Charging and ending

    def _charge(self) -> list[Action]:
        self._state = State.PROCESSING
        self._charging = True
        return [
            self._publish(Step.PROCESSING, StepStatus.ENTERING),
            self._play(sound("please-wait"), sound("processing-tone")),
            Charge(self._card),
        ]

    def _result_media(self) -> list[str]:
        if self._outcome is Outcome.SUCCESS:
            media = [sound("payment-success")]
            transaction_id = self._transaction_id
            if transaction_id:
                spoken = spoken_reference(transaction_id)
                read = digits if spoken.isdigit() else characters
                media.append(read(spoken))
            return media
        if self._outcome is Outcome.DECLINED:
            return [sound("payment-declined")]
        return [sound("payment-error")]

    def _end_early(self, outcome: Outcome, error: str | None = None) -> list[Action]:
        """End the flow before any charge: stop what is running, wipe the card, mark the
        current step failed and play why (after ``error``, the last entry's message)."""
        actions = self._stop_prompt() + self._cancel_timer() + self._fail_current_step(outcome)
        self._discard_card()
        self._outcome = outcome
        media = [sound(error)] if error else []
        media.append(sound(_ENDING_PROMPTS[outcome]))
        return actions + self._close(media)

    def _close(self, media: list[str]) -> list[Action]:
        """Play the closing prompt: the reason, then where the caller goes next."""
        self._state = State.CLOSING
        self._promised_return = not self._agent_gone
        if self._agent_gone:
            media += [sound("agent-unavailable"), sound("goodbye")]
        elif not self._settings.assisted:
            # In assisted mode the agent never left: there is nobody to return to.
            media.append(sound("returning-to-agent"))
        return [self._play(*media)]

    def _hand_back(self) -> list[Action]:
        """After the closing prompt: back to the agent, or to the fallback if the agent
        left, telling the caller first if the closing prompt promised the agent."""
        if self._agent_gone and self._promised_return:
            self._promised_return = False
            return [self._play(sound("agent-unavailable"), sound("goodbye"))]
        handoff: Action = Fallback() if self._agent_gone else ReturnCaller()
        return [handoff, self._finish()]

    def _finish(self) -> Finished:
        self._state = State.FINISHED
        assert self._outcome is not None
        return Finished(self._outcome, self._reason, self._transaction_id, self._brand, self._last4)

    # Small helpers

    def _play(self, *media: str, private: bool = False) -> Play:
        """The next prompt; ``private`` when it reads back what the caller keyed."""
        prompt_id = self._prompt = next(self._prompt_ids)
        return Play(prompt_id, media, private)

    def _stop_prompt(self) -> list[Action]:
        if self._prompt is None:
            return []
        prompt_id, self._prompt = self._prompt, None
        return [StopPlayback(prompt_id)]

    def _start_timer(self, seconds: float) -> StartTimer:
        timer_id = self._timer = next(self._timer_ids)
        return StartTimer(timer_id, seconds)

    def _cancel_timer(self) -> list[Action]:
        if self._timer is None:
            return []
        timer_id, self._timer = self._timer, None
        return [CancelTimer(timer_id)]

    def _publish(self, step: Step, status: StepStatus, error: str | None = None) -> PublishStep:
        self._steps[step] = status
        return PublishStep(step, status, self._attempt(step), error)

    def _attempt(self, step: Step) -> int:
        return min(self._failures[step] + 1, self._settings.max_attempts)

    def _publish_field(self, step: Step, error: str | None = None) -> PublishEntry:
        """How ``step``'s field stands: the keys typed so far while it is being keyed,
        else the stored value once complete; as bullets, never digits."""
        card = self._card
        complete = self._state is not _ENTRY_STATES[step]
        if not complete:
            count, last4 = len(self._entry), ""
            brand = brand_by_iin(self._entry) if step is Step.CARD_NUMBER else None
        else:
            count = {
                Step.CARD_NUMBER: len(card.pan),
                Step.EXPIRY: 4 if card.exp_month else 0,
                Step.CVC: len(card.cvc),
                Step.POSTAL_CODE: len(card.postal_code),
            }[step]
            last4 = card.last4 if step is Step.CARD_NUMBER else ""
            brand = card.brand if step is Step.CARD_NUMBER else None
        masked = _masked(step, count, last4)
        return PublishEntry(step, count, masked, brand, complete, self._attempt(step), error)

    def _fail_current_step(self, outcome: Outcome) -> list[Action]:
        step = _STATE_STEPS.get(self._state)
        if step is None:
            return []
        return [self._publish(step, StepStatus.FAILED, outcome.value)]

    def _discard_card(self) -> None:
        self._card.wipe()
        wipe_buffer(self._entry)


def _masked(step: Step, count: int, last4: str) -> str:
    """``count`` keys as bullets in the field's shape: a card number in groups of four
    (its last four shown once ``last4`` is given), an expiry as ``••/••``."""
    if step is Step.CARD_NUMBER:
        hidden = count - len(last4)
        groups = [_BULLET * min(4, hidden - start) for start in range(0, hidden, 4)]
        return " ".join([*groups, last4] if last4 else groups)
    if step is Step.EXPIRY and count > 2:
        return _BULLET * 2 + "/" + _BULLET * (count - 2)
    return _BULLET * count
