"""The memo view's player (issue 15, "a real player"): scrubber with elapsed / total, back and forward 10 s,
speed with the pitch kept, Space to play or pause outside text boxes, disabled without a memo or its audio.

Real playback: a real recording (89 s, Apollo 11) imported by the real Importer, played by QtMultimedia into
the PulseAudio null sink that scripts/test-services.sh starts. Positions are awaited, never timed: the sink
starts a stream a second or two after play() on a loaded machine.
"""
from __future__ import annotations

import shutil
import subprocess
import unicodedata
import wave
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QAbstractButton, QApplication, QStyle, QStyleOptionSlider

from app.gui import help
from app.gui.player import SPEEDS, AudioPlayer
from app.gui.widgets import clock
from tests.conftest import DATA, ROOT, require
from tests.gui.conftest import open_window, wait_idle

ARTIFACTS = ROOT / "tests" / "artifacts"
LONG_CLIP = DATA / "formats/apollo11.mp3"  # 89 s: room for the 10 s skips both ways
SHORT_CLIP = DATA / "speech/ljspeech/LJ001-0002.wav"
PLAY_TIMEOUT = 30_000  # ms: the first play starts the multimedia backend and a PulseAudio stream


def _pulse_running() -> bool:
    return bool(shutil.which("pactl")) and subprocess.run(["pactl", "info"], capture_output=True).returncode == 0


@pytest.fixture(scope="session")
def prepared_player_library(tmp_path_factory, transcriber) -> Path:
    from app.importer import Importer

    data_dir = tmp_path_factory.mktemp("player-library") / "data"
    with Importer(data_dir, transcriber=transcriber) as importer:
        report = importer.run([LONG_CLIP, SHORT_CLIP])
        assert len(report.of_kind("done")) == 2, report.events
    return data_dir


@pytest.fixture
def player_window(qtbot, prepared_player_library, tmp_path, gui_env):
    require(_pulse_running(), "no PulseAudio (scripts/test-services.sh starts one with a null sink)")
    data_dir = tmp_path / "data"
    shutil.copytree(prepared_player_library, data_dir)
    main = open_window(qtbot, data_dir, gui_env)
    yield main
    main.memo_view.player.stop()
    main.close()


def open_long_memo(window):
    memo = next(m for m in window.memos if m.original_name == LONG_CLIP.name)
    window.memo_list.select_memo(memo.id)
    assert window.memo_view.memo.id == memo.id
    return memo


def media(view):
    return view.player.media_player


def position(view) -> float:
    return view.player.position()


def start_playing(qtbot, view, past: float = 0.3) -> None:
    """Play, and wait until sound is really coming out (the position moves)."""
    if not view.player.is_playing():
        view.play_button.click()
    qtbot.waitUntil(lambda: view.player.is_playing() and position(view) > past, timeout=PLAY_TIMEOUT)


def elapsed_shown(view) -> str:
    return view.controls.time.text().split(" / ")[0]


def click_scrubber_at(qtbot, scrubber, fraction: float) -> float:
    """Click the groove at `fraction` of its length; returns the seconds that stands for."""
    option = QStyleOptionSlider()
    scrubber.initStyleOption(option)
    style = scrubber.style()
    groove = style.subControlRect(QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderGroove, scrubber)
    handle = style.subControlRect(QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderHandle, scrubber)
    span = groove.width() - handle.width()
    x = groove.x() + handle.width() // 2 + int(span * fraction)
    point = QPoint(x, groove.center().y())
    assert not handle.contains(point)
    expected = QStyle.sliderValueFromPosition(scrubber.minimum(), scrubber.maximum(), x - groove.x()
                                              - handle.width() // 2, span) / 1000
    qtbot.mouseClick(scrubber, Qt.MouseButton.LeftButton, pos=point)
    return expected


def press(qtbot, widget, key: str) -> None:
    """Type `key` with the focus on `widget`, as the user would (shortcuts follow the focus)."""
    widget.window().activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget.window(), timeout=5000)
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus, timeout=5000)
    combination = QKeySequence(key)[0]
    qtbot.keyClick(widget, combination.key(), combination.keyboardModifiers())


