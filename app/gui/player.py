"""Playback of the open memo: `AudioPlayer` (QtMultimedia, created on first use) and `PlayerBar`, the controls
the memo view shows — a scrubber with elapsed / total time, back 10 s, play/pause, forward 10 s, and the speed.

Speed keeps the pitch: QMediaPlayer's pitch compensation (the FFmpeg backend has it, on by default since
Qt 6.10) is asked for explicitly, so 1.5x and 2x sound faster, not higher.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPushButton, QSizePolicy, QSlider, QStyle, QStyleOptionSlider,
                               QToolButton, QVBoxLayout, QWidget)

from app.gui.widgets import clock

SKIP_SECONDS = 10.0
SPEEDS = (1.0, 1.5, 2.0)


def speed_text(rate: float) -> str:
    return f"{rate:g}×"


def media_icon(widget: QWidget, theme_name: str, fallback: QStyle.StandardPixmap) -> QIcon:
    """The icon theme's media icon, else the style's: never a glyph ("▶", "⏸"), which many fonts draw as a box."""
    return QIcon.fromTheme(theme_name, widget.style().standardIcon(fallback))


class AudioPlayer(QObject):
    """QMediaPlayer + QAudioOutput, created on first use (the multimedia backend takes a moment to start).

    Positions are in seconds. A seek asked for before the file has loaded is applied once it has.
    """

    position_changed = Signal(float)  # seconds
    duration_changed = Signal(float)  # seconds, as the decoder tells it
    playing_changed = Signal(bool)
    rate_changed = Signal(float)
    finished = Signal()  # played to the end
    failed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._player = None
        self._output = None
        self._pending_seek: float | None = None
        self._rate = 1.0
        self.source: Path | None = None

    def _ensure(self):
        if self._player is None:
            from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer

            self._player = QMediaPlayer(self)
            self._output = QAudioOutput(self)
            self._player.setAudioOutput(self._output)
            if self._player.pitchCompensationAvailability() == QMediaPlayer.PitchCompensationAvailability.Available:
                self._player.setPitchCompensation(True)  # faster, not higher
            self._player.setPlaybackRate(self._rate)
            self._player.positionChanged.connect(lambda ms: self.position_changed.emit(ms / 1000))
            self._player.durationChanged.connect(lambda ms: self.duration_changed.emit(ms / 1000))
            self._player.playbackRateChanged.connect(self.rate_changed)
            self._player.playbackStateChanged.connect(
                lambda state: self.playing_changed.emit(state == QMediaPlayer.PlaybackState.PlayingState))
            self._player.mediaStatusChanged.connect(self._status_changed)
            self._player.errorOccurred.connect(lambda error, text: text and self.failed.emit(f"Cannot play: {text}"))
        return self._player

    @property
    def media_player(self):
        """The QMediaPlayer (None until the first playback)."""
        return self._player

    def play(self, path: Path, seconds: float | None = None) -> None:
        """Play `path` from `seconds` (None: from where it is, or the start for another file)."""
        player = self._ensure()
        if self.source != path:
            self.source = path
            self._pending_seek = seconds
            player.setSource(QUrl.fromLocalFile(str(path)))
        elif seconds is not None:
            self.seek(seconds)
        player.play()

    def play_from(self, path: Path, seconds: float = 0.0) -> None:
        self.play(path, seconds)

    def pause(self) -> None:
        if self._player is not None:
            self._player.pause()

    def toggle(self, path: Path, seconds: float | None = None) -> None:
        """Pause `path` if it is playing, else play it (from `seconds` when given)."""
        if self.source == path and self.is_playing():
            self.pause()
        else:
            self.play(path, seconds)

    def seek(self, seconds: float) -> None:
        """Move the loaded file's position, playing or not."""
        from PySide6.QtMultimedia import QMediaPlayer

        if self._player is None or self.source is None:
            return
        if self._player.mediaStatus() in (QMediaPlayer.MediaStatus.NoMedia, QMediaPlayer.MediaStatus.LoadingMedia):
            self._pending_seek = seconds
        else:
            self._player.setPosition(int(round(max(0.0, seconds) * 1000)))

    def _status_changed(self, status) -> None:
        from PySide6.QtMultimedia import QMediaPlayer

        if status in (QMediaPlayer.MediaStatus.LoadedMedia, QMediaPlayer.MediaStatus.BufferedMedia) \
                and self._pending_seek is not None:
            seconds, self._pending_seek = self._pending_seek, None
            if seconds > 0:
                self._player.setPosition(int(round(seconds * 1000)))
        elif status == QMediaPlayer.MediaStatus.EndOfMedia:
            self.finished.emit()

    def position(self) -> float:
        return 0.0 if self._player is None else self._player.position() / 1000

    def holds(self, path: Path | None) -> bool:
        """Whether `path` is the file loaded (playing, paused, or played to the end)."""
        return self._player is not None and path is not None and self.source == path

    def set_rate(self, rate: float) -> None:
        """Playback speed (1.0 = as recorded); kept for the next memos too."""
        self._rate = float(rate)
        if self._player is not None:
            self._player.setPlaybackRate(self._rate)
        else:
            self.rate_changed.emit(self._rate)

    def rate(self) -> float:
        return self._rate

    def is_playing(self) -> bool:
        from PySide6.QtMultimedia import QMediaPlayer

        return self._player is not None and self._player.playbackState() == QMediaPlayer.PlaybackState.PlayingState

    def is_paused(self) -> bool:
        from PySide6.QtMultimedia import QMediaPlayer

        return self._player is not None and self._player.playbackState() == QMediaPlayer.PlaybackState.PausedState

    def stop(self) -> None:
        """Stop and let go of the file (the next play loads it afresh)."""
        if self._player is not None:
            self._player.stop()
            self._player.setSource(QUrl())
        self.source, self._pending_seek = None, None


