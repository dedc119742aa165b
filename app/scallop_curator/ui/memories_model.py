"""A lazy table model over the kept memories: it holds the ids of one filtered, sorted query and
reads rows a page at a time, so 100,000 memories open at once. Edits go through an operation.

``request`` filters on a background thread (``MemoriesQuery``) and swaps the answer in when it comes;
``set_query`` / ``reload`` do the same at once, for callers that need the rows now.

Signals:
    reloaded(): the rows were replaced by a new query's answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from scallop_curator.store import Store, memories, operations
from scallop_curator.store.changes import Changes
from scallop_curator.store.memories import MemoryRow
from scallop_curator.ui import roles
from scallop_curator.ui.memories_query import MemoriesQuery

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Memory", "Subject", "Category", "Status", "Confirmed", "Kept on")
SORTS = ("content", "subject", "category", None, None, "newest")
_DISPLAY, _EDIT, _TOOLTIP = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole, Qt.ItemDataRole.ToolTipRole

#: runs an operation and returns its Changes, or None after showing a plain message
Runner = Callable[[Callable[[], Changes]], Changes | None]


class MemoriesModel(QAbstractTableModel):
    reloaded = Signal()
    PAGE = 200
    COUNT_CAP = 1000  # counting every match of a broad search would stall typing; rows still page on

    def __init__(self, store: Store, run: Runner | None = None) -> None:
        super().__init__()
        self._store = store
        self._run: Runner = run or (lambda operation: operation())
        self._ids: list[int] = []
        self._rows: dict[int, MemoryRow] = {}
        self._total = 0
        self._resetting = False
        self._more = False  # the last page read was full: there may be more rows
        self.query: dict[str, Any] = {"search": "", "statuses": (memories.CURRENT,), "subject": None,
                                      "category": None, "conversation_id": None, "since": None, "until": None}
        self.order = "newest"
        self._asked = 0  # the number of the latest question; older answers are dropped
        self._worker: MemoriesQuery | None = None
        self.error = ""  # why the latest background question failed, if it did

    # ------------------------------------------------------------------ query
    def set_query(self, **query: Any) -> None:
        self.query.update(query)
        self.reload()

    def reload(self) -> None:
        """Run the query now, on this thread."""
        self._asked += 1
        self._answered_last = self._asked
        total = memories.count(self._store.db, cap=self.COUNT_CAP, **self.query)
        first = memories.page(self._store.db, order=self.order, limit=self.PAGE, offset=0, **self.query)
        self._swap_in(total, first)

    def request(self, **query: Any) -> None:
        """Filter on the background thread; the rows change when the answer comes (``reloaded``)."""
        self.query.update(query)
        if self._worker is None:
            self._worker = MemoriesQuery(self._store.path, self)
            self._worker.answered.connect(self._answered)
            self._worker.failed.connect(self._failed)
        self._asked += 1
        self._worker.ask(self._asked, self.query, self.order, self.PAGE, self.COUNT_CAP)

    @property
    def waiting(self) -> bool:
        """A background question is still unanswered."""
        return self._worker is not None and self._asked != self._answered_last

    _answered_last = 0

    def _answered(self, number: int, total: int, rows: list[MemoryRow]) -> None:
        if number == self._asked:
            self._answered_last = number
            self.error = ""
            self._swap_in(total, rows)

    def _failed(self, number: int, message: str) -> None:
        if number == self._asked:
            self._answered_last = number
            self.error = message
            self.reloaded.emit()

    def close(self) -> None:
        """Stop the background thread (the window is closing)."""
        if self._worker is not None:
            self._worker.close()
            self._worker = None

    def _swap_in(self, total: int, first: list[MemoryRow]) -> None:
        self._resetting = True  # no page is fetched while listeners of the reset look at the model
        self.beginResetModel()
        self._total = total
        self._ids = [row.id for row in first]
        self._more = len(self._ids) == self.PAGE
        self._rows = {row.id: row for row in first}
        self.endResetModel()
        self._resetting = False
        self.reloaded.emit()

    @property
    def total(self) -> int:
        return self._total

    @property
    def total_text(self) -> str:
        """The count for a title: "1,000+" when counting stopped at the cap."""
        capped = self._total >= self.COUNT_CAP and self._more
        return f"{self._total:,}+" if capped else f"{self._total:,}"

    def on_changes(self, changes: Changes) -> None:
        """Re-read rows an operation touched in place; anything that may move rows re-runs the query."""
        if changes.external or changes.imported or any(i not in self._rows for i in changes.memories):
            self.reload()
            return
        if not changes.memories:
            return
        fresh = memories.rows(self._store.db, sorted(changes.memories))
        if len(fresh) != len(changes.memories):
            self.reload()  # one was removed (the decision that kept it was undone)
            return
        for memory_id, row in fresh.items():
            old = self._rows.get(memory_id)
            self._rows[memory_id] = row
            if old is not None and old.status != row.status and row.status not in (self.query["statuses"] or (row.status,)):
                self.reload()  # it left the filtered set
                return
        for memory_id in fresh:
            line = self._ids.index(memory_id)
            self.dataChanged.emit(self.index(line, 0), self.index(line, len(COLUMNS) - 1))

    # ------------------------------------------------------------------ paging
    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._resetting and self._more

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or self._resetting:
            return
        rows = memories.page(self._store.db, order=self.order, limit=self.PAGE, offset=len(self._ids), **self.query)
        more = [row.id for row in rows]
        self._more = len(more) == self.PAGE
        if not more:
            self._total = len(self._ids)
            return
        self._resetting = True  # listeners of the insertion must not fetch a page inside it
        self.beginInsertRows(QModelIndex(), len(self._ids), len(self._ids) + len(more) - 1)
        self._ids.extend(more)
        self._total = max(self._total, len(self._ids))
        self._rows.update({row.id: row for row in rows})
        self.endInsertRows()
        self._resetting = False

    # ------------------------------------------------------------------ Qt model
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def memory(self, row: int) -> MemoryRow:
        return self._rows[self._ids[row]]

    def row_of(self, memory_id: int) -> int:
        try:
            return self._ids.index(memory_id)
        except ValueError:
            return -1

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == _DISPLAY and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return base | Qt.ItemFlag.ItemIsEditable if index.column() == 0 else base

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._ids) or not 0 <= index.column() < len(COLUMNS):
            return None
        row = self.memory(index.row())
        if role in (_DISPLAY, _EDIT):
            return (row.content, row.subject, row.category, row.status, row.confirmations,
                    (row.created_at or "")[:10])[index.column()]
        if role == roles.ID_ROLE:
            return row.id
        if role == roles.STATUS_ROLE:
            return row.status
        if role == _TOOLTIP:
            until = f" until {row.valid_until[:10]}" if row.valid_until else ""
            return f"memory {row.id} · {row.status}{until}"
        return None

    def setData(self, index: Index, value: Any, role: int = _EDIT) -> bool:
        if role != _EDIT or not index.isValid() or index.column() != 0 or not str(value).strip():
            return False
        memory = self.memory(index.row())
        if str(value).strip() == memory.content:
            return False
        changes = self._run(lambda: operations.edit_memory(self._store, memory.id, str(value)))
        if changes is None:
            return False
        self.on_changes(changes)  # idempotent when the runner has told us already
        return True

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = SORTS[column] if 0 <= column < len(SORTS) else None
        if key is None:
            return
        if key == "newest":
            key = "newest" if order == Qt.SortOrder.DescendingOrder else "oldest"
        self.order = key
        self.reload()