# -- what the bar shows ------------------------------------------------------------------------------------

def test_total_time_is_the_memos_duration_and_the_controls_need_a_memo_with_audio(player_window, qtbot):
    window = player_window
    view = window.memo_view
    bar = view.controls
    buttons = [bar.back_button, bar.play_button, bar.forward_button, bar.speed_button]
    view.clear()
    assert not any(w.isEnabled() for w in buttons + [bar.scrubber])
    view.toggle_play()  # Space with no memo: nothing happens
    assert view.player.media_player is None

    memo = open_long_memo(window)
    assert memo.duration == pytest.approx(89.2, abs=0.5)
    assert all(w.isEnabled() for w in buttons + [bar.scrubber])
    assert bar.time.text() == f"0:00 / {clock(memo.duration)}" == "0:00 / 1:29"
    assert bar.scrubber.maximum() == round(memo.duration * 1000)
    # icons from the theme or the style, never a glyph that a font may lack
    for button in (bar.back_button, bar.play_button, bar.forward_button):
        assert not button.icon().isNull()
    texts = [b.text() for b in window.findChildren(QAbstractButton)]
    assert not [t for t in texts if any(unicodedata.category(c) == "So" for c in t)], texts
    assert bar.play_button.text() == "Play" and bar.speed_button.text() == "1×"

    # a memo whose recording is missing from the library: shown, but nothing to play
    short = next(m for m in window.memos if m.original_name == SHORT_CLIP.name)
    (window.library.data_dir / short.library_path).rename(window.library.data_dir / "moved-away")
    window.memo_list.select_memo(short.id)
    assert view.memo.id == short.id and view.transcript.isEnabled()
    assert not any(w.isEnabled() for w in buttons + [bar.scrubber])
    assert "missing" in bar.toolTip()
    view.toggle_play()
    assert not view.player.is_playing()


# -- seeking -----------------------------------------------------------------------------------------------

