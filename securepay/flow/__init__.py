"""The sans-I/O core of a phone payment: card checks, money readout and the PaymentFlow.

Nothing in this package does I/O or imports asyncio, aiohttp, redis or the ARI client;
the IVR shell feeds events to ``PaymentFlow.handle`` and performs the actions it returns.
"""

from securepay.flow.actions import (
    Action,
    CancelTimer,
    Charge,
    Fallback,
    Finished,
    Play,
    PublishStep,
    ReturnCaller,
    StartTimer,
    StopPlayback,
)
from securepay.flow.card import (
    KNOWN_BRANDS,
    CardCheck,
    CardDetails,
    CardStatus,
    ExpiryCheck,
    ExpiryStatus,
    check_cvc,
    check_expiry,
    check_postal_code,
    cvc_length,
    luhn_valid,
    validate_card_number,
    wipe_buffer,
)
from securepay.flow.events import (
    AgentAbort,
    AgentHungUp,
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
from securepay.flow.money import amount_media
from securepay.flow.outcome import Outcome
from securepay.flow.session import PaymentFlow, State
from securepay.flow.settings import FlowSettings
from securepay.flow.steps import Step, StepStatus

__all__ = [
    "KNOWN_BRANDS",
    "Action",
    "AgentAbort",
    "AgentHungUp",
    "CallerHungUp",
    "CancelTimer",
    "CardCheck",
    "CardDetails",
    "CardStatus",
    "Charge",
    "Digit",
    "Event",
    "ExpiryCheck",
    "ExpiryStatus",
    "Fallback",
    "Finished",
    "FlowSettings",
    "GatewayResult",
    "GatewayStatus",
    "InternalFailure",
    "Outcome",
    "PaymentFlow",
    "Play",
    "PromptFinished",
    "PublishStep",
    "ReturnCaller",
    "Start",
    "StartTimer",
    "State",
    "Step",
    "StepStatus",
    "StopPlayback",
    "TimerFired",
    "amount_media",
    "check_cvc",
    "check_expiry",
    "check_postal_code",
    "cvc_length",
    "luhn_valid",
    "validate_card_number",
    "wipe_buffer",
]
