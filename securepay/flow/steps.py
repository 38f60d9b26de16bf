"""The payment steps the agent's panel follows, and the status of each.

These are what ``PublishStep`` carries: the agent cannot hear the caller, so the panel
shows which step the caller is on and how it went, and nothing else.
"""

from enum import Enum


class Step(Enum):
    """One step of the payment, in the order the caller meets them."""

    AMOUNT = "amount"
    CARD_NUMBER = "card_number"
    EXPIRY = "expiry"
    CVC = "cvc"
    POSTAL_CODE = "postal_code"
    PROCESSING = "processing"


class StepStatus(Enum):
    """Where a step stands: not reached, in progress, confirmed, or where the flow ended."""

    WAITING = "waiting"
    ENTERING = "entering"
    COMPLETED = "completed"
    FAILED = "failed"
