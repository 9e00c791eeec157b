"""The Markdown export: a vault of real files in tmp_path, exported, re-exported and edited."""
from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from app.export import (
    MANIFEST_NAME, ExportMemo, ExportSegment, ExportTheme, export_vault, safe_stem,
)
from tests.conftest import DATA

WIKILINK = re.compile(r"!?\[\[([^\]]+)\]\]")
WINDOWS_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f\[\]#^]')
WINDOWS_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³])(\..*)?$", re.IGNORECASE)


@pytest.fixture
def library(tmp_path) -> Path:
    """The app's audio library with two real recordings."""
    folder = tmp_path / "library"
    folder.mkdir()
    shutil.copy(DATA / "formats/jfk.mp3", folder / "2024-05-01 jfk.mp3")
    shutil.copy(DATA / "formats/format_test.m4a", folder / "voice note.m4a")
    return folder


@pytest.fixture
def vault(tmp_path) -> Path:
    return tmp_path / "vault"


def memo(memo_id: int, title: str, audio: Path, **changes) -> ExportMemo:
    base = ExportMemo(
        id=memo_id, title=title, recorded_at=f"2024-05-{memo_id % 28 + 1:02d}T09:30:00", duration=11.0,
        theme="Speeches", tags=["history", "big ideas"],
        segments=[ExportSegment(0.0, 4.2, "And so, my fellow Americans,"), ExportSegment(72.5, 80.0, "ask not.")],
        audio_path=audio, related=[], near_duplicates=[],
    )
    return replace(base, **changes)


@pytest.fixture
def collection(library) -> tuple[list[ExportMemo], list[ExportTheme]]:
    jfk, note = library / "2024-05-01 jfk.mp3", library / "voice note.m4a"
    memos = [
        memo(1, "Ask not", jfk, related=[(2, 0.876), (3, 0.5)], near_duplicates=[3]),
        memo(2, "Grocery list: eggs/milk", note, theme="Errands", tags=["todo"], related=[(1, 0.876)]),
        memo(3, "Ask not (again)", jfk, near_duplicates=[1], related=[(1, 0.5)]),
    ]
    themes = [ExportTheme(1, "Speeches", [1, 3]), ExportTheme(2, "Errands", [2])]
    return memos, themes


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


def front_matter(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text[4:text.index("\n---\n", 4)])


def notes(folder: Path) -> dict[str, Path]:
    return {p.stem: p for p in folder.glob("*.md")}


def memo_notes(folder: Path) -> dict[int, Path]:
    found = {}
    for path in folder.glob("*.md"):
        meta = front_matter(path) if path.read_text(encoding="utf-8").startswith("---\n") else {}
        if "musings_id" in meta:
            assert meta["musings_id"] not in found, "a memo was exported twice"
            found[meta["musings_id"]] = path
    return found


def assert_links_resolve(folder: Path) -> None:
    """Every [[link]] in a note's body names an existing note, audio copy or picture (the index's timeline.png)."""
    stems = {p.stem for p in folder.glob("*.md")}
    for path in folder.glob("*.md"):
        text = path.read_text(encoding="utf-8")
        body = text[text.index("\n---\n", 4) + 5:] if text.startswith("---\n") else text
        for target in WIKILINK.findall(body):
            if target.startswith("audio/") or target.endswith(".png"):
                assert (folder / target).is_file(), f"{path.name} embeds missing {target}"
            else:
                assert target in stems, f"{path.name} links to missing [[{target}]]"


