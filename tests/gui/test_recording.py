"""Recording from the window through the real CaptureController and the virtual microphone."""
from __future__ import annotations

from tests.audio.conftest import SPEECH, virtual_microphone  # noqa: F401  (the fixture)
from tests.conftest import references
from tests.gui.conftest import wait_idle
from tests.wer import normalise


def test_recording_from_the_microphone_becomes_a_memo(window, qtbot, virtual_microphone):  # noqa: F811
    window.start_background_work()  # loads Whisper in the background, as at start-up
    levels = []
    window.recording.progress.connect(lambda elapsed, level: levels.append(level))
    with qtbot.waitSignal(window.recording.state_changed, timeout=60_000,
                          check_params_cb=lambda state: state == "recording"):
        window.record_panel.button.click()
    assert window.record_panel.button.text().endswith("Stop")
    player = virtual_microphone.play(SPEECH)
    qtbot.waitUntil(lambda: player.poll() is not None, timeout=30_000)  # the level is polled meanwhile
    assert player.returncode == 0
    qtbot.wait(600)
    assert window.record_panel.timer.text() not in ("0:00", "")
    assert max(levels) > -50, "the level meter never saw the speech"
    with qtbot.waitSignal(window.recording.memo_made, timeout=180_000) as made:
        window.record_panel.button.click()
    outcome = made.args[0]
    heard = set(normalise(outcome.transcript).split())
    expected = normalise(references()[SPEECH]).split()
    assert len(heard & set(expected)) >= len(expected) // 2, outcome.transcript
    # the new memo is in the list and open
    assert outcome.memo_id in window.memo_list.memo_ids()
    qtbot.waitUntil(lambda: window.memo_view.memo is not None and window.memo_view.memo.id == outcome.memo_id)
    assert "Middle Ages".lower() in window.memo_view.transcript.toPlainText().lower()
    qtbot.waitUntil(lambda: window.recording.state == "idle", timeout=30_000)
    assert window.record_panel.button.text().endswith("Record")
    assert window.record_panel.timer.text() == "0:00"  # not the last recording's length, left on show
    wait_idle(qtbot, window)


def test_a_missing_microphone_gets_a_clear_message_and_the_app_keeps_running(window, qtbot):
    from dataclasses import replace

    window.apply_preferences(replace(window.preferences, input_device="no-such-microphone-xyz"))
    with qtbot.waitSignal(window.recording.error, timeout=30_000) as failed:
        window.record_panel.button.click()
    assert "no-such-microphone-xyz" in failed.args[0]
    assert "microphone" in window.message_bar.text().lower()
    qtbot.waitUntil(lambda: window.recording.state == "idle", timeout=10_000)
    assert window.record_panel.button.isEnabled() and window.record_panel.button.text().endswith("Record")
    # still usable
    window.memo_list.select_memo(window.memo_list.memo_ids()[0])
    assert window.memo_view.transcript.toPlainText()
    wait_idle(qtbot, window)


def test_musings_record_toggle_drives_the_window(window, qtbot, tmp_path):
    """The single-instance socket: another process's `record --toggle` reaches this window's recorder."""
    from app.instance import send_command

    window._start_instance_server()
    assert window.instance_server is not None
    reply = {}
    import threading

    thread = threading.Thread(target=lambda: reply.update(send_command("status", folder=tmp_path / "run")))
    thread.start()
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=10_000)
    assert reply["ok"] is True and reply["state"] == "idle"
