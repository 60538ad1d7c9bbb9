"""In-place DataTable updates by row key: only changed cells are written (DESK.md pattern 3), and
columns fitted to the table's width: optional columns drop in a set order when it is narrow (key
columns never do) and chosen columns take the spare width of a wide one."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.markup import escape
from textual import events
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist

Column = tuple[str, str, int]  # (key, label, width in cells)
CELL_PAD = 2  # DataTable's cell_padding (1) on each side of every column


def fit_columns(columns: tuple[Column, ...], width: int, drop: tuple[str, ...], grow: dict[str, int]) -> list[Column]:
    """The columns to show in `width` cells: `columns` at their own (minimum) widths, dropping the
    keys in `drop` one by one (first listed, first dropped) while they overflow, then sharing any
    spare width among the shown `grow` columns by weight. Columns not in `drop` are always shown
    (a table narrower than them scrolls sideways)."""
    shown = list(columns)
    for key in drop:
        if sum(w + CELL_PAD for _k, _l, w in shown) <= width:
            break
        shown = [col for col in shown if col[0] != key]
    spare = width - sum(w + CELL_PAD for _k, _l, w in shown)
    weights = {key: grow[key] for key, _l, _w in shown if grow.get(key, 0) > 0}
    if spare <= 0 or not weights:
        return shown
    total = sum(weights.values())
    extra = {key: spare * weight // total for key, weight in weights.items()}
    extra[next(iter(weights))] += spare - sum(extra.values())  # the rounding remainder
    return [(key, label, w + extra.get(key, 0)) for key, label, w in shown]


class SyncTable(DataTable):
    """A DataTable that remembers what each cell shows so `put_row` writes only what changed.

    COLUMNS: (key, label, width) triples, set by subclasses; width is the column's minimum.
    DROP: optional column keys in the order they give way on a narrow table; GROW: key → weight
    of the columns that share a wide table's spare width. Widths change only on a resize, so
    columns do not jump while values stream in. Call inside `app.batch_update()`.
    """

    COLUMNS: tuple[Column, ...] = ()
    DROP: tuple[str, ...] = ()
    GROW: dict[str, int] = {}  # noqa: RUF012 - read-only class default

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self._cells: dict[str, tuple[Any, ...]] = {}
        self._heights: dict[str, int] = {}
        self._layout: list[Column] = list(self.COLUMNS)

    def on_mount(self) -> None:
        """Add the COLUMNS (key, label, width) to the table."""
        self._ensure_columns()

    def _ensure_columns(self) -> None:
        """Add the laid-out columns once. A paint can reach a table of a just-pushed screen before
        its mount handler ran; adding a row to a table with no columns raises ValueError."""
        if not self.columns:
            for key, label, width in self._layout:
                self.add_column(label, key=key, width=width)

    def on_resize(self, event: events.Resize) -> None:
        """Fit the columns to the new width (one vertical scrollbar column kept free)."""
        self.fit_to(event.size.width - 1)

    def fit_to(self, width: int) -> None:
        """Lay the columns out for `width` cells; when that changes which columns show or how wide,
        rebuild the table from the remembered cells in the same row order, cursor on the same row."""
        layout = fit_columns(self.COLUMNS, width, self.DROP, self.GROW)
        if layout == self._layout:
            return
        self._layout = layout
        if not self.columns:
            return  # not mounted yet: _ensure_columns adds them laid out
        keep = SyncTable.selected_key(self)
        order = [row.key.value for row in self.ordered_rows if row.key.value in self._cells]
        self.clear(columns=True)
        self._ensure_columns()
        for key in order:
            self.add_row(*self._shown(self._cells[key]), key=key, height=self._heights.get(key, 1))
        if keep is not None and keep in self._cells:
            self.move_cursor(row=self.get_row_index(keep), animate=False)

    def shown_columns(self) -> list[str]:
        """Keys of the columns on screen now, left to right."""
        return [key for key, _label, _width in self._layout]

    def _shown(self, cells: tuple[Any, ...]) -> list[Any]:
        """The cells of the shown columns (COLUMNS order), as literal text."""
        shown = set(self.shown_columns())
        return [_literal(c) for (key, _l, _w), c in zip(self.COLUMNS, cells) if key in shown]

    def put_row(self, key: str, cells: tuple[Any, ...], height: int = 1) -> bool:
        """Add the row (`height` lines: a cell may hold several lines) or update its changed
        cells; returns True if the row is new."""
        old = self._cells.get(key)
        if old is None:
            self._ensure_columns()
            self.add_row(*self._shown(cells), key=key, height=height)
            self._cells[key] = cells
            self._heights[key] = height
            return True
        if old != cells:
            shown = set(self.shown_columns())
            for (col_key, _label, _width), before, after in zip(self.COLUMNS, old, cells):
                if before != after and col_key in shown:
                    try:
                        self.update_cell(key, col_key, _literal(after))
                    except (CellDoesNotExist, RowDoesNotExist):
                        pass
            self._cells[key] = cells
        return False

    def drop_row(self, key: str) -> None:
        """Remove a row if present."""
        self._heights.pop(key, None)
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
        self._heights.clear()

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
