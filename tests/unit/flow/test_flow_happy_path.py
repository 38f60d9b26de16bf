"""Whole payments that go through: the exact caller experience and what the shell sees."""

from securepay.flow import (
    AgentAbort,
    CallerHungUp,
    Charge,
    Digit,
    Event,
    Finished,
    GatewayResult,
    GatewayStatus,
    Outcome,
    Play,
    PromptFinished,
    PublishStep,
    ReturnCaller,
    Start,
    State,
    Step,
    StepStatus,
)

from .driver import (
    AMEX,
    AMEX_CVC,
    CVC,
    EXPIRY,
    POSTAL,
    TRANSACTION_ID,
    VISA,
    Driver,
    of_type,
    pay,
    plays,
    published,
    sound,
)


def entering(step: Step, attempt: int = 1, error: str | None = None) -> PublishStep:
    return PublishStep(step, StepStatus.ENTERING, attempt, error)


def completed(step: Step) -> PublishStep:
    return PublishStep(step, StepStatus.COMPLETED, 1, None)


def test_happy_path_visa_hears_every_prompt_and_is_charged_and_returned() -> None:
    d = Driver()
    assert d.send(Start()) == [Play(1, (sound("intro"),), private=False)]
    amount = (
        sound("amount-is"),
        "number:49",
        sound("dollars"),
        sound("and"),
        "number:95",
        sound("cents"),
        sound("amount-confirm"),
    )
    assert d.finish_prompt() == [Play(2, amount, private=False), entering(Step.AMOUNT)]

    move = d.answer("1")
    assert plays(move) == [(sound("enter-card"),)]
    assert published(move) == [completed(Step.AMOUNT), entering(Step.CARD_NUMBER)]

    move = d.answer(VISA + "#")
    assert plays(move) == [(sound("card-ending-in"), "digits:1111", sound("confirm-or-reenter"))]
    assert published(move) == []

    move = d.answer("1")
    assert plays(move) == [(sound("enter-expiry"),)]
    assert published(move) == [completed(Step.CARD_NUMBER), entering(Step.EXPIRY)]

    move = d.answer(EXPIRY)
    assert plays(move) == [
        (sound("expiry-is"), sound("month-12"), "number:2030", sound("confirm-or-reenter"))
    ]

    move = d.answer("1")
    assert plays(move) == [(sound("enter-cvc"),)]
    assert published(move) == [completed(Step.EXPIRY), entering(Step.CVC)]

    move = d.answer(CVC)
    assert plays(move) == [(sound("cvc-3-digits"), sound("confirm-or-reenter"))]

    move = d.answer("1")
    assert plays(move) == [(sound("enter-postal-code"),)]
    assert published(move) == [completed(Step.CVC), entering(Step.POSTAL_CODE)]

    move = d.answer(POSTAL)
    assert plays(move) == [(sound("postal-code-is"), "digits:90210", sound("confirm-or-reenter"))]

    move = d.answer("1")
    assert published(move) == [completed(Step.POSTAL_CODE), entering(Step.PROCESSING)]
    assert plays(move) == [(sound("please-wait"), sound("processing-tone"))]
    assert isinstance(move[-1], Charge)
    card = move[-1].card
    assert (card.brand, card.pan, card.exp_month, card.exp_year, card.cvc, card.postal_code) == (
        "visa",
        bytearray(VISA.encode()),
        bytearray(b"12"),
        bytearray(b"2030"),
        bytearray(CVC.encode()),
        bytearray(POSTAL.encode()),
    )
    assert d.flow.state is State.PROCESSING

    assert d.finish_prompt() == []
    move = d.send(GatewayResult(GatewayStatus.APPROVED, None, TRANSACTION_ID))
    assert published(move) == [completed(Step.PROCESSING)]
    assert plays(move) == [(sound("payment-success"), "digits:40012345", sound("returning-to-agent"))]
    assert d.flow.outcome is Outcome.SUCCESS
    assert d.flow.state is State.CLOSING

    assert d.finish_prompt() == [
        ReturnCaller(),
        Finished(Outcome.SUCCESS, None, TRANSACTION_ID, "visa", "1111"),
    ]
    assert d.flow.finished
    assert d.flow.state is State.FINISHED


