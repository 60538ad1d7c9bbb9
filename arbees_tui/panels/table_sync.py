"""In-place DataTable updates by row key: only changed cells are written (DESK.md pattern 3)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.markup import escape
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist


class SyncTable(DataTable):
    """A DataTable that remembers what each cell shows so `put_row` writes only what changed.

    COLUMNS: (key, label, width) triples, set by subclasses. Fixed widths keep columns from
    jumping while values stream in. Call inside `app.batch_update()`.
    """

    COLUMNS: tuple[tuple[str, str, int], ...] = ()

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self._cells: dict[str, tuple[Any, ...]] = {}

    def on_mount(self) -> None:
        """Add the COLUMNS (key, label, width) to the table."""
        self._ensure_columns()

    def _ensure_columns(self) -> None:
        """Add the COLUMNS once. A paint can reach a table of a just-pushed screen before its
        mount handler ran; adding a row to a table with no columns raises ValueError."""
        if not self.columns:
            for key, label, width in self.COLUMNS:
                self.add_column(label, key=key, width=width)

    def put_row(self, key: str, cells: tuple[Any, ...], height: int = 1) -> bool:
        """Add the row (`height` lines: a cell may hold several lines) or update its changed
        cells; returns True if the row is new."""
        old = self._cells.get(key)
        if old is None:
            self._ensure_columns()
            self.add_row(*(_literal(c) for c in cells), key=key, height=height)
            self._cells[key] = cells
            return True
        if old != cells:
            for (col_key, _label, _width), before, after in zip(self.COLUMNS, old, cells):
                if before != after:
                    try:
                        self.update_cell(key, col_key, _literal(after))
                    except (CellDoesNotExist, RowDoesNotExist):
                        pass
            self._cells[key] = cells
        return False

    def drop_row(self, key: str) -> None:
        """Remove a row if present."""
        if self._cells.pop(key, None) is not None:
            try:
                self.remove_row(key)
            except RowDoesNotExist:
                pass

    def has_key(self, key: str) -> bool:
        """True if a row with this key is shown."""
        return key in self._cells

    def row_keys(self) -> Iterable[str]:
        """Keys of the rows shown (a copy)."""
        return list(self._cells)

    def reset(self) -> None:
        """Drop every row (resync or a new filter); the only place a table is cleared."""
        self.clear()
        self._cells.clear()

    def selected_key(self) -> str | None:
        """Row key under the cursor, or None when empty."""
        if not self._cells or self.row_count == 0:
            return None
        try:
            row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        except CellDoesNotExist:
            return None
        return row_key.value


def _literal(cell: Any) -> Any:
    """A string cell shown literally: DataTable reads plain strings as markup (rich
    `Text.from_markup`), so an engine-sent "[/venue]" in a reason or team name would raise
    MarkupError and end the desk. Escaped, not wrapped in Text, so the column stays sortable.

    `rich.markup.escape` also doubles a lone trailing backslash, so that markup appended after
    it stays markup; a cell is never appended to and the parser keeps a backslash literally
    unless a tag follows it, so that extra backslash would show ("C:\\" as "C:\\\\"): dropped."""
    if not isinstance(cell, str):
        return cell
    escaped = escape(cell)
    if cell.endswith("\\") and not cell.endswith("\\\\"):
        escaped = escaped[:-1]  # the backslash rich appended for concatenation
    return escaped
