"""Export memos as a Markdown vault that opens in Obsidian and Logseq.

One note per memo, one per theme, and an index note. Re-export is incremental: the exporter
keeps a manifest of the files it owns (with content hashes) and writes a file only when its
content changed, so a second run with the same input touches nothing. Files the user wrote,
or exporter notes the user edited, are never overwritten or deleted.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

log = logging.getLogger(__name__)

MANIFEST_NAME = ".musings-export.json"
INDEX_STEM = "Musings index"
AUDIO_DIR = "audio"
MAX_STEM_BYTES = 120
THEME_PREFIX = "Theme - "

# Forbidden on Windows (<>:"/\|?*) plus what breaks a [[wikilink]] ([]|#^).
_FORBIDDEN_CHARS = set('<>:"/\\|?*[]#^')
_RESERVED_NAMES = (
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"COM{c}" for c in "0123456789¹²³"}
    | {f"LPT{c}" for c in "0123456789¹²³"}
)
_OWNED_MARKER = re.compile(r"^musings_(?:id|theme_id|index):", re.MULTILINE)


@dataclass
class ExportSegment:
    start: float
    end: float
    text: str


@dataclass
class ExportMemo:
    id: int
    title: str
    recorded_at: str  # ISO 8601
    duration: float | None
    theme: str | None
    tags: list[str]
    segments: list[ExportSegment]
    audio_path: Path  # absolute path of the audio file in the app's library
    related: list[tuple[int, float]] = field(default_factory=list)  # (other memo id, similarity)
    near_duplicates: list[int] = field(default_factory=list)


@dataclass
class ExportTheme:
    id: int
    name: str
    memo_ids: list[int]


@dataclass
class ExportResult:
    written: list[Path]
    unchanged: int
    skipped_user_files: list[Path]
    removed: list[Path]


# --- file names ---------------------------------------------------------------------------


def safe_stem(title: str, max_bytes: int = MAX_STEM_BYTES) -> str:
    """A file-name stem valid on Linux, macOS and Windows and usable inside a [[wikilink]]."""
    text = unicodedata.normalize("NFC", title)
    chars = []
    for ch in text:
        category = unicodedata.category(ch)
        if ch in _FORBIDDEN_CHARS or category in ("Cc", "Zl", "Zp") or ch.isspace():
            chars.append(" ")
        elif category == "Cs":  # lone surrogates cannot be encoded in a file name
            continue
        else:
            chars.append(ch)
    stem = re.sub(r" {2,}", " ", "".join(chars))
    stem = _truncate_utf8(_strip_edges(stem), max_bytes)
    stem = _strip_edges(stem)
    if stem.lower().endswith(".md"):  # "x.md.md" would link as [[x.md]], which tools misread
        stem = stem[:-3] + " md"
    if not stem:
        stem = "Untitled"
    if stem.split(".")[0].rstrip(" ").upper() in _RESERVED_NAMES:
        stem = _truncate_utf8("_" + stem, max_bytes)
    return stem


def _strip_edges(stem: str) -> str:
    # Windows drops trailing dots and spaces; leading dots hide files on Unix.
    return stem.strip(" .")


def _truncate_utf8(text: str, max_bytes: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    return encoded[:max_bytes].decode("utf-8", errors="ignore")


def _fold(name: str) -> str:
    """The key under which macOS and Windows consider two names the same file."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFC", name).casefold())


def _with_suffix(base: str, suffix: str) -> str:
    budget = MAX_STEM_BYTES - len(suffix.encode("utf-8"))
    return _strip_edges(_truncate_utf8(base, budget)) + suffix


# --- the vault as it is on disk --------------------------------------------------------------


@dataclass
class _Owned:
    """A file listed in the manifest."""

    key: str  # "memo:12", "theme:3", "index", "audio:12"
    sha256: str | None = None  # notes
    size: int | None = None  # audio copies: fingerprint of the copy and of its source
    mtime_ns: int | None = None
    source: dict | None = None


