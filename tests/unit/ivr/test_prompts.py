"""Where a prompt plays: the agent hears instructions on the bridge only when allowed, and
never a read-back; a bridge that cannot play leaves every prompt with the caller."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from securepay.ari import AriRest, AriServerError
from securepay.calls.recovery import PROMPT_VARIABLE, named_playbacks
from securepay.flow import Play
from securepay.ivr.prompts import PromptPlayer

INSTRUCTION = Play(3, ("sound:securepay/enter-expiry",), private=False)
READBACK = Play(4, ("sound:securepay/expiry-is", "sound:securepay/month-12", "number:2030"))


class FakeRest:
    """Notes each play by where it went; a bridge without chan_bridge_media answers 500."""

    def __init__(self, bridge_plays: bool = True) -> None:
        self.bridge_plays = bridge_plays
        self.calls: list[tuple[Any, ...]] = []

    async def set_variable(self, channel_id: str, name: str, value: str) -> None:
        self.calls.append(("variable", channel_id, name, value))

    async def play(self, channel_id: str, media: Sequence[str], *, playback_id: str, lang: str) -> None:
        self.calls.append(("channel", channel_id, tuple(media), playback_id, lang))

    async def play_on_bridge(
        self, bridge_id: str, media: Sequence[str], *, playback_id: str, lang: str
    ) -> None:
        if not self.bridge_plays:
            raise AriServerError("POST", f"/bridges/{bridge_id}/play", 500, '{"error":"Allocation failed"}')
        self.calls.append(("bridge", bridge_id, tuple(media), playback_id, lang))


def player(rest: FakeRest, bridge: str | None) -> PromptPlayer:
    prompts = PromptPlayer(cast(AriRest, rest), "caller-1", "es")
    prompts.bridge = bridge
    return prompts


async def test_an_instruction_plays_on_the_bridge_and_a_readback_to_the_caller_alone() -> None:
    rest = FakeRest()
    prompts = player(rest, "pay-bridge")
    await prompts.play("p1-3", INSTRUCTION)
    await prompts.play("p1-4", READBACK)
    assert rest.calls == [
        ("variable", "caller-1", PROMPT_VARIABLE, "p1-3"),
        ("bridge", "pay-bridge", INSTRUCTION.media, "p1-3", "es"),
        ("channel", "caller-1", READBACK.media, "p1-4", "es"),
    ]


async def test_without_a_bridge_every_prompt_plays_to_the_caller_alone() -> None:
    rest = FakeRest()
    await player(rest, None).play("p1-3", INSTRUCTION)
    assert [call[0] for call in rest.calls] == ["variable", "channel"]


async def test_a_bridge_that_cannot_play_leaves_this_and_later_prompts_with_the_caller() -> None:
    rest = FakeRest(bridge_plays=False)
    prompts = player(rest, "pay-bridge")
    await prompts.play("p1-3", INSTRUCTION)
    await prompts.play("p1-5", INSTRUCTION)
    assert [call[0] for call in rest.calls] == ["variable", "channel", "channel"]
    assert prompts.bridge is None


async def test_one_prompt_in_sixteen_names_itself_and_those_after_it_for_recovery() -> None:
    rest = FakeRest()
    prompts = player(rest, None)
    for prompt_id in range(1, 35):
        await prompts.play(f"p1-{prompt_id}", Play(prompt_id, INSTRUCTION.media))
    named = [call[3] for call in rest.calls if call[0] == "variable"]
    assert named == ["p1-1", "p1-17", "p1-33"]
    assert named_playbacks("p1-17") == [f"p1-{n}" for n in range(17, 33)]
