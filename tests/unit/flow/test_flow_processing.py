"""The charge, the gateway's answer and the card wipe."""

import pytest

from securepay.flow import (
    CallerHungUp,
    Charge,
    Finished,
    GatewayResult,
    GatewayStatus,
    Outcome,
    PublishStep,
    ReturnCaller,
    State,
    Step,
    StepStatus,
)

from .driver import TRANSACTION_ID, Driver, of_type, pay, plays, published, sound

RETURNING = sound("returning-to-agent")


def charged(d: Driver) -> Charge:
    d.advance(Step.PROCESSING)
    return of_type(d.actions, Charge)[0]


def test_confirming_the_postal_code_publishes_processing_plays_wait_and_charges() -> None:
    d = Driver()
    move = d.advance(Step.PROCESSING)
    assert published(move)[-1] == PublishStep(Step.PROCESSING, StepStatus.ENTERING, 1, None)
    assert plays(move) == [(sound("please-wait"), sound("processing-tone"))]
    assert isinstance(move[-1], Charge)
    assert len(of_type(d.actions, Charge)) == 1


def test_charge_in_flight_cannot_be_aborted() -> None:
    d = Driver()
    assert d.flow.can_abort
    d.advance(Step.PROCESSING)
    assert not d.flow.can_abort


def test_approved_reads_the_confirmation_number_digit_by_digit() -> None:
    d = Driver()
    charged(d)
    d.finish_prompt()
    move = d.send(GatewayResult(GatewayStatus.APPROVED, None, TRANSACTION_ID))
    assert plays(move) == [(sound("payment-success"), "digits:40012345", RETURNING)]


def test_non_numeric_confirmation_is_spelled_out() -> None:
    d = Driver()
    charged(d)
    d.finish_prompt()
    move = d.send(GatewayResult(GatewayStatus.APPROVED, None, "AB12"))
    assert plays(move) == [(sound("payment-success"), "characters:AB12", RETURNING)]


def test_a_long_stripe_id_is_read_as_its_last_eight_characters() -> None:
    d = Driver()
    charged(d)
    d.finish_prompt()
    move = d.send(GatewayResult(GatewayStatus.APPROVED, None, "pi_3MtwBwLkdIwHu7ix28a3tqPa"))
    assert plays(move) == [(sound("payment-success"), "characters:28a3tqPa", RETURNING)]


def test_approved_without_a_transaction_id_still_says_success() -> None:
    d = Driver()
    charged(d)
    d.finish_prompt()
    move = d.send(GatewayResult(GatewayStatus.APPROVED, None, None))
    assert plays(move) == [(sound("payment-success"), RETURNING)]


def test_gateway_decline_says_declined_and_fails_processing() -> None:
    d = Driver()
    last_move = pay(d, GatewayResult(GatewayStatus.DECLINED, "card declined", "555"))
    assert plays(d.actions)[-1] == (sound("payment-declined"), RETURNING)
    assert PublishStep(Step.PROCESSING, StepStatus.FAILED, 1, "declined") in d.actions
    assert last_move == [
        ReturnCaller(),
        Finished(Outcome.DECLINED, "card declined", "555", "visa", "1111"),
    ]


@pytest.mark.parametrize(
    "status",
    [GatewayStatus.ERROR, GatewayStatus.HELD_FOR_REVIEW, GatewayStatus.OUTCOME_UNKNOWN],
    ids=lambda status: status.value,
)
def test_other_gateway_answers_are_a_gateway_error(status: GatewayStatus) -> None:
    d = Driver()
    last_move = pay(d, GatewayResult(status, "timeout", None))
    assert plays(d.actions)[-1] == (sound("payment-error"), RETURNING)
    assert d.flow.steps[Step.PROCESSING] is StepStatus.FAILED
    assert last_move[-1] == Finished(Outcome.GATEWAY_ERROR, "timeout", None, "visa", "1111")


def test_result_during_please_wait_is_read_once_it_has_finished() -> None:
    d = Driver()
    charged(d)
    move = d.send(GatewayResult(GatewayStatus.APPROVED, None, "9"))
    assert plays(move) == []
    assert published(move) == [PublishStep(Step.PROCESSING, StepStatus.COMPLETED, 1, None)]
    assert d.flow.outcome is Outcome.SUCCESS
    assert d.flow.state is State.PROCESSING
    assert not d.flow.can_abort
    assert plays(d.finish_prompt()) == [(sound("payment-success"), "digits:9", RETURNING)]
    assert d.flow.state is State.CLOSING


def test_please_wait_ending_before_the_result_plays_nothing() -> None:
    d = Driver()
    charged(d)
    assert d.finish_prompt() == []
    assert d.flow.state is State.PROCESSING


def test_card_buffers_are_wiped_as_soon_as_the_result_arrives() -> None:
    d = Driver()
    card = charged(d).card
    assert card.pan and card.cvc and card.exp_month and card.exp_year and card.postal_code
    d.send(GatewayResult(GatewayStatus.DECLINED, None, None))
    for buffer in (card.pan, card.exp_month, card.exp_year, card.cvc, card.postal_code):
        assert buffer == bytearray()


def test_gateway_result_without_a_charge_is_ignored() -> None:
    d = Driver()
    d.advance(Step.CVC)
    assert d.send(GatewayResult(GatewayStatus.APPROVED, None, "1")) == []
    assert d.flow.outcome is None


def test_a_second_gateway_result_is_ignored() -> None:
    d = Driver()
    charged(d)
    d.send(GatewayResult(GatewayStatus.DECLINED, None, None))
    assert d.send(GatewayResult(GatewayStatus.APPROVED, None, "1")) == []
    assert d.flow.outcome is Outcome.DECLINED


def test_caller_hang_up_after_the_result_finishes_with_that_result() -> None:
    d = Driver()
    charged(d)
    d.finish_prompt()
    d.send(GatewayResult(GatewayStatus.APPROVED, None, "77"))
    assert d.send(CallerHungUp()) == [Finished(Outcome.SUCCESS, None, "77", "visa", "1111")]