def test_happy_path_marks_every_step_completed() -> None:
    d = Driver()
    pay(d)
    assert d.flow.steps == dict.fromkeys(Step, StepStatus.COMPLETED)


def test_steps_all_start_waiting() -> None:
    d = Driver()
    assert d.flow.steps == dict.fromkeys(Step, StepStatus.WAITING)
    assert d.flow.state is State.NEW
    assert d.flow.outcome is None
    assert not d.flow.finished


def test_steps_property_is_a_copy() -> None:
    d = Driver()
    d.flow.steps[Step.AMOUNT] = StepStatus.FAILED
    assert d.flow.steps[Step.AMOUNT] is StepStatus.WAITING


def test_finished_is_the_last_action_and_the_flow_is_silent_afterwards() -> None:
    d = Driver()
    last_move = pay(d)
    assert isinstance(last_move[-1], Finished)
    later: list[Event] = [
        Start(),
        Digit("1"),
        Digit("*"),
        PromptFinished(d.prompt.prompt_id),
        GatewayResult(GatewayStatus.APPROVED, None, "1"),
        CallerHungUp(),
        AgentAbort(),
    ]
    assert d.send(*later) == []
    assert len(of_type(d.actions, Finished)) == 1


def test_no_action_ever_shows_card_digits_other_than_last4_and_postal_readback() -> None:
    d = Driver()
    d.advance(Step.PROCESSING)
    charge = of_type(d.actions, Charge)[0]
    assert charge.card.pan == bytearray(VISA.encode())
    d.finish_prompt()
    d.send(GatewayResult(GatewayStatus.APPROVED, None, TRANSACTION_ID))
    d.finish_prompt()
    assert d.flow.finished
    secrets = (VISA, VISA[:12], VISA[4:16], CVC, EXPIRY, "12/30")
    for action in d.actions:
        for text in (repr(action), str(action)):
            for secret in secrets:
                assert secret not in text, (secret, text)


def test_amex_asks_for_the_four_digit_code_and_reads_back_four_digits() -> None:
    d = Driver()
    move = d.advance(Step.CVC, card=AMEX)
    assert plays(move) == [(sound("enter-cvc-amex"),)]
    move = d.answer(AMEX_CVC)
    assert plays(move) == [(sound("cvc-4-digits"), sound("confirm-or-reenter"))]
    d.answer("1")
    d.answer(POSTAL)
    charge = of_type(d.answer("1"), Charge)[0]
    assert charge.card.brand == "amex"
    assert charge.card.cvc == bytearray(AMEX_CVC.encode())


def test_amex_payment_finishes_with_brand_and_last4() -> None:
    d = Driver()
    last_move = pay(d, card=AMEX, cvc=AMEX_CVC)
    assert last_move[-1] == Finished(Outcome.SUCCESS, None, TRANSACTION_ID, "amex", "0005")


def test_amex_three_digit_code_ended_with_hash_is_invalid() -> None:
    d = Driver()
    d.advance(Step.CVC, card=AMEX)
    move = d.answer("737#")
    assert plays(move) == [(sound("cvc-invalid"), sound("enter-cvc-amex"))]
    assert published(move) == [entering(Step.CVC, 2, "cvc-invalid")]


def test_start_twice_is_ignored() -> None:
    d = Driver()
    d.send(Start())
    assert d.send(Start()) == []


def test_events_before_start_do_nothing() -> None:
    d = Driver()
    assert d.send(Digit("1"), Digit("*"), PromptFinished(1)) == []
    assert d.flow.state is State.NEW
