"""Every Textual Message the desk's workers post to the UI (posting/harlequin style: one module).

Workers fetch off the UI and post these; handlers in the app apply them on the UI.
"""

from __future__ import annotations

from typing import Any

from textual.message import Message

from arbees_engine.bus.messages import Heartbeat


class SnapshotLoaded(Message):
    """A full snapshot was read (attach or resync); the state is replaced by it."""

    def __init__(self, snapshot: Any) -> None:
        super().__init__()
        self.snapshot = snapshot


class EventsReceived(Message):
    """A batch of `(event_id, view)` pairs read from the event stream, oldest first."""

    def __init__(self, events: list[tuple[str, Any]]) -> None:
        super().__init__()
        self.events = events


class LinkChanged(Message):
    """The Redis link changed: state "connecting" | "connected" | "down"; detail says why."""

    def __init__(self, state: str, detail: str = "") -> None:
        super().__init__()
        self.state = state
        self.detail = detail


class HeartbeatSeen(Message):
    """Result of one heartbeat poll: the heartbeat, or None when the key expired (engine offline)."""

    def __init__(self, heartbeat: Heartbeat | None) -> None:
        super().__init__()
        self.heartbeat = heartbeat


class CommandSendFailed(Message):
    """A command could not be written to the bus (link down); shown as failed at once."""

    def __init__(self, command_id: str, detail: str) -> None:
        super().__init__()
        self.command_id = command_id
        self.detail = detail
