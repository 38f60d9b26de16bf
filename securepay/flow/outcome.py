"""How a payment flow ended: the one value recorded in the CRM and shown to the agent."""

from enum import Enum


class Outcome(Enum):
    """The final result of a payment flow (values are the wire/CRM spelling)."""

    SUCCESS = "success"
    DECLINED = "declined"
    AMOUNT_DECLINED = "amount-declined"
    CALLER_CANCELLED = "caller-cancelled"
    TOO_MANY_FAILED_ATTEMPTS = "too-many-failed-attempts"
    INPUT_TIMEOUT = "input-timeout"
    CALLER_HUNG_UP = "caller-hung-up"
    AGENT_CANCELLED = "agent-cancelled"
    GATEWAY_ERROR = "gateway-error"
    INTERNAL_ERROR = "internal-error"
