"""Where each memo sits on the theme map, kept from one launch to the next (no Qt here: runs in a job).

A map that reshuffles every time it opens cannot be learnt, so the 2-D coordinates are stored per memo
in the data folder (`map-layout.json`, owner-only, written atomically) and reused. A memo new since then is
placed beside the stored memos it is most similar to, and everything is laid out afresh only when most
memos are new (a first import) or the embedding model changed. Memos are keyed by their content hash, the
memo's identity, so the layout survives `musings repair` renumbering them.

The fresh layout is UMAP's recipe (organize.clustering's fuzzy neighbour graph and graph layout, seeded,
so the same library always gives the same map), started from the first two principal components; tiny
libraries get the principal components alone.
"""
from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

LAYOUT_NAME = "map-layout.json"
LAYOUT_VERSION = 1
KEY_LENGTH = 16  # hex digits of the content hash: 64 bits, ample for one library
GRAPH_LAYOUT_MIN_MEMOS = 12  # below this a neighbour graph says little: principal components
NEIGHBOURS = 5  # stored memos a new one is placed among
NEIGHBOUR_SHARPNESS = 0.05  # softmax temperature over their similarities: the nearest counts most
NEW_MEMO_SPREAD = 0.015  # of the map's extent: new memos next to the same neighbours do not hide each other
DECIMALS = 5  # stored coordinates' precision (the layout's units span about 10)
MAP_SAMPLE = 4000  # memos laid out afresh at most; the rest are placed beside them
CHILD_MIN_MEMOS = 200  # a fresh layout of at least this many memos runs in a child process (see laid_out_apart)
CHILD_TIMEOUT = 600  # seconds
PLACE_BLOCK = 256  # new memos placed per similarity block
SEPARATION = 0.022  # of the map's extent (about a dot across): closer dots are pushed apart after a fresh layout