def test_clicking_and_dragging_the_scrubber_seek_and_the_spoken_word_follows(player_window, qtbot):
    window = player_window
    view = window.memo_view
    scrubber = view.controls.scrubber
    open_long_memo(window)
    start_playing(qtbot, view)
    assert view.play_button.text() == "Pause"

    target = click_scrubber_at(qtbot, scrubber, 0.6)
    assert 50 < target < 56
    qtbot.waitUntil(lambda: position(view) > target, timeout=PLAY_TIMEOUT)  # it plays on from there
    assert position(view) < target + 15
    assert elapsed_shown(view) in {clock(position(view) + d) for d in (-1, 0, 1)}
    assert view.player.is_playing()
    # the spoken word follows: a word at or after the seek point gets highlighted
    transcript = view.transcript
    qtbot.waitUntil(lambda: transcript.current_word is not None
                    and transcript.words[transcript.current_word].end >= target - 0.5, timeout=PLAY_TIMEOUT)

    # drag the handle back to near the start: nothing moves while held, the seek happens on release
    option = QStyleOptionSlider()
    scrubber.initStyleOption(option)
    handle = scrubber.style().subControlRect(QStyle.ComplexControl.CC_Slider, option,
                                             QStyle.SubControl.SC_SliderHandle, scrubber)
    qtbot.mousePress(scrubber, Qt.MouseButton.LeftButton, pos=handle.center())
    assert scrubber.isSliderDown()
    left = QPoint(handle.width() // 2 + int(scrubber.width() * 0.1), handle.center().y())
    qtbot.mouseMove(scrubber, left)
    dragged_to = scrubber.value() / 1000
    assert dragged_to < 20
    assert elapsed_shown(view) == clock(dragged_to)  # the time shows where it would play from
    assert position(view) > target - 1  # still playing where it was
    qtbot.mouseRelease(scrubber, Qt.MouseButton.LeftButton, pos=left)
    qtbot.waitUntil(lambda: dragged_to <= position(view) < target - 10, timeout=PLAY_TIMEOUT)
    qtbot.waitUntil(lambda: position(view) > dragged_to + 0.2, timeout=PLAY_TIMEOUT)  # and plays on


def test_seeking_while_paused_plays_from_there(player_window, qtbot):
    window = player_window
    view = window.memo_view
    open_long_memo(window)
    start_playing(qtbot, view)
    view.play_button.click()
    qtbot.waitUntil(lambda: not view.player.is_playing(), timeout=5000)
    assert view.play_button.text() == "Play"
    target = click_scrubber_at(qtbot, view.controls.scrubber, 0.3)
    qtbot.waitUntil(lambda: abs(position(view) - target) < 0.05, timeout=5000)
    assert not view.player.is_playing()
    view.play_button.click()
    qtbot.waitUntil(lambda: position(view) > target + 0.2, timeout=PLAY_TIMEOUT)
    assert position(view) < target + 15


def test_played_to_the_end_it_is_back_at_the_start_and_plays_again(player_window, qtbot):
    window = player_window
    view = window.memo_view
    short = next(m for m in window.memos if m.original_name == SHORT_CLIP.name)
    window.memo_list.select_memo(short.id)
    assert view.controls.time.text() == f"0:00 / {clock(short.duration)}"
    start_playing(qtbot, view, past=0.2)
    qtbot.waitUntil(lambda: not view.player.is_playing(), timeout=PLAY_TIMEOUT)  # 1.9 s: played out
    assert view.at == 0.0 and view.controls.scrubber.value() == 0 and view.play_button.text() == "Play"
    assert view.transcript.current_word in (None, 0)  # nothing, or the first word if it starts at 0:00
    view.play_button.click()
    qtbot.waitUntil(lambda: view.player.is_playing() and position(view) > 0.2, timeout=PLAY_TIMEOUT)


# -- skipping ----------------------------------------------------------------------------------------------

def test_back_and_forward_move_ten_seconds(player_window, qtbot):
    window = player_window
    view = window.memo_view
    bar = view.controls
    memo = open_long_memo(window)

    # before the first play: the next play starts where the skips left it
    bar.forward_button.click()
    bar.forward_button.click()
    assert view.at == pytest.approx(20.0) and elapsed_shown(view) == "0:20"
    bar.back_button.click()
    assert view.at == pytest.approx(10.0) and elapsed_shown(view) == "0:10"
    start_playing(qtbot, view, past=10.1)

    # paused: exactly 10 s either way
    view.play_button.click()
    qtbot.waitUntil(lambda: not view.player.is_playing(), timeout=5000)
    paused_at = position(view)
    bar.forward_button.click()
    qtbot.waitUntil(lambda: position(view) == pytest.approx(paused_at + 10, abs=0.05), timeout=5000)
    bar.back_button.click()
    qtbot.waitUntil(lambda: position(view) == pytest.approx(paused_at, abs=0.05), timeout=5000)

    # playing: forward lands 10 s on, back 10 s back, and it plays on
    view.play_button.click()
    qtbot.waitUntil(lambda: view.player.is_playing() and position(view) > paused_at + 0.2, timeout=PLAY_TIMEOUT)
    before = position(view)
    bar.forward_button.click()
    qtbot.waitUntil(lambda: position(view) >= before + 10, timeout=PLAY_TIMEOUT)
    assert position(view) < before + 25
    before = position(view)
    bar.back_button.click()
    qtbot.waitUntil(lambda: position(view) <= before - 9, timeout=PLAY_TIMEOUT)
    assert view.player.is_playing()

    # never before the start nor past the end
    for _ in range(10):
        bar.back_button.click()
    qtbot.waitUntil(lambda: position(view) < 5, timeout=PLAY_TIMEOUT)
    assert view.at >= 0
    view.play_button.click()  # pause
    qtbot.waitUntil(lambda: not view.player.is_playing(), timeout=5000)
    for _ in range(12):
        bar.forward_button.click()
    assert view.at == pytest.approx(memo.duration)


def test_ctrl_arrows_skip_outside_text_boxes(player_window, qtbot):
    window = player_window
    view = window.memo_view
    open_long_memo(window)
    press(qtbot, window.memo_list, "Ctrl+Right")
    press(qtbot, window.memo_list, "Ctrl+Right")
    assert view.at == pytest.approx(20.0)
    press(qtbot, view.transcript, "Ctrl+Left")  # read-only: the player's key
    assert view.at == pytest.approx(10.0)
    window.search.setText("apollo moon")
    press(qtbot, window.search, "Ctrl+Left")  # a text box keeps it (moves a word back)
    assert view.at == pytest.approx(10.0)
    assert window.search.cursorPosition() == len("apollo ")
    window.search.clear()
    wait_idle(qtbot, window)


# -- speed ---------------------------------------------------------------------------------------------

def test_speed_changes_the_rate_keeps_the_pitch_and_playback_goes_on(player_window, qtbot):
    window = player_window
    view = window.memo_view
    bar = view.controls
    open_long_memo(window)
    start_playing(qtbot, view)
    player = media(view)
    assert player.playbackRate() == 1.0
    assert player.pitchCompensation(), "pitch compensation is off: faster playback would sound higher"

    bar.speed_button.click()
    assert bar.speed_button.text() == "1.5×"
    qtbot.waitUntil(lambda: player.playbackRate() == 1.5, timeout=5000)
    assert player.pitchCompensation()
    before = position(view)
    qtbot.waitUntil(lambda: position(view) > before + 1.0, timeout=PLAY_TIMEOUT)  # still playing
    assert view.player.is_playing()

    bar.speed_button.click()
    assert bar.speed_button.text() == "2×"
    qtbot.waitUntil(lambda: player.playbackRate() == 2.0, timeout=5000)
    before = position(view)
    qtbot.waitUntil(lambda: position(view) > before + 1.0, timeout=PLAY_TIMEOUT)

    # the speed stays for the next memo opened
    short = next(m for m in window.memos if m.original_name == SHORT_CLIP.name)
    window.memo_list.select_memo(short.id)
    assert bar.speed_button.text() == "2×"
    view.play_button.click()
    qtbot.waitUntil(lambda: view.player.is_playing(), timeout=PLAY_TIMEOUT)
    assert media(view).playbackRate() == 2.0
    bar.speed_button.click()
    assert bar.speed_button.text() == "1×" and view.player.rate() == SPEEDS[0]
    qtbot.waitUntil(lambda: media(view).playbackRate() == 1.0, timeout=5000)


def _tone(path: Path, hz: float, seconds: float = 8.0, rate: int = 44_100) -> None:
    t = np.arange(int(seconds * rate)) / rate
    samples = (0.4 * np.sin(2 * np.pi * hz * t) * 32767).astype(np.int16)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())