def test_export_writes_a_vault_that_parses_and_links(vault, collection):
    memos, themes = collection
    result = export_vault(vault, memos, themes)

    names = sorted(p.name for p in vault.glob("*.md"))
    assert names == sorted([
        "Ask not.md", "Ask not (again).md", "Grocery list eggs milk.md",
        "Theme - Speeches.md", "Theme - Errands.md", "Musings index.md",
    ])
    assert sorted(p.name for p in (vault / "audio").iterdir()) == ["musings-1.mp3", "musings-2.m4a", "musings-3.mp3"]
    assert (vault / "audio/musings-2.m4a").read_bytes() == (DATA / "formats/format_test.m4a").read_bytes()
    assert (vault / MANIFEST_NAME).is_file()
    # 6 notes, 3 audio copies and the index's timeline.png
    assert len(result.written) == 10 and result.unchanged == 0 and not result.removed and not result.skipped_user_files

    meta = front_matter(vault / "Grocery list eggs milk.md")
    assert meta["musings_id"] == 2
    assert meta["memo_title"] == "Grocery list: eggs/milk"
    assert meta["theme"] == "Errands" and meta["tags"] == ["todo"] and meta["duration"] == 11.0
    assert str(meta["date"]) == "2024-05-03"
    assert front_matter(vault / "Ask not.md")["tags"] == ["big-ideas", "history"]

    text = (vault / "Ask not.md").read_text(encoding="utf-8")
    assert "# Ask not\n" in text
    assert "**[0:00]** And so, my fellow Americans," in text and "**[1:12]** ask not." in text
    assert "![[audio/musings-1.mp3]]" in text
    assert "- [[Grocery list eggs milk]] · very close" in text
    assert text.index("[[Grocery list eggs milk]]") < text.index("- [[Ask not (again)]] · related")
    assert "Possible duplicate" in text and "[[Ask not (again)]]" in text
    assert "Possible duplicate" not in (vault / "Grocery list eggs milk.md").read_text(encoding="utf-8")

    index = (vault / "Musings index.md").read_text(encoding="utf-8")
    assert "- [[Theme - Speeches]] (2)" in index and "- [[Theme - Errands]] (1)" in index
    dated = re.findall(r"^- (\d{4}-\d{2}-\d{2}) \[\[", index, re.MULTILINE)
    assert dated == sorted(dated) and len(dated) == 3
    theme = (vault / "Theme - Speeches.md").read_text(encoding="utf-8")
    assert "[[Ask not]]" in theme and "[[Ask not (again)]]" in theme and "Grocery" not in theme
    for path in vault.glob("*.md"):
        front_matter(path)  # every note's front matter is valid YAML
    assert_links_resolve(vault)


def test_reexport_with_the_same_input_changes_nothing(vault, collection):
    memos, themes = collection
    export_vault(vault, memos, themes)
    before = snapshot(vault)

    result = export_vault(vault, memos, themes)

    assert snapshot(vault) == before
    assert result.written == [] and result.removed == [] and result.skipped_user_files == []
    assert result.unchanged == 10  # with timeline.png


def test_changed_transcript_rewrites_only_that_note(vault, collection):
    memos, themes = collection
    export_vault(vault, memos, themes)
    before = snapshot(vault)

    memos[1] = replace(memos[1], segments=[ExportSegment(0, 3, "Eggs, milk and bread.")])
    result = export_vault(vault, memos, themes)

    after = snapshot(vault)
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed == {"Grocery list eggs milk.md", MANIFEST_NAME}
    assert result.written == [vault / "Grocery list eggs milk.md"]
    assert "Eggs, milk and bread." in (vault / "Grocery list eggs milk.md").read_text(encoding="utf-8")


def test_renamed_title_renames_the_note_and_updates_links(vault, collection):
    memos, themes = collection
    export_vault(vault, memos, themes)

    memos[0] = replace(memos[0], title="Ask what you can do")
    result = export_vault(vault, memos, themes)

    assert not (vault / "Ask not.md").exists()
    assert (vault / "Ask what you can do.md").is_file()
    assert result.removed == [vault / "Ask not.md"]
    assert sorted(memo_notes(vault)) == [1, 2, 3]
    assert len(list(vault.glob("*.md"))) == 6
    assert "[[Ask what you can do]]" in (vault / "Musings index.md").read_text(encoding="utf-8")
    assert "[[Ask what you can do]]" in (vault / "Ask not (again).md").read_text(encoding="utf-8")
    assert sorted(p.name for p in (vault / "audio").iterdir()) == ["musings-1.mp3", "musings-2.m4a", "musings-3.mp3"]
    assert_links_resolve(vault)