@dataclass
class Layout:
    xy: np.ndarray  # (n, 2) in the layout's own units, one row per memo as given
    changed: bool  # differs from what was stored: write it back
    recomputed: bool  # laid out afresh (not from the stored coordinates)

    def to_store(self, keys: list[str], stored: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        """What the file keeps: these memos, and, unless laid out afresh, the stored memos not shown now
        (one being transcribed again gets its place back)."""
        current = {key: (float(x), float(y)) for key, (x, y) in zip(keys, self.xy)}
        return current if self.recomputed else {**stored, **current}


def layout_key(content_hash: str) -> str:
    return content_hash[:KEY_LENGTH]


def principal_components(vectors: np.ndarray) -> np.ndarray:
    """The first two principal components (the small dim x dim covariance's top eigenvectors, signs fixed so
    the map does not flip)."""
    if len(vectors) < 2:
        return np.zeros((len(vectors), 2))
    centred = np.asarray(vectors, dtype=np.float64) - np.mean(vectors, axis=0)
    _, axes = np.linalg.eigh(centred.T @ centred)
    components = axes[:, ::-1][:, :2].T
    signs = np.sign(components[np.arange(len(components)), np.abs(components).argmax(axis=1)])
    return centred @ (components * signs[:, None]).T


def _unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def fresh_layout(vectors: np.ndarray) -> np.ndarray:
    """A new 2-D layout of every memo (deterministic: the same vectors give the same map). Above MAP_SAMPLE
    memos a seeded sample is laid out and the others placed among the memos they resemble (20,000 memos laid
    out whole: ~1.5 GB and most of a minute, in the window's process)."""
    from organize.clustering import fuzzy_neighbour_graph, graph_layout, neighbour_count

    vectors = _unit(vectors)
    n = len(vectors)
    if n < GRAPH_LAYOUT_MIN_MEMOS:
        return principal_components(vectors).astype(np.float64)
    if n > MAP_SAMPLE:
        sample = np.sort(np.random.default_rng(0).choice(n, MAP_SAMPLE, replace=False))
        rest = np.setdiff1d(np.arange(n), sample)
        xy = np.zeros((n, 2))
        xy[sample] = fresh_layout(vectors[sample])
        xy[rest] = place_new(vectors[sample], xy[sample], vectors[rest], [f"{row:x}" for row in rest])
        return _separate(xy)
    start = principal_components(vectors)
    xy = graph_layout(fuzzy_neighbour_graph(vectors, neighbour_count(n)), start, seed=0).astype(np.float64)
    return _separate(xy)


def laid_out_apart(vectors: np.ndarray) -> np.ndarray:
    """:func:`fresh_layout`, in a child process for a big library: the clustering libraries it imports and its
    working arrays (~210 MB at 20,000 memos) then never join the window's memory, and its Python parts do not
    hold the window's GIL (a first map of 20,000 memos stalled the UI 125 ms in-process). The vectors go to the
    child through a pipe and the coordinates come back the same way: nothing is written to disk. Small
    libraries, a frozen bundle (no `python -c`) or a child that fails are laid out here, the same result."""
    if len(vectors) < CHILD_MIN_MEMOS or getattr(sys, "frozen", False):
        return fresh_layout(vectors)
    try:
        with subprocess.Popen([sys.executable, "-c", "from app.map_layout import _child; _child()"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as child:
            # streamed into the pipe, not copied into bytes first (20,000 memos: 30 MB); the child reads all of
            # it before it writes, so neither side waits on the other
            try:
                sent = np.ascontiguousarray(vectors, dtype="<f4")
                child.stdin.write(f"{sent.shape[0]} {sent.shape[1]}\n".encode())
                child.stdin.write(memoryview(sent).cast("B"))
                child.stdin.close()
            except BrokenPipeError:
                pass  # the child died: its stderr and exit status say why
            child.stdin = None  # sent and closed: communicate() only reads
            try:
                xy_bytes, errors = child.communicate(timeout=CHILD_TIMEOUT)
            except subprocess.TimeoutExpired:
                child.kill()
                raise
        if child.returncode != 0:
            raise subprocess.CalledProcessError(child.returncode, "map layout child", stderr=errors)
        xy = np.load(io.BytesIO(xy_bytes), allow_pickle=False)
        if xy.shape != (len(vectors), 2):
            raise ValueError(f"the child sent {xy.shape} coordinates for {len(vectors)} memos")
        return xy
    except (OSError, subprocess.SubprocessError, ValueError) as error:
        detail = getattr(error, "stderr", b"") or b""
        log.warning("laying the theme map out in a child process failed (%s %s): laying it out here",
                    error, detail.decode(errors="replace")[-500:])
        return fresh_layout(vectors)


def _child() -> None:
    """The child of :func:`laid_out_apart`: vectors in on stdin (a "rows columns" line, then little-endian
    float32s), coordinates out on stdout (.npy)."""
    rows, columns = map(int, sys.stdin.buffer.readline().split())
    vectors = np.frombuffer(sys.stdin.buffer.read(), dtype="<f4").reshape(rows, columns)
    out = io.BytesIO()
    np.save(out, fresh_layout(vectors), allow_pickle=False)
    sys.stdout.buffer.write(out.getvalue())
    sys.stdout.buffer.flush()


def _separate(xy: np.ndarray, rounds: int = 30) -> np.ndarray:
    """Push apart dots that would sit on top of each other (the layout packs a theme tightly); a few rounds
    of pairwise nudges on the close pairs only."""
    from scipy.spatial import cKDTree

    extent = max(float(np.ptp(xy, axis=0).max()), 1e-9)
    gap = SEPARATION * extent
    xy = xy.copy()
    for _ in range(rounds):
        pairs = cKDTree(xy).query_pairs(gap, output_type="ndarray")
        if len(pairs) == 0:
            break
        delta = xy[pairs[:, 0]] - xy[pairs[:, 1]]
        distance = np.linalg.norm(delta, axis=1)
        same = distance < 1e-12
        # coincident dots: a fixed direction per pair, so the result stays deterministic
        angle = (pairs[same, 0] * 2.399963 + pairs[same, 1]) % (2 * np.pi)
        delta[same] = np.column_stack([np.cos(angle), np.sin(angle)]) * 1e-6
        distance[same] = 1e-6
        push = ((gap - distance) / 2 / distance)[:, None] * delta
        np.add.at(xy, pairs[:, 0], push)
        np.add.at(xy, pairs[:, 1], -push)
    return xy


def place_new(known_vectors: np.ndarray, known_xy: np.ndarray, new_vectors: np.ndarray,
              new_keys: list[str]) -> np.ndarray:
    """Positions for new memos among the stored ones they resemble most: a similarity-weighted mean of
    their nearest stored memos' positions, nudged by a small offset fixed by the memo's key."""
    known, new = _unit(known_vectors), _unit(new_vectors)
    k = min(NEIGHBOURS, len(known))
    xy = np.zeros((len(new), 2))
    for start in range(0, len(new), PLACE_BLOCK):  # blocks: 12,000 new x 8,000 known at once would be 384 MB
        similarities = new[start:start + PLACE_BLOCK] @ known.T
        if k < len(known):  # the k best, then in order (the sort of whole rows was most of the time)
            nearest = np.argpartition(-similarities, k - 1, axis=1)[:, :k]
            nearest = np.take_along_axis(nearest, np.argsort(
                -np.take_along_axis(similarities, nearest, axis=1), axis=1, kind="stable"), axis=1)
        else:
            nearest = np.argsort(-similarities, axis=1, kind="stable")[:, :k]
        chosen = np.take_along_axis(similarities, nearest, axis=1)
        weights = np.exp((chosen - chosen[:, :1]) / NEIGHBOUR_SHARPNESS)
        xy[start:start + PLACE_BLOCK] = ((weights[:, :, None] * known_xy[nearest]).sum(axis=1)
                                         / weights.sum(axis=1, keepdims=True))
    extent = max(float(np.ptp(known_xy, axis=0).max()) if len(known_xy) > 1 else 1.0, 1e-9)
    for row, key in enumerate(new_keys):
        rng = np.random.default_rng(int(key, 16) if key else row)
        angle, radius = rng.uniform(0, 2 * np.pi), NEW_MEMO_SPREAD * extent * (0.5 + rng.uniform())
        xy[row] += radius * np.array([np.cos(angle), np.sin(angle)])
    return xy


def arrange(keys: list[str], vectors: np.ndarray, stored: dict[str, tuple[float, float]]) -> Layout:
    """Coordinates for the memos `keys` (rows of `vectors`): the stored ones reused, new ones placed among
    them, or a fresh layout when most memos are new."""
    keys = list(keys)
    known = [row for row, key in enumerate(keys) if key in stored]
    new = [row for row, key in enumerate(keys) if key not in stored]
    if not keys:
        return Layout(np.zeros((0, 2)), changed=False, recomputed=False)
    if len(new) > len(known):
        # rounded as the file keeps them: this launch's map is the next launch's to the last digit
        return Layout(np.round(laid_out_apart(vectors), DECIMALS), changed=True, recomputed=True)
    xy = np.zeros((len(keys), 2))
    xy[known] = [stored[keys[row]] for row in known]
    if new:
        xy[new] = np.round(place_new(vectors[known], xy[known], vectors[new], [keys[row] for row in new]), DECIMALS)
    return Layout(xy, changed=bool(new), recomputed=False)


# -- the file ---------------------------------------------------------------------------------------

# The last layout of a data folder where the file could not be written (a read-only snapshot, a full disk),
# kept for this process: without it every refresh of the map would lay a big library out afresh.
_REMEMBERED: dict[tuple[str, str], dict[str, tuple[float, float]]] = {}


def read_layout(data_dir: Path, model: str) -> dict[str, tuple[float, float]]:
    """The stored coordinates by memo key; empty if there are none, they were made from another model's
    vectors, or the file is unreadable (the map is then laid out afresh: nothing is lost but the old shape)."""
    remembered = _REMEMBERED.get((str(data_dir), model))
    if remembered is not None:  # newer than the file, which could not be replaced
        return dict(remembered)
    path = Path(data_dir) / LAYOUT_NAME
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        log.warning("the theme map's layout %s is unreadable (%s): laying it out afresh", path, error)
        return {}
    if not isinstance(content, dict) or content.get("version") != LAYOUT_VERSION or content.get("model") != model:
        return {}
    points = content.get("points")
    if not isinstance(points, dict):
        return {}
    return {key: (float(value[0]), float(value[1])) for key, value in points.items()
            if isinstance(value, list) and len(value) == 2}


def write_layout(data_dir: Path, model: str, points: dict[str, tuple[float, float]]) -> bool:
    """Store the coordinates by memo key (atomically, readable by the owner only). A data folder that can't be
    written (a read-only snapshot, a full disk) only costs the map its memory across launches: logged, and
    kept for this process; returns False."""
    from atomic_files import write_atomic
    from privacy import PRIVATE_FILE_MODE

    content = {"version": LAYOUT_VERSION, "model": model,
               "points": {key: [round(x, DECIMALS), round(y, DECIMALS)] for key, (x, y) in points.items()}}
    try:
        write_atomic(Path(data_dir) / LAYOUT_NAME, json.dumps(content, separators=(",", ":")).encode(),
                     PRIVATE_FILE_MODE)
    except OSError as error:
        log.warning("could not keep the theme map's layout in %s: %s", data_dir, error)
        _REMEMBERED[(str(data_dir), model)] = dict(points)
        return False
    _REMEMBERED.pop((str(data_dir), model), None)
    return True


@dataclass
class MapPoints:
    memo_ids: list[int] = field(default_factory=list)
    xy: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # in [0, 1]
    theme_ids: list[int | None] = field(default_factory=list)  # each memo's most specific theme
    titles: list[str] = field(default_factory=list)
    theme_names: dict[int, str] = field(default_factory=dict)
    parents: dict[int, int | None] = field(default_factory=dict)  # theme id -> its broad theme (None: broad)

    spots: list[ThemeSpot] | None = None  # where each theme's label goes (theme_spots), made in the job

    def broad_of(self, theme_id: int | None) -> int | None:
        parent = self.parents.get(theme_id) if theme_id is not None else None
        return theme_id if parent is None else parent


@dataclass
class ThemeSpot:
    """Where a theme sits on the map, in the map's own [0, 1] units."""
    theme_id: int
    text: str
    broad: bool
    size: int
    centre: tuple[float, float]
    core_low: float  # the lowest and highest y of its core dots (the half nearest its centre)
    core_high: float
    region: bool  # a broad theme with sub-themes: its label names the region, not one clump


def theme_spots(points: MapPoints) -> list[ThemeSpot]:
    """Every theme with memos on the map, at the median of its memos' dots (a broad theme's include its
    sub-themes'), broad themes first, larger first (computed with the points, off the window's thread)."""
    rows_of: dict[int, list[int]] = {}
    broad_of = {t: points.broad_of(t) for t in set(points.theme_ids) if t is not None}
    for row, theme_id in enumerate(points.theme_ids):
        if theme_id is None:
            continue
        rows_of.setdefault(theme_id, []).append(row)
        if broad_of[theme_id] != theme_id:
            rows_of.setdefault(broad_of[theme_id], []).append(row)
    with_subs = {b for t, b in broad_of.items() if b != t}
    spots = []
    for theme_id, rows in rows_of.items():
        if theme_id not in points.theme_names:
            continue
        dots = points.xy[rows]
        centre = np.median(dots, axis=0)  # a theme split in two clumps: by the larger one
        distance = np.linalg.norm(dots - centre, axis=1)
        core = dots[distance <= np.median(distance)]
        broad = points.broad_of(theme_id) == theme_id
        spots.append(ThemeSpot(theme_id, points.theme_names[theme_id], broad, len(rows),
                               (float(centre[0]), float(centre[1])), float(core[:, 1].min()),
                               float(core[:, 1].max()), theme_id in with_subs))
    return sorted(spots, key=lambda spot: (not spot.broad, -spot.size, spot.theme_id))


def fit_to_square(xy: np.ndarray) -> np.ndarray:
    """Scale coordinates into [0, 1] on both axes (a single memo sits in the middle)."""
    if len(xy) == 0:
        return np.zeros((0, 2))
    low, high = xy.min(axis=0), xy.max(axis=0)
    span = high - low
    scaled = (xy - low) / np.where(span > 1e-9, span, 1.0)
    scaled[:, span <= 1e-9] = 0.5
    return scaled


def load_map_points(db, data_dir: Path) -> MapPoints:
    """Read every embedded memo and place it: the stored layout, new memos beside their neighbours
    (runs in a background job; writes the layout back when it changed). `Musings.map_points` calls it."""
    from app.display import memo_title
    from organize.embeddings import MODEL_NAME
    from storage import memos as store
    from storage import themes as org

    ids, vectors = org.load_embeddings(db, MODEL_NAME)
    memos = {memo.id: memo for memo in store.memo_headers(db)}  # titles and hashes; not 20,000 transcripts
    rows = [row for row, memo_id in enumerate(ids) if memo_id in memos]  # gone between the two reads
    ids, vectors = [ids[row] for row in rows], vectors[rows] if len(rows) else np.zeros((0, 2))
    keys = [layout_key(memos[i].content_hash) for i in ids]
    stored = read_layout(data_dir, MODEL_NAME)
    layout = arrange(keys, vectors, stored)
    if layout.changed:
        write_layout(data_dir, MODEL_NAME, layout.to_store(keys, stored))
    themes = org.list_themes(db)
    points = MapPoints(
        memo_ids=ids, xy=fit_to_square(layout.xy),
        theme_ids=[memos[i].theme_id for i in ids],
        titles=[memo_title(memos[i]) for i in ids],
        theme_names={t.id: t.name for t in themes},
        parents={t.id: t.parent_id for t in themes},
    )
    points.spots = theme_spots(points)
    return points