class Scrubber(QSlider):
    """The position slider: a click on the groove jumps there (QSlider's own steps a page), then drags on."""

    def __init__(self, parent=None):
        super().__init__(Qt.Orientation.Horizontal, parent)

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.maximum() > self.minimum():
            option = QStyleOptionSlider()
            self.initStyleOption(option)
            style = self.style()
            handle = style.subControlRect(QStyle.ComplexControl.CC_Slider, option,
                                          QStyle.SubControl.SC_SliderHandle, self)
            point = event.position().toPoint()
            if not handle.contains(point):
                groove = style.subControlRect(QStyle.ComplexControl.CC_Slider, option,
                                              QStyle.SubControl.SC_SliderGroove, self)
                span = max(1, groove.width() - handle.width())
                offset = point.x() - groove.x() - handle.width() // 2
                self.setValue(QStyle.sliderValueFromPosition(self.minimum(), self.maximum(), offset, span,
                                                             option.upsideDown))
        super().mousePressEvent(event)


class PlayerBar(QWidget):
    """Scrubber on top; elapsed / total, back 10 s, play/pause, forward 10 s and the speed below.

    It only shows and asks: `seek_requested`, `toggle_requested`, `skip_requested`, `speed_requested`; the
    memo view plays.
    """

    seek_requested = Signal(float)  # seconds
    preview = Signal(float)  # seconds, while the scrubber is dragged
    toggle_requested = Signal()
    skip_requested = Signal(float)  # seconds, + or -
    speed_requested = Signal(float)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("player")
        self.duration = 0.0
        self._shown_position = 0.0
        self._quiet = False  # the scrubber is moved by the player, not the user

        self.scrubber = Scrubber()
        self.scrubber.setObjectName("scrubber")
        self.scrubber.setAccessibleName("Position")
        self.scrubber.setSingleStep(1000)  # ms: arrow keys move 1 s, Page Up/Down 10 s
        self.scrubber.setPageStep(int(SKIP_SECONDS * 1000))
        self.scrubber.valueChanged.connect(self._value_changed)
        self.scrubber.sliderReleased.connect(lambda: self.seek_requested.emit(self.scrubber.value() / 1000))
        self.time = QLabel()
        self.time.setObjectName("player-time")
        self.time.setAlignment(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft)
        self.back_button = self._skip_button(-SKIP_SECONDS, "media-seek-backward",
                                             QStyle.StandardPixmap.SP_MediaSeekBackward, "Back")
        self.forward_button = self._skip_button(SKIP_SECONDS, "media-seek-forward",
                                                QStyle.StandardPixmap.SP_MediaSeekForward, "Forward")
        self.play_button = QPushButton()
        self.play_button.setObjectName("play")
        self.play_button.clicked.connect(self.toggle_requested)
        self.speed_button = QToolButton()
        self.speed_button.setObjectName("speed")  # framed: plain "1×" would not look like a button
        self.speed_button.setAccessibleName("Playback speed")
        self.speed_button.clicked.connect(self._next_speed)
        self.rate = 1.0

        controls = QHBoxLayout()
        controls.setContentsMargins(0, 0, 0, 0)
        controls.addWidget(self.time, 1)
        controls.addWidget(self.back_button)
        controls.addWidget(self.play_button)
        controls.addWidget(self.forward_button)
        speed_box = QHBoxLayout()  # as wide as the time, so the transport stays centred
        speed_box.addStretch(1)
        speed_box.addWidget(self.speed_button)
        controls.addLayout(speed_box, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.scrubber)
        layout.addLayout(controls)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.set_playing(False)
        self.set_rate(1.0)
        self.set_duration(0.0)

    def _skip_button(self, seconds: float, theme_name: str, fallback, word: str) -> QToolButton:
        button = QToolButton()
        button.setObjectName("skip-back" if seconds < 0 else "skip-forward")
        button.setIcon(media_icon(self, theme_name, fallback))
        button.setText(f"{abs(seconds):g} s")
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setAutoRaise(True)
        button.setToolTip(f"{word} {abs(seconds):g} seconds")
        button.setAccessibleName(f"{word} {abs(seconds):g} seconds")
        button.clicked.connect(lambda: self.skip_requested.emit(seconds))
        return button

    # -- what the player says --------------------------------------------------------------------

    def set_duration(self, seconds: float | None) -> None:
        self.duration = max(0.0, seconds or 0.0)
        self._quiet = True
        try:
            self.scrubber.setMaximum(int(round(self.duration * 1000)))
        finally:
            self._quiet = False
        self._fit_time_label()
        self.set_position(min(self._shown_position, self.duration))

    def set_position(self, seconds: float) -> None:
        """Where playback is; the scrubber stays where the user holds it."""
        self._shown_position = seconds
        if not self.scrubber.isSliderDown():
            self._quiet = True
            try:
                self.scrubber.setValue(int(round(seconds * 1000)))
            finally:
                self._quiet = False
            self._show_time(seconds)

    def set_playing(self, playing: bool) -> None:
        if playing:
            self.play_button.setIcon(media_icon(self, "media-playback-pause", QStyle.StandardPixmap.SP_MediaPause))
            self.play_button.setText("Pause")
        else:
            self.play_button.setIcon(media_icon(self, "media-playback-start", QStyle.StandardPixmap.SP_MediaPlay))
            self.play_button.setText("Play")

    def set_rate(self, rate: float) -> None:
        self.rate = rate
        self.speed_button.setText(speed_text(rate))
        following = SPEEDS[(self._speed_index() + 1) % len(SPEEDS)]
        self.speed_button.setToolTip(f"Playback speed {speed_text(rate)} (click for {speed_text(following)})")

    def set_available(self, available: bool, why: str = "") -> None:
        for widget in (self.scrubber, self.back_button, self.play_button, self.forward_button, self.speed_button):
            widget.setEnabled(available)
        self.setToolTip("" if available else why)

    # -- the user ----------------------------------------------------------------------------

    def _value_changed(self, value: int) -> None:
        if self._quiet:
            return
        seconds = value / 1000
        if self.scrubber.isSliderDown():  # dragging: show where it would play; seek on release
            self._show_time(seconds)
            self.preview.emit(seconds)
        else:  # a click on the groove, or a key
            self._show_time(seconds)
            self.seek_requested.emit(seconds)

    def _speed_index(self) -> int:
        return min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - self.rate))

    def _next_speed(self) -> None:
        self.speed_requested.emit(SPEEDS[(self._speed_index() + 1) % len(SPEEDS)])

    def _show_time(self, seconds: float) -> None:
        self.time.setText(f"{clock(seconds) or '0:00'} / {clock(self.duration) or '0:00'}")

    def _fit_time_label(self) -> None:
        """Wide enough for the longest elapsed time, so the buttons do not shift as it counts."""
        widest = f"{clock(self.duration) or '0:00'} / {clock(self.duration) or '0:00'}"
        widest = "".join("8" if c.isdigit() else c for c in widest)
        self.time.setMinimumWidth(self.time.fontMetrics().horizontalAdvance(widest) + 4)