def test_case_only_rename_leaves_one_note(vault, collection):
    memos, themes = collection
    export_vault(vault, memos, themes)

    memos[0] = replace(memos[0], title="ASK NOT")
    export_vault(vault, memos, themes)

    assert [p.name for p in vault.glob("*.md") if p.name.casefold() == "ask not.md"] == ["ASK NOT.md"]
    assert sorted(memo_notes(vault)) == [1, 2, 3]
    assert_links_resolve(vault)


def test_removed_memo_and_its_audio_are_cleaned_up(vault, collection):
    memos, themes = collection
    export_vault(vault, memos, themes)

    result = export_vault(vault, memos[:2], [ExportTheme(1, "Speeches", [1]), themes[1]])

    assert not (vault / "Ask not (again).md").exists() and not (vault / "audio/musings-3.mp3").exists()
    assert set(result.removed) == {vault / "Ask not (again).md", vault / "audio/musings-3.mp3"}
    assert_links_resolve(vault)


def test_user_note_with_a_colliding_name_is_untouched(vault, collection):
    memos, themes = collection
    vault.mkdir()
    mine = vault / "ask NOT.md"  # same name to macOS and Windows
    mine.write_text("# My own thoughts\n", encoding="utf-8")
    index = vault / "Musings index.md"
    index.write_text("my index\n", encoding="utf-8")
    (vault / "audio").mkdir()
    (vault / "audio/musings-1.mp3").write_bytes(b"not yours")

    export_vault(vault, memos, themes)
    export_vault(vault, memos, themes)

    assert mine.read_text(encoding="utf-8") == "# My own thoughts\n"
    assert index.read_text(encoding="utf-8") == "my index\n"
    assert (vault / "audio/musings-1.mp3").read_bytes() == b"not yours"
    ours = memo_notes(vault)[1]
    assert ours.name == "Ask not (2024-05-02).md"
    assert "![[audio/musings-1-2.mp3]]" in ours.read_text(encoding="utf-8")
    assert (vault / "Musings index (2).md").is_file()
    assert_links_resolve(vault)


def test_user_edited_note_is_kept_and_reported(vault, collection):
    memos, themes = collection
    export_vault(vault, memos, themes)
    note = vault / "Ask not.md"
    edited = note.read_text(encoding="utf-8") + "\nMy follow-up thought.\n"
    note.write_text(edited, encoding="utf-8")

    memos[0] = replace(memos[0], segments=[ExportSegment(0, 1, "New transcript")])
    result = export_vault(vault, memos, themes)
    assert note.read_text(encoding="utf-8") == edited
    assert result.skipped_user_files == [note]

    memos[0] = replace(memos[0], title="A new title")
    result = export_vault(vault, memos, themes)
    assert note.read_text(encoding="utf-8") == edited, "a renamed memo must not delete the user's edits"
    assert note in result.skipped_user_files and (vault / "A new title.md").is_file()


def test_lost_manifest_is_rebuilt_from_front_matter(vault, collection):
    memos, themes = collection
    export_vault(vault, memos, themes)
    (vault / MANIFEST_NAME).unlink()

    export_vault(vault, memos, themes)

    assert sorted(p.name for p in vault.glob("*.md")) == sorted([
        "Ask not.md", "Ask not (again).md", "Grocery list eggs milk.md",
        "Theme - Speeches.md", "Theme - Errands.md", "Musings index.md",
    ])
    assert "Ask not.md" in json.loads((vault / MANIFEST_NAME).read_text())["files"]


def test_lost_manifest_and_a_retitled_memo_leave_one_note_per_memo(vault, collection):
    memos, themes = collection
    export_vault(vault, memos, themes)
    (vault / MANIFEST_NAME).unlink()

    memos[0] = replace(memos[0], title="Ask what you can do")
    result = export_vault(vault, memos, themes)

    assert not (vault / "Ask not.md").exists() and vault / "Ask not.md" in result.removed
    assert sorted(memo_notes(vault)) == [1, 2, 3]
    assert result.skipped_user_files == []
    assert_links_resolve(vault)


