"""Finding a call by any of its channels, as every ARI event of the call needs."""

from securepay.calls.registry import Call, CallRegistry, Role


def a_call(call_id: str = "c-1") -> Call:
    return Call(
        id=call_id, agent_id="alice", caller_channel=f"{call_id}-caller", bridge_id="b", language="en"
    )


def test_the_caller_and_the_answered_agent_are_found_by_channel() -> None:
    registry = CallRegistry()
    call = a_call()
    registry.add(call)
    call.agent_channel = "c-1-agent"
    registry.note(call)
    assert registry.by_channel("c-1-caller") == (call, Role.CALLER)
    assert registry.by_channel("c-1-agent") == (call, Role.AGENT)
    assert registry.by_channel("someone-else") is None


def test_an_agent_leg_being_dialled_is_found_until_it_answers() -> None:
    registry = CallRegistry()
    call = a_call()
    registry.add(call)
    call.agent_dialing = "c-1-agent"
    registry.note(call)
    assert registry.dialing("c-1-agent") is call
    assert registry.by_channel("c-1-agent") is None
    call.agent_dialing = None
    assert registry.dialing("c-1-agent") is None


def test_a_channel_the_call_no_longer_has_finds_nothing() -> None:
    registry = CallRegistry()
    call = a_call()
    call.agent_channel = "c-1-agent"
    registry.add(call)
    call.agent_channel = None
    assert registry.by_channel("c-1-agent") is None


def test_an_ended_call_leaves_nothing_behind() -> None:
    registry = CallRegistry()
    first, second = a_call("c-1"), a_call("c-2")
    registry.add(first)
    registry.add(second)
    assert registry.remove("c-1") is first
    assert registry.by_channel("c-1-caller") is None
    assert registry.by_channel("c-2-caller") == (second, Role.CALLER)
