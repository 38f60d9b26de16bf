"""A test driver for PaymentFlow: feeds scripted events and keeps every action."""

from datetime import date
from decimal import Decimal
from typing import TypeVar

from securepay.flow import (
    Action,
    Digit,
    Event,
    FlowSettings,
    GatewayResult,
    GatewayStatus,
    PaymentFlow,
    Play,
    PromptFinished,
    PublishStep,
    Start,
    StartTimer,
    Step,
    TimerFired,
)

TODAY = date(2025, 6, 15)
VISA = "4111111111111111"
MASTERCARD = "5555555555554444"
AMEX = "378282246310005"
DISCOVER = "6011111111111117"
JCB = "3530111333300000"
DINERS = "30569309025904"
EXPIRY = "1230"
CVC = "737"
AMEX_CVC = "7373"
POSTAL = "90210"
TRANSACTION_ID = "40012345"


def sound(name: str) -> str:
    return f"sound:securepay/{name}"


def luhn_number(prefix: str, length: int) -> str:
    """A Luhn-valid number of ``length`` digits starting with ``prefix`` (zero-padded)."""
    body = prefix.ljust(length - 1, "0")
    total = 0
    for position, char in enumerate(reversed(body)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return body + str((10 - total % 10) % 10)


def plays(actions: list[Action]) -> list[tuple[str, ...]]:
    """The media of every Play in ``actions``."""
    return [action.media for action in actions if isinstance(action, Play)]


T = TypeVar("T")


def of_type(actions: list[Action], kind: type[T]) -> list[T]:
    return [action for action in actions if isinstance(action, kind)]


class Driver:
    """Drives one flow the way a caller and the shell would."""

    def __init__(
        self,
        amount: str = "49.95",
        currency: str = "USD",
        settings: FlowSettings | None = None,
        today: date = TODAY,
    ) -> None:
        self.flow = PaymentFlow(Decimal(amount), currency, settings or FlowSettings(), today)
        self.actions: list[Action] = []

    def send(self, *events: Event) -> list[Action]:
        out: list[Action] = []
        for event in events:
            out += self.flow.handle(event)
        self.actions += out
        return out

    @property
    def prompt(self) -> Play:
        """The last Play emitted."""
        return of_type(self.actions, Play)[-1]

    @property
    def timer(self) -> StartTimer:
        """The last StartTimer emitted."""
        return of_type(self.actions, StartTimer)[-1]

    def finish_prompt(self) -> list[Action]:
        return self.send(PromptFinished(self.prompt.prompt_id))

    def press(self, keys: str) -> list[Action]:
        """Press keys, possibly while a prompt is still playing (barge-in)."""
        return self.send(*(Digit(key) for key in keys))

    def answer(self, keys: str) -> list[Action]:
        """Let the current prompt finish, then press keys."""
        return self.finish_prompt() + self.press(keys)

    def fire_timer(self) -> list[Action]:
        return self.send(TimerFired(self.timer.timer_id))

    def advance(
        self,
        until: Step,
        *,
        card: str = VISA,
        expiry: str = EXPIRY,
        cvc: str = CVC,
        postal: str = POSTAL,
    ) -> list[Action]:
        """Start and confirm every step before ``until``; return the actions of the last
        move, which is asking for ``until`` (or charging, for PROCESSING)."""
        self.send(Start())
        last = self.finish_prompt()
        entries = (
            (Step.CARD_NUMBER, card + "#"),
            (Step.EXPIRY, expiry),
            (Step.CVC, cvc),
            (Step.POSTAL_CODE, postal),
        )
        if until is Step.AMOUNT:
            return last
        last = self.answer("1")
        for step, keys in entries:
            if step is until:
                return last
            self.answer(keys)
            last = self.answer("1")
        return last


def published(actions: list[Action]) -> list[PublishStep]:
    """Every PublishStep in ``actions``."""
    return of_type(actions, PublishStep)


def pay(driver: Driver, result: GatewayResult | None = None, **entries: str) -> list[Action]:
    """Drive a whole payment to its charge, answer it, and let the result prompt finish;
    return the actions of that last move."""
    driver.advance(Step.PROCESSING, **entries)
    driver.finish_prompt()
    driver.send(result or GatewayResult(GatewayStatus.APPROVED, None, TRANSACTION_ID))
    return driver.finish_prompt()