def test_a_note_holding_what_musings_would_write_is_not_a_user_edit(vault, collection, tmp_path):
    """The state a kill between writing a note and recording it in the manifest leaves."""
    memos, themes = collection
    export_vault(vault, memos, themes)
    memos[1] = replace(memos[1], segments=[ExportSegment(0, 3, "Eggs, milk and bread.")])
    elsewhere = tmp_path / "elsewhere"
    export_vault(elsewhere, memos, themes)
    shutil.copy(elsewhere / "Grocery list eggs milk.md", vault / "Grocery list eggs milk.md")

    result = export_vault(vault, memos, themes)
    assert result.skipped_user_files == []

    memos[1] = replace(memos[1], segments=[ExportSegment(0, 3, "Just eggs.")])
    result = export_vault(vault, memos, themes)
    assert result.skipped_user_files == []
    assert "Just eggs." in (vault / "Grocery list eggs milk.md").read_text(encoding="utf-8")


def test_without_copying_audio_notes_link_to_the_library(vault, collection, library):
    memos, themes = collection
    export_vault(vault, memos, themes, copy_audio=False)

    assert not (vault / "audio").exists()
    text = (vault / "Ask not.md").read_text(encoding="utf-8")
    assert "[Audio file](../library/2024-05-01%20jfk.mp3)" in text
    assert (vault / "../library/2024-05-01 jfk.mp3").resolve().is_file()


HOSTILE_TITLES = [
    "x" * 300, "🤖" * 100, "../../etc/passwd", "CON", "con.txt", "Lpt1", "COM9 ", "nul.tar.gz", "a/b\\c",
    "🤖 robot ideas 🤖", "", "   ", ".hidden", "...", "same", "same", "Same", 'what: *now*? "quote" <tag> |pipe|',
    "line\nbreak\ttab\x00nul\x1b", "[[link]] #tag ^block", "trailing dot. ", "notes.md", "..\\..\\windows",
    "key: value\n---\nevil: true", "'single' & \"double\" {brace}",
]


def test_hostile_titles_make_safe_unique_names(vault, library, tmp_path):
    audio = library / "2024-05-01 jfk.mp3"
    memos = [memo(i + 1, title, audio, related=[(((i + 1) % len(HOSTILE_TITLES)) + 1, 0.7)])
             for i, title in enumerate(HOSTILE_TITLES)]
    themes = [ExportTheme(1, "CON/../x", [m.id for m in memos]), ExportTheme(2, "", [1])]

    export_vault(vault, memos, themes)

    outside = {p for p in tmp_path.rglob("*") if p.is_file()} - set(vault.rglob("*")) - set(library.rglob("*"))
    assert outside == set(), "nothing is written outside the vault"
    files = [p for p in vault.rglob("*") if p.is_file()]
    folded = [p.relative_to(vault).as_posix().casefold() for p in files]
    assert len(folded) == len(set(folded))
    for path in files:
        if path.name == MANIFEST_NAME:
            continue
        stem = path.stem
        assert not WINDOWS_FORBIDDEN.search(path.name), path.name
        assert not WINDOWS_RESERVED.match(path.name.split(".")[0].rstrip(" ")), path.name
        assert stem == stem.strip(" .") and stem, path.name
        assert len(stem.encode("utf-8")) <= 120
    by_id = memo_notes(vault)
    assert sorted(by_id) == [m.id for m in memos]
    for m in memos:
        meta = front_matter(by_id[m.id])
        assert meta["memo_title"] == m.title  # YAML round-trips the exact title, control chars included
    assert by_id[1].stem == "x" * 120
    assert by_id[2].stem == "🤖" * 30
    assert by_id[10].stem == "🤖 robot ideas 🤖"
    assert {by_id[15].stem, by_id[16].stem, by_id[17].stem} == {"same", "same (2024-05-17)", "Same (2024-05-18)"}
    assert_links_resolve(vault)
    before = snapshot(vault)
    export_vault(vault, memos, themes)
    assert snapshot(vault) == before


@pytest.mark.parametrize("title, stem", [
    ("CON", "_CON"), ("aux.txt", "_aux.txt"), ("COM1", "_COM1"), ("console", "console"),
    ("../../etc/passwd", "etc passwd"), ("", "Untitled"), ("  .  ", "Untitled"),
    ("é" * 100, "é" * 60), ("a\u0301" * 3, "\u00e1" * 3),
])
def test_safe_stem(title, stem):
    assert safe_stem(title) == stem


