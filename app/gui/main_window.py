"""The main window: record button, themes, memo list or theme map, and the open memo.

Reads that take milliseconds (the memo list, one transcript) run on the UI thread with its own
connection; everything else — import, search, export, theme changes, related ideas, the map — goes
through the one job runner and comes back as a callback.
"""
from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QMainWindow,
                               QMenu, QMessageBox, QSplitter, QStackedWidget, QSystemTrayIcon, QTabWidget,
                               QVBoxLayout, QWidget)

from app.core import Musings
from app.display import idea_listing_title, memo_title
from app.gui import help
from app.gui.importing import ImportPanel, ImportQueue
from app.gui.jobs import JobRunner
from app.gui.memo_list import DATE_FILTERS, MemoList, filter_by_date
from app.gui.memo_view import MemoView
from app.gui.record_panel import RecordPanel
from app.gui.recording import RecordingDriver
from app.gui.settings import Preferences, SettingsStore
from app.gui.settings_dialog import SettingsDialog
from app.gui.sidebar import ALL, RECENT, RECENT_DAYS, REVIEW, TODOS, TRASH, UNSORTED, ThemeList, is_theme_key
from app.gui.todo_list import TodoList
from app.review import review_order
from app.gui.theme_map import ThemeMap
from app.gui.timeline_view import TimelinePanel
from app.gui.widgets import MessageBar, UndoToast, app_icon

log = logging.getLogger(__name__)
SEARCH_DEBOUNCE_MS = 250
FIRST_SCREENFUL = 200  # memos read before the window first paints; a bigger library's rest comes from a job
SINGLE_EDIT_LIMIT = 100  # an edit of up to this many memos updates their rows; more re-reads the library


# Where the keyboard is, visible at a glance (the style's own focus frame is a faint dotted line, or nothing).
FOCUS_RING = ("QLineEdit:focus, QAbstractItemView:focus, QTextEdit:focus, QComboBox:focus "
              "{ border: 2px solid #2563eb; border-radius: 3px; }")