def _dominant_hz(raw: bytes, rate: int = 44_100) -> float:
    samples = np.frombuffer(raw, dtype=np.int16).astype(float)
    samples = samples[np.abs(samples) > 200]  # the sound, not the silence before the stream starts
    samples = samples[: rate]
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[spectrum.argmax()])


@pytest.mark.parametrize("speed", [1.5, 2.0])
def test_faster_playback_keeps_the_pitch(speed, qtbot, tmp_path):
    """What comes out of the sound card at 1.5x and 2x: a 440 Hz tone stays 440 Hz (660 / 880 without
    pitch compensation), recorded from the null sink's monitor."""
    require(_pulse_running() and shutil.which("parec") is not None, "no PulseAudio with parec")
    tone = tmp_path / "tone.wav"
    _tone(tone, 440.0)
    player = AudioPlayer()
    player.set_rate(speed)
    capture = tmp_path / "capture.raw"
    monitor = subprocess.run(["pactl", "get-default-sink"], capture_output=True, text=True,
                             check=True).stdout.strip() + ".monitor"
    with open(capture, "wb") as sink:
        recorder = subprocess.Popen(["parec", "-d", monitor, "--raw", "--format=s16le",
                                     "--channels=1", "--rate=44100"], stdout=sink)
        try:
            player.play(tone)
            qtbot.waitUntil(lambda: player.position() > 1.8, timeout=PLAY_TIMEOUT)
        finally:
            player.stop()
            recorder.terminate()
            recorder.wait(timeout=10)
    heard = _dominant_hz(capture.read_bytes())
    assert heard == pytest.approx(440.0, abs=10), f"heard {heard:.0f} Hz at {speed}x"
    assert player.media_player.pitchCompensation()


