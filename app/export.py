"""Export memos as a Markdown vault that opens in Obsidian and Logseq.

One note per memo, one per theme (a broad theme's note links its sub-themes' notes, a sub-theme's
note its parent's), and an index note (with `timeline.png`, memos per theme per week); a memo's tags carry its theme as a nested tag
(`musings/robotics/robot-hand`, see `theme_tags`). Re-export is incremental: the exporter
keeps a manifest of the files it owns (with content hashes) and writes a file only when its
content changed, so a second run with the same input touches nothing. Files the user wrote,
or exporter notes the user edited, are never overwritten or deleted. An export killed part-way
is finished by the next one (see app.export_files for how).
"""
from __future__ import annotations

import hashlib
import logging
import operator
import os
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

from app.display import local_day
from app.timeline import Timeline, timeline, timeline_png
from app.export_files import (
    MANIFEST_NAME, FolderLock, Manifest, Owned, VaultFiles, remove_temporary_files, seal, write_manifest,
)
from atomic_files import copy_atomic, file_mode, fsync_folder, write_atomic
from organize.related import closeness
from storage.data_folder import hash_file

log = logging.getLogger(__name__)

__all__ = ["MANIFEST_NAME", "ExportMemo", "ExportResult", "ExportSegment", "ExportTheme", "export_vault", "safe_stem",
           "theme_tags"]

INDEX_STEM = "Musings index"
TIMELINE_STEM = "timeline"  # timeline.png, embedded in the index
TODOS_STEM = "To-dos"  # every memo's to-dos, as Obsidian Tasks lines
AUDIO_DIR = "audio"
MAX_STEM_BYTES = 120
THEME_PREFIX = "Theme - "
TAG_ROOT = "musings"

# Forbidden on Windows (<>:"/\|?*) plus what breaks a [[wikilink]] ([]|#^).
_FORBIDDEN_CHARS = set('<>:"/\\|?*[]#^')
_RESERVED_NAMES = (
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"COM{c}" for c in "0123456789¹²³"}
    | {f"LPT{c}" for c in "0123456789¹²³"}
)
# What _blanked makes a space among ASCII characters: the forbidden ones and the controls (the ASCII spaces
# but " " itself are controls).
_ASCII_BLANKS = {ord(ch): " " for ch in _FORBIDDEN_CHARS} | {code: " " for code in [*range(0x20), 0x7F]}


@dataclass
class ExportSegment:
    start: float
    end: float
    text: str


@dataclass
class ExportMemo:
    id: int
    title: str
    recorded_at: str  # ISO 8601, UTC as stored; written so in the front matter, shown as the local day
    duration: float | None
    theme: str | None
    tags: list[str]
    segments: list[ExportSegment]
    audio_path: Path  # absolute path of the audio file in the app's library
    content_hash: str | None = None  # sha256 of the audio (the memo's identity); None: hashed here
    related: list[tuple[int, float]] = field(default_factory=list)  # (other memo id, similarity)
    near_duplicates: list[int] = field(default_factory=list)
    todos: list[tuple[str, str | None, str | None]] = field(default_factory=list)  # (text, due day, done day)
    said: str | None = None  # "Said 3 times: 1 Jan, 2 Jan, 3 Jan": the idea's chain across days
    said_with: list[int] = field(default_factory=list)  # the chain's other memos, oldest first
    # the ideas the recording holds when more than one: (start s, end s, title, theme id); one section each
    ideas: list[tuple[float, float, str, int | None]] = field(default_factory=list)


@dataclass
class ExportDigest:
    """The digest of one week (app.digest), by memo id: written as "Digest 2026-W49.md" (kept for good)."""
    label: str  # "2026-W49" or "2026-12"
    span: str  # "1 Dec – 7 Dec 2026"
    new: list[tuple[str, list[int]]] = field(default_factory=list)  # (broad theme, memo ids)
    recurring: list[list[int]] = field(default_factory=list)  # each: one idea's memos, oldest first
    said: list[str] = field(default_factory=list)  # "Said 3 times: …", one per recurring idea
    grew: list[tuple[str, int, int]] = field(default_factory=list)  # (theme, memos now, before)
    quiet: list[str] = field(default_factory=list)
    todos: list[tuple[str, str | None, int]] = field(default_factory=list)  # (text, due, memo id)
    brought_back: int | None = None


@dataclass
class ExportTheme:
    id: int
    name: str
    memo_ids: list[int]  # the memos directly in this theme (a broad theme's sub-themes list their own)
    parent_id: int | None = None  # None: a broad theme


@dataclass
class ExportResult:
    written: list[Path]
    unchanged: int
    skipped_user_files: list[Path]
    removed: list[Path]


# --- file names ---------------------------------------------------------------------------