class _Vault:
    """What exists in the export folder and who owns it."""

    def __init__(self, root: Path):
        self.root = root
        self.manifest = self._read_manifest()
        self.existing: dict[str, list[str]] = {}  # folded relative path -> actual relative paths
        for folder in (root, root / AUDIO_DIR):
            if folder.is_dir():
                for entry in folder.iterdir():
                    rel = entry.relative_to(root).as_posix()
                    self.existing.setdefault(_fold(rel), []).append(rel)

    def _read_manifest(self) -> dict[str, _Owned]:
        path = self.root / MANIFEST_NAME
        if not path.exists():
            return {}
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            files = raw["files"]
            owned = {}
            for rel, entry in files.items():
                if not _is_safe_relative(rel):
                    log.warning("ignoring unsafe path in export manifest: %r", rel)
                    continue
                owned[rel] = _Owned(
                    key=str(entry["key"]), sha256=entry.get("sha256"), size=entry.get("size"),
                    mtime_ns=entry.get("mtime_ns"), source=entry.get("source"),
                )
            return owned
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            log.warning("export manifest %s is unreadable, treating the folder as new: %s", path, error)
            return {}

    def state(self, rel: str) -> str:
        """'clean' (ours, unedited), 'edited' (ours, edited by the user), 'recognised'
        (carries our front matter but the manifest lost it) or 'user'."""
        owned = self.manifest.get(rel)
        path = self.root / rel
        if owned is not None:
            return "clean" if self._matches(path, owned) else "edited"
        if rel.endswith(".md") and _has_owned_marker(path):
            return "recognised"
        return "user"

    def _matches(self, path: Path, owned: _Owned) -> bool:
        if owned.sha256 is not None:
            try:
                return _sha256(path.read_bytes()) == owned.sha256
            except OSError:
                return False
        try:
            stat = path.stat()
        except OSError:
            return False
        return stat.st_size == owned.size and stat.st_mtime_ns == owned.mtime_ns

    def available(self, rel: str, key: str) -> bool:
        """May the note or copy `key` live at `rel` without hurting a user's file?"""
        for actual in self.existing.get(_fold(rel), []):
            state = self.state(actual)
            if state == "user":
                return False
            if state == "edited" and self.manifest[actual].key != key:
                return False
        return True


def _is_safe_relative(rel: str) -> bool:
    parts = rel.split("/")
    return bool(rel) and not rel.startswith("/") and "\\" not in rel and ".." not in parts and ":" not in rel


def _has_owned_marker(path: Path) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    if not head.startswith("---\n"):
        return False
    end = head.find("\n---", 4)
    return end != -1 and bool(_OWNED_MARKER.search(head[4:end]))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- naming every note -------------------------------------------------------------------


def _allocate_names(vault: _Vault, memos: list[ExportMemo], themes: list[ExportTheme]) -> dict[str, str]:
    """Note stems by key. Lower ids claim a plain name first, so adding memos never renames old ones."""
    taken: set[str] = set()
    names: dict[str, str] = {}

    def claim(key: str, base: str, preferred: list[str]) -> None:
        def candidates():
            yield base
            yield from preferred
            n = 2
            while True:
                yield _with_suffix(base, f" ({n})")
                n += 1

        for stem in candidates():
            folded = _fold(f"{stem}.md")
            if folded not in taken and vault.available(f"{stem}.md", key):
                taken.add(folded)
                names[key] = stem
                return

    claim("index", INDEX_STEM, [])
    for memo in sorted(memos, key=lambda m: m.id):
        base = safe_stem(memo.title)
        day = _day(memo.recorded_at)
        extra = [_with_suffix(base, f" ({day})"), _with_suffix(base, f" ({day}, memo {memo.id})")] if day else []
        extra.append(_with_suffix(base, f" (memo {memo.id})"))
        key = f"memo:{memo.id}"
        claim(key, base, extra)
    for theme in sorted(themes, key=lambda t: t.id):
        base = safe_stem(THEME_PREFIX + (_one_line(theme.name) or "Untitled"))
        key = f"theme:{theme.id}"
        claim(key, base, [_with_suffix(base, f" (theme {theme.id})")])
    return names