# -- Space -------------------------------------------------------------------------------------------------

def test_space_plays_and_pauses_except_in_a_text_box(player_window, qtbot):
    window = player_window
    view = window.memo_view
    assert any(s.command == "play_pause" and s.keys == ("Space",) for s in window.shortcuts())
    open_long_memo(window)

    press(qtbot, window.memo_list, "Space")
    qtbot.waitUntil(view.player.is_playing, timeout=PLAY_TIMEOUT)
    press(qtbot, window.memo_list, "Space")
    qtbot.waitUntil(lambda: not view.player.is_playing(), timeout=5000)

    # the transcript is read-only: Space is the player's there too
    press(qtbot, view.transcript, "Space")
    qtbot.waitUntil(view.player.is_playing, timeout=PLAY_TIMEOUT)
    press(qtbot, view.transcript, "Space")
    qtbot.waitUntil(lambda: not view.player.is_playing(), timeout=5000)

    # the search box types it
    window.search.setText("moon")
    press(qtbot, window.search, "Space")
    assert window.search.text() == "moon "
    qtbot.wait(300)
    assert not view.player.is_playing()
    window.search.clear()
    wait_idle(qtbot, window)


# -- how it looks ------------------------------------------------------------------------------------------

def _nothing_cut(window) -> None:
    bar = window.memo_view.controls
    for widget in (bar.back_button, bar.play_button, bar.forward_button, bar.speed_button, bar.time):
        assert widget.isVisible() and not widget.visibleRegion().isEmpty(), widget.objectName()
        assert widget.width() >= widget.minimumSizeHint().width(), widget.objectName()
        top_left = widget.mapTo(window, QPoint(0, 0))
        assert window.rect().contains(top_left) and window.rect().contains(
            top_left + QPoint(widget.width() - 1, widget.height() - 1)), widget.objectName()
    text = bar.time.text()
    assert bar.time.width() >= bar.time.fontMetrics().horizontalAdvance(text), text
    assert bar.scrubber.width() >= 100
    memo_view = window.memo_view
    assert bar.mapTo(memo_view, QPoint(bar.width(), 0)).x() <= memo_view.width()


def test_screenshot_mid_playback(player_window, qtbot):
    window = player_window
    view = window.memo_view
    open_long_memo(window)
    view.seek(30.0)
    start_playing(qtbot, view, past=31.0)
    transcript = view.transcript
    qtbot.waitUntil(lambda: transcript.current_word is not None, timeout=PLAY_TIMEOUT)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert window.size().width() == 1200  # the window's default size
    _nothing_cut(window)
    out = ARTIFACTS / "player-mid-playback.png"
    assert window.grab().save(str(out))
    window.resize(1000, 700)
    qtbot.waitUntil(lambda: window.width() == 1000 and window.height() == 700, timeout=5000)
    qtbot.wait(200)
    _nothing_cut(window)
    assert window.grab().save(str(ARTIFACTS / "player-mid-playback-1000x700.png"))
    assert out.stat().st_size > 5_000
    assert help.key_text(next(s for s in window.shortcuts() if s.command == "play_pause")) == "Space"