def safe_stem(title: str, max_bytes: int = MAX_STEM_BYTES) -> str:
    """A file-name stem valid on Linux, macOS and Windows and usable inside a [[wikilink]]."""
    # ASCII (most titles) in one step, as _blanked does it (tests/app/test_export.py checks every character)
    text = title.translate(_ASCII_BLANKS) if title.isascii() else _blanked(title)
    stem = re.sub(r" {2,}", " ", text)
    stem = _truncate_utf8(_strip_edges(stem), max_bytes)
    stem = _strip_edges(stem)
    if stem.lower().endswith(".md"):  # "x.md.md" would link as [[x.md]], which tools misread
        stem = stem[:-3] + " md"
    if not stem:
        stem = "Untitled"
    if stem.split(".")[0].rstrip(" ").upper() in _RESERVED_NAMES:
        stem = _truncate_utf8("_" + stem, max_bytes)
    return stem


def _blanked(title: str) -> str:
    """The title in NFC, with what may not be in a file name or a wikilink as spaces, lone surrogates dropped."""
    chars = []
    for ch in unicodedata.normalize("NFC", title):
        category = unicodedata.category(ch)
        if ch in _FORBIDDEN_CHARS or category in ("Cc", "Zl", "Zp") or ch.isspace():
            chars.append(" ")
        elif category == "Cs":  # lone surrogates cannot be encoded in a file name
            continue
        else:
            chars.append(ch)
    return "".join(chars)


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
    if name.isascii():  # normalisation leaves ASCII as it is, and its case folding is lower() (tested)
        return name.lower()
    return _fold_any(name)


def _fold_any(name: str) -> str:
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFC", name).casefold())


def _with_suffix(base: str, suffix: str) -> str:
    budget = MAX_STEM_BYTES - len(suffix.encode("utf-8"))
    return _strip_edges(_truncate_utf8(base, budget)) + suffix


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- the theme tree ------------------------------------------------------------------------


def _parents(themes: list[ExportTheme]) -> dict[int, int | None]:
    """Each theme's parent as the vault shows it: two levels, so a theme whose parent is missing or is itself
    a sub-theme (which the library never holds) is shown as a broad theme."""
    by_id = {t.id: t for t in themes}

    def is_broad(theme: ExportTheme) -> bool:
        return theme.parent_id is None or theme.parent_id not in by_id or theme.parent_id == theme.id

    return {t.id: None if is_broad(t) or not is_broad(by_id[t.parent_id]) else t.parent_id for t in themes}


def _slug(name: str) -> str:
    """One level of a nested tag: "Mum's robot hand" -> "mums-robot-hand" (letters and digits of any script)."""
    text = unicodedata.normalize("NFKC", name).casefold().replace("'", "").replace("\u2019", "")
    return "-".join("".join(c if _in_tag(c) else " " for c in text).split())


def _in_tag(char: str) -> bool:
    """A letter or digit of any script, with its combining marks (a Devanagari vowel sign is one)."""
    return char.isalnum() or unicodedata.category(char).startswith("M")


def theme_tags(themes: list[ExportTheme]) -> dict[int, str]:
    """The nested tag of every theme, by id: `musings/<broad theme>` and `musings/<broad theme>/<sub-theme>`,
    so Obsidian's tag pane shows the tree. Two themes beside each other whose names give the same slug are
    told apart by the later one's id; a name with no letters or digits becomes `theme-<id>`."""
    parents = _parents(themes)
    slugs: dict[int, str] = {}
    taken: set[tuple[int | None, str]] = set()
    for theme in sorted(themes, key=lambda t: t.id):
        slug = _slug(theme.name) or f"theme-{theme.id}"
        while (parents[theme.id], slug) in taken:
            slug = f"{slug}-{theme.id}"
        taken.add((parents[theme.id], slug))
        slugs[theme.id] = slug
    return {t.id: "/".join([TAG_ROOT, *([slugs[parents[t.id]]] if parents[t.id] is not None else []), slugs[t.id]])
            for t in themes}


# --- naming every note -------------------------------------------------------------------