class MainWindow(QMainWindow):
    refreshed = Signal()  # the lists were re-read (tests and the screenshot hook wait for it)
    search_done = Signal(str)

    def __init__(self, data_dir: Path, settings: SettingsStore):
        super().__init__()
        self.settings = settings
        self.preferences: Preferences = settings.load()
        self.library = Musings(data_dir)  # every use case goes through it
        self.runner = JobRunner(self)
        self.memos: list = []  # every memo, newest first
        self.trashed: list = []  # the memos in the trash ("Recently deleted"), most recently deleted first
        self.search_results: list | None = None
        self.split_ideas: dict[int, list] = {}  # memo id -> its ideas, for memos of several (listed under each theme)
        self.idea_starts: dict[int, float] = {}  # in a theme's list: memo id -> the start of its idea listed there
        self.search_query = ""
        self._search_generation = 0
        self._map_dirty = True
        self._map_loading = False
        self._library_generation = 0  # +1 at each change applied to self.memos (a slower full read then retries)
        self._counts = (0, 0, 0)  # recent, unsorted, to review: counted at each full read, then edit by edit
        self.theme_records: list = []

        self.setWindowTitle("Musings")
        self.setStyleSheet(FOCUS_RING)
        self.setWindowIcon(app_icon())
        self.resize(1200, 760)
        self.setAcceptDrops(True)

        # top: record + search
        self.record_panel = RecordPanel()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search your memos — words or meaning")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(320)
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DEBOUNCE_MS)
        self._search_timer.timeout.connect(self._run_search)
        self.search.textChanged.connect(lambda _: self._search_timer.start())
        self.search.installEventFilter(self)
        # "Only in <theme>": shown while a theme is selected in the sidebar; the search then looks there only.
        self.search_in_theme = QCheckBox()
        self.search_in_theme.setVisible(False)
        self.search_in_theme.toggled.connect(lambda _: self._search_timer.start() if self.search.text().strip()
                                             else None)
        top = QHBoxLayout()
        top.addWidget(self.record_panel)
        top.addStretch(1)
        top.addWidget(self.search)
        top.addWidget(self.search_in_theme)

        self.message_bar = MessageBar()
        self.undo_toast = UndoToast()  # in the status bar: "Moved to Robot hand · Undo"
        self.undo_toast.undo_requested.connect(self.undo_last)
        self._undo_point = None  # the last change that can be undone (app.core.UndoPoint)
        self.themes = ThemeList()
        self.themes.setMinimumWidth(180)
        self.memo_list = MemoList()
        self.theme_map = ThemeMap()
        self.timeline = TimelinePanel()
        self.date_filter = QComboBox()
        for label, days in DATE_FILTERS:
            self.date_filter.addItem(label, days)
        self.date_filter.currentIndexChanged.connect(lambda _: self.show_list())
        self.list_caption = QLabel()
        self.list_caption.setStyleSheet("color: #6b7280")
        # The list, or in its place what to do when it is empty (the list itself stays as it is).
        self.empty_state = help.EmptyState()
        self.list_stack = QStackedWidget()
        self.list_stack.addWidget(self.memo_list)
        self.list_stack.addWidget(self.empty_state)
        self.todo_list = TodoList()  # the To-dos entry of the sidebar shows it in place of the memo list
        self.list_stack.addWidget(self.todo_list)
        self.todo_list.ticked.connect(self.tick_todo)
        self.todo_list.open_requested.connect(self._open_todo)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.list_stack, "List")
        self.tabs.addTab(self.theme_map, "Theme map")
        self.tabs.addTab(self.timeline, "Timeline")
        self.tabs.currentChanged.connect(lambda _: (self._load_map_if_shown(), self._load_timeline_if_shown()))
        middle = QWidget()
        middle_layout = QVBoxLayout(middle)
        middle_layout.setContentsMargins(0, 0, 0, 0)
        filter_row = QHBoxLayout()
        filter_row.addWidget(self.list_caption, 1)
        filter_row.addWidget(QLabel("Recorded:"))
        filter_row.addWidget(self.date_filter)
        middle_layout.addLayout(filter_row)
        middle_layout.addWidget(self.tabs)
        self.memo_view = MemoView(data_dir)

        self.splitter = QSplitter()
        self.splitter.addWidget(self.themes)
        self.splitter.addWidget(middle)
        self.splitter.addWidget(self.memo_view)
        # The sidebar keeps its width (stretch 0); the list and the open memo share a resize by their widths, and
        # the list starts wider, the memo view near its minimum, so a narrower window is taken from both.
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 1)
        self.splitter.setSizes([200, 620, 380])
        self.import_panel = ImportPanel()

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addLayout(top)
        layout.addWidget(self.message_bar)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.import_panel)
        self.setCentralWidget(central)
        self._restore_window_state()
        self.statusBar().addPermanentWidget(self.undo_toast)
        self.statusBar().showMessage(f"Data folder: {self.library.data_dir}")

        # behaviour
        self.recording = RecordingDriver(self.runner, self.library, self.preferences, self)
        self.record_panel.toggle_requested.connect(self.recording.toggle)
        self.recording.state_changed.connect(self._recording_state)
        self.recording.progress.connect(self.record_panel.set_progress)
        self.recording.memo_made.connect(self._memo_recorded)
        self.recording.error.connect(self.show_error)
        self.imports = ImportQueue(self.runner, self.library, lambda: self.preferences, self)
        self.imports.status.connect(self.import_panel.show_status)
        self.imports.failed_file.connect(self._import_failed)
        self.imports.finished.connect(self._import_finished)
        # Progress events come in bursts (a folder queues many files at once): re-read at most every 0.4 s.
        self._refresh_soon = QTimer(self, singleShot=True, interval=400)
        self._refresh_soon.timeout.connect(self.refresh)
        self.imports.memos_changed.connect(lambda: self._refresh_soon.isActive() or self._refresh_soon.start())
        self.import_panel.cancel_requested.connect(self.imports.cancel)
        self.imports.reported.connect(self.import_panel.show_outcome)
        self.import_panel.resume_requested.connect(self.imports.resume)
        self.import_panel.show_imported_requested.connect(self.show_imported)
        self.themes.filter_chosen.connect(lambda _: self._theme_chosen())
        self.themes.memos_dropped.connect(self.move_memos)
        self.themes.delete_requested.connect(self.delete_memos)
        self.memo_list.delete_requested.connect(self.delete_memos)
        self.memo_list.restore_requested.connect(self.restore_memos)
        self.themes.rename_requested.connect(self.rename_theme)
        self.themes.merge_requested.connect(self.ask_merge_themes)
        self.themes.nest_requested.connect(self.nest_theme)
        self.themes.new_theme_requested.connect(self.new_theme)
        self.themes.selected_memo_ids = self.memo_list.selected_memo_ids
        self.memo_list.memo_selected.connect(self.open_memo)
        self.empty_state.record_requested.connect(lambda: self.recording.toggle())
        self.empty_state.import_requested.connect(lambda: self.ask_import_files())
        self.memo_view.title_edited.connect(self.set_title)
        self.memo_view.theme_chosen.connect(lambda memo_id, theme_id: self.move_memos([memo_id], theme_id))
        self.memo_view.open_memo.connect(self.reveal_memo_at)
        self.memo_view.segment_edited.connect(self.edit_segment)
        self.memo_view.idea_split.connect(self.split_idea)
        self.memo_view.ideas_joined.connect(self.join_ideas)
        self.memo_view.player.failed.connect(self.show_error)
        self.theme_map.memo_clicked.connect(self.reveal_memo)
        self.timeline.cell_clicked.connect(self._show_timeline_cell)
        self.timeline.memo_list.memo_selected.connect(self.open_memo)
        self._build_menus()
        self._install_shortcuts()
        self.tray = self._build_tray()
        self.instance_server = None
        self.intake = None  # app.intake.Intake, started with the background work
        self.join_groups: list[list[int]] = []  # memos that look like one split recording
        self._joins_offered: set[tuple[int, ...]] = set()
        self._load_at_launch()

    # -- start-up -------------------------------------------------------------------------------

    def eventFilter(self, watched, event) -> bool:
        if watched is self.search and event.type() == QEvent.Type.FocusIn:
            # Search by meaning needs the embedding model (~0.4 s to load) and the library's vectors: ready
            # them as the user heads for the search box rather than at the first query (free once done).
            self.runner.run(self.library.prepare_search, name="load the embedding model")
        return super().eventFilter(watched, event)

    def start_background_work(self) -> None:
        """After the window is visible: load Whisper, listen for `musings record --toggle`, and watch the
        watched folders and USB recorders (app.intake; another Musings already watching keeps doing it)."""
        self.recording.preload()
        self._start_intake()
        self._offer_digest()
        # The embedding model loads with the first search or import instead (the window that is only
        # recorded with never holds it).
        self._start_instance_server()

    def _offer_digest(self) -> None:
        """On the first start of a week: last week's digest in the message bar (new ideas, ideas said again, open
        to-dos, one kept idea brought back), once; the full one is `musings digest` or the export's note."""
        import datetime as dt

        from app.digest import period_of

        last_week = dt.date.today() - dt.timedelta(days=7)
        label = period_of(last_week).label
        if self.settings.value("digest/last_shown") == label:
            return

        def show(digest) -> None:
            self.settings.set_value("digest/last_shown", label)
            if not digest.new_count and not digest.todos and digest.brought_back is None:
                return
            parts = [f"{digest.new_count} new memo{'s' * (digest.new_count != 1)}"]
            if digest.new_by_theme:
                parts[0] += " (" + ", ".join(f"{name} {len(memos)}" for name, memos in digest.new_by_theme[:3]) + ")"
            if digest.recurring:
                parts.append(f"{len(digest.recurring)} idea{'s' * (len(digest.recurring) != 1)} said again")
            if digest.todos:
                parts.append(f"{len(digest.todos)} open to-do{'s' * (len(digest.todos) != 1)}")
            if digest.brought_back is not None:
                parts.append(f"an idea you kept: “{memo_title(digest.brought_back)}”")
            self.message_bar.show_message(f"Last week ({digest.period.label}): " + "; ".join(parts) + ".", "info")

        self.runner.run(lambda: self.library.digest("week", last_week), name="last week's digest", on_success=show,
                        on_failure=lambda message, error: None)

    def _start_instance_server(self) -> None:
        """Own the single-instance socket so `musings record --toggle` (e.g. a desktop hotkey) drives this window."""
        from app.instance import AlreadyRunning, InstanceServer

        server = InstanceServer(InstanceBridge(self.recording, self.runner))
        try:
            server.start()
        except (AlreadyRunning, OSError) as error:
            log.warning("`musings record --toggle` will not reach this window: %s", error)
            return
        self.instance_server = server

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.import_action = file_menu.addAction("Import files…", self.ask_import_files)
        file_menu.addAction("Import a folder…", self.ask_import_folder)
        file_menu.addSeparator()
        self.export_action = file_menu.addAction("Export to Markdown…", self.ask_export)
        file_menu.addSeparator()
        self.join_action = file_menu.addAction("Join split recordings…", self.ask_join)
        self.join_action.setEnabled(False)
        file_menu.addSeparator()
        self.settings_action = file_menu.addAction("Settings…", self.open_settings)
        file_menu.addSeparator()
        self.quit_action = file_menu.addAction("Quit", self.close)
        themes_menu = self.menuBar().addMenu("&Themes")
        themes_menu.addAction("Rebuild themes…", self.ask_rebuild_themes)
        themes_menu.addAction("Show theme map", lambda: self.tabs.setCurrentWidget(self.theme_map))
        themes_menu.addAction("Rename the selected theme…", self._rename_selected_theme)
        self.find_action = QAction("Find", self)
        self.find_action.triggered.connect(lambda: self.search.setFocus())
        self.addAction(self.find_action)
        self.rename_action = QAction("Rename", self)
        self.rename_action.triggered.connect(self.rename_selected)
        self.addAction(self.rename_action)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction("Getting started", self.show_getting_started)
        self.shortcuts_action = help_menu.addAction("Keyboard shortcuts", self.show_shortcuts)
        self.open_log_action = help_menu.addAction("Open log file", self.open_log_file)
        help_menu.addSeparator()
        help_menu.addAction("About Musings", self.show_about)
        help_menu.aboutToShow.connect(self._update_help_menu)
        self._update_help_menu()

    def _install_shortcuts(self) -> None:
        """Every key of app.gui.help.SHORTCUTS, the table Help › Keyboard shortcuts shows: menu commands get
        theirs on their action (the menu shows it), the others a shortcut on the part of the window they act in."""
        actions = {"import": self.import_action, "export": self.export_action, "settings": self.settings_action,
                   "shortcuts": self.shortcuts_action, "quit": self.quit_action, "find": self.find_action,
                   "rename": self.rename_action}
        commands = {"record": lambda: self.recording.toggle(), "clear_search": self.search.clear,
                    "open": self._open_current_memo, "delete": self.memo_list.delete_selected,
                    "undo": self.undo_last, "review_keep": lambda: self.review_selected("kept"),
                    "review_done": lambda: self.review_selected("done"),
                    "review_archive": lambda: self.review_selected("archived"), **self.memo_view.key_commands()}  # Space, Ctrl+Left / Ctrl+Right: the player
        places = {help.WINDOW: self, help.SEARCH_BOX: self.search, help.MEMO_LIST: self.memo_list}
        self.shortcut_keys: dict[str, list] = {}  # command -> its QShortcuts (tests, and the record hotkey)
        for shortcut in help.shortcuts_for(self.preferences.hotkey):
            keys = [QKeySequence(key) for key in shortcut.keys]
            if shortcut.command in actions:
                if shortcut.command == "settings":  # and the platform's Preferences key, where it has one
                    keys += [key for key in QKeySequence.keyBindings(QKeySequence.StandardKey.Preferences)
                             if key not in keys]
                actions[shortcut.command].setShortcuts(keys)
                continue
            if shortcut.where == help.PASSAGE:
                continue  # the passage editor's own keys (app/gui/segment_edit.py): listed, not installed
            place = places[shortcut.where]
            context = (Qt.ShortcutContext.WindowShortcut if place is self
                       else Qt.ShortcutContext.WidgetWithChildrenShortcut)
            made = []
            for key in keys:
                made.append(QShortcut(key, place, context=context))
                made[-1].activated.connect(commands[shortcut.command])
            self.shortcut_keys[shortcut.command] = made
        self.hotkey = self.shortcut_keys["record"][0]

    def shortcuts(self) -> list:
        """The shortcuts as they are now (the record key is the user's)."""
        return help.shortcuts_for(self.preferences.hotkey)

    def _open_current_memo(self) -> None:
        memo_id = self.memo_list.current_memo_id()
        if memo_id is not None and (self.memo_view.memo is None or self.memo_view.memo.id != memo_id):
            self.open_memo(memo_id)

    def rename_selected(self) -> None:
        """F2: the selected theme when the themes list has the focus, else the open memo's title."""
        if self.themes.hasFocus() and is_theme_key(self.themes.current_key()):
            self.themes.ask_rename(self.themes.current_key())
        elif self.memo_view.memo is not None:
            self.memo_view.title.setFocus(Qt.FocusReason.ShortcutFocusReason)
            self.memo_view.title.selectAll()

    # -- help -----------------------------------------------------------------------------------

    def _update_help_menu(self) -> None:
        from app.logs import log_path

        self.open_log_action.setEnabled(log_path(self.library.data_dir).exists())

    def _open_dialog(self, dialog):
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def show_shortcuts(self):
        return self._open_dialog(help.shortcuts_sheet(self, self.shortcuts()))

    def show_getting_started(self):
        return self._open_dialog(help.getting_started(self, self.shortcuts()))

    def show_about(self):
        from organize.embeddings import MODEL_NAME

        return self._open_dialog(help.about_dialog(self, self.preferences.model or "tiny.en", MODEL_NAME,
                                                   self.library.data_dir))

    def open_log_file(self) -> None:
        from app.logs import log_path

        path = log_path(self.library.data_dir)
        if path.exists():
            help.open_path(path)

    def _build_tray(self) -> QSystemTrayIcon | None:
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return None
        tray = QSystemTrayIcon(app_icon(), self)
        menu = QMenu(self)
        self.tray_record = menu.addAction("Record", self.recording.toggle)
        menu.addAction("Show Musings", self.show_and_raise)
        menu.addSeparator()
        menu.addAction("Quit", self.close)
        tray.setContextMenu(menu)
        tray.setToolTip("Musings")
        tray.activated.connect(lambda reason: reason == QSystemTrayIcon.ActivationReason.Trigger
                               and self.recording.toggle())
        tray.show()
        return tray

    def show_and_raise(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()

    # -- reading the library ---------------------------------------------------------------------

    def _load_at_launch(self) -> None:
        """The newest memos first (the list's default order), painted at once; a bigger library's full read
        (0.2 s at 20,000 memos) follows from a job and replaces them."""
        first = self.library.memos(limit=FIRST_SCREENFUL)
        if len(first) < FIRST_SCREENFUL:
            self._apply_library(self._read_library(first))
            return
        self.memos, self.theme_records = first, self.library.themes()
        self.show_list()
        self.list_caption.setText("Reading the library…")
        self._read_in_background()

    def _read_in_background(self) -> None:
        generation = self._library_generation

        def done(read) -> None:
            if generation != self._library_generation:  # changed meanwhile: read again
                self._read_in_background()
            else:
                self._apply_library(read)

        self.runner.run(self._read_library, name="read the library", on_success=done,
                        on_failure=lambda message, error: self.show_error(f"Could not read the library: {message}"))

    def _read_library(self, memos: list | None = None) -> tuple:
        """Memos, trash, themes, the memos that look like one split recording (0.1 s at 20,000: off the
        UI thread when read by a job), the ideas of memos of several, and the sidebar's counts (~15 ms at 20,000)."""
        from app.joining import suggest_joins

        memos = self.library.memos() if memos is None else memos
        return (memos, self.library.trash(), self.library.themes(), suggest_joins(memos),
                self.library.split_memos_ideas(), self._counts_of(memos))

    def refresh(self) -> None:
        """Re-read memos and themes (milliseconds: WAL reads never wait for a writer; 0.2 s at 20,000 memos)."""
        self._apply_library(self._read_library())

    def _apply_library(self, read: tuple) -> None:
        self._library_generation += 1
        self.memos, self.trashed, self.theme_records, joins, self.split_ideas, self._counts = read
        self._show_counts()
        self._offer_joins(joins)
        self.show_list()
        self._after_change()
        self.runner.run(lambda: len(self.library.todos()), name="count the to-dos",
                        on_success=self.themes.set_open_todos, on_failure=lambda message, error: None)
        from app.memory import keep_out_of_collections

        keep_out_of_collections()  # the library's objects, read once: no 30 ms collection pause walking them later

    def _counts_of(self, memos: list) -> tuple[int, int, int]:
        """How many memos are recent, unsorted and to review (kept up to date by _memos_changed between full
        reads)."""
        return (len(filter_by_date(memos, RECENT_DAYS)), sum(map(self._is_unsorted, memos)),
                sum(map(self._to_review, memos)))

    def _show_counts(self) -> None:
        """The sidebar: themes with their counts, All memos, Recent, Unsorted, Recently deleted."""
        recent, unsorted, to_review = self._counts
        self.themes.show_themes(self.theme_records, len(self.memos), recent, unsorted, len(self.trashed),
                                to_review=to_review)

    def _after_change(self, changed: dict | None = None) -> None:
        """The open memo shown again if it changed (`changed`: memo id -> the memo now, None = every memo may
        have), the map marked stale, and `refreshed`."""
        current = self.memo_view.memo
        if current is not None and (changed is None or current.id in changed):
            fresh = (next((m for m in self.memos if m.id == current.id), None) if changed is None
                     else changed[current.id])
            if fresh is not None and fresh.deleted_at is not None:
                fresh = None  # in the trash now: shown as it was (as when the list is read again)
            if fresh is not None and (fresh.status != current.status or fresh.theme_id != current.theme_id
                                      or fresh.title != current.title):
                self.open_memo(fresh.id, keep_player=True)
        self._map_dirty = True
        self._load_map_if_shown()
        self.timeline.stale = True
        self._load_timeline_if_shown()
        self.refreshed.emit()

    def _read_changed(self, memo_ids: list[int]) -> tuple[dict, list]:
        """What an edit of a few memos changed, read in the edit's job (not on the UI thread: the themes'
        counts take ~10 ms at 20,000 memos): those memos (None: emptied from the trash), and the themes."""
        from musings_errors import NotFound

        fresh = {}
        for memo_id in dict.fromkeys(memo_ids):
            try:
                fresh[memo_id] = self.library.memo(memo_id, include_trash=True)
            except NotFound:  # emptied from the trash meanwhile
                fresh[memo_id] = None
        return fresh, self.library.themes()

    def _memos_changed(self, memo_ids: list[int], read: tuple[dict, list] | None = None) -> None:
        """After an edit of a few memos: those memos and the themes (their counts) as `_read_changed` read them
        (now, if not given), and their rows in the list updated, inserted or removed; the other 20,000 are not
        touched."""
        fresh, themes = read if read is not None else self._read_changed(memo_ids)
        self._library_generation += 1
        was_trashed = {m.id for m in self.trashed}
        binned = {i for i, m in fresh.items() if m is None or (m.deleted_at is not None) != (i in was_trashed)}
        if binned:  # deleted or restored
            self.trashed = self.library.trash()
        recent, unsorted, to_review = self._counts
        for memo_id, memo in fresh.items():
            old = self._take_memo(memo_id, memo)
            if old is not None:
                recent -= self._is_recent(old)
                unsorted -= self._is_unsorted(old)
                to_review -= self._to_review(old)
            if memo is not None and memo.deleted_at is None:
                self.memos.insert(_newest_first_place(self.memos, memo), memo)
                recent += self._is_recent(memo)
                unsorted += self._is_unsorted(memo)
                to_review += self._to_review(memo)
        self._counts = recent, unsorted, to_review
        if self.search_results is not None:
            self.search_results = [r if r.memo.id not in fresh else dataclasses.replace(r, memo=fresh[r.memo.id])
                                   for r in self.search_results
                                   if r.memo.id not in fresh or (fresh[r.memo.id] is not None
                                                                 and fresh[r.memo.id].deleted_at is None)]
        key = self.themes.current_key()
        self.theme_records = themes
        self._show_counts()
        if binned and self.join_groups:  # a group with a deleted memo is no longer one recording (the next full
            # read offers what a restored memo joins again)
            self.join_groups = [group for group in self.join_groups if not set(group) & binned]
            self.join_action.setEnabled(bool(self.join_groups))
        if self.themes.current_key() != key:  # the theme shown was emptied and is gone: All memos
            self.show_list()
        else:
            for memo_id, memo in fresh.items():
                listed = self.memo_list.index_of(memo_id).isValid()
                if memo is None or not self._listed_here(memo):
                    self.memo_list.remove_memo(memo_id)
                elif listed:
                    self.memo_list.update_memo(memo)
                elif self.search_results is None:
                    self.memo_list.insert_memo(memo)
            self._show_caption(self.memo_list.row_count())
        self._after_change(fresh)

    def _take_memo(self, memo_id: int, fresh) -> object | None:
        """Remove a memo from self.memos (newest first), found by its time; returns it, or None if not there."""
        if fresh is not None:
            place = _newest_first_place(self.memos, fresh)  # an edit never changes when it was recorded
            if place < len(self.memos) and self.memos[place].id == memo_id:
                return self.memos.pop(place)
        for place, memo in enumerate(self.memos):
            if memo.id == memo_id:
                return self.memos.pop(place)
        return None

    @staticmethod
    def _is_recent(memo) -> bool:
        return bool(filter_by_date([memo], RECENT_DAYS))

    @staticmethod
    def _is_unsorted(memo) -> bool:
        return memo.theme_id is None and memo.status == "done"

    @staticmethod
    def _to_review(memo) -> bool:
        return memo.status == "done" and (memo.review_state or "new") == "new"

    def visible_memos(self) -> list:
        key = self.themes.current_key()
        if key is None:  # not `or ALL`: the first theme of a library has id 0
            key = ALL
        days = self.date_filter.currentData()
        if self.search_results is not None:  # archived memos too: they stay searchable
            return filter_by_date([r.memo for r in self.search_results], days)
        if key == TRASH:
            return filter_by_date(self.trashed, days)
        if key == REVIEW:  # the queue: grouped by broad theme, newest first (app.review, as `musings review`)
            broad = {t.id: (t.parent_id or t.id) for t in self.theme_records}
            return filter_by_date(review_order([m for m in self.memos if self._to_review(m)], broad), days)
        live = [m for m in self.memos if m.review_state != "archived"]  # archived: out of the default views
        if key == ALL:
            memos = live
        elif key == RECENT:
            memos = filter_by_date(live, RECENT_DAYS)
        elif key == UNSORTED:
            memos = [m for m in live if m.theme_id is None and m.status == "done"]
        else:  # a broad theme lists its sub-themes' memos too, and a memo of several ideas is under each of theirs
            subtree = self._subtree(key)
            split = self.split_ideas
            memos = [m for m in live if m.theme_id in subtree or (m.id in split and self._idea_themes(m.id) & subtree)]
        return filter_by_date(memos, days)

    def _listed_here(self, memo) -> bool:
        """Whether `memo` (as it is now) belongs in the list as it is filtered (visible_memos, for one memo)."""
        if self.search_results is not None:
            return memo.deleted_at is None and any(r.memo.id == memo.id for r in self.search_results)
        key = self.themes.current_key()
        if key is None:
            key = ALL
        if key == TRASH:
            belongs = memo.deleted_at is not None
        elif memo.deleted_at is not None:
            belongs = False
        elif key == REVIEW:
            belongs = self._to_review(memo)
        elif memo.review_state == "archived":
            belongs = False
        elif key == ALL:
            belongs = True
        elif key == RECENT:
            belongs = bool(filter_by_date([memo], RECENT_DAYS))
        elif key == UNSORTED:
            belongs = memo.theme_id is None and memo.status == "done"
        else:
            subtree = self._subtree(key)
            belongs = memo.theme_id in subtree or bool(self._idea_themes(memo.id) & subtree)
        return belongs and bool(filter_by_date([memo], self.date_filter.currentData()))

    def show_list(self) -> None:
        if self.search_results is None and self.themes.current_key() == TODOS:
            self._show_todos()
            return
        memos = self.visible_memos()
        self.memo_list.showing_trash = self.search_results is None and self.themes.current_key() == TRASH
        if self.search_results is not None:
            snippets = {r.memo.id: r.snippet for r in self.search_results}
            self.memo_list.show_memos(memos, snippets, {r.memo.id: r.matched_by for r in self.search_results})
        elif self.themes.current_key() == REVIEW:  # in the queue's order, each with its theme
            themes = self.theme_records
            ideas = {m: f"{len(split)} ideas · " for m, split in self.split_ideas.items()}  # a long recording
            lines = {m.id: f"{' › '.join(self.library.theme_path(m.theme_id, themes)) or 'Unsorted'}: "
                           f"{ideas.get(m.id, '')}{(m.transcript or '').strip()[:200]}" for m in memos}
            self.memo_list.show_memos(memos, lines)
        else:
            self.memo_list.show_memos(memos, titles=self._ideas_listed_here(memos))
        self._show_caption(len(memos))

    def _ideas_listed_here(self, memos: list) -> dict[int, str]:
        """In a theme's list, a memo there by one of its ideas only is titled by that idea ("Pizza dough · 2nd
        idea of Walk on the 3rd") and opens at its start (`idea_starts`)."""
        self.idea_starts = {}
        key = self.themes.current_key()
        if not isinstance(key, int) or not self.split_ideas:
            return {}
        from app.ideas import listed_by_idea

        subtree = self._subtree(key)
        titles = {}
        for memo in memos:
            why = listed_by_idea(memo, self.split_ideas, subtree) if memo.id in self.split_ideas else None
            if why is not None:
                number, idea = why
                titles[memo.id] = idea_listing_title(number, idea, memo)
                self.idea_starts[memo.id] = idea.start
        return titles

    def _show_todos(self) -> None:
        """The To-do list: every to-do the memos say, open ones first by due day, done ones struck through."""
        def show(read) -> None:
            todos, ideas = read
            if self.themes.current_key() != TODOS or self.search_results is not None:
                return  # the user went elsewhere meanwhile
            titles = {m.id: memo_title(m) for m in self.memos}
            self.todo_list.show_todos(todos, titles, ideas)
            open_count = sum(t.done_at is None for t in todos)
            self.themes.set_open_todos(open_count)
            self.list_caption.setText(f"{open_count} open to-do{'s' * (open_count != 1)}"
                                      if todos else "No to-dos: say “remind me to…” in a memo")
            self.list_stack.setCurrentWidget(self.todo_list)

        def read() -> tuple:
            todos = self.library.todos(include_done=True)
            return todos, self.library.ideas_of_todos(todos)

        self.runner.run(read, name="to-dos", on_success=show,
                        on_failure=lambda message, error: self.show_error(f"Could not read the to-dos: {message}"))

    def tick_todo(self, todo_id: int, done: bool) -> None:
        self._write("tick the to-do", self.library.set_todo_done, todo_id, done)

    def _open_todo(self, memo_id: int, seconds: float) -> None:
        """Open the memo a to-do is in and play it from where the to-do is said."""
        self.open_memo(memo_id)
        self.memo_view.play_from(seconds)

    def _show_caption(self, count: int) -> None:
        self._show_empty_state(count)
        if self.search_results is not None:
            self.list_caption.setText(f"{count} result{'s' * (count != 1)} for “{self.search_query}”")
        else:
            self.list_caption.setText(f"{count} memo{'s' * (count != 1)}")

    def _show_empty_state(self, memos) -> None:
        """In place of an empty list (`memos`: the memos listed, or their count): what a new library can do,
        or why nothing is listed."""
        if memos:
            self.list_stack.setCurrentWidget(self.memo_list)
            return
        if self.search_results is not None:
            self.empty_state.show_message(f"No memos match “{self.search_query}”.")
            self.memo_view.clear()
        elif not self.memos and self.themes.current_key() != TRASH:
            shortcuts = self.shortcuts()
            self.empty_state.show_library_empty(help.key_of(shortcuts, "record"), help.key_of(shortcuts, "import"))
        else:
            self.empty_state.show_message({
                REVIEW: "Nothing to review: every memo has been looked at.",
                TRASH: "Nothing recently deleted.",
                UNSORTED: "No unsorted memos: every memo has a theme.",
                RECENT: f"No memos in the last {RECENT_DAYS} days.",
            }.get(self.themes.current_key(), "No memos here."))
        self.list_stack.setCurrentWidget(self.empty_state)

    def open_memo(self, memo_id: int, keep_player: bool = False) -> None:
        from musings_errors import NotFound

        try:
            memo = self.library.memo(memo_id, include_trash=True)  # "Recently deleted" shows its memos too
            segments = self.library.segments(memo_id, include_trash=True)
        except NotFound:  # deleted or emptied meanwhile
            return
        terms = self.search_query.split() if self.search_results is not None else []
        if keep_player and self.memo_view.memo is not None and self.memo_view.memo.id == memo_id:
            self.memo_view.memo = memo
        self.memo_view.show_memo(memo, segments, self.theme_records, terms)
        hit = next((r for r in self.search_results or () if r.memo.id == memo_id and r.start > 0), None)
        if hit is not None and not keep_player:
            self.memo_view.seek(hit.start)  # a search hit in a later idea plays from that idea's start
        elif self.search_results is None and memo_id in self.idea_starts and not keep_player:
            self.memo_view.seek(self.idea_starts[memo_id])  # listed in this theme by that idea
        self.theme_map.set_selected(memo_id)
        self.runner.run(lambda: self.library.ideas(memo_id), name="ideas",
                        on_success=lambda ideas: self._ideas_changed(memo_id, ideas),
                        on_failure=lambda message, error: None)
        self.runner.run(lambda: self.library.related(memo_id), name="related",
                        on_success=lambda found: self.memo_view.show_related(memo_id, found),
                        on_failure=lambda message, error: None)
        self.runner.run(lambda: self.library.recurrence(memo_id), name="said before",
                        on_success=lambda chain: self.memo_view.show_recurrence(memo_id, chain),
                        on_failure=lambda message, error: None)

    def reveal_memo_at(self, memo_id: int, start: float) -> None:
        """Open a related memo, playing from the start of its idea that is related (0: from its beginning)."""
        self.reveal_memo(memo_id)
        if start > 0 and self.memo_view.memo is not None and self.memo_view.memo.id == memo_id:
            self.memo_view.seek(start)

    def reveal_memo(self, memo_id: int) -> None:
        """Open a memo from elsewhere (related, map, a new recording): show it in the list if it is hidden."""
        if not self.memo_list.select_memo(memo_id):
            self._list_everything()
            self.memo_list.select_memo(memo_id, emit=False)
        self.open_memo(memo_id)

    # -- search ---------------------------------------------------------------------------------

    def search_theme(self) -> int | None:
        """The theme a search is limited to: the sidebar's theme, when "Only in …" is ticked."""
        key = self.themes.current_key()
        return key if isinstance(key, int) and self.search_in_theme.isChecked() else None

    def _theme_chosen(self) -> None:
        key = self.themes.current_key()
        theme = next((t for t in self.theme_records if t.id == key), None) if isinstance(key, int) else None
        self.search_in_theme.setVisible(theme is not None)
        if theme is not None:
            name = self.search_in_theme.fontMetrics().elidedText(theme.name, Qt.TextElideMode.ElideRight, 160)
            self.search_in_theme.setText(f"Only in “{name}”")
            self.search_in_theme.setToolTip(f"Search only the memos of “{theme.name}” and its sub-themes")
        if self.search_in_theme.isChecked() and self.search.text().strip():
            self._run_search()  # a limited search follows the theme
        else:
            self.show_list()

    def _run_search(self) -> None:
        query = self.search.text().strip()
        self._search_generation += 1
        generation = self._search_generation
        if not query:
            self.search_results, self.search_query = None, ""
            self.show_list()
            self.search_done.emit("")
            return

        merged = {"arrived": False}

        def done(results, final: bool = True) -> None:
            if generation != self._search_generation or merged["arrived"]:
                return  # an answer to an older query, or words-only after the merged answer
            merged["arrived"] = final
            self.search_results, self.search_query = results, query
            self.show_list()
            self.search_done.emit(query)

        failed = lambda message, error: self.show_error(f"Search failed: {message}")  # noqa: E731
        theme_id = self.search_theme()
        if not self.library.embedder_ready():
            # The embedding model is not loaded yet (~0.4 s): the word matches come at once, the merged
            # ranking (words and meaning) replaces them when it is ready.
            self.runner.run(lambda: self.library.search(query, mode="keyword", theme_id=theme_id),
                            name="keyword search", on_success=lambda results: done(results, final=False),
                            on_failure=failed)
        self.runner.run(lambda: self.library.search(query, theme_id=theme_id), name="search", on_success=done,
                        on_failure=failed)

    # -- changing the library (all through the job runner) --------------------------------------

    def _write(self, description: str, function, *args, then=None, undo: str | None = None,
               undo_memos: list[int] = ()) -> None:
        """Run a use case of the library in the background, then re-read the lists (and call `then(result)`,
        if given); a refusal is shown as "Could not <description>: <why>". With `undo` (what the change does,
        in words), the state it changes is kept first and "<undo> · Undo" offered once it is done."""
        def done(result) -> None:
            self.refresh()
            if then is not None:
                then(result)

        self._run_change(description, function, args, done, undo, undo_memos)

    def _write_memos(self, description: str, memo_ids: list[int], function, *args, then=None,
                     undo: str | None = None) -> None:
        """`_write` for a change to these memos only: their rows are updated instead of every row re-read (what
        changed is read in the same job, after the change)."""
        few = len(memo_ids) <= SINGLE_EDIT_LIMIT

        def change_and_read(*arguments):
            result = function(*arguments)
            return result, self._read_changed(memo_ids) if few else None

        def done(outcome) -> None:
            result, read = outcome
            if few:
                self._memos_changed(memo_ids, read)
            else:
                self.refresh()
            if then is not None:
                then(result)

        self._run_change(description, change_and_read, args, done, undo, memo_ids)

    def _run_change(self, description: str, function, args, done, undo: str | None, memo_ids) -> None:
        def change():
            point = self.library.undo_point(undo, memo_ids) if undo else None
            return point, function(*args)

        def changed(outcome) -> None:
            point, result = outcome
            if point is not None:
                self._undo_point = point
                self.undo_toast.offer(point.description)
            done(result)

        self.runner.run(change, name=description, on_success=changed,
                        on_failure=lambda message, error: self.show_error(f"Could not {description}: {message}"))

    def undo_last(self) -> None:
        """Undo the last change offered for undoing (Ctrl+Z, or the toast's Undo)."""
        point, self._undo_point = self._undo_point, None
        self.undo_toast.hide()
        if point is None:
            self.statusBar().showMessage("Nothing to undo", 5000)
            return
        def undone(_) -> None:
            self.statusBar().showMessage(f"Undone: {point.description}", 10_000)
            back = [memo_id for memo_id in point.snapshot.fields if self.memo_list.index_of(memo_id).isValid()]
            if back:  # the memo the change was about, selected again where it is back
                self.memo_list.select_memo(back[0])
            shown = self.memo_view.memo
            if shown is not None and shown.id in point.snapshot.fields:  # its words, title or state as they were
                self.open_memo(shown.id, keep_player=True)

        self._write("undo", self.library.undo, point, then=undone)

    def _theme_words(self, theme_id: int | None) -> str:
        return "Unsorted" if theme_id is None else f"“{self.themes.theme_name(theme_id)}”"

    def set_title(self, memo_id: int, title: str) -> None:
        self._write_memos("rename the memo", [memo_id], self.library.set_title, memo_id, title,
                          undo=f"Renamed the memo “{' '.join(title.split())}”")

    def edit_segment(self, memo_id: int, position: int, text: str | None) -> None:
        """Save the user's wording of one segment (None restores the transcription), then show it."""
        def reopen(_) -> None:
            if self.memo_view.memo is not None and self.memo_view.memo.id == memo_id:
                scroll = self.memo_view.transcript.verticalScrollBar()
                kept = scroll.value()  # stay at the edited passage, not the top
                self.open_memo(memo_id, keep_player=True)
                scroll.setValue(kept)

        self._write_memos("save the edit", [memo_id], self.library.edit_segment, memo_id, position, text, then=reopen,
                          undo="Passage edited" if text is not None else "Original wording restored")

    def split_idea(self, memo_id: int, seconds: float) -> None:
        """A new idea of the open memo from the passage at `seconds` (kept through every re-split)."""
        self._run_change("split the idea", self.library.split_idea, (memo_id, seconds),
                         lambda ideas: self._ideas_changed(memo_id, ideas), "New idea started", [memo_id])

    def _subtree(self, theme_id: int) -> set[int]:
        """A theme and its sub-themes: what "this theme's memos" means for a broad theme."""
        return {theme_id} | {t.id for t in self.theme_records if t.parent_id == theme_id}

    def _idea_themes(self, memo_id: int) -> set[int]:
        """The themes the ideas of a memo of several ideas are in (none for a memo of one)."""
        return {idea.theme_id for idea in self.split_ideas.get(memo_id, ()) if idea.theme_id is not None}

    def _ideas_changed(self, memo_id: int, ideas: list) -> None:
        """A memo's ideas as they are now: marked in its transcript, and the themes it is listed under."""
        if len(ideas) > 1:
            self.split_ideas[memo_id] = list(ideas)
        else:
            self.split_ideas.pop(memo_id, None)
        self.memo_view.show_ideas(memo_id, ideas)

    def join_ideas(self, first_id: int, second_id: int) -> None:
        """Two neighbouring ideas of the open memo become one."""
        memo_id = self.memo_view.memo.id if self.memo_view.memo is not None else None
        self._run_change("join the ideas", self.library.join_ideas, (first_id, second_id),
                         lambda ideas: memo_id is not None and self._ideas_changed(memo_id, ideas), "Ideas joined",
                         [memo_id] if memo_id is not None else [])

    def move_memos(self, memo_ids: list[int], theme_id: int | None) -> None:
        count = len(memo_ids)
        what = "Moved" if count == 1 else f"Moved {count} memos"
        self._write_memos("move the memo", list(memo_ids), self.library.move, memo_ids, theme_id,
                          undo=f"{what} to {self._theme_words(theme_id)}")

    def rename_theme(self, theme_id: int, name: str) -> None:
        self._write("rename the theme", self.library.rename_theme, theme_id, name,
                    undo=f"Renamed {self._theme_words(theme_id)} to “{' '.join(name.split())}”")

    def ask_merge_themes(self, source_id: int, target_id: int) -> QMessageBox:
        """Merging is asked first (it can be undone, but it moves many memos at once)."""
        source, target = self._theme_words(source_id), self._theme_words(target_id)
        box = QMessageBox(QMessageBox.Icon.Question, "Merge themes",
                          f"Merge {source} into {target}?\n\nEvery memo of {source} moves to {target}, and "
                          f"{source} goes.", QMessageBox.StandardButton.Cancel, self)
        merge = box.addButton("Merge", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(merge)
        box.buttonClicked.connect(lambda button: button is merge and self.merge_themes(source_id, target_id))
        box.open()
        return box

    def merge_themes(self, source_id: int, target_id: int) -> None:
        self._write("merge the themes", self.library.merge_themes, source_id, target_id,
                    undo=f"Merged {self._theme_words(source_id)} into {self._theme_words(target_id)}")

    def delete_memos(self, memo_ids: list[int]) -> None:
        """Move memos to the trash ("Recently deleted" in the sidebar brings them back)."""
        if not memo_ids:
            return
        said = f"{len(memo_ids)} memo{'s' * (len(memo_ids) != 1)} moved to Recently deleted"
        self._write_memos("delete the memo", list(memo_ids), self.library.delete, memo_ids, undo=said)

    def review_selected(self, state: str) -> None:
        """K / D / A in the list: keep (star), mark done or archive the selected memos; in Review, the next memo
        of the queue is opened."""
        memo_ids = self.memo_list.selected_memo_ids()
        if not memo_ids:
            return
        rows = [self.memo_list.index_of(memo_id).row() for memo_id in memo_ids]
        listed = self.memo_list.memo_ids()
        after = [memo_id for memo_id in listed[max(rows) + 1:] if memo_id not in memo_ids]
        following = after[0] if after else next((m for m in reversed(listed[:min(rows)])), None)
        words = {"kept": "Kept", "done": "Marked done", "archived": "Archived"}[state]
        count = len(memo_ids)

        def next_one(_) -> None:
            if following is not None and self.memo_list.index_of(following).isValid():
                self.memo_list.select_memo(following)

        self._write_memos("mark the memo", memo_ids, self.library.set_review, memo_ids, state, then=next_one,
                          undo=f"{words}" + (f" {count} memos" if count > 1 else ""))

    def restore_memos(self, memo_ids: list[int]) -> None:
        def restore():
            for memo_id in memo_ids:
                self.library.restore(memo_id)

        self._write_memos("restore the memo", list(memo_ids), restore)

    def nest_theme(self, theme_id: int, parent_id: int | None) -> None:
        """Nest a theme under a broad theme, or make it a broad theme again (None); the library refuses what
        the tree can't hold (two levels), and its reason is shown."""
        name = self.themes.theme_name(theme_id)
        if parent_id is None:
            description, done = "make it a broad theme", f"“{name}” is now a broad theme"
        else:
            description, done = "nest the theme", f"“{name}” is now under “{self.themes.theme_name(parent_id)}”"
        self._write(description, self.library.nest_theme, theme_id, parent_id, undo=done)

    def new_theme(self, name: str, parent_id: int | None) -> None:
        """A theme named `name` holding the memos selected in the list, under `parent_id` if given."""
        memo_ids = self.memo_list.selected_memo_ids()
        if memo_ids:
            self._write("make the theme", self.library.new_theme, name, memo_ids, parent_id,
                        undo=f"Made the theme “{' '.join(name.split())}”", undo_memos=memo_ids)

    def ask_rebuild_themes(self) -> QMessageBox:
        """Rebuilding regroups every memo the user did not place by hand: asked first, never by one stray click."""
        box = QMessageBox(QMessageBox.Icon.Question, "Rebuild themes",
                          "Group all memos into themes again?\n\nMemos you placed yourself stay where you put "
                          "them and the names you gave stay with their memos; other memos may move.",
                          QMessageBox.StandardButton.Cancel, self)
        rebuild = box.addButton("Rebuild", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda _: box.clickedButton() is rebuild and self.rebuild_themes())
        box.open()
        return box

    def rebuild_themes(self) -> None:
        self.statusBar().showMessage("Rebuilding themes…")
        self.runner.run(self.library.rebuild_themes, name="recluster",
                        on_success=lambda count: (self.statusBar().showMessage(f"Themes rebuilt: {count} themes", 10_000),
                                                  self.refresh()),
                        on_failure=lambda message, error: self.show_error(f"Could not rebuild themes: {message}"))

    def _rename_selected_theme(self) -> None:
        key = self.themes.current_key()
        if is_theme_key(key):
            self.themes.ask_rename(key)

    # -- the theme map ----------------------------------------------------------------------------

    def _load_map_if_shown(self) -> None:
        # One map job at a time: a first layout of a big library takes seconds, and refreshes come meanwhile.
        if self.tabs.currentWidget() is not self.theme_map or not self._map_dirty or self._map_loading:
            return
        self._map_dirty, self._map_loading = False, True
        self.theme_map.set_loading(True)

        def done(points) -> None:
            self._map_loading = False
            self.theme_map.set_points(points)
            self._load_map_if_shown()  # the library changed while it was laid out

        def failed(message, error) -> None:
            self._map_loading = False
            self.theme_map.set_loading(False)
            self.show_error(f"Theme map: {message}")

        self.runner.run(self.library.map_points, name="theme map",
                        on_success=done, on_failure=failed)

    def _load_timeline_if_shown(self) -> None:
        """The timeline read again in a job when its tab is shown and the library changed (one job at a time)."""
        if self.tabs.currentWidget() is not self.timeline or not self.timeline.stale or self.timeline.reading:
            return
        self.timeline.stale, self.timeline.reading = False, True
        self.timeline.view.set_loading(True)

        def done(line) -> None:
            self.timeline.reading = False
            self.timeline.set_timeline(line)
            self._load_timeline_if_shown()  # the library changed while it was read

        def failed(message, error) -> None:
            self.timeline.reading = False
            self.timeline.view.set_loading(False)
            self.show_error(f"Timeline: {message}")

        self.runner.run(self.library.timeline, name="timeline", on_success=done, on_failure=failed)

    def _show_timeline_cell(self, memo_ids: list[int]) -> None:
        """A timeline cell clicked: its memos listed under the timeline."""
        wanted = set(memo_ids)
        self.timeline.show_cell_memos([m for m in self.memos if m.id in wanted])

    # -- import -----------------------------------------------------------------------------------

    def import_paths(self, paths: list[Path]) -> None:
        if not self.imports.running:
            self.import_panel.start()
        self.imports.add([Path(p) for p in paths])

    def ask_import_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Import recordings", str(Path.home()),
                                                "Audio (*.wav *.mp3 *.m4a *.ogg *.opus *.flac *.webm *.aac);;All files (*)")
        if files:
            self.import_paths([Path(f) for f in files])

    def ask_import_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import a folder of recordings", str(Path.home()))
        if folder:
            self.import_paths([Path(folder)])

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls() and any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.import_paths(paths)

    def _import_failed(self, name: str, reason: str) -> None:
        self.import_panel.add_failure(name, reason)
        self.show_error(f"Could not import {name}: {reason}")

    def _import_finished(self, summary: str) -> None:
        self.import_panel.finish(summary)
        self.statusBar().showMessage(summary, 15_000)  # the import panel keeps it
        self.refresh()

    def show_imported(self, memo_ids: list[int]) -> None:
        """Select the memos an import made (the summary's "Show imported"), showing all memos if some are hidden."""
        self.tabs.setCurrentWidget(self.list_stack)
        if not self.memo_list.select_memos(memo_ids):
            self._list_everything()
            self.memo_list.select_memos(memo_ids)

    def _list_everything(self) -> None:
        """No search, any date, All memos: the list as it is when nothing filters it."""
        self.search.clear()
        self.search_results = None
        self.date_filter.setCurrentIndex(0)
        self.themes.select_key(ALL, emit=False)
        self.show_list()

    # -- export -----------------------------------------------------------------------------------

    def ask_export(self) -> None:
        start = self.preferences.last_export_dir or str(Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Export to a Markdown folder", start)
        if folder:
            self.export_to(Path(folder))

    def export_to(self, folder: Path) -> None:
        self.preferences.last_export_dir = str(folder)
        self.settings.save(self.preferences)
        self.statusBar().showMessage(f"Exporting to {folder}…")

        def done(result) -> None:
            text = (f"Exported to {folder}: {len(result.written)} written, {result.unchanged} unchanged, "
                    f"{len(result.removed)} removed")
            if result.skipped_user_files:
                text += f"; kept your edits in {len(result.skipped_user_files)} file(s)"
            self.statusBar().showMessage(text)
            self.message_bar.show_message(text, "info")

        self.runner.run(self.library.export, folder, name="export",
                        on_success=done, on_failure=lambda message, error: self.show_error(f"Export failed: {message}"))

    # -- recording --------------------------------------------------------------------------------

    def _recording_state(self, state: str) -> None:
        self.record_panel.set_state(state)
        self.record_panel.set_status({"starting": "Opening the microphone…", "recording": "Recording",
                                      "finishing": "Transcribing the recording…"}.get(state, ""))
        if self.tray is not None:
            self.tray.setIcon(app_icon(recording=state == "recording"))
            self.tray_record.setText("Stop recording" if state == "recording" else "Record")

    def _memo_recorded(self, outcome) -> None:
        self.refresh()
        if outcome.memo_id is not None:
            self.reveal_memo(outcome.memo_id)
            heard = " ".join(outcome.transcript.split())
            self.statusBar().showMessage(f"New memo: {heard[:80]}" if heard else "New memo saved — no speech was heard")

    # -- settings and messages --------------------------------------------------------------------

    def open_settings(self) -> SettingsDialog:
        dialog = SettingsDialog(self.preferences, self.runner, self, library=self.library)
        dialog.accepted.connect(lambda: self.apply_preferences(dialog.result_preferences()))
        dialog.open()
        return dialog

    def apply_preferences(self, preferences: Preferences) -> None:
        changed_dir = preferences.data_dir != self.preferences.data_dir
        self.preferences = preferences
        self.settings.save(preferences)
        self.recording.configure(preferences)
        self.hotkey.setKey(QKeySequence(preferences.hotkey))
        if changed_dir:
            self.message_bar.show_message("The new data folder is used from the next start.", "info")

    def show_error(self, message: str) -> None:
        self.message_bar.show_message(message, "error")
        self.statusBar().showMessage(message, 10_000)

    def _offer_joins(self, groups: list[list[int]]) -> None:
        """Recordings a recorder split into consecutive files are offered as one memo (File › Join), said once
        per group in the message bar."""
        self.join_groups = groups
        self.join_action.setEnabled(bool(self.join_groups))
        new = [group for group in self.join_groups if tuple(group) not in self._joins_offered]
        if new and not self.preferences.night_mode:
            self._joins_offered.update(tuple(group) for group in new)
            count = sum(len(group) for group in new)
            self.message_bar.show_message(f"{count} recordings look like parts of {len(new)} longer one"
                                          f"{'s' * (len(new) != 1)} split by the recorder: File › Join split "
                                          "recordings makes each one memo.", "info")

    def ask_join(self) -> QMessageBox:
        """Asked first: joining puts the parts in the trash (Recently deleted keeps them 30 days)."""
        titles = {m.id: memo_title(m) for m in self.memos}
        listing = "\n".join(" + ".join(titles.get(i, str(i)) for i in group) for group in self.join_groups)
        box = QMessageBox(QMessageBox.Icon.Question, "Join split recordings",
                          f"Make each of these one memo?\n\n{listing}\n\nThe parts go to Recently deleted.",
                          QMessageBox.StandardButton.Cancel, self)
        join = box.addButton("Join", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(join)
        box.finished.connect(lambda _: box.clickedButton() is join and self.join_split_recordings())
        box.open()
        return box

    def join_split_recordings(self) -> None:
        groups, settings = list(self.join_groups), self.preferences.transcription_settings()

        def join_all():
            return [self.library.join(group, settings, shared_models=True) for group in groups]

        self.statusBar().showMessage("Joining split recordings…")
        self._write("join the recordings", join_all, then=lambda joined: self.statusBar().showMessage(
            f"{len(joined)} joined memo{'s' * (len(joined) != 1)} made", 10_000))

    def _start_intake(self) -> None:
        from app.intake import Intake

        if self.intake is not None:
            return
        try:
            self.intake = Intake(self.library, self.preferences.transcription_settings(), shared_models=True,
                                 on_event=lambda kind, path, detail: self.runner.post(
                                     lambda: self._intake_event(kind, path, detail)))
            self.intake.start()
        except Exception:  # the window works without it; the log says why
            log.exception("could not start watching folders and recorders")
            self.intake = None

    def _intake_event(self, kind: str, path: str, detail: str | None) -> None:
        """What the watched folders and recorders did: the list follows; night mode shows nothing."""
        if kind in ("imported", "refused", "volume"):
            self._refresh_soon.isActive() or self._refresh_soon.start()
        if self.preferences.night_mode:
            return
        name = Path(path).name or path
        if kind == "volume":
            self.statusBar().showMessage(detail or "", 15_000)
            if detail and not detail.startswith("Importing"):
                self.message_bar.show_message(detail, "info")
        elif kind == "importing":
            self.statusBar().showMessage(f"Importing {name} from a watched folder…", 15_000)
        elif kind == "imported":
            self.statusBar().showMessage(f"{name} came in from a watched folder ({detail})", 15_000)
        elif kind == "refused":
            self.statusBar().showMessage(f"{name} in a watched folder is not a recording Musings can use: {detail}",
                                         15_000)
        elif kind in ("missing", "error"):
            self.message_bar.show_message(f"{name}: {detail}", "info")

    def _restore_window_state(self) -> None:
        """Size, place, splitter and Title column as the last window left them (app.gui.settings.WindowState);
        a place that is no longer on any screen is ignored (the default size, placed by the window manager)."""
        from app.gui.settings import on_screen

        state = self.settings.load_window_state()
        if state.geometry is not None and on_screen(state.geometry):
            self.setGeometry(state.geometry)
        if state.maximized:
            self.setWindowState(self.windowState() | Qt.WindowState.WindowMaximized)
        if state.splitter is not None:
            self.splitter.restoreState(state.splitter)
        if state.title_share is not None:
            self.memo_list.set_title_share(state.title_share)

    def save_window_state(self) -> None:
        if self.isVisible():  # a window never shown has no place of its own to keep
            self.settings.save_window_state(geometry=self.normalGeometry(), maximized=self.isMaximized(),
                                            splitter=self.splitter.saveState(), title_share=self.memo_list.title_share)

    def closeEvent(self, event) -> None:
        self.save_window_state()
        if self.intake is not None:
            self.intake.stop(timeout=5)
        self._refresh_soon.stop()
        self._search_timer.stop()
        self.imports.cancel()
        self.memo_view.player.stop()
        if self.instance_server is not None:
            try:
                self.instance_server.close()
            except Exception:
                log.debug("closing the instance server failed", exc_info=True)
        self.recording.close()
        self.runner.shutdown(wait=False)
        self.library.shutdown()
        if self.tray is not None:
            self.tray.hide()
        super().closeEvent(event)


class InstanceBridge:
    """What app.instance's server calls from its thread: commands are posted to the UI thread and answered
    once the recording state has changed (or after a few seconds)."""

    WAIT_SECONDS = 5.0

    def __init__(self, driver: RecordingDriver, runner: JobRunner):
        self.driver, self.runner = driver, runner

    @property
    def state(self) -> str:
        return self.driver.state

    def _command(self, name: str) -> str:
        before = self.driver.state
        self.runner.post(getattr(self.driver, name))
        deadline = time.monotonic() + self.WAIT_SECONDS
        while time.monotonic() < deadline:
            state = self.driver.state
            if state != before and state != "starting":
                break
            if name == "stop" and before != "recording" or name == "start" and before == "recording":
                break
            time.sleep(0.02)
        return self.driver.state

    def toggle(self) -> str:
        return self._command("toggle")

    def start(self) -> None:
        self._command("start")

    def stop(self) -> None:
        self._command("stop")


def _newest_first_place(memos: list, memo) -> int:
    """Where `memo` goes in `memos`, kept newest first as the library lists them (recorded_at, then id, descending)."""
    wanted = (memo.recorded_at or "", memo.id)
    low, high = 0, len(memos)
    while low < high:
        middle = (low + high) // 2
        if (memos[middle].recorded_at or "", memos[middle].id) > wanted:
            low = middle + 1
        else:
            high = middle
    return low
