"""The right pane: one memo — title, date, theme, transcript with timestamps, related ideas, and playback.

The player (app/gui/player.py): a scrubber with elapsed / total time, back and forward 10 s, play/pause and the
speed (1x, 1.5x, 2x, pitch kept); Space plays or pauses, Ctrl+Left / Ctrl+Right skip 10 s, from anywhere in
the window but a text field (the window makes those keys from app/gui/help.py's table, with `key_commands`).
Click a timestamp or a word to play from there; while playing, the word being spoken is highlighted.
Double-click a line (or "Edit this passage" in its context menu) to reword that segment in place
(app/gui/segment_edit.py: Enter or Ctrl+Enter saves, Esc cancels, clicking elsewhere saves a change); the
storage keeps the transcription next to the edit, so "Restore original" can always go back. An edited line is
shown in italics with an "(edited)" mark and plays from the segment's start (its words no longer match
the word timings).
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor, QFont
from PySide6.QtWidgets import (QComboBox, QFormLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QTextEdit,
                               QVBoxLayout, QWidget)

from app.gui.segment_edit import PassageEditor
from app.ideas import idea_row
from app.gui.sidebar import group_tree, theme_label
from app.display import memo_title, said_times, shown_datetime
from app.gui.player import SKIP_SECONDS, AudioPlayer, PlayerBar  # noqa: F401  (AudioPlayer: its old home)
from app.gui.widgets import clock
from audio.recorded_time import describe_source

EDITED_MARK = "(edited)"
STAMP_COLOUR = QColor("#6366f1")
IDEA_COLOUR = QColor("#b45309")  # an idea's mark above its first passage

NO_THEME = -1


@dataclass
class _Span:
    """A stretch of the transcript document and the audio time it stands for."""

    first: int  # document positions
    last: int
    start: float  # seconds
    end: float


class TranscriptView(QTextEdit):
    """Segments with clickable timestamps and words; `highlight_at(seconds)` marks the word being spoken.

    One segment per text block, so a block number is the segment's position in the memo. `edit_passage(index)`
    lays a `PassageEditor` over one block (one at a time); it follows the block as the view scrolls or is resized,
    and stays open when the same segments are shown again (the window re-reads the open memo).
    """

    seek_requested = Signal(float)
    edit_requested = Signal(int)  # segment position
    restore_requested = Signal(int)  # segment position
    split_requested = Signal(float)  # a new idea from this second (a passage's start)
    join_requested = Signal(int, int)  # the ids of an idea and the one before it

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setReadOnly(True)
        self.viewport().setCursor(Qt.CursorShape.PointingHandCursor)
        self.words: list[_Span] = []
        self.stamps: list[_Span] = []
        self._word_starts: list[float] = []
        self._terms: list[QTextEdit.ExtraSelection] = []
        self._playing: QTextEdit.ExtraSelection | None = None
        self.current_word: int | None = None
        self.segments: list = []
        self.ideas: list = []  # storage.ideas.StoredIdea of the memo shown, in order; marked when more than one
        self._shown_terms: list[str] | None = None
        self.editor: PassageEditor | None = None  # the passage being reworded, if one is
        self._rendering = False
        self._editing_click = False
        self.verticalScrollBar().valueChanged.connect(self._place_editor)
        self.horizontalScrollBar().valueChanged.connect(self._place_editor)

    def set_segments(self, segments, terms: list[str] | None = None) -> None:
        segments = list(segments)
        if self.editor is not None and not self._same_passage(self.editor.index, segments):
            self.editor.finish()  # another memo, or its segments changed: a changed passage is saved
        self._rendering = True
        try:
            self._render(segments, terms)
        finally:
            self._rendering = False
        self._place_editor()

    def set_ideas(self, ideas) -> None:
        """Mark where each idea starts ("Idea 2 · title" above its first passage), when there are several."""
        ideas = list(ideas)
        if [(i.id, i.start, i.title) for i in ideas] == [(i.id, i.start, i.title) for i in self.ideas]:
            return
        self.ideas = ideas
        scroll = self.verticalScrollBar().value()
        self.set_segments(self.segments, self._shown_terms)
        self.verticalScrollBar().setValue(scroll)

    def idea_of(self, index: int) -> int | None:
        """The row in `ideas` of the idea segment `index` belongs to (None: one idea, or none known)."""
        if len(self.ideas) < 2 or not 0 <= index < len(self.segments):
            return None
        segment = self.segments[index]
        return idea_row([idea.start for idea in self.ideas], segment.start, segment.end)

    def _same_passage(self, index: int, segments: list) -> bool:
        """Whether `segments` are the ones shown, as far as the passage being edited is concerned."""
        if len(segments) != len(self.segments) or not 0 <= index < len(segments):
            return False
        old, new = self.segments[index], segments[index]
        return all(getattr(old, name, None) == getattr(new, name, None)
                   for name in ("start", "end", "text", "edited_text"))

    def _render(self, segments: list, terms: list[str] | None) -> None:
        self.clear()
        self.words, self.stamps = [], []
        self.segments = segments
        self._shown_terms = terms
        cursor = QTextCursor(self.document())
        stamp_format = QTextCharFormat()
        stamp_format.setForeground(STAMP_COLOUR)
        stamp_format.setFontPointSize(self._stamp_font().pointSizeF())
        plain = QTextCharFormat()
        edited_format = QTextCharFormat()
        edited_format.setFontItalic(True)
        mark_format = QTextCharFormat(stamp_format)
        mark_format.setForeground(QColor("#6b7280"))
        idea_format = QTextCharFormat()
        idea_format.setForeground(IDEA_COLOUR)
        idea_format.setFontWeight(QFont.Weight.Bold)
        previous_idea = None
        for index, segment in enumerate(self.segments):
            if index:
                cursor.insertBlock()
            row = self.idea_of(index)
            if row is not None and row != previous_idea:  # in the passage's own block: a block stays a segment
                cursor.insertText(f"Idea {row + 1} · {self.ideas[row].title}", idea_format)
                cursor.insertText("\u2028", plain)
            previous_idea = row
            first = cursor.position()
            cursor.insertText(f"[{clock(segment.start)}]", stamp_format)
            self.stamps.append(_Span(first, cursor.position(), segment.start, segment.end))
            cursor.insertText(" ", plain)
            edited = getattr(segment, "edited_text", None) is not None
            if edited:  # the user's words have no timings of their own: the whole line is one span
                pieces = [(segment.edited_text, segment.start, segment.end)]
            else:
                pieces = [(w.word, w.start, w.end) for w in segment.words] or [(segment.text, segment.start, segment.end)]
            for text, start, end in pieces:
                text = text.strip()
                if not text:
                    continue
                first = cursor.position()
                cursor.insertText(text, edited_format if edited else plain)
                self.words.append(_Span(first, cursor.position(), start, end))
                cursor.insertText(" ", plain)
            if edited:
                cursor.insertText(EDITED_MARK, mark_format)
        self._word_starts = [span.start for span in self.words]
        self._playing, self.current_word = None, None
        self._terms = self._term_selections(terms or [])
        self._apply()
        self.moveCursor(QTextCursor.MoveOperation.Start)

    def _term_selections(self, terms: list[str]) -> list:
        selections = []
        text = self.toPlainText()
        colour = QColor("#fde047")
        for term in {t.lower() for t in terms if len(t) > 1}:
            for match in re.finditer(r"\b" + re.escape(term), text, flags=re.IGNORECASE):
                selection = QTextEdit.ExtraSelection()
                selection.cursor = QTextCursor(self.document())
                selection.cursor.setPosition(match.start())
                selection.cursor.setPosition(match.end(), QTextCursor.MoveMode.KeepAnchor)
                selection.format.setBackground(colour)
                selections.append(selection)
        return selections

    def term_highlight_count(self) -> int:
        return len(self._terms)

    def highlight_at(self, seconds: float) -> None:
        """Mark the word spoken at `seconds` (nothing between words)."""
        index = bisect.bisect_right(self._word_starts, seconds) - 1
        if index >= 0 and seconds > self.words[index].end + 0.3:
            index = -1
        index = None if index < 0 else index
        if index == self.current_word:
            return
        self.current_word = index
        self._playing = None
        if index is not None:
            span = self.words[index]
            selection = QTextEdit.ExtraSelection()
            selection.cursor = QTextCursor(self.document())
            selection.cursor.setPosition(span.first)
            selection.cursor.setPosition(span.last, QTextCursor.MoveMode.KeepAnchor)
            selection.format.setBackground(QColor("#a5b4fc"))
            selection.format.setFontWeight(QFont.Weight.DemiBold)
            self._playing = selection
            self.setTextCursor(QTextCursor(selection.cursor))  # keeps the spoken word in view
        self._apply()

    def _apply(self) -> None:
        self.setExtraSelections(self._terms + ([self._playing] if self._playing else []))

    def time_at(self, position: int) -> float | None:
        """The audio time a document position stands for: a timestamp's segment or a word's start."""
        for spans in (self.stamps, self.words):
            for span in spans:
                if span.first <= position <= span.last:
                    return span.start
        return None

    def segment_at(self, position: int) -> int | None:
        """The segment position a document position falls in."""
        block = self.document().findBlock(position).blockNumber()
        return block if 0 <= block < len(self.segments) else None

    def is_edited(self, index: int) -> bool:
        return getattr(self.segments[index], "edited_text", None) is not None

    # -- rewording a passage in place ----------------------------------------------------------

    def _stamp_font(self) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, self.font().pointSizeF() - 1))
        return font

    def edit_passage(self, index: int) -> PassageEditor | None:
        """Turn segment `index` into a text box in place, prefilled with the words shown, with the focus; the
        caller connects its `done`. A passage being edited already stays (another one is ended first)."""
        if not 0 <= index < len(self.segments) or not self.isEnabled():
            return None
        if self.editor is not None:
            if self.editor.index == index:
                self.editor.field.setFocus(Qt.FocusReason.OtherFocusReason)
                return self.editor
            self.editor.finish()
        segment = self.segments[index]
        shown = segment.edited_text if self.is_edited(index) else segment.text
        editor = PassageEditor(index, f"[{clock(segment.start)}]", shown, self.font(), self._stamp_font(),
                               STAMP_COLOUR, self.viewport(), home=self)
        editor.done.connect(lambda _: self._editor_closed(editor))
        self.editor = editor
        cursor = QTextCursor(self.document().findBlockByNumber(index))
        self.setTextCursor(cursor)  # no word left selected underneath, and the passage in view
        self.ensureCursorVisible()
        self._place_editor()
        editor.show()
        editor.raise_()
        editor.field.setFocus(Qt.FocusReason.OtherFocusReason)
        return editor

    def _editor_closed(self, editor: PassageEditor) -> None:
        if self.editor is editor:
            self.editor = None

    def _place_editor(self, *_) -> None:
        """Lay the editor over its passage as the view is now (scrolled, resized, drawn again)."""
        editor = self.editor
        if editor is None or self._rendering:
            return
        block = self.document().findBlockByNumber(editor.index)
        if not block.isValid() or editor.index >= len(self.stamps):
            return
        offset_x, offset_y = self.horizontalScrollBar().value(), self.verticalScrollBar().value()
        area = self.document().documentLayout().blockBoundingRect(block).translated(-offset_x, -offset_y)
        start = QTextCursor(self.document())
        start.setPosition(block.position())
        words = QTextCursor(self.document())
        words.setPosition(min(self.stamps[editor.index].last + 1, block.position() + max(0, block.length() - 1)))
        first_line = self.cursorRect(start)
        editor.place(area.toAlignedRect(), first_line.left(), self.cursorRect(words).left(), first_line.top(),
                     self.viewport().width())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._place_editor()

    def mouseDoubleClickEvent(self, event) -> None:
        super().mouseDoubleClickEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            index = self.segment_at(self.cursorForPosition(event.position().toPoint()).position())
            if index is not None:
                self._editing_click = True  # its release is not a click on a word
                self.edit_requested.emit(index)

    def contextMenuEvent(self, event) -> None:
        menu = self.createStandardContextMenu(event.pos())
        index = self.segment_at(self.cursorForPosition(event.pos()).position())
        if index is not None and self.isEnabled():
            menu.addSeparator()
            menu.addAction("Edit this passage", lambda: self.edit_requested.emit(index))
            restore = menu.addAction("Restore original", lambda: self.restore_requested.emit(index))
            restore.setEnabled(self.is_edited(index))
            menu.addSeparator()
            row = self.idea_of(index)
            starts_idea = row is not None and (index == 0 or self.idea_of(index - 1) != row)
            if starts_idea and row > 0 and None not in (self.ideas[row - 1].id, self.ideas[row].id):
                first, second = self.ideas[row - 1].id, self.ideas[row].id
                menu.addAction("Join with the idea before", lambda: self.join_requested.emit(first, second))
            else:
                split = menu.addAction("Start a new idea here",
                                       lambda: self.split_requested.emit(self.segments[index].start))
                split.setEnabled(index > 0)
        menu.exec(event.globalPos())
        menu.deleteLater()

    def mouseReleaseEvent(self, event) -> None:
        super().mouseReleaseEvent(event)
        opened, self._editing_click = self._editing_click, False
        if opened:
            return
        if event.button() == Qt.MouseButton.LeftButton and not self.textCursor().hasSelection():
            seconds = self.time_at(self.cursorForPosition(event.position().toPoint()).position())
            if seconds is not None:
                self.seek_requested.emit(seconds)


class MemoView(QWidget):
    title_edited = Signal(int, str)
    theme_chosen = Signal(int, object)  # memo id, theme id or None (Unsorted)
    open_memo = Signal(int, float)  # memo id, where to play it from (a related idea's start; 0: the memo)
    segment_edited = Signal(int, int, object)  # memo id, segment position, new text or None (restore)
    idea_split = Signal(int, float)  # memo id, the second a new idea starts at
    ideas_joined = Signal(int, int)  # an idea's id and the next one's

    def __init__(self, data_dir: Path, parent=None):
        super().__init__(parent)
        self.data_dir = Path(data_dir)
        self.memo = None
        self.player = AudioPlayer(self)
        self.at = 0.0  # seconds: where the open memo plays from (the player's position while it holds the file)

        self.title = QLineEdit()
        self.title.setPlaceholderText("Title")
        title_font = self.title.font()
        title_font.setPointSizeF(title_font.pointSizeF() * 1.4)
        title_font.setBold(True)
        self.title.setFont(title_font)
        self.title.editingFinished.connect(self._title_done)
        self.date = QLabel()
        self.date.setStyleSheet("color: #6b7280")
        self.theme = QComboBox()
        self.theme.activated.connect(self._theme_done)
        self.controls = PlayerBar()
        self.play_button = self.controls.play_button
        self.controls.toggle_requested.connect(self.toggle_play)
        self.controls.seek_requested.connect(self.seek)
        self.controls.preview.connect(self._preview)
        self.controls.skip_requested.connect(self.skip)
        self.controls.speed_requested.connect(self.set_speed)
        self.transcript = TranscriptView()
        self.transcript.seek_requested.connect(self.play_from)
        self.transcript.edit_requested.connect(self.ask_edit)
        self.transcript.restore_requested.connect(lambda position: self.edit_segment(position, None))
        self.transcript.split_requested.connect(
            lambda seconds: self.memo is not None and self.idea_split.emit(self.memo.id, seconds))
        self.transcript.join_requested.connect(self.ideas_joined)
        self.related = QListWidget()
        self.related.setMaximumHeight(130)
        self.related.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # a long title is cut, not scrolled sideways
        self.related.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.related.itemActivated.connect(self._open_related)
        self.related.itemClicked.connect(self._open_related)
        self.player.position_changed.connect(self._position_changed)
        self.player.duration_changed.connect(self._duration_changed)
        self.player.playing_changed.connect(self._show_playing)
        self.player.rate_changed.connect(self.controls.set_rate)
        self.player.finished.connect(self._finished)

        form = QFormLayout()
        form.addRow("Theme", self.theme)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.date)
        layout.addLayout(form)
        layout.addWidget(self.controls)
        layout.addWidget(self.transcript, 1)
        layout.addWidget(QLabel("Related ideas"))
        # "Said 3 times: 3 Mar, 9 Apr, 2 Jun": the same idea recorded on other days (Musings.recurrence)
        self.recurrence = QLabel()
        self.recurrence.setStyleSheet("color: #92400e")
        self.recurrence.setWordWrap(True)
        self.recurrence.hide()
        layout.addWidget(self.recurrence)
        layout.addWidget(self.related)
        self.show_memo(None, [], [], [])

    def show_memo(self, memo, segments, themes, terms: list[str] | None = None) -> None:
        another = self.memo is None or memo is None or memo.id != self.memo.id
        if self.memo is not None and another:
            self.player.stop()
        self.memo = memo
        enabled = memo is not None
        for widget in (self.title, self.theme, self.transcript, self.related):
            widget.setEnabled(enabled)
        self.title.setText(memo_title(memo) if memo else "")
        if memo is None:
            self.date.setText("Select a memo, or press Record.")
            self.date.setToolTip("")
        else:
            problem = f" — {memo.status}: {memo.error}" if memo.error else (
                "" if memo.status == "done" else f" — {memo.status}")
            self.date.setText(f"{shown_datetime(memo.recorded_at)} · {clock(memo.duration)} · "
                              f"{memo.original_name}{problem}")
            self.date.setToolTip(describe_source(memo.recorded_at_source))  # metadata / file name / mtime
        self.theme.clear()
        self.theme.addItem("Unsorted", NO_THEME)
        by_id = {t.id: t for t in themes}
        for top, subs in group_tree(themes):  # broad themes, each followed by its sub-themes
            for theme in [top] + subs:
                self.theme.addItem(theme_label(themes, theme.id, by_id), theme.id)
        index = self.theme.findData(memo.theme_id if memo and memo.theme_id is not None else NO_THEME)
        self.theme.setCurrentIndex(max(index, 0))
        if another:
            self.transcript.ideas = []  # the last memo's: this one's come from a job (show_ideas)
        self.transcript.set_segments(segments, terms)
        self.related.clear()
        if another:
            self.recurrence.hide()
        self._show_audio(reset=another)

    def clear(self) -> None:
        """Show no memo (an empty search, say)."""
        self.show_memo(None, [], [], [])

    def show_recurrence(self, memo_id: int, chain) -> None:
        """The days this idea was said on, when it was said on more than one."""
        if self.memo is None or self.memo.id != memo_id:
            return
        self.recurrence.setText(said_times(chain) if chain else "")
        self.recurrence.setToolTip("\n".join(memo_title(m) for m in chain))
        self.recurrence.setVisible(bool(chain))

    def _open_related(self, item: QListWidgetItem) -> None:
        memo_id = item.data(Qt.ItemDataRole.UserRole)
        if memo_id is not None:
            self.open_memo.emit(memo_id, float(item.data(Qt.ItemDataRole.UserRole + 1) or 0.0))

    def show_related(self, memo_id: int, related) -> None:
        if self.memo is None or self.memo.id != memo_id:
            return
        self.related.clear()
        for found in related:
            # in words (organize.related.closeness: the export and `musings related` say the same)
            # a memo of several ideas: the idea that is related, by its title and where it starts (played from there)
            name = f"{found.idea_title} (at {clock(found.start)})" if found.idea_title else memo_title(found.memo)
            label = f"{name}   · {found.closeness}"
            if found.near_duplicate:
                label += ", said before"
            item = QListWidgetItem(label)
            tip = f"Similarity {found.score:.2f}"
            if found.idea_title:
                tip += f"\nAn idea of “{memo_title(found.memo)}”, from {clock(found.start)}"
            if found.for_idea:
                tip += f"\nRelated to this memo's idea “{found.for_idea}”"
            item.setToolTip(tip)
            item.setData(Qt.ItemDataRole.UserRole, found.memo.id)
            item.setData(Qt.ItemDataRole.UserRole + 1, found.start)
            self.related.addItem(item)
        if not related:
            item = QListWidgetItem("Nothing related yet.")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.related.addItem(item)

    # -- playback -------------------------------------------------------------------------------

    def key_commands(self) -> dict:
        """The player's commands of app.gui.help.SHORTCUTS, for the window's keys (Space: a QLineEdit or an
        editable QTextEdit takes the key itself, so typing a space there still types it)."""
        return {"play_pause": self.toggle_play, "skip_back": lambda: self.skip(-SKIP_SECONDS),
                "skip_forward": lambda: self.skip(SKIP_SECONDS)}

    def audio_path(self) -> Path | None:
        return None if self.memo is None or not self.memo.library_path else self.data_dir / self.memo.library_path

    def has_audio(self) -> bool:
        path = self.audio_path()
        return path is not None and path.is_file()

    def duration(self) -> float:
        return self.controls.duration

    def _show_audio(self, reset: bool) -> None:
        """The player's controls for the memo shown: enabled only with a memo whose recording is there."""
        if self.memo is None:
            self.controls.set_available(False, "Open a memo to play it")
        elif not self.has_audio():
            self.controls.set_available(False, "The recording of this memo is missing from the library")
        else:
            self.controls.set_available(True)
        if reset:
            self.at = 0.0
            self.controls.set_duration(self.memo.duration if self.memo is not None else 0.0)
            self.controls.set_position(0.0)
            self._show_playing(False)

    def _show_playing(self, playing: bool) -> None:
        self.controls.set_playing(playing)

    def show_ideas(self, memo_id: int, ideas) -> None:
        """The open memo's ideas, marked in its transcript (read in a job: a changed memo is split again)."""
        if self.memo is not None and self.memo.id == memo_id:
            self.transcript.set_ideas(ideas)

    def play_from(self, seconds: float) -> None:
        if self.has_audio():
            self.at = self._clamped(seconds)
            self.player.play(self.audio_path(), self.at)

    def toggle_play(self) -> None:
        """Play or pause the open memo; it plays on from where it was paused or last sought."""
        if not self.has_audio():
            return
        path = self.audio_path()
        if self.player.holds(path) and self.player.is_playing():
            self.player.pause()
        elif self.player.holds(path) and self.player.is_paused():
            self.player.play(path)  # every seek went to the player: it is where the user left it
        else:
            self.player.play(path, self.at)

    def seek(self, seconds: float) -> None:
        """Play from `seconds` when playing; when paused or stopped, the next play starts there."""
        if not self.has_audio():
            return
        self.at = self._clamped(seconds)
        if self.player.holds(self.audio_path()):
            self.player.seek(self.at)
        self._show_position(self.at)

    def skip(self, seconds: float) -> None:
        """Back (negative) or forward by `seconds`, within the recording."""
        self.seek(self.at + seconds)

    def set_speed(self, rate: float) -> None:
        """1.0, 1.5 or 2.0: faster with the pitch kept; stays for the next memos."""
        self.player.set_rate(rate)
        self.controls.set_rate(rate)

    def _clamped(self, seconds: float) -> float:
        duration = self.duration()
        return max(0.0, min(seconds, duration) if duration > 0 else seconds)

    def _position_changed(self, seconds: float) -> None:
        if not self.player.holds(self.audio_path()):
            return  # the file let go of (another memo opened meanwhile)
        self.at = seconds
        self._show_position(seconds)

    def _show_position(self, seconds: float) -> None:
        self.controls.set_position(seconds)
        self.transcript.highlight_at(seconds)

    def _preview(self, seconds: float) -> None:
        """The scrubber is being dragged: show the words there."""
        self.transcript.highlight_at(seconds)

    def _duration_changed(self, seconds: float) -> None:
        """The decoder's length: used when the library has none (the memo's own is what the user was told)."""
        if seconds > 0 and self.player.holds(self.audio_path()) and not (self.memo and self.memo.duration):
            self.controls.set_duration(seconds)

    def _finished(self) -> None:
        """Played to the end: back to the start, ready to play again."""
        if self.player.holds(self.audio_path()):
            self.at = 0.0
            self._show_position(0.0)

    def ask_edit(self, position: int) -> PassageEditor | None:
        """Reword one segment in place (double-click, or "Edit this passage"): the transcript turns it into a
        text box prefilled with the words shown now; Enter saves, Esc cancels, leaving it saves a change. The
        save goes to the memo the passage is in, even if another memo is shown by then."""
        if self.memo is None or not 0 <= position < len(self.transcript.segments):
            return None
        already = self.transcript.editor
        editor = self.transcript.edit_passage(position)
        if editor is not None and editor is not already:
            memo_id = self.memo.id
            editor.done.connect(lambda text: self._save_edit(memo_id, position, text))
        return editor

    def _save_edit(self, memo_id: int, position: int, text: str | None) -> None:
        """The editor's outcome: new words are saved (None: cancelled or unchanged, nothing to do)."""
        if text is not None:
            self.segment_edited.emit(memo_id, position, text)  # the window writes it, with an undo point

    def edit_segment(self, position: int, text: str | None) -> None:
        """Ask for a segment's new wording (None: back to the transcription) to be saved; the window writes it."""
        if self.memo is None or not 0 <= position < len(self.transcript.segments):
            return
        segment = self.transcript.segments[position]
        edited = self.transcript.is_edited(position)
        shown = segment.edited_text if edited else segment.text
        if (text is None and edited) or (text is not None and " ".join(text.split()) != " ".join(shown.split())):
            self.segment_edited.emit(self.memo.id, position, text)  # the library decides what it means

    def _title_done(self) -> None:
        text = self.title.text()
        if self.memo is not None and text.strip() != memo_title(self.memo):
            self.title_edited.emit(self.memo.id, text)  # the library tidies it, or says why not

    def _theme_done(self, index: int) -> None:
        if self.memo is None:
            return
        theme_id = self.theme.itemData(index)
        theme_id = None if theme_id == NO_THEME else theme_id
        if theme_id != self.memo.theme_id:
            self.memo.theme_id = theme_id
            self.theme_chosen.emit(self.memo.id, theme_id)