def _allocate_names(vault: VaultFiles, memos: list[ExportMemo], themes: list[ExportTheme],
                    days: dict[int, str | None], digest: ExportDigest | None = None) -> dict[str, str]:
    """Note stems by key. Lower ids claim a plain name first, so adding memos never renames old ones.
    `days`: each memo's local day (see _day)."""
    taken: set[str] = set()
    names: dict[str, str] = {}

    def claim(key: str, base: str, preferred: Callable[[], list[str]]) -> None:
        def candidates():
            yield base
            yield from preferred()  # made only when the plain name is taken
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

    def memo_names(base: str, memo_id: int, day: str | None) -> Callable[[], list[str]]:
        def extra() -> list[str]:
            found = [_with_suffix(base, f" ({day})"), _with_suffix(base, f" ({day}, memo {memo_id})")] if day else []
            return [*found, _with_suffix(base, f" (memo {memo_id})")]
        return extra

    claim("index", INDEX_STEM, list)
    if any(memo.todos for memo in memos):  # a vault without to-dos has no empty note for them
        claim("todos", TODOS_STEM, list)
    if digest is not None:
        claim(f"digest:{digest.label}", f"Digest {digest.label}", list)
    for memo in sorted(memos, key=lambda m: m.id):
        base = safe_stem(memo.title)
        claim(f"memo:{memo.id}", base, memo_names(base, memo.id, days[memo.id]))
    for theme in sorted(themes, key=lambda t: t.id):
        base = safe_stem(THEME_PREFIX + (_one_line(theme.name) or "Untitled"))
        claim(f"theme:{theme.id}", base, lambda base=base, n=theme.id: [_with_suffix(base, f" (theme {n})")])
    return names


def _allocate_audio(vault: VaultFiles, memos: list[ExportMemo], hashes: dict[int, str]) -> dict[int, str]:
    """Relative paths of audio copies by memo id: named by id, so a title change keeps the copy. A file
    whose bytes are the memo's audio is its copy, whether or not the manifest lists it."""
    paths: dict[int, str] = {}
    extensions: dict[str, str] = {}
    for memo in sorted(memos, key=lambda m: m.id):
        suffix = memo.audio_path.suffix
        if suffix not in extensions:
            ext = re.sub(r"[^a-z0-9]", "", suffix.lower())[:8]
            extensions[suffix] = f".{ext}" if ext else ""
        ext = extensions[suffix]
        key = f"audio:{memo.id}"
        n = 1
        while True:
            name = f"musings-{memo.id}{'' if n == 1 else f'-{n}'}{ext}"
            rel = f"{AUDIO_DIR}/{name}"
            if vault.available(rel, key, hashes.get(memo.id)):
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
    """The local day (the user's "Recorded" day and daily lists); the front matter's recorded_at stays UTC."""
    day = local_day(recorded_at)
    return day.isoformat() if day is not None else None


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
    cleaned = "".join(c for c in cleaned if _in_tag(c) or c in "_-/" or unicodedata.category(c) == "So")
    cleaned = cleaned.strip("/")
    if not cleaned:
        return None
    return f"_{cleaned}" if cleaned.isdigit() else cleaned


def _front_matter(fields: list[tuple[str, str]]) -> str:
    return "---\n" + "".join(f"{key}: {value}\n" for key, value in fields) + "---\n"


# Any change to this file (how a note is rendered) makes every note be made again once.
_RENDERER = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
# Every field of a memo and of its segments, whatever fields they gain (the digest must see them all).
_MEMO_FIELDS = [f.name for f in fields(ExportMemo)]
_SEGMENTS_AT = _MEMO_FIELDS.index("segments")
_memo_values = operator.attrgetter(*_MEMO_FIELDS)
_segment_values = operator.attrgetter(*(f.name for f in fields(ExportSegment)))


def _memo_inputs(memo: ExportMemo, stems: dict[int, str], theme_names: list[list[str]],
                 audio_link: tuple[str, str], day: str | None, idea_themes: list | None = None) -> str:
    """A digest of everything _render_memo reads for this memo: equal digests, equal notes.

    `stems`: every exported memo's note name by id (a related memo not exported has none); `theme_names`:
    the names of the theme notes of each of the memo's `theme_paths`. The fields' values go in as one repr,
    made in C (a dataclass's own repr is Python code, 20,000 times)."""
    values = list(_memo_values(memo))
    values[_SEGMENTS_AT] = list(map(_segment_values, memo.segments))
    parts = (_RENDERER, values, stems[memo.id], day, audio_link, theme_names,
             [stems.get(i) for i, _ in memo.related], [stems.get(i) for i in memo.near_duplicates], idea_themes)
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def idea_headings(ideas: list[tuple[float, float, str, int | None]]) -> list[str]:
    """Each idea's section heading in its memo's note: its title, made safe for a [[Note#Heading]] link as a
    note name is (`_blanked`), numbered where two ideas of a memo share one."""
    headings: list[str] = []
    for number, (_, _, title, _) in enumerate(ideas, start=1):
        heading = " ".join(_blanked(title).split()) or f"Idea {number}"
        while heading in headings:
            heading = f"{heading} ({number})"
        headings.append(heading)
    return headings


