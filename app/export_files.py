"""The export folder on disk: crash-safe writes, the manifest with its journal, and who owns each file.

Every file the export writes goes through atomic_files (a temporary file beside the target, fsynced,
renamed, the folder fsynced), so a kill leaves the old file or the new one, never half of one.
The manifest lists the files Musings owns with their content hashes. Before an export changes anything
it records what it is about to write (`pending`, the journal); after, the final state. A file whose bytes
match a hash in either is Musings' own, so an export killed at any point is finished by the next one
instead of leaving its notes looking like the user's edits.
"""
from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from atomic_files import TEMP_PREFIX, write_atomic
from storage.data_folder import hash_file
from storage.db import StorageError

log = logging.getLogger(__name__)

MANIFEST_NAME = ".musings-export.json"
MANIFEST_VERSION = 2
_OWNED_MARKER = re.compile(r"^musings_(id|theme_id|index):[ \t]*\"?([^\s\"]*)", re.MULTILINE)
_SEAL = re.compile(r"^musings_checksum: ([0-9a-f]{16})\n", re.MULTILINE)


# --- writing -------------------------------------------------------------------------------


def remove_temporary_files(folders: list[Path]) -> list[Path]:
    """Delete temporary files a killed export left behind (only ours: they carry atomic_files.TEMP_PREFIX)."""
    removed = []
    for folder in folders:
        if folder.is_dir():
            with os.scandir(folder) as entries:  # names only: no Path per file (40,000 of them in a big vault)
                leftovers = [entry.name for entry in entries
                             if entry.name.startswith(TEMP_PREFIX) and entry.is_file()]
            for name in leftovers:
                (folder / name).unlink(missing_ok=True)
                removed.append(folder / name)
    return removed


