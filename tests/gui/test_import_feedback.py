"""The window's import summary (issue 15, point 8): each problem file named with a plain reason, "Show imported"
selecting the memos the import made, and Resume after a cancel. Real clips, real broken files, the real window."""
from __future__ import annotations

import os
import random
import shutil
import wave
from pathlib import Path

from storage import memos as store
from tests.conftest import DATA, ROOT
from tests.gui.conftest import wait_idle

ARTIFACTS = ROOT / "tests" / "artifacts"
GOOD = [DATA / "speech/fleurs_en_opus/fleurs-en-001.ogg", DATA / "speech/fleurs_en_opus/fleurs-en-004.ogg",
        DATA / "speech/ljspeech/LJ001-0008.wav"]
ALREADY_THERE = DATA / "speech/fleurs_en_opus/fleurs-en-000.ogg"  # in the window's library (conftest)
# FFmpeg's words, and the decoder's own: what the summary must not show a newcomer
TECHNICAL = ("Invalid data", "processing input", "readable audio", "decod", "stream")
IMPORT_TIMEOUT = 300_000
NO_MATCH = "qqxzv"  # matches no memo (as in test_newcomer)


def write_silence(path: Path, seconds: float = 3.0) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes(b"\0\0" * int(16_000 * seconds))


def write_bad_files(folder: Path) -> None:
    (folder / "x.mp3").write_bytes(random.Random(15).randbytes(20_000))  # corrupt: random bytes
    (folder / "empty.m4a").write_bytes(b"")
    (folder / "notes.wav").write_text("Shopping: milk, eggs, bread.\n")  # a text file named .wav
    (folder / "todo.txt").write_text("call the plumber\n")


def summary_rows(window) -> list[str]:
    rows = window.import_panel.failures
    return [rows.item(i).text() for i in range(rows.count())]


def memo_id_of(window, name: str) -> int:
    return next(m.id for m in store.list_memos(window.library.db()) if m.original_name == name)


def test_the_summary_names_each_problem_file_in_plain_words_and_shows_the_imported(window, qtbot, tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    for clip in [*GOOD, ALREADY_THERE]:
        shutil.copy(clip, folder / clip.name)
    write_bad_files(folder)
    write_silence(folder / "silence.wav")
    locked = not os.geteuid()  # root reads a file whatever its mode: no "permission denied" to see then
    if not locked:
        shutil.copy(GOOD[0], folder / "locked.ogg")
        (folder / "locked.ogg").chmod(0)
    before = set(window.memo_list.memo_ids())

    window.import_paths([folder])
    wait_idle(qtbot, window, timeout=IMPORT_TIMEOUT)
    panel = window.import_panel

    expected = {
        "x.mp3 — damaged or not an audio file",
        "notes.wav — damaged or not an audio file",
        "empty.m4a — empty file",
        "todo.txt — not an audio file (.txt)",
        f"fleurs-en-000.ogg — already in your library (memo {memo_id_of(window, ALREADY_THERE.name)})",
        "silence.wav — imported, but no speech found",
    }
    if not locked:
        expected.add("locked.ogg — can't be read (permission denied)")
    rows = summary_rows(window)
    assert sorted(rows) == sorted(expected)
    assert rows[-1] == "silence.wav — imported, but no speech found"  # the files not imported come first
    shown = [*rows, panel.label.text(), window.message_bar.text(), window.statusBar().currentMessage()]
    assert not [text for text in shown if any(word in text for word in TECHNICAL)], shown
    assert panel.label.text() == (f"Import finished: 3 transcribed, 1 without speech, 2 skipped, "
                                  f"{3 + (not locked)} failed.")
    assert panel.bar.value() == 1000 and not panel.resume_button.isVisible()
    tips = [panel.failures.item(i).toolTip() for i in range(panel.failures.count())]
    assert all(tip.startswith(str(folder)) for tip in tips), tips  # the whole path: two files may share a name

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    window.resize(1000, 700)
    qtbot.waitUntil(lambda: window.width() == 1000 and window.height() == 700, timeout=5000)
    qtbot.wait(200)
    assert window.grab().save(str(ARTIFACTS / "import-summary.png"))

    # "Show imported" selects exactly the memos this import made, even when a theme hides them
    made = {memo_id_of(window, name) for name in [*(clip.name for clip in GOOD), "silence.wav"]}
    assert set(window.memo_list.memo_ids()) - before == made
    with qtbot.waitSignal(window.search_done, timeout=60_000, check_params_cb=lambda query: query == NO_MATCH):
        window.search.setText(NO_MATCH)  # a search that lists none of them
    assert not made & set(window.memo_list.memo_ids())
    assert panel.show_imported_button.isVisible()
    panel.show_imported_button.click()
    assert set(window.memo_list.selected_memo_ids()) == made
    assert window.memo_view.memo is not None and window.memo_view.memo.id in made
    assert window.search.text() == "" and len(window.memo_list.memo_ids()) == len(before) + len(made)


def test_a_cancelled_import_says_what_is_left_and_resume_imports_exactly_that(window, qtbot, tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    for clip in GOOD:
        shutil.copy(clip, folder / clip.name)
    (folder / "x.mp3").write_bytes(random.Random(15).randbytes(20_000))
    panel = window.import_panel
    transcribed = []

    def cancel_after_the_first(status) -> None:
        if status.kind == "done":
            transcribed.append(status.name)
            if len(transcribed) == 1:
                panel.cancel_button.click()  # the import stops after the file it is on

    window.imports.status.connect(cancel_after_the_first)
    window.import_paths([folder])
    wait_idle(qtbot, window, timeout=IMPORT_TIMEOUT)
    window.imports.status.disconnect(cancel_after_the_first)

    left = len(GOOD) - len(transcribed)
    assert 1 <= left < len(GOOD), transcribed
    assert panel.label.text().startswith("Import cancelled: ")
    assert f"{left} file{'s' * (left != 1)} not imported yet" in panel.label.text()
    assert panel.bar.isHidden() or panel.bar.value() < 1000  # where it stopped, not full
    assert summary_rows(window) == ["x.mp3 — damaged or not an audio file"]
    assert panel.resume_button.isVisible() and panel.show_imported_button.isVisible()
    assert window.grab().save(str(tmp_path / "import-cancelled.png"))
    statuses = {m.original_name: m.status for m in store.list_memos(window.library.db())}
    assert sorted(name for name, status in statuses.items() if status == "pending") == sorted(
        clip.name for clip in GOOD if clip.name not in transcribed)

    panel.resume_button.click()
    assert window.imports.running
    wait_idle(qtbot, window, timeout=IMPORT_TIMEOUT)

    assert panel.label.text().startswith("Import finished: "), panel.label.text()
    assert f"{left} transcribed" in panel.label.text() and "0 skipped" in panel.label.text()
    assert not panel.resume_button.isVisible() and panel.bar.value() == 1000
    assert summary_rows(window) == ["x.mp3 — damaged or not an audio file"]  # the whole import's problems
    memos = store.list_memos(window.library.db())
    names = sorted(m.original_name for m in memos)
    assert names == sorted(["fleurs-en-000.ogg", "LJ001-0002.wav", *(clip.name for clip in GOOD)])  # none twice
    assert {m.status for m in memos} == {"done"}
    panel.show_imported_button.click()
    assert set(window.memo_list.selected_memo_ids()) == {memo_id_of(window, clip.name) for clip in GOOD}