def _idea_sections(memo: ExportMemo, segments: list[ExportSegment], names: dict[str, str],
                   tag_of_theme: dict[int, str]) -> list[str]:
    """A `##` section per idea: its span, its theme (link and tag), its passages (each passage in the idea its
    middle falls in)."""
    lines: list[str] = []
    from app.ideas import idea_row

    starts = [start for start, _, _, _ in memo.ideas]
    passages: list[list[ExportSegment]] = [[] for _ in memo.ideas]
    for segment in segments:
        passages[idea_row(starts, segment.start, segment.end)].append(segment)
    for (start, end, _, theme_id), heading, own in zip(memo.ideas, idea_headings(memo.ideas), passages):
        lines += [f"## {heading}", ""]
        about = [f"{_clock(start)} – {_clock(end)}"]
        if theme_id is not None and f"theme:{theme_id}" in names:
            about.append(f"theme [[{names[f'theme:{theme_id}']}]]")
        tag = _tag(tag_of_theme[theme_id]) if theme_id in tag_of_theme else None
        if tag:
            about.append(f"#{tag}")
        lines += [" · ".join(about), ""]
        for segment in own:
            lines += [f"**[{_clock(segment.start)}]** {_inline(segment.text)}", ""]
    return lines


def _render_memo(
    memo: ExportMemo, names: dict[str, str], memos_by_id: dict[int, ExportMemo],
    theme_paths: list[list[str]], audio_link: tuple[str, str], day: str | None,
    tag_of_theme: dict[int, str] | None = None,
) -> str:
    """`theme_paths`: the keys of the themes the memo is in, each from its broad theme down; `day`: _day of
    its recorded_at."""
    stem = names[f"memo:{memo.id}"]
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
    if theme_paths:
        meta.append("theme " + ", ".join(" › ".join(f"[[{names[k]}]]" for k in path) for path in theme_paths))
    lines += [" · ".join(meta), ""]
    if duplicates:
        links = ", ".join(f"[[{names[f'memo:{i}']}]]" for i in duplicates)
        lines += ["> [!warning] Possible duplicate", f"> This memo is nearly the same as {links}.", ""]
    again = [i for i in memo.said_with if i in memos_by_id]
    if memo.said and again:
        lines += ["> [!note] " + _inline(memo.said), "> " + ", ".join(f"[[{names[f'memo:{i}']}]]" for i in again), ""]
    embed, link = audio_link
    lines += ["## Audio", ""]
    if embed:
        lines += [embed, ""]
    lines += [link, ""]
    segments = sorted(memo.segments, key=lambda s: (s.start, s.end))
    if len(memo.ideas) > 1:
        lines += _idea_sections(memo, segments, names, tag_of_theme or {})
    else:
        lines += ["## Transcript", ""]
        for segment in segments:
            lines += [f"**[{_clock(segment.start)}]** {_inline(segment.text)}", ""]
        if not segments:
            lines += ["_No transcript._", ""]
    if memo.todos:
        lines += ["## To-dos", "", *(_task_line(todo) for todo in memo.todos), ""]
    related = {}
    for other, score in memo.related:
        if other in memos_by_id and other != memo.id:
            related[other] = max(score, related.get(other, score))
    if related:
        lines += ["## Related", ""]
        for other, score in sorted(related.items(), key=lambda item: (-item[1], item[0])):
            lines.append(f"- [[{names[f'memo:{other}']}]] · {closeness(score) or 'related'}")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _task_line(todo: tuple[str, str | None, str | None], link: str = "") -> str:
    """An Obsidian Tasks line: "- [ ] Call the landlord 📅 2026-12-03", ticked "- [x] … ✅ 2026-12-04"."""
    text, due, done = todo
    line = f"- [{'x' if done else ' '}] {_inline(text)}{link}"
    if due:
        line += f" 📅 {due}"
    if done:
        line += f" ✅ {done}"
    return line