class FolderLock:
    """Only one export writes into a folder at a time (the second would delete the first's temporary files)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.descriptor: int | None = None

    def __enter__(self) -> FolderLock:
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks on folders
            return self
        self.descriptor = os.open(self.folder, os.O_RDONLY)
        try:
            fcntl.flock(self.descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            os.close(self.descriptor)
            self.descriptor = None
            if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise StorageError(f"another export into {self.folder} is running") from error
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self.descriptor is not None:
            os.close(self.descriptor)  # closing releases the lock
            self.descriptor = None


# --- the manifest --------------------------------------------------------------------------


@dataclass
class Owned:
    """A file Musings wrote, as the manifest lists it."""

    key: str  # "memo:12", "theme:3", "index", "audio:12"
    sha256: str | None = None  # the content's hash (an audio copy's is the memo's content hash)
    size: int | None = None  # size and mtime when written: a file that still has them need not be hashed again
    mtime_ns: int | None = None
    inputs: str | None = None  # a note's: a digest of what it was made from (unchanged: not made again)


@dataclass
class Manifest:
    files: dict[str, Owned] = field(default_factory=dict)
    # The journal: what an unfinished export was about to write, by path: (key, hashes).
    pending: dict[str, tuple[str, set[str]]] = field(default_factory=dict)
    found: bool = False  # read from the folder (False: none there, or unreadable)


def read_manifest(root: Path) -> Manifest:
    path = root / MANIFEST_NAME
    if not path.exists():
        return Manifest()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        manifest = Manifest(found=True)
        for rel, entry in raw["files"].items():
            if _is_safe_relative(rel):
                manifest.files[rel] = Owned(key=str(entry["key"]), sha256=entry.get("sha256"),
                                            size=entry.get("size"), mtime_ns=entry.get("mtime_ns"),
                                            inputs=entry.get("inputs"))
            else:
                log.warning("ignoring unsafe path in export manifest: %r", rel)
        for rel, entry in raw.get("pending", {}).items():
            if _is_safe_relative(rel):
                manifest.pending[rel] = (str(entry["key"]), {str(h) for h in entry["sha256"]})
        return manifest
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        log.warning("export manifest %s is unreadable, treating the folder as new: %s", path, error)
        return Manifest()


def write_manifest(root: Path, manifest: Manifest, mode: int) -> None:
    files = {}
    for rel in sorted(manifest.files):
        owned = manifest.files[rel]
        entry = {"key": owned.key}
        for name in ("sha256", "size", "mtime_ns", "inputs"):
            if getattr(owned, name) is not None:
                entry[name] = getattr(owned, name)
        files[rel] = entry
    document = {"version": MANIFEST_VERSION, "files": files}
    if manifest.pending:
        document["pending"] = {rel: {"key": key, "sha256": sorted(hashes)}
                               for rel, (key, hashes) in sorted(manifest.pending.items())}
    data = _manifest_json(document).encode()
    path = root / MANIFEST_NAME
    try:
        if path.read_bytes() == data:
            return
    except OSError:
        pass
    write_atomic(path, data, mode)


def _manifest_json(document: dict) -> str:
    """`json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\\n"`, character for character,
    made without json's pure-Python indenting encoder (which takes 0.3 s over a manifest of 40,000 files, on
    every export, to find the manifest unchanged). Any value but a str or an int: json.dumps itself."""
    def entry(value: dict, indent: str) -> str:
        if (value.keys() == _NOTE_FIELDS and type(value["inputs"]) is str and type(value["key"]) is str
                and type(value["mtime_ns"]) is int and type(value["sha256"]) is str and type(value["size"]) is int):
            return (f'{{\n{indent}  "inputs": {quoted(value["inputs"])},\n{indent}  "key": {quoted(value["key"])},\n'
                    f'{indent}  "mtime_ns": {int.__repr__(value["mtime_ns"])},\n'
                    f'{indent}  "sha256": {quoted(value["sha256"])},\n{indent}  "size": {int.__repr__(value["size"])}\n'
                    f'{indent}}}')  # a memo note's entry, the most common one, in one step
        if (value.keys() == _COPY_FIELDS and type(value["key"]) is str and type(value["mtime_ns"]) is int
                and type(value["sha256"]) is str and type(value["size"]) is int):
            return (f'{{\n{indent}  "key": {quoted(value["key"])},\n'
                    f'{indent}  "mtime_ns": {int.__repr__(value["mtime_ns"])},\n'
                    f'{indent}  "sha256": {quoted(value["sha256"])},\n{indent}  "size": {int.__repr__(value["size"])}\n'
                    f'{indent}}}')  # an audio copy's or a theme note's
        if not value:
            return "{}"
        lines = []
        for name in sorted(value):
            item = value[name]
            if type(item) is str:
                lines.append(f'{indent}  {quoted(name)}: {quoted(item)}')
            elif type(item) is int:
                lines.append(f'{indent}  {quoted(name)}: {int.__repr__(item)}')
            elif type(item) is list and all(type(v) is str for v in item):
                listed = ",\n".join(f"{indent}    {quoted(v)}" for v in item)
                lines.append(f'{indent}  {quoted(name)}: ' + (f"[\n{listed}\n{indent}  ]" if item else "[]"))
            else:
                raise TypeError(name)
        return "{\n" + ",\n".join(lines) + f"\n{indent}}}"

    def table(value: dict) -> str:
        if not value:
            return "{}"
        return "{\n" + ",\n".join(f"    {quoted(rel)}: {entry(value[rel], '    ')}" for rel in sorted(value)) + "\n  }"

    quoted = _quoted
    try:
        if set(document) - {"files", "pending", "version"} or type(document.get("version")) is not int:
            raise TypeError("document")
        parts = [f'  "files": {table(document["files"])}'] if "files" in document else []
        if "pending" in document:
            parts.append(f'  "pending": {table(document["pending"])}')
        parts.append(f'  "version": {int.__repr__(document["version"])}')
        return "{\n" + ",\n".join(parts) + "\n}\n"
    except (TypeError, AttributeError):
        return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


_quoted = json.encoder.encode_basestring  # json's own quoting (its C version) with ensure_ascii=False
_NOTE_FIELDS = {"inputs", "key", "mtime_ns", "sha256", "size"}
_COPY_FIELDS = _NOTE_FIELDS - {"inputs"}


def _is_safe_relative(rel: str) -> bool:
    parts = rel.split("/")
    return bool(rel) and not rel.startswith("/") and "\\" not in rel and ".." not in parts and ":" not in rel


# --- ownership -----------------------------------------------------------------------------


def seal(note: str) -> str:
    """The note with a checksum of itself as the last front-matter field. A note whose checksum still
    matches is Musings' output, unedited, even once the manifest that listed it is gone."""
    end = note.index("\n---\n", 4) + 1
    return f"{note[:end]}musings_checksum: {_checksum(note)}\n{note[end:]}"


def is_sealed(data: bytes) -> bool:
    """Does this note carry a checksum that matches the rest of it (see `seal`)?"""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    end = text.find("\n---\n", 4) if text.startswith("---\n") else -1
    found = list(_SEAL.finditer(text, 4, end + 1)) if end != -1 else []
    if len(found) != 1:
        return False
    unsealed = text[:found[0].start()] + text[found[0].end():]
    return _checksum(unsealed) == found[0].group(1)


def _checksum(note: str) -> str:
    return hashlib.sha256(note.encode("utf-8")).hexdigest()[:16]


