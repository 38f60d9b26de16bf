"""The ARI REST calls securepay needs, one method each.

Parameters go in the query string as ARI expects; the query is never logged or put
in an error message because it can hold channel-variable values.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from securepay.ari.errors import AriUnavailable, error_for_status
from securepay.ari.models import Channel, Playback

log = logging.getLogger("securepay.ari.rest")

Params = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class AppState:
    """What Asterisk says the app owns: the source of truth after a reconnect."""

    name: str
    channel_ids: frozenset[str]
    bridge_ids: frozenset[str]


class AriRest:
    """REST calls over a session that already carries the Authorization header."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self._session = session
        self._base = base_url.rstrip("/") + "/ari"

    async def request(
        self, method: str, path: str, params: Params = (), body: Mapping[str, Any] | None = None
    ) -> Any:
        """Send one call; return the decoded JSON body, or None when there is none."""
        try:
            async with self._session.request(
                method, self._base + path, params=list(params), json=body
            ) as resp:
                text = await resp.text()
                if resp.status >= 400:
                    raise error_for_status(method, path, resp.status, _message(text))
                log.debug("ARI %s %s -> %s", method, path, resp.status)
                return json.loads(text) if text else None
        except aiohttp.ClientError as exc:
            raise AriUnavailable(method, path, type(exc).__name__) from None
        except OSError as exc:
            raise AriUnavailable(method, path, exc.strerror or type(exc).__name__) from None

    async def asterisk_info(self) -> dict[str, Any]:
        return await self.request("GET", "/asterisk/info")

    async def application(self, app: str) -> AppState:
        data = await self.request("GET", f"/applications/{app}")
        return AppState(app, frozenset(data.get("channel_ids", [])), frozenset(data.get("bridge_ids", [])))

    async def list_channels(self) -> list[Channel]:
        """Every channel in Asterisk, in Stasis or not (used to find dialplan-bridged calls)."""
        return [Channel.from_json(data) for data in await self.request("GET", "/channels")]

    async def get_channel(self, channel_id: str) -> Channel:
        return Channel.from_json(await self.request("GET", f"/channels/{channel_id}"))

    async def originate(
        self,
        endpoint: str,
        *,
        app: str,
        app_args: str = "",
        channel_id: str | None = None,
        caller_id: str | None = None,
        timeout_s: int = 30,
        variables: Mapping[str, str] | None = None,
        originator: str | None = None,
        formats: str | None = None,
    ) -> Channel:
        """`originator`: the new leg prefers that channel's codecs and joins its linkedid.
        `formats` (e.g. "ulaw"): the codecs to offer when there is no originator."""
        params = [("endpoint", endpoint), ("app", app), ("timeout", str(timeout_s))]
        if originator:
            params.append(("originator", originator))
        if formats:
            params.append(("formats", formats))
        if app_args:
            params.append(("appArgs", app_args))
        if channel_id:
            params.append(("channelId", channel_id))
        if caller_id:
            params.append(("callerId", caller_id))
        body = {"variables": dict(variables)} if variables else None
        return Channel.from_json(await self.request("POST", "/channels", params, body))

    async def answer(self, channel_id: str) -> None:
        await self.request("POST", f"/channels/{channel_id}/answer")

    async def hangup(self, channel_id: str, reason: str = "normal") -> None:
        await self.request("DELETE", f"/channels/{channel_id}", [("reason", reason)])

    async def continue_in_dialplan(
        self, channel_id: str, context: str, extension: str, priority: int = 1
    ) -> None:
        params = [("context", context), ("extension", extension), ("priority", str(priority))]
        await self.request("POST", f"/channels/{channel_id}/continue", params)

    async def play(
        self,
        channel_id: str,
        media: Sequence[str],
        *,
        playback_id: str | None = None,
        lang: str | None = None,
    ) -> Playback:
        """Play to the channel alone (in a bridge, the bridge suspends it while it plays)."""
        return await self._play(f"/channels/{channel_id}/play", media, playback_id, lang)

    async def play_on_bridge(
        self,
        bridge_id: str,
        media: Sequence[str],
        *,
        playback_id: str | None = None,
        lang: str | None = None,
    ) -> Playback:
        """Play to everyone in the bridge (an announcer channel joins it: needs chan_bridge_media)."""
        return await self._play(f"/bridges/{bridge_id}/play", media, playback_id, lang)

    async def _play(
        self, path: str, media: Sequence[str], playback_id: str | None, lang: str | None
    ) -> Playback:
        params = [("media", m) for m in media]
        if lang:
            params.append(("lang", lang))
        if playback_id:
            params.append(("playbackId", playback_id))
        return Playback.from_json(await self.request("POST", path, params))

    async def ring(self, channel_id: str) -> None:
        await self.request("POST", f"/channels/{channel_id}/ring")

    async def stop_ring(self, channel_id: str) -> None:
        await self.request("DELETE", f"/channels/{channel_id}/ring")

    async def stop_playback(self, playback_id: str) -> None:
        await self.request("DELETE", f"/playbacks/{playback_id}")

    async def send_dtmf(
        self, channel_id: str, dtmf: str, *, between_ms: int = 100, duration_ms: int = 100
    ) -> None:
        params = [("dtmf", dtmf), ("between", str(between_ms)), ("duration", str(duration_ms))]
        await self.request("POST", f"/channels/{channel_id}/dtmf", params)

    async def mute_from(self, channel_id: str) -> None:
        """Drop the audio Asterisk receives from the channel (its DTMF still arrives)."""
        await self.request("POST", f"/channels/{channel_id}/mute", [("direction", "in")])

    async def unmute_from(self, channel_id: str) -> None:
        await self.request("DELETE", f"/channels/{channel_id}/mute", [("direction", "in")])

    async def get_variable(self, channel_id: str, name: str) -> str:
        data = await self.request("GET", f"/channels/{channel_id}/variable", [("variable", name)])
        return str(data.get("value", ""))

    async def set_variable(self, channel_id: str, name: str, value: str) -> None:
        await self.request("POST", f"/channels/{channel_id}/variable", [("variable", name), ("value", value)])

    async def create_bridge(
        self, bridge_type: str = "mixing", *, bridge_id: str | None = None, name: str = ""
    ) -> str:
        params = [("type", bridge_type)]
        if bridge_id:
            params.append(("bridgeId", bridge_id))
        if name:
            params.append(("name", name))
        return str((await self.request("POST", "/bridges", params))["id"])

    async def list_bridges(self) -> list[dict[str, Any]]:
        return await self.request("GET", "/bridges")

    async def add_to_bridge(
        self, bridge_id: str, channel_id: str, *, absorb_dtmf: bool = False, mute: bool = False
    ) -> None:
        """A channel already in another bridge is moved: it is never in no bridge between."""
        params = [("channel", channel_id)]
        if absorb_dtmf:
            params.append(("absorbDTMF", "true"))
        if mute:
            params.append(("mute", "true"))
        await self.request("POST", f"/bridges/{bridge_id}/addChannel", params)

    async def start_bridge_moh(self, bridge_id: str, moh_class: str = "default") -> None:
        await self.request("POST", f"/bridges/{bridge_id}/moh", [("mohClass", moh_class)])

    async def stop_bridge_moh(self, bridge_id: str) -> None:
        await self.request("DELETE", f"/bridges/{bridge_id}/moh")

    async def destroy_bridge(self, bridge_id: str) -> None:
        await self.request("DELETE", f"/bridges/{bridge_id}")


def _message(text: str) -> str:
    """Asterisk's error text; ARI errors are JSON `{"message": ...}`."""
    try:
        return str(json.loads(text).get("message", text))[:200]
    except (ValueError, AttributeError):
        return text[:200]
