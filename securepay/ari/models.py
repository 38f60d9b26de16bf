"""Typed ARI events: the few the daemon acts on, and a catch-all for the rest.

`ChannelDtmfReceived.digit` is kept out of `repr`, so logging an event can never
write a keyed card digit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Channel:
    id: str
    name: str
    state: str
    caller_number: str = ""
    language: str = ""
    stasis_app: str = ""
    """The ARI app whose `Stasis()` the channel is in ("" when not in one: a leg being dialled)."""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Channel:
        dialplan = data.get("dialplan", {})
        in_stasis = dialplan.get("app_name") == "Stasis"
        return cls(
            id=data["id"],
            name=data.get("name", ""),
            state=data.get("state", ""),
            caller_number=data.get("caller", {}).get("number", ""),
            language=data.get("language", ""),
            stasis_app=dialplan.get("app_data", "").partition(",")[0] if in_stasis else "",
        )


@dataclass(frozen=True)
class Playback:
    id: str
    target_uri: str
    state: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Playback:
        return cls(id=data["id"], target_uri=data.get("target_uri", ""), state=data.get("state", ""))


@dataclass(frozen=True)
class Event:
    """Base of every event; `application` is the Stasis app it was sent to."""

    type: str
    application: str


@dataclass(frozen=True)
class UnknownEvent(Event):
    raw: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class StasisStart(Event):
    channel: Channel
    args: tuple[str, ...]
    replace_channel: str | None = None


@dataclass(frozen=True)
class StasisEnd(Event):
    channel: Channel


@dataclass(frozen=True)
class ChannelDtmfReceived(Event):
    channel: Channel
    digit: str = field(repr=False)
    duration_ms: int = 0


@dataclass(frozen=True)
class ChannelHangupRequest(Event):
    channel: Channel


@dataclass(frozen=True)
class ChannelDestroyed(Event):
    channel: Channel
    cause: int = 0


@dataclass(frozen=True)
class ChannelStateChange(Event):
    channel: Channel


@dataclass(frozen=True)
class PlaybackStarted(Event):
    playback: Playback


@dataclass(frozen=True)
class PlaybackFinished(Event):
    playback: Playback


@dataclass(frozen=True)
class ChannelEnteredBridge(Event):
    channel: Channel
    bridge_id: str


@dataclass(frozen=True)
class ChannelLeftBridge(Event):
    channel: Channel
    bridge_id: str


@dataclass(frozen=True)
class ApplicationReplaced(Event):
    pass


def parse_event(data: dict[str, Any]) -> Event:
    kind = data.get("type", "")
    app = data.get("application", "")
    channel = Channel.from_json(data["channel"]) if "channel" in data else None
    if channel is not None:
        if kind == "StasisStart":
            return StasisStart(
                kind, app, channel, tuple(data.get("args", [])), data.get("replace_channel", {}).get("id")
            )
        if kind == "StasisEnd":
            return StasisEnd(kind, app, channel)
        if kind == "ChannelDtmfReceived":
            return ChannelDtmfReceived(kind, app, channel, data["digit"], data.get("duration_ms", 0))
        if kind == "ChannelHangupRequest":
            return ChannelHangupRequest(kind, app, channel)
        if kind == "ChannelDestroyed":
            return ChannelDestroyed(kind, app, channel, data.get("cause", 0))
        if kind == "ChannelStateChange":
            return ChannelStateChange(kind, app, channel)
        if kind in ("ChannelEnteredBridge", "ChannelLeftBridge") and "bridge" in data:
            event = ChannelEnteredBridge if kind == "ChannelEnteredBridge" else ChannelLeftBridge
            return event(kind, app, channel, data["bridge"]["id"])
    if kind in ("PlaybackStarted", "PlaybackFinished") and "playback" in data:
        event = PlaybackStarted if kind == "PlaybackStarted" else PlaybackFinished
        return event(kind, app, Playback.from_json(data["playback"]))
    if kind == "ApplicationReplaced":
        return ApplicationReplaced(kind, app)
    return UnknownEvent(kind, app, data)
