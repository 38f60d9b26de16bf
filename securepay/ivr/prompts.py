"""Where a payment's prompt plays: to the caller alone, or to everyone in the payment's bridge.

A prompt played on a bridged channel reaches that channel only (the bridge suspends it
while the prompt plays), which is how private payments and, by default, assisted ones
keep every prompt from the agent. With `[payments] agent_hears_prompts` an assisted
payment plays its instructions on the bridge instead (ARI bridge playback: an announcer
channel joins the bridge), so the agent hears what the caller is asked and the two can
talk over it; a prompt the flow marks private (a read-back of what the caller keyed)
still goes to the caller's channel alone. Both kinds measured on the rig (README).
"""

from __future__ import annotations

import logging

from securepay.ari import AriRest, AriServerError
from securepay.calls.recovery import PROMPT_VARIABLE, PROMPTS_PER_NAME
from securepay.flow import Play

log = logging.getLogger("securepay.ivr")


class PromptPlayer:
    """Plays one call's prompts under the playback ids it is given."""

    def __init__(self, rest: AriRest, caller_channel: str, language: str) -> None:
        self._rest = rest
        self._caller = caller_channel
        self._language = language
        self.bridge: str | None = None
        """The bridge that plays the prompts the agent may hear; None: all to the caller alone."""
        self._named: range = range(0)
        """The prompt numbers the caller's recovery variable names now."""

    async def play(self, playback: str, prompt: Play) -> None:
        """Play the prompt, named in the caller's recovery variable first (a restarted
        daemon stops it wherever it plays): one prompt in PROMPTS_PER_NAME names itself and
        the ones after it. Raises `AriNotFound` once the caller is gone."""
        if prompt.prompt_id not in self._named:
            await self._rest.set_variable(self._caller, PROMPT_VARIABLE, playback)
            self._named = range(prompt.prompt_id, prompt.prompt_id + PROMPTS_PER_NAME)
        if self.bridge is not None and not prompt.private:
            try:
                await self._rest.play_on_bridge(
                    self.bridge, prompt.media, playback_id=playback, lang=self._language
                )
                return
            except AriServerError as exc:
                # Asterisk without chan_bridge_media cannot play on a bridge: the caller
                # still hears every prompt, the agent none (`securepay check` says so).
                log.warning("cannot play prompts on the payment's bridge, caller only: %s", exc.message)
                self.bridge = None
        await self._rest.play(self._caller, prompt.media, playback_id=playback, lang=self._language)
