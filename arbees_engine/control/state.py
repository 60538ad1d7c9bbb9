"""Kill switch and trading mode (ARCHITECTURE.md, "Kill switch and modes").

The kill switch is separate from the mode: while engaged the effective mode is HALTED whatever
the configured mode. It is engaged by a command (desk hotkey, `arbees-engine kill`) or by the
kill file appearing, persisted to PostgreSQL, and lifted only by an explicit resume.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..model import Mode


@dataclass
class ControlState:
    """mode: the operator's chosen mode (auto/manual/halted); kill_*: the kill switch."""

    mode: Mode = Mode.AUTO
    kill_engaged: bool = False
    kill_reason: str = ""
    kill_operator: str = ""
    kill_at: datetime | None = None

    @property
    def effective_mode(self) -> Mode:
        """HALTED while the kill switch is engaged, else the chosen mode."""
        return Mode.HALTED if self.kill_engaged else self.mode

    @property
    def may_open_positions(self) -> bool:
        """False when killed or halted."""
        return self.effective_mode is not Mode.HALTED

    def engage(self, reason: str, operator: str, at: datetime) -> bool:
        """Engage the kill switch; returns False if it already was (idempotent)."""
        if self.kill_engaged:
            return False
        self.kill_engaged, self.kill_reason, self.kill_operator, self.kill_at = True, reason, operator, at
        return True

    def release(self) -> bool:
        """Lift the kill switch; returns False if it was not engaged."""
        if not self.kill_engaged:
            return False
        self.kill_engaged, self.kill_reason, self.kill_operator, self.kill_at = False, "", "", None
        return True


def kill_file_reason(path: Path) -> str | None:
    """If the kill file exists, the reason written in it (or a default); else None."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except FileNotFoundError:
        return None
    except OSError as exc:  # unreadable but present: still a kill
        return f"kill file present ({exc.strerror})"
    return text[:200] or f"kill file {path}"