def _allocate_audio(vault: _Vault, memos: list[ExportMemo]) -> dict[int, str]:
    """Relative paths of audio copies by memo id: named by id, so a title change keeps the copy."""
    paths: dict[int, str] = {}
    for memo in sorted(memos, key=lambda m: m.id):
        ext = re.sub(r"[^a-z0-9]", "", memo.audio_path.suffix.lower())[:8]
        ext = f".{ext}" if ext else ""
        key = f"audio:{memo.id}"
        n = 1
        while True:
            name = f"musings-{memo.id}{'' if n == 1 else f'-{n}'}{ext}"
            rel = f"{AUDIO_DIR}/{name}"
            if vault.available(rel, key):
                paths[memo.id] = rel
                break
            n += 1
    return paths


# --- rendering -----------------------------------------------------------------------------


def _yaml_str(value: str) -> str:
    """A double-quoted YAML scalar that round-trips any string."""
    out = ['"']
    for ch in value:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif code < 0x20 or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF or code in (
            0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF,
        ):
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _yaml_list(values: list) -> str:
    return "[" + ", ".join(_yaml_str(v) if isinstance(v, str) else str(v) for v in values) + "]"


def _day(recorded_at: str) -> str | None:
    try:
        return datetime.fromisoformat(recorded_at).date().isoformat()
    except (TypeError, ValueError):
        return None


def _clock(seconds: float) -> str:
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _one_line(text: str) -> str:
    return " ".join("".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text).split())


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]#^<>|~=$%])")