def front_matter_key(path: Path) -> str | None:
    """The key in an exported note's front matter ("memo:12"), if it carries one: the note survives a lost
    manifest."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            head = handle.read(4096)
    except OSError:
        return None
    if not head.startswith("---\n"):
        return None
    end = head.find("\n---", 4)
    found = _OWNED_MARKER.search(head[4:end]) if end != -1 else None
    if not found:
        return None
    kind, value = found.groups()
    return "index" if kind == "index" else f"{'memo' if kind == 'id' else 'theme'}:{value}"


class VaultFiles:
    """What is in the export folder and who owns each file.

    A file is Musings' own and unedited ('clean') when its bytes hash to what the manifest or its journal
    recorded for that path, or to what Musings would write there now (`expected`), or when it is a note
    whose checksum matches (`seal`: the manifest may have been lost). A file the manifest
    lists (or whose front matter names a memo) with other bytes was edited by the user ('edited'); any
    other file is the user's ('user').
    """

    def __init__(self, root: Path, folders: list[Path], fold: Callable[[str], str]):
        self.root = root
        self.manifest = read_manifest(root)
        self.fold = fold
        self.existing: dict[str, list[str]] = {}  # folded relative path -> actual relative paths
        for folder in folders:
            if folder.is_dir():
                prefix = folder.relative_to(root).as_posix()
                prefix = "" if prefix == "." else f"{prefix}/"
                with os.scandir(folder) as entries:
                    for entry in entries:
                        rel = prefix + entry.name
                        self.existing.setdefault(fold(rel), []).append(rel)
        self._prefix = os.path.join(root, "")  # paths as strings: one os.stat per file, no Path objects
        self._stats: dict[str, os.stat_result | None] = {}
        self._digests: dict[str, str | None] = {}
        self._sealed: dict[str, bool] = {}

    def stat(self, rel: str) -> os.stat_result | None:
        """The file's stat as first seen by this export (None: not there); one system call per file."""
        if rel not in self._stats:
            try:
                self._stats[rel] = os.stat(self._prefix + rel)
            except (OSError, ValueError):
                self._stats[rel] = None
        return self._stats[rel]

    def untouched(self, rel: str, owned: Owned) -> bool:
        """Has the file the size and mtime the manifest recorded when it was written?"""
        info = self.stat(rel)
        return info is not None and info.st_size == owned.size and info.st_mtime_ns == owned.mtime_ns

    def exists(self, rel: str) -> bool:
        return rel in self.existing.get(self.fold(rel), ())

    def digest(self, rel: str) -> str | None:
        if rel not in self._digests:
            owned = self.manifest.files.get(rel)
            try:
                if owned is not None and owned.sha256 and owned.size is not None and self.untouched(rel, owned):
                    self._digests[rel] = owned.sha256  # a file untouched since it was written
                else:
                    self._digests[rel] = hash_file(self.root / rel)
            except OSError:
                self._digests[rel] = None
        return self._digests[rel]

    def sealed(self, rel: str) -> bool:
        if rel not in self._sealed:
            try:
                self._sealed[rel] = is_sealed((self.root / rel).read_bytes())
            except OSError:
                self._sealed[rel] = False
        return self._sealed[rel]

    def owner_key(self, rel: str) -> str | None:
        """The key of the note or copy this file was written as, if Musings wrote it."""
        if rel in self.manifest.files:
            return self.manifest.files[rel].key
        if rel.endswith(".md"):
            key = front_matter_key(self.root / rel)
            if key is not None:
                return key
        if rel in self.manifest.pending:
            return self.manifest.pending[rel][0]
        return None

    def state(self, rel: str, expected: str | None = None) -> str:
        """'clean', 'edited' or 'user' (see the class docstring)."""
        digest = self.digest(rel)
        owned = self.manifest.files.get(rel)
        if digest is not None and (
            (owned is not None and digest == owned.sha256) or digest == expected
            or (rel in self.manifest.pending and digest in self.manifest.pending[rel][1])
        ):  # a hash the manifest or its journal recorded for this path, or what Musings would write now
            return "clean"
        if rel.endswith(".md") and self.sealed(rel):
            return "clean"
        if owned is not None and owned.sha256 is None and owned.size is not None and self.untouched(rel, owned):
            return "clean"  # an audio copy listed by a manifest of version 1 (no hash), untouched
        if owned is not None or (rel.endswith(".md") and front_matter_key(self.root / rel) is not None):
            return "edited"
        return "user"

    def available(self, rel: str, key: str, expected: str | None = None) -> bool:
        """May the note or copy `key` live at `rel` without hurting a user's file?"""
        actuals = self.existing.get(self.fold(rel), ())
        if len(actuals) == 1 and actuals[0] == rel:  # the common case: what an export wrote there, unchanged
            owned = self.manifest.files.get(rel)
            if owned is not None and owned.sha256 and self.digest(rel) == owned.sha256:
                return True  # clean, as state() would find first
        for actual in actuals:
            state = self.state(actual, expected if actual == rel else None)
            if state == "user":
                return False
            if state == "edited" and self.owner_key(actual) != key:
                return False
        return True

