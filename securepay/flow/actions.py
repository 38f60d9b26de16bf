"""What a payment flow asks the I/O shell to do: the outputs of ``PaymentFlow.handle``.

The shell performs each action in list order. Actions that start something the flow
waits for (``Play``, ``StartTimer``, ``Charge``) are answered with an event carrying the
same id (``PromptFinished``, ``TimerFired``) or a ``GatewayResult``.
"""

from dataclasses import dataclass

from securepay.flow.card import CardDetails
from securepay.flow.outcome import Outcome
from securepay.flow.steps import Step, StepStatus


@dataclass(frozen=True)
class Play:
    """Play ``media`` (ARI media URIs, in order) to the caller in the payment's language,
    then feed back ``PromptFinished(prompt_id)``.

    ``private`` prompts read back what the caller keyed (a card's ending, the expiry, the
    security code's length, the ZIP): the shell plays them to the caller alone. The flow
    clears it on every other prompt (instructions, errors, the amount, the result), which
    the shell may also let the agent hear; a ``Play`` made without saying stays private.
    """

    prompt_id: int
    media: tuple[str, ...]
    private: bool = True


@dataclass(frozen=True)
class StopPlayback:
    """Stop the prompt with this id (the caller barged in or the flow moved on)."""

    prompt_id: int


@dataclass(frozen=True)
class StartTimer:
    """Feed back ``TimerFired(timer_id)`` after ``seconds``, unless cancelled first."""

    timer_id: int
    seconds: float


@dataclass(frozen=True)
class CancelTimer:
    """The flow no longer needs this timer; a late ``TimerFired`` for it is ignored anyway."""

    timer_id: int


@dataclass(frozen=True)
class PublishStep:
    """Tell the agent's panel how a step stands.

    ``attempt`` counts from 1 and goes up with each invalid entry of the step; ``error``
    names what went wrong (a prompt name such as "card-invalid", or the outcome that ended
    the flow at this step) and never carries card data.
    """

    step: Step
    status: StepStatus
    attempt: int
    error: str | None


@dataclass(frozen=True)
class PublishEntry:
    """Tell the agent's panel how a card field is filling in, without a digit of it.

    Sent at each key of an entry, when the entry is complete (valid, awaiting the caller's
    confirmation), when a field is (re-)asked, and when an entry is refused. ``masked``
    shows one bullet per key (``•••• •••• •••• 1111`` once a card number is complete,
    ``••/••`` for an expiry); ``brand`` is the card brand as soon as the IIN tells it;
    ``error`` is the entry error type (``ENTRY_ERRORS``) of the attempt just refused.
    """

    step: Step
    digits_entered: int
    masked: str
    brand: str | None
    complete: bool
    attempt: int
    error: str | None


ENTRY_ERRORS = (
    "invalid-card-number",
    "card-type-not-accepted",
    "invalid-expiry",
    "card-expired",
    "invalid-cvc",
    "invalid-postal-code",
    "input-timeout",
)
"""Every ``PublishEntry.error`` value."""


@dataclass(frozen=True)
class Charge:
    """Charge the card and feed back ``GatewayResult``. The flow wipes ``card`` when that
    result is fed back, so the shell must keep neither it nor copies beyond the charge."""

    card: CardDetails


@dataclass(frozen=True)
class ReturnCaller:
    """Put the caller back into the agent's bridge."""


@dataclass(frozen=True)
class Fallback:
    """The agent is gone: send the caller to the fallback context."""


@dataclass(frozen=True)
class Finished:
    """The flow is over; always the last action it emits. ``brand``/``last4`` are set once
    the caller has confirmed the card number."""

    outcome: Outcome
    reason: str | None
    transaction_id: str | None
    brand: str | None
    last4: str | None


Action = (
    Play
    | StopPlayback
    | StartTimer
    | CancelTimer
    | PublishStep
    | PublishEntry
    | Charge
    | ReturnCaller
    | Fallback
    | Finished
)
"""Anything ``PaymentFlow.handle`` returns."""
