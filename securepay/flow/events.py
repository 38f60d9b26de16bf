"""What happens to a payment flow: the inputs the I/O shell feeds to ``PaymentFlow.handle``.

Each event is a plain frozen value, so a shell (ARI today, anything tomorrow) and the
unit tests drive the flow the same way, and a recorded event list replays exactly.
"""

from dataclasses import dataclass
from enum import Enum

from securepay.flow.steps import Step

_DTMF_KEYS = frozenset("0123456789*#")


@dataclass(frozen=True)
class Start:
    """The caller is in the private IVR: begin with the intro."""


@dataclass(frozen=True)
class Digit:
    """The caller pressed one DTMF key: '0'-'9', '*' or '#'.

    The shell drops the A-D keys; anything else is a programming error.
    """

    digit: str

    def __post_init__(self) -> None:
        if len(self.digit) != 1 or self.digit not in _DTMF_KEYS:
            # The value itself stays out of the message: it may be a card digit.
            raise ValueError("Digit.digit must be one of 0-9, * or #")


@dataclass(frozen=True)
class PromptFinished:
    """The ``Play`` with this id has ended, whether it played out or was stopped."""

    prompt_id: int


@dataclass(frozen=True)
class TimerFired:
    """The timer started with this id has expired."""

    timer_id: int


class GatewayStatus(Enum):
    """What the payment gateway said about the charge."""

    APPROVED = "approved"
    DECLINED = "declined"
    ERROR = "error"
    HELD_FOR_REVIEW = "held_for_review"
    OUTCOME_UNKNOWN = "outcome_unknown"


@dataclass(frozen=True)
class GatewayResult:
    """The answer to the flow's ``Charge``; ``reason`` must carry no card data."""

    status: GatewayStatus
    reason: str | None = None
    transaction_id: str | None = None


@dataclass(frozen=True)
class CallerHungUp:
    """The caller's channel is gone."""


@dataclass(frozen=True)
class AgentHungUp:
    """The agent's channel is gone; the caller still finishes the payment."""


@dataclass(frozen=True)
class AgentAbort:
    """The agent cancelled the payment from the panel."""


@dataclass(frozen=True)
class AgentRestart:
    """The agent asks for one field to be keyed again (assisted mode): the caller may have
    told them it was wrong. Only the card fields (card_number, expiry, cvc, postal_code)."""

    step: Step


@dataclass(frozen=True)
class AgentSubmit:
    """The agent submits the payment once the caller has confirmed every field (assisted mode)."""


@dataclass(frozen=True)
class InternalFailure:
    """The shell cannot carry on (for example ARI refuses to play): end now.

    ``reason`` ends up in ``Finished.reason`` and must carry no card data.
    """

    reason: str


Event = (
    Start
    | Digit
    | PromptFinished
    | TimerFired
    | GatewayResult
    | CallerHungUp
    | AgentHungUp
    | AgentAbort
    | AgentRestart
    | AgentSubmit
    | InternalFailure
)
"""Anything ``PaymentFlow.handle`` accepts."""