def _inline(text: str) -> str:
    """User text as literal Markdown: a title like "[[x]] #y" must not become a link or a tag."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _one_line(text))


def _tag(tag: str) -> str | None:
    """An Obsidian/Logseq tag: no spaces, letters, digits, _ - / and symbols such as emoji."""
    cleaned = "-".join(tag.strip().lstrip("#").split())
    cleaned = "".join(c for c in cleaned if c.isalnum() or c in "_-/" or unicodedata.category(c) == "So")
    cleaned = cleaned.strip("/")
    if not cleaned:
        return None
    return f"_{cleaned}" if cleaned.isdigit() else cleaned


def _front_matter(fields: list[tuple[str, str]]) -> str:
    return "---\n" + "".join(f"{key}: {value}\n" for key, value in fields) + "---\n"


def _render_memo(
    memo: ExportMemo, names: dict[str, str], memos_by_id: dict[int, ExportMemo],
    theme_keys: list[str], audio_link: tuple[str, str],
) -> str:
    stem = names[f"memo:{memo.id}"]
    day = _day(memo.recorded_at)
    tags = sorted({t for t in (_tag(tag) for tag in memo.tags) if t})
    duplicates = sorted({i for i in memo.near_duplicates if i in memos_by_id and i != memo.id})
    # `title` is the note name because Logseq names the page after it (so links resolve and
    # two memos with one title don't clash); the verbatim title is kept in `memo_title`.
    fields = [
        ("musings_id", str(memo.id)),
        ("title", _yaml_str(stem)),
        ("memo_title", _yaml_str(memo.title)),
        ("date", day if day else "null"),
        ("recorded_at", _yaml_str(memo.recorded_at)),
        ("duration", f"{memo.duration:.2f}" if memo.duration is not None else "null"),
        ("theme", _yaml_str(memo.theme) if memo.theme is not None else "null"),
        ("tags", _yaml_list(tags)),
    ]
    if duplicates:
        fields.append(("near_duplicates", _yaml_list(duplicates)))
    lines = [_front_matter(fields), f"# {_inline(memo.title) or 'Untitled'}", ""]
    meta = [f"Recorded {day or _inline(memo.recorded_at)}"]
    if memo.duration is not None:
        meta.append(f"duration {_clock(memo.duration)}")
    if theme_keys:
        meta.append("theme " + ", ".join(f"[[{names[k]}]]" for k in theme_keys))
    lines += [" · ".join(meta), ""]
    if duplicates:
        links = ", ".join(f"[[{names[f'memo:{i}']}]]" for i in duplicates)
        lines += ["> [!warning] Possible duplicate", f"> This memo is nearly the same as {links}.", ""]
    embed, link = audio_link
    lines += ["## Audio", ""]
    if embed:
        lines += [embed, ""]
    lines += [link, "", "## Transcript", ""]
    segments = sorted(memo.segments, key=lambda s: (s.start, s.end))
    if segments:
        for segment in segments:
            lines += [f"**[{_clock(segment.start)}]** {_inline(segment.text)}", ""]
    else:
        lines += ["_No transcript._", ""]
    related = {}
    for other, score in memo.related:
        if other in memos_by_id and other != memo.id:
            related[other] = max(score, related.get(other, score))
    if related:
        lines += ["## Related", ""]
        for other, score in sorted(related.items(), key=lambda item: (-item[1], item[0])):
            lines.append(f"- [[{names[f'memo:{other}']}]] (similarity {score:.2f})")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _render_theme(theme: ExportTheme, names: dict[str, str], memos_by_id: dict[int, ExportMemo]) -> str:
    members = sorted(
        (memos_by_id[i] for i in set(theme.memo_ids) if i in memos_by_id), key=lambda m: (m.recorded_at, m.id)
    )
    stem = names[f"theme:{theme.id}"]
    fields = [("musings_theme_id", str(theme.id)), ("title", _yaml_str(stem)), ("theme", _yaml_str(theme.name))]
    lines = [_front_matter(fields), f"# {_inline(theme.name) or 'Untitled theme'}", ""]
    lines += [f"{len(members)} memo{'s' if len(members) != 1 else ''} · [[{names['index']}]]", ""]
    lines += [f"- {_day(m.recorded_at) or '?'} [[{names[f'memo:{m.id}']}]]" for m in members]
    return "\n".join(lines).rstrip("\n") + "\n"


def _render_index(
    names: dict[str, str], memos: list[ExportMemo], themes: list[ExportTheme], memos_by_id: dict[int, ExportMemo],
) -> str:
    fields = [("musings_index", "true"), ("title", _yaml_str(names["index"]))]
    lines = [_front_matter(fields), "# Musings index", "", "## Themes", ""]
    ordered_themes = sorted(themes, key=lambda t: (_one_line(t.name).casefold(), t.id))
    for theme in ordered_themes:
        count = len({i for i in theme.memo_ids if i in memos_by_id})
        lines.append(f"- [[{names[f'theme:{theme.id}']}]] ({count})")
    if not themes:
        lines.append("_No themes yet._")
    lines += ["", "## Memos by date", ""]
    for memo in sorted(memos, key=lambda m: (m.recorded_at, m.id)):
        lines.append(f"- {_day(memo.recorded_at) or '?'} [[{names[f'memo:{memo.id}']}]]")
    if not memos:
        lines.append("_No memos yet._")
    return "\n".join(lines).rstrip("\n") + "\n"


def _audio_link(memo: ExportMemo, target: Path, copied_rel: str | None) -> tuple[str, str]:
    """(Obsidian embed or "", portable Markdown link) for the memo's audio."""
    if copied_rel is not None:
        return f"![[{copied_rel}]]", f"[Audio file]({quote(copied_rel)})"
    try:
        rel = Path(os.path.relpath(memo.audio_path, target)).as_posix()
        return "", f"[Audio file]({quote(rel)})"
    except ValueError:  # another drive on Windows: no relative path exists
        return "", f"[Audio file]({memo.audio_path.as_uri()})"


