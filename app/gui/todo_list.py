"""The To-do list: what the memos say to do (Musings.todos), ticked off in place; opening one plays its memo
from where it was said."""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem

TODO_ID, MEMO_ID, START = Qt.ItemDataRole.UserRole, Qt.ItemDataRole.UserRole + 1, Qt.ItemDataRole.UserRole + 2


def due_words(due: str | None, today: dt.date | None = None) -> str:
    """'due today', 'due tomorrow', 'due Friday 5 Dec', 'overdue since 1 Dec', or ''."""
    if not due:
        return ""
    day, today = dt.date.fromisoformat(due), today or dt.date.today()
    if day < today:
        return f"overdue since {day.day} {day:%b}"
    if day == today:
        return "due today"
    if day == today + dt.timedelta(days=1):
        return "due tomorrow"
    return f"due {day:%A} {day.day} {day:%b}" + (f" {day.year}" if day.year != today.year else "")


class TodoList(QListWidget):
    ticked = Signal(int, bool)  # to-do id, done
    open_requested = Signal(int, float)  # memo id, the second the to-do is said at

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setAlternatingRowColors(True)
        self._filling = False
        self.itemChanged.connect(self._changed)
        self.itemActivated.connect(self._activated)

    def show_todos(self, todos, titles: dict[int, str], ideas: dict | None = None) -> None:
        """`todos`: storage.todos.StoredTodo, open first; `titles`: memo id -> its title; `ideas`: to-do id -> the
        idea it is said in (memos of several ideas)."""
        ideas = ideas or {}
        self._filling = True
        try:
            self.clear()
            for todo in todos:
                facts = [words for words in (due_words(todo.due),) if words]
                facts.append(f"from “{titles.get(todo.memo_id, f'memo {todo.memo_id}')}”")
                if todo.id in ideas:  # a long recording: the idea it is said in
                    facts.append(f"in its idea “{ideas[todo.id].title}”")
                item = QListWidgetItem(f"{todo.text}   ·  {'  ·  '.join(facts)}")
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if todo.done_at else Qt.CheckState.Unchecked)
                item.setData(TODO_ID, todo.id)
                item.setData(MEMO_ID, todo.memo_id)
                item.setData(START, float(todo.start or 0.0))
                item.setToolTip("Tick it off when it is done; Enter or a double-click plays where it was said")
                if todo.done_at:
                    font = item.font()
                    font.setStrikeOut(True)
                    item.setFont(font)
                    item.setForeground(Qt.GlobalColor.gray)
                self.addItem(item)
        finally:
            self._filling = False

    def _changed(self, item: QListWidgetItem) -> None:
        if not self._filling:
            self.ticked.emit(item.data(TODO_ID), item.checkState() == Qt.CheckState.Checked)

    def _activated(self, item: QListWidgetItem) -> None:
        self.open_requested.emit(item.data(MEMO_ID), item.data(START))
