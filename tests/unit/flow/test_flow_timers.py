"""Input and inter-digit timeouts, and stale ids."""

from securepay.flow import (
    CancelTimer,
    Finished,
    FlowSettings,
    Outcome,
    Play,
    PromptFinished,
    PublishEntry,
    PublishStep,
    ReturnCaller,
    Start,
    StartTimer,
    State,
    Step,
    StepStatus,
    TimerFired,
)

from .driver import VISA, Driver, of_type, plays, published, sound


def test_input_timer_starts_only_when_the_question_has_finished() -> None:
    d = Driver()
    d.advance(Step.CARD_NUMBER)
    since_question = d.actions[d.actions.index(d.prompt) :]
    assert of_type(since_question, StartTimer) == []
    assert d.finish_prompt() == [StartTimer(d.timer.timer_id, 60.0)]


def test_no_timer_runs_during_the_intro() -> None:
    d = Driver()
    d.send(Start())
    d.finish_prompt()
    assert of_type(d.actions, StartTimer) == []


def test_timeouts_come_from_the_settings() -> None:
    d = Driver(settings=FlowSettings(input_timeout_s=7.5, interdigit_timeout_s=1.5))
    d.advance(Step.CARD_NUMBER)
    assert d.finish_prompt() == [StartTimer(d.timer.timer_id, 7.5)]
    assert d.press("4")[-1] == StartTimer(d.timer.timer_id, 1.5)


def test_no_digit_after_a_question_ends_with_input_timeout() -> None:
    d = Driver()
    d.advance(Step.CARD_NUMBER)
    d.finish_prompt()
    move = d.fire_timer()
    assert published(move) == [PublishStep(Step.CARD_NUMBER, StepStatus.FAILED, 1, "input-timeout")]
    assert plays(move) == [(sound("input-timeout"), sound("returning-to-agent"))]
    assert d.flow.outcome is Outcome.INPUT_TIMEOUT
    assert d.finish_prompt() == [
        ReturnCaller(),
        Finished(Outcome.INPUT_TIMEOUT, None, None, None, None),
    ]


def test_no_answer_to_a_readback_ends_with_input_timeout() -> None:
    d = Driver()
    d.advance(Step.CVC)
    d.answer("737")
    d.finish_prompt()
    d.fire_timer()
    assert d.flow.outcome is Outcome.INPUT_TIMEOUT
    assert d.flow.steps[Step.CVC] is StepStatus.FAILED


def test_no_answer_to_the_amount_ends_with_input_timeout() -> None:
    d = Driver()
    d.advance(Step.AMOUNT)
    d.finish_prompt()
    d.fire_timer()
    assert d.flow.outcome is Outcome.INPUT_TIMEOUT
    assert d.flow.steps[Step.AMOUNT] is StepStatus.FAILED


def test_first_digit_cancels_the_input_timer_and_starts_the_interdigit_timer() -> None:
    d = Driver()
    d.advance(Step.CARD_NUMBER)
    input_timer = d.finish_prompt()[0]
    assert isinstance(input_timer, StartTimer)
    move = d.press("4")
    assert move == [
        CancelTimer(input_timer.timer_id),
        *of_type(move, PublishEntry),
        StartTimer(d.timer.timer_id, 5.0),
    ]


def test_every_digit_restarts_the_interdigit_timer_with_a_new_id() -> None:
    d = Driver()
    d.advance(Step.CARD_NUMBER)
    d.finish_prompt()
    d.press("4")
    first = d.timer
    move = d.press("1")
    assert move == [
        CancelTimer(first.timer_id),
        *of_type(move, PublishEntry),
        StartTimer(d.timer.timer_id, 5.0),
    ]
    assert d.timer.timer_id != first.timer_id


def test_interdigit_timeout_submits_the_entry_as_typed() -> None:
    d = Driver()
    d.advance(Step.CARD_NUMBER)
    d.answer(VISA)
    move = d.fire_timer()
    assert plays(move) == [(sound("card-ending-in"), "digits:1111", sound("confirm-or-reenter"))]
    assert d.flow.state is State.CARD_NUMBER_CONFIRM


def test_interdigit_timeout_on_a_short_entry_validates_it_as_usual() -> None:
    d = Driver()
    d.advance(Step.POSTAL_CODE)
    d.answer("902")
    move = d.fire_timer()
    assert plays(move) == [(sound("postal-code-invalid"), sound("enter-postal-code"))]


def test_entry_ended_by_hash_cancels_the_interdigit_timer() -> None:
    d = Driver()
    d.advance(Step.CARD_NUMBER)
    d.answer(VISA)
    last_timer = d.timer
    move = d.press("#")
    assert move[0] == CancelTimer(last_timer.timer_id)
    assert of_type(move, StartTimer) == []


def test_timer_fired_with_a_stale_id_is_ignored() -> None:
    d = Driver()
    d.advance(Step.CARD_NUMBER)
    d.finish_prompt()
    d.press("4")
    assert d.send(TimerFired(d.timer.timer_id - 1)) == []
    assert d.send(TimerFired(999)) == []
    assert d.flow.state is State.CARD_NUMBER_ENTRY


def test_timer_cancelled_by_a_digit_is_ignored_when_it_fires_late() -> None:
    d = Driver()
    d.advance(Step.AMOUNT)
    d.finish_prompt()
    stale = d.timer.timer_id
    d.press("1")
    assert d.send(TimerFired(stale)) == []
    assert d.flow.outcome is None


def test_prompt_finished_with_a_stale_id_is_ignored() -> None:
    d = Driver()
    d.advance(Step.CARD_NUMBER)
    assert d.send(PromptFinished(d.prompt.prompt_id - 1)) == []
    assert d.send(PromptFinished(999)) == []


def test_prompts_are_numbered_in_a_row_and_timer_ids_never_repeat() -> None:
    d = Driver()
    d.advance(Step.CARD_NUMBER)
    d.answer(VISA)
    d.fire_timer()
    d.answer("1")
    prompt_ids = [play.prompt_id for play in of_type(d.actions, Play)]
    timer_ids = [timer.timer_id for timer in of_type(d.actions, StartTimer)]
    assert prompt_ids == list(range(prompt_ids[0], prompt_ids[0] + len(prompt_ids)))
    assert len(timer_ids) == len(set(timer_ids))