# --- writing -------------------------------------------------------------------------------


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".musings-tmp-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _copy_atomic(source: Path, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".musings-tmp-")
    os.close(handle)
    try:
        shutil.copy2(source, temp)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _source_fingerprint(source: Path) -> dict:
    stat = source.stat()
    return {"path": str(source), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def export_vault(
    target: Path, memos: list[ExportMemo], themes: list[ExportTheme], *, copy_audio: bool = True,
) -> ExportResult:
    """Write (or bring up to date) the Markdown vault in `target`.

    Only files whose content changed are written; exporter files no longer needed are removed
    unless the user edited them. User files are never touched: a name they hold is avoided, an
    exporter note they edited is left as it is and reported in `skipped_user_files`.
    """
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    vault = _Vault(target)
    memos_by_id = {memo.id: memo for memo in memos}
    if len(memos_by_id) != len(memos):
        raise ValueError("memo ids must be unique")
    names = _allocate_names(vault, memos, themes)
    audio_rels = _allocate_audio(vault, memos) if copy_audio else {}

    themes_of: dict[int, list[str]] = {}
    for theme in sorted(themes, key=lambda t: t.id):
        for memo_id in sorted(set(theme.memo_ids)):
            themes_of.setdefault(memo_id, []).append(f"theme:{theme.id}")

    result = ExportResult(written=[], unchanged=0, skipped_user_files=[], removed=[])
    new_manifest: dict[str, _Owned] = {}

    # Audio first, so a note never links to a copy that failed.
    copied: dict[int, str] = {}
    for memo_id, rel in sorted(audio_rels.items()):
        memo = memos_by_id[memo_id]
        key = f"audio:{memo_id}"
        if not memo.audio_path.is_file():
            log.warning("audio of memo %s is missing: %s", memo_id, memo.audio_path)
            continue
        path = target / rel
        state = vault.state(rel) if path.exists() else "absent"
        fingerprint = _source_fingerprint(memo.audio_path)
        if state == "edited":
            result.skipped_user_files.append(path)
            new_manifest[rel] = vault.manifest[rel]
            copied[memo_id] = rel
            continue
        if state == "clean" and vault.manifest[rel].source == fingerprint:
            result.unchanged += 1
        else:
            _copy_atomic(memo.audio_path, path)
            result.written.append(path)
        stat = path.stat()
        new_manifest[rel] = _Owned(key=key, size=stat.st_size, mtime_ns=stat.st_mtime_ns, source=fingerprint)
        copied[memo_id] = rel

    notes: dict[str, tuple[str, str]] = {}  # rel -> (key, content)
    for memo in memos:
        content = _render_memo(
            memo, names, memos_by_id, themes_of.get(memo.id, []), _audio_link(memo, target, copied.get(memo.id)),
        )
        notes[f"{names[f'memo:{memo.id}']}.md"] = (f"memo:{memo.id}", content)
    for theme in themes:
        notes[f"{names[f'theme:{theme.id}']}.md"] = (f"theme:{theme.id}", _render_theme(theme, names, memos_by_id))
    notes[f"{names['index']}.md"] = ("index", _render_index(names, memos, themes, memos_by_id))

    for rel in sorted(notes):
        key, content = notes[rel]
        data = content.encode("utf-8")
        path = target / rel
        digest = _sha256(data)
        same_file = [a for a in vault.existing.get(_fold(rel), []) if a == rel]
        if same_file and vault.state(rel) == "edited":
            result.skipped_user_files.append(path)
            new_manifest[rel] = vault.manifest[rel]
            continue
        if same_file and path.read_bytes() == data:
            result.unchanged += 1
        else:
            _write_atomic(path, data)
            result.written.append(path)
        new_manifest[rel] = _Owned(key=key, sha256=digest)

    for rel in sorted(set(vault.manifest) - set(new_manifest)):
        path = target / rel
        if not path.exists():
            continue
        if any(_same_file(path, target / kept) for kept in new_manifest if _fold(kept) == _fold(rel)):
            continue  # a case-only rename on a case-insensitive disk: the new note is this file
        if vault.state(rel) == "edited":
            log.info("keeping %s: edited by the user since the last export", path)
            result.skipped_user_files.append(path)
            new_manifest[rel] = vault.manifest[rel]
            continue
        path.unlink()
        result.removed.append(path)

    _write_manifest(target, new_manifest)
    result.written.sort()
    result.skipped_user_files.sort()
    result.removed.sort()
    log.info(
        "exported %d memos to %s: %d written, %d unchanged, %d removed, %d kept for the user",
        len(memos), target, len(result.written), result.unchanged, len(result.removed),
        len(result.skipped_user_files),
    )
    return result


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _write_manifest(target: Path, manifest: dict[str, _Owned]) -> None:
    files = {}
    for rel in sorted(manifest):
        owned = manifest[rel]
        entry = {"key": owned.key}
        for name in ("sha256", "size", "mtime_ns", "source"):
            if getattr(owned, name) is not None:
                entry[name] = getattr(owned, name)
        files[rel] = entry
    data = (json.dumps({"version": 1, "files": files}, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
    path = target / MANIFEST_NAME
    if not path.exists() or path.read_bytes() != data:
        _write_atomic(path, data)