def _render_digest(names: dict[str, str], digest: ExportDigest, memos_by_id: dict[int, ExportMemo]) -> str:
    """A week's (or month's) digest with wikilinks to the memos it names (those exported)."""
    def link(memo_id: int) -> str:
        return f"[[{names[f'memo:{memo_id}']}]]" if memo_id in memos_by_id else f"memo {memo_id}"

    fields = [("musings_digest", _yaml_str(digest.label)), ("title", _yaml_str(names[f"digest:{digest.label}"]))]
    count = sum(len(ids) for _, ids in digest.new)
    lines = [_front_matter(fields), f"# Digest {digest.label}", "", f"{digest.span} · {_memo_count(count)}", ""]
    if digest.new:
        lines += ["## New ideas", ""]
        for theme, ids in digest.new:
            lines += [f"- **{_inline(theme)}**: " + ", ".join(link(i) for i in ids)]
        lines.append("")
    if digest.recurring:
        lines += ["## Said again", ""]
        lines += [f"- {said}: " + ", ".join(link(i) for i in ids) for said, ids in zip(digest.said, digest.recurring)]
        lines.append("")
    if digest.grew or digest.quiet:
        lines += ["## Themes", ""]
        lines += [f"- {_inline(name)} grew: {n} memos (the period before: {before})" for name, n, before in digest.grew]
        lines += [f"- {_inline(name)} went quiet" for name in digest.quiet]
        lines.append("")
    if digest.todos:
        lines += ["## Open to-dos", ""]
        lines += [_task_line((text, due, None), f" · {link(memo_id)}") for text, due, memo_id in digest.todos]
        lines.append("")
    if digest.brought_back is not None:
        lines += ["## Brought back", "", f"An idea you kept: {link(digest.brought_back)}", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _render_todos(names: dict[str, str], memos: list[ExportMemo]) -> str:
    """Every to-do the memos say, open ones first by due day, each linked to its memo."""
    fields = [("musings_todos", "true"), ("title", _yaml_str(names["todos"]))]
    lines = [_front_matter(fields), "# To-dos", ""]
    todos = [(todo, memo) for memo in memos for todo in memo.todos]
    todos.sort(key=lambda item: (item[0][2] is not None, item[0][1] is None, item[0][1] or "", item[1].recorded_at))
    lines += [_task_line(todo, f" · [[{names[f'memo:{memo.id}']}]]") for todo, memo in todos]
    return "\n".join(lines).rstrip("\n") + "\n"


def _count(themes: list[ExportTheme], memos_by_id: dict[int, ExportMemo]) -> int:
    """How many exported memos are in these themes."""
    return len({i for theme in themes for i in theme.memo_ids if i in memos_by_id})


def _memo_count(n: int) -> str:
    return f"{n} memo{'s' if n != 1 else ''}"


def _render_theme(
    theme: ExportTheme, names: dict[str, str], memos_by_id: dict[int, ExportMemo],
    parent: ExportTheme | None, subthemes: list[ExportTheme], days: dict[int, str | None],
    ideas: list[tuple[ExportMemo, str]] = (),
) -> str:
    """A theme's note: its memos; a broad theme's also links its sub-themes, a sub-theme's its parent; the
    ideas of longer recordings placed in it link to their sections ([[Note#Idea]]).
    (A theme with neither is written as before the tree, so an old vault's notes stay unchanged.)"""
    members = sorted(
        (memos_by_id[i] for i in set(theme.memo_ids) if i in memos_by_id), key=lambda m: (m.recorded_at, m.id)
    )
    stem = names[f"theme:{theme.id}"]
    fields = [("musings_theme_id", str(theme.id)), ("title", _yaml_str(stem)), ("theme", _yaml_str(theme.name))]
    if parent is not None:
        fields.append(("parent_theme", _yaml_str(parent.name)))
    lines = [_front_matter(fields), f"# {_inline(theme.name) or 'Untitled theme'}", ""]
    place = f" · in [[{names[f'theme:{parent.id}']}]]" if parent is not None else ""
    lines += [f"{_memo_count(_count([theme, *subthemes], memos_by_id))}{place} · [[{names['index']}]]", ""]
    if subthemes:
        lines += ["## Sub-themes", ""]
        lines += [f"- [[{names[f'theme:{sub.id}']}]] ({_count([sub], memos_by_id)})"
                  for sub in _by_name(subthemes)]
        lines.append("")
        if members:
            lines += [f"## Memos directly in {_inline(theme.name) or 'this theme'}", ""]
    lines += [f"- {days[m.id] or '?'} [[{names[f'memo:{m.id}']}]]" for m in members]
    if ideas:
        lines += ["", "## Ideas in longer recordings", ""]
        lines += [f"- {days[m.id] or '?'} [[{names[f'memo:{m.id}']}#{heading}]]"
                  for m, heading in sorted(ideas, key=lambda item: (item[0].recorded_at, item[0].id))]
    return "\n".join(lines).rstrip("\n") + "\n"


def _by_name(themes: list[ExportTheme]) -> list[ExportTheme]:
    return sorted(themes, key=lambda t: (_one_line(t.name).casefold(), t.id))


def _render_index(
    names: dict[str, str], memos: list[ExportMemo], themes: list[ExportTheme], memos_by_id: dict[int, ExportMemo],
    subthemes_of: dict[int, list[ExportTheme]], days: dict[int, str | None],
    picture: tuple[str, Timeline] | None = None,
) -> str:
    """The index: the theme tree (broad themes by name, each with its sub-themes beneath), the timeline's
    picture (`picture`: its file and the timeline), then every memo."""
    fields = [("musings_index", "true"), ("title", _yaml_str(names["index"]))]
    lines = [_front_matter(fields), "# Musings index", "", "## Themes", ""]
    nested = {sub.id for subs in subthemes_of.values() for sub in subs}
    for theme in _by_name([t for t in themes if t.id not in nested]):
        subthemes = subthemes_of.get(theme.id, [])
        lines.append(f"- [[{names[f'theme:{theme.id}']}]] ({_count([theme, *subthemes], memos_by_id)})")
        lines += [f"    - [[{names[f'theme:{sub.id}']}]] ({_count([sub], memos_by_id)})" for sub in _by_name(subthemes)]
    if not themes:
        lines.append("_No themes yet._")
    if picture is not None:
        rel, line = picture
        first, last = line.weeks[0], line.weeks[-1]
        rows = ", ".join(f"{_inline(name)} ({int(count)})" for name, count in zip(line.rows, line.counts.sum(axis=1)))
        lines += ["", "## Timeline", "", f"![[{rel}]]", "",
                  f"Memos per theme per week, {first.day} {first:%b %Y} – {last.day} {last:%b %Y}; "
                  f"rows from the top: {rows}."]
    lines += ["", "## Memos by date", ""]
    for memo in sorted(memos, key=lambda m: (m.recorded_at, m.id)):
        lines.append(f"- {days[memo.id] or '?'} [[{names[f'memo:{memo.id}']}]]")
    if not memos:
        lines.append("_No memos yet._")
    return "\n".join(lines).rstrip("\n") + "\n"


def _timeline(memos: list[ExportMemo], themes: list[ExportTheme]) -> Timeline:
    """app.timeline of the exported memos, each in the theme whose note lists it."""
    theme_of = {memo_id: theme.id for theme in sorted(themes, key=lambda t: t.id) for memo_id in theme.memo_ids}
    placed = [SimpleNamespace(id=m.id, recorded_at=m.recorded_at, theme_id=theme_of.get(m.id)) for m in memos]
    return timeline(placed, themes)


def _picture_names() -> Iterator[str]:
    yield f"{TIMELINE_STEM}.png"
    n = 2
    while True:  # a picture of the user's own holds the plain name
        yield f"{TIMELINE_STEM} ({n}).png"
        n += 1


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


@dataclass
class _Write:
    rel: str
    key: str
    sha256: str
    data: bytes | None = None  # a note's bytes
    source: Path | None = None  # an audio copy's source
    inputs: str | None = None  # a memo note's _memo_inputs


def export_vault(
    target: Path, memos: list[ExportMemo], themes: list[ExportTheme], *, copy_audio: bool = True,
    digest: ExportDigest | None = None,
) -> ExportResult:
    """Write (or bring up to date) the Markdown vault in `target`.

    Only files whose content changed are written; exporter files no longer needed are removed
    unless the user edited them. User files are never touched: a name they hold is avoided, an
    exporter note they edited is left as it is and reported in `skipped_user_files`.
    """
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    memos_by_id = {memo.id: memo for memo in memos}
    if len(memos_by_id) != len(memos):
        raise ValueError("memo ids must be unique")
    with FolderLock(target):
        folders = [target, target / AUDIO_DIR]
        for leftover in remove_temporary_files(folders):
            log.info("removed %s, left by an interrupted export", leftover)
        vault = VaultFiles(target, folders, _fold)
        result = _export(vault, target, memos, memos_by_id, themes, copy_audio, digest)
    log.info(
        "exported %d memos to %s: %d written, %d unchanged, %d removed, %d kept for the user",
        len(memos), target, len(result.written), result.unchanged, len(result.removed),
        len(result.skipped_user_files),
    )
    return result


def _export(
    vault: VaultFiles, target: Path, memos: list[ExportMemo], memos_by_id: dict[int, ExportMemo],
    themes: list[ExportTheme], copy_audio: bool, week: ExportDigest | None = None,
) -> ExportResult:
    audio_hashes = {m.id: m.content_hash or hash_file(m.audio_path) for m in memos if m.audio_path.is_file()}
    days = {m.id: _day(m.recorded_at) for m in memos}  # parsed once: a note, the index and a theme's note show it
    names = _allocate_names(vault, memos, themes, days, week)
    audio_rels = _allocate_audio(vault, memos, audio_hashes) if copy_audio else {}
    parents = _parents(themes)
    tag_of_theme = theme_tags(themes)
    ideas_in: dict[int, list[tuple[ExportMemo, str]]] = {}  # theme id -> the ideas of split memos placed in it
    for memo in memos:
        if len(memo.ideas) > 1:
            for (_, _, _, theme_id), heading in zip(memo.ideas, idea_headings(memo.ideas)):
                if theme_id is not None:
                    ideas_in.setdefault(theme_id, []).append((memo, heading))
    themes_by_id = {theme.id: theme for theme in themes}
    subthemes_of: dict[int, list[ExportTheme]] = {}
    for theme in themes:
        if parents[theme.id] is not None:
            subthemes_of.setdefault(parents[theme.id], []).append(theme)
    themes_of: dict[int, list[list[str]]] = {}  # memo id -> the keys of its themes, each from the broad theme down
    theme_names_of: dict[int, list[list[str]]] = {}  # the same, as the names of their notes
    for theme in sorted(themes, key=lambda t: t.id):
        path = [f"theme:{parents[theme.id]}"] if parents[theme.id] is not None else []
        keys = [*path, f"theme:{theme.id}"]
        path_names = [names[k] for k in keys]
        for memo_id in sorted(set(theme.memo_ids)):
            themes_of.setdefault(memo_id, []).append(keys)
            theme_names_of.setdefault(memo_id, []).append(path_names)
    stems = {m.id: names[f"memo:{m.id}"] for m in memos}

    result = ExportResult(written=[], unchanged=0, skipped_user_files=[], removed=[])
    manifest = Manifest()  # the state after this export
    writes: list[_Write] = []

    def plan(rel: str, key: str, digest: str, inputs: str | None = None, **content) -> None:
        """Write `rel` unless it already holds these bytes; keep it if the user edited it."""
        state = vault.state(rel, digest) if vault.exists(rel) else "absent"
        if state == "edited":
            result.skipped_user_files.append(target / rel)
            manifest.files[rel] = vault.manifest.files.get(rel) or Owned(key=key)
        elif state == "clean" and vault.digest(rel) == digest:
            result.unchanged += 1
            manifest.files[rel] = _owned(vault, rel, key, digest, inputs, written=False)
        else:  # absent, a stale copy of ours, or another case of the name on a case-insensitive disk
            writes.append(_Write(rel, key, digest, inputs=inputs, **content))

    # Audio first, so a note never links to a copy that was not made.
    copied: dict[int, str] = {}
    for memo_id, rel in sorted(audio_rels.items()):
        memo = memos_by_id[memo_id]
        if memo_id not in audio_hashes:
            log.warning("audio of memo %s is missing: %s", memo_id, memo.audio_path)
            continue
        key, digest = f"audio:{memo_id}", audio_hashes[memo_id]
        owned = vault.manifest.files.get(rel)
        if (owned is not None and owned.key == key and owned.sha256 == digest and owned.inputs is None
                and owned.size is not None and vault.exists(rel) and vault.untouched(rel, owned)):
            result.unchanged += 1  # the copy as written, untouched: what plan() decides, without its steps
            manifest.files[rel] = owned
        else:
            plan(rel, key, digest, source=memo.audio_path)
        copied[memo_id] = rel

    notes: dict[str, tuple[str, str]] = {}  # rel -> (key, content)
    inputs_of: dict[str, str] = {}  # rel -> the digest of what a memo note is made from
    for memo in memos:
        rel, key = f"{stems[memo.id]}.md", f"memo:{memo.id}"
        link = _audio_link(memo, target, copied.get(memo.id))
        idea_themes = [(names.get(f"theme:{t}"), tag_of_theme.get(t)) for _, _, _, t in memo.ideas] \
            if len(memo.ideas) > 1 else None  # an idea's theme renamed: its section's link and tag change
        inputs = _memo_inputs(memo, stems, theme_names_of.get(memo.id, []), link, days[memo.id], idea_themes)
        owned = vault.manifest.files.get(rel)
        if (owned is not None and owned.key == key and owned.inputs == inputs and owned.size is not None
                and vault.exists(rel) and vault.digest(rel) == owned.sha256):
            result.unchanged += 1  # made from the same things and untouched: not made again (20,000 notes)
            manifest.files[rel] = owned
            continue
        inputs_of[rel] = inputs
        notes[rel] = (key, _render_memo(memo, names, memos_by_id, themes_of.get(memo.id, []), link, days[memo.id],
                                        tag_of_theme))
    for theme in themes:
        parent = themes_by_id[parents[theme.id]] if parents[theme.id] is not None else None
        content = _render_theme(theme, names, memos_by_id, parent, subthemes_of.get(theme.id, []), days,
                                ideas_in.get(theme.id, []))
        notes[f"{names[f'theme:{theme.id}']}.md"] = (f"theme:{theme.id}", content)
    line = _timeline(memos, themes)
    picture = None  # the index embeds the timeline's picture (a file the manifest owns, like a note)
    if line.weeks:
        data = timeline_png(line)
        picture_digest = _sha256(data)
        picture = next(rel for rel in _picture_names() if vault.available(rel, "timeline", picture_digest))
        plan(picture, "timeline", picture_digest, data=data)
    notes[f"{names['index']}.md"] = ("index", _render_index(names, memos, themes, memos_by_id, subthemes_of, days,
                                                            (picture, line) if picture else None))
    if "todos" in names:
        notes[f"{names['todos']}.md"] = ("todos", _render_todos(names, memos))
    if week is not None:
        key = f"digest:{week.label}"
        notes[f"{names[key]}.md"] = (key, _render_digest(names, week, memos_by_id))
    for rel in sorted(notes):
        key, content = notes[rel]
        data = seal(content).encode("utf-8")
        plan(rel, key, _sha256(data), data=data, inputs=inputs_of.get(rel))

    for rel, owned in vault.manifest.files.items():  # earlier weeks' digests are kept, as they were written
        if owned.key.startswith("digest:") and rel not in manifest.files and vault.exists(rel) \
                and not any(key == owned.key for key, _ in notes.values()):
            manifest.files[rel] = owned
    planned = {w.rel for w in writes} | set(manifest.files)
    removals = []
    for rel, expected in _candidates_for_removal(vault, planned, audio_hashes).items():
        path = target / rel
        if any(_same_file(path, target / kept) for kept in planned if _fold(kept) == _fold(rel)):
            continue  # a case-only rename on a case-insensitive disk: the new note is this file
        state = vault.state(rel, expected)
        if state == "clean":
            removals.append(rel)
        elif rel in vault.manifest.files:
            log.info("keeping %s: edited by the user since the last export", path)
            result.skipped_user_files.append(path)
            manifest.files[rel] = vault.manifest.files[rel]

    mode = file_mode()
    if writes or removals:
        # The journal: until the final manifest replaces this one, a file holding any of these bytes is ours.
        journal = Manifest(files=vault.manifest.files, pending=dict(vault.manifest.pending))
        for write in writes:
            key, hashes = journal.pending.get(write.rel, (write.key, set()))
            journal.pending[write.rel] = (write.key, hashes | {write.sha256})
        write_manifest(target, journal, mode)
    for write in writes:
        path = target / write.rel
        path.parent.mkdir(parents=True, exist_ok=True)  # audio/ (umask mode, like the vault itself)
        if write.data is not None:
            write_atomic(path, write.data, mode)
        else:
            copy_atomic(write.source, path, mode)
        result.written.append(path)
        manifest.files[write.rel] = _owned(vault, write.rel, write.key, write.sha256, write.inputs)
    for rel in removals:
        (target / rel).unlink(missing_ok=True)
        result.removed.append(target / rel)
    if removals:
        for folder in {(target / rel).parent for rel in removals}:
            fsync_folder(folder)
    if writes or removals or manifest != vault.manifest:  # an export that changed nothing writes nothing
        write_manifest(target, manifest, mode)
    result.written.sort()
    result.skipped_user_files.sort()
    result.removed.sort()
    return result


def _owned(vault: VaultFiles, rel: str, key: str, digest: str, inputs: str | None = None, *,
           written: bool = True) -> Owned:
    """The manifest entry for a file holding `digest`, with its size and mtime, so the next export need not
    read it to know it is unchanged (an edit changes the mtime), and a note's `inputs` (see _memo_inputs).
    A file this export did not write has the stat it was checked by."""
    info = None if written else vault.stat(rel)
    if info is None:
        info = (vault.root / rel).stat()
    return Owned(key=key, sha256=digest, size=info.st_size, mtime_ns=info.st_mtime_ns, inputs=inputs)


_AUDIO_COPY = re.compile(rf"^{AUDIO_DIR}/musings-(\d+)(?:-\d+)?(?:\.[a-z0-9]+)?$")


def _candidates_for_removal(
    vault: VaultFiles, planned: set[str], audio_hashes: dict[int, str],
) -> dict[str, str | None]:
    """Files Musings may have written that this export does not need, each with the hash that makes it
    Musings' own if there is one: those the manifest or its journal lists, unlisted copies of a memo's audio
    (second copies an interrupted export of an older version left), and, when the manifest is lost,
    notes carrying Musings' front matter. (With a manifest, every note Musings wrote is in it or its journal.)"""
    candidates: dict[str, str | None] = {rel: None for rel in set(vault.manifest.files) | set(vault.manifest.pending)}
    for actuals in vault.existing.values():
        for rel in actuals:
            if rel in planned or rel in candidates:
                continue
            match = _AUDIO_COPY.match(rel)
            if match and int(match.group(1)) in audio_hashes:
                candidates[rel] = audio_hashes[int(match.group(1))]
            elif not vault.manifest.found and "/" not in rel and rel.endswith(".md") and vault.owner_key(rel):
                candidates[rel] = None
    return {rel: candidates[rel] for rel in sorted(candidates) if rel not in planned and vault.exists(rel)}


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