def test_renamed_theme_rewrites_the_notes_of_its_memos_only(vault, collection):
    memos, themes = collection
    export_vault(vault, memos, themes)
    before = snapshot(vault)

    themes[0] = replace(themes[0], name="Great speeches")
    memos = [replace(m, theme="Great speeches") if m.theme == "Speeches" else m for m in memos]
    result = export_vault(vault, memos, themes)

    after = snapshot(vault)
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed == {"Ask not.md", "Ask not (again).md", "Theme - Great speeches.md", "Musings index.md",
                       MANIFEST_NAME}
    assert result.removed == [vault / "Theme - Speeches.md"]
    for name in ("Ask not.md", "Ask not (again).md"):
        text = (vault / name).read_text(encoding="utf-8")
        assert "[[Theme - Great speeches]]" in text and front_matter(vault / name)["theme"] == "Great speeches"
    assert_links_resolve(vault)


def test_changed_related_list_rewrites_that_note(vault, collection):
    memos, themes = collection
    export_vault(vault, memos, themes)
    before = snapshot(vault)

    memos[1] = replace(memos[1], related=[(3, 0.61)])
    result = export_vault(vault, memos, themes)

    after = snapshot(vault)
    assert {name for name in after if after[name] != before.get(name)} == {"Grocery list eggs milk.md", MANIFEST_NAME}
    assert result.written == [vault / "Grocery list eggs milk.md"]
    text = (vault / "Grocery list eggs milk.md").read_text(encoding="utf-8")
    assert "- [[Ask not (again)]] · close" in text and "[[Ask not]]" not in text


def test_deleted_note_and_audio_copy_are_made_again_and_untouched_files_are_not_read(vault, collection, monkeypatch):
    memos, themes = collection
    export_vault(vault, memos, themes)
    before = snapshot(vault)
    (vault / "Ask not.md").unlink()
    (vault / "audio/musings-2.m4a").unlink()

    result = export_vault(vault, memos, themes)

    assert sorted(result.written) == [vault / "Ask not.md", vault / "audio/musings-2.m4a"]
    after = snapshot(vault)
    assert {name: after[name][0] for name in after if name != MANIFEST_NAME} == {
        name: before[name][0] for name in before if name != MANIFEST_NAME}

    import app.export_files

    def no_reading(path):
        raise AssertionError(f"{path} was read: its size and mtime say it is unchanged")

    monkeypatch.setattr(app.export_files, "hash_file", no_reading)
    result = export_vault(vault, memos, themes)
    assert result.written == [] and result.unchanged == 10 and snapshot(vault) == after  # 10: with timeline.png


def test_fast_paths_for_ascii_names_follow_the_general_rules():
    from app.export import _ASCII_BLANKS, _blanked, _fold, _fold_any

    for code in range(128):
        for text in (chr(code), f"a{chr(code)}b", chr(code) * 3):
            assert text.translate(_ASCII_BLANKS) == _blanked(text), repr(text)
            assert _fold(text) == _fold_any(text), repr(text)


@pytest.mark.parametrize("files, pending", [
    ({}, {}),
    ({"a.md": {"key": "memo:1", "sha256": "ab", "size": 3, "mtime_ns": 10**19, "inputs": "cd"},
      "audio/musings-1.ogg": {"key": "audio:1", "sha256": "ef", "size": 0, "mtime_ns": -1},
      'qu"ote\\ \x01 é 🤖 \u2028.md': {"key": "theme:2\n", "sha256": "\t"}, "b.md": {"key": "index"}},
     {"a.md": {"key": "memo:1", "sha256": ["1", "2"]}, "c.md": {"key": "memo:3", "sha256": []}}),
    ({"odd.md": {"key": "memo:1", "size": 1.5, "mtime_ns": True, "sha256": None}}, {}),
])
def test_the_manifest_is_written_as_json_dumps_would(files, pending):
    from app.export_files import _manifest_json

    document = {"version": 2, "files": files, **({"pending": pending} if pending else {})}
    assert _manifest_json(document) == json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
