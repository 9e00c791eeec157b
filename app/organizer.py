"""The Organizer: keeps what is derived from the transcripts up to date (vectors, titles, themes) and answers
search and related memos, for app.core. organize/ computes, storage/themes.py stores.

Themes are stable: a new memo is placed into the nearest existing theme at once; a full re-clustering
(on demand, or when Unsorted grows) maps new clusters onto the old themes so ids and names survive, and
every correction the user made (rename, merge, move) is passed back in and kept.
"""
from __future__ import annotations

import logging
import re
import sqlite3
from dataclasses import dataclass, field

import numpy as np
import sqlite_utils

from organize import related as related_memos
from organize.embeddings import MODEL_NAME, Embedder, resolve_embedder
from organize.search import fuse_rankings, semantic_scores, top_k
from storage import memos as store
from storage import related as stored_related
from storage import themes as org

log = logging.getLogger(__name__)

# Re-cluster on its own when this share of organised memos sits in Unsorted (and at least this many).
RECLUSTER_UNSORTED_SHARE = 0.15
RECLUSTER_UNSORTED_MIN = 10
MIN_MEMOS_FOR_THEMES = 6
SEMANTIC_MIN_SCORE = 0.2
# Related memos: how many, and the similarity below which a memo is not "related" (window, CLI and export).
RELATED_PER_MEMO = 5
RELATED_MIN_SCORE = related_memos.RELATED_FLOOR


@dataclass
class RelatedMemo:
    memo: store.Memo
    score: float
    near_duplicate: bool
    start: float = 0.0  # where to play it from: the start of its idea that is related (0: the whole memo)
    idea_title: str | None = None  # that idea's title, when the related memo holds several
    for_idea: str | None = None  # the title of this memo's own idea it is related to, when this memo holds several

    @property
    def closeness(self) -> str:
        """In words: "very close", "close" or "related" (organize.related.closeness)."""
        return related_memos.closeness(self.score) or "related"


@dataclass
class SearchResult:
    memo: store.Memo
    snippet: str
    matched_by: str  # keyword / semantic / both
    start: float = 0.0  # where to play from: the start of the idea the hit is in (0 for a memo of one idea)
    idea_title: str | None = None  # that idea's title, when the memo holds several


class Organizer:
    """Organize use cases over one database; the embedder is loaded on first need."""

    def __init__(self, db: sqlite_utils.Database, embedder=None):
        """`embedder`: an Embedder, or a function returning one when first needed."""
        self.db = db
        self._embedder = embedder

    @property
    def embedder(self) -> Embedder:
        self._embedder = resolve_embedder(self._embedder or Embedder)
        return self._embedder

    # -- after an import ---------------------------------------------------------------------

    def organize_new(self) -> int:
        """Embed and title memos that lack it, place them into themes; re-cluster when due.

        Returns how many memos were embedded.
        """
        from organize.titles import title_for
        from organize.vocabulary import is_junk

        todo = org.memos_needing_embedding(self.db, MODEL_NAME)
        if todo:
            vectors = self.embedder.embed([text for _, text in todo])
            org.save_embeddings(self.db, MODEL_NAME, {memo_id: v for (memo_id, _), v in zip(todo, vectors)})
            for memo_id, text in todo:
                org.set_title(self.db, memo_id, title_for(text), by_user=False)
            topical = {memo_id: v for (memo_id, text), v in zip(todo, vectors) if not is_junk(text)}
            self._place(topical)
            from app import ideas

            # the ideas each new recording holds (a short one: one idea, nothing embedded; 5 minutes: ~0.1 s),
            # split before a re-clustering, which groups ideas
            ideas.refresh(self.db, self.embedder.embed, [memo_id for memo_id, _ in todo])
        if self._reclustering_due():
            self.recluster()
        elif todo and topical:
            where = org.placements(self.db, list(topical))
            self._themes_for_new_topics([memo_id for memo_id in topical if where[memo_id].theme_id is None])
        if todo:
            self.related_lists()  # the new memos' lists, and theirs in others' (the export reads them)
            from app import todos as spoken

            spoken.refresh(self.db)  # what the new memos say to do, read now (a few ms each), not at the next listing
        return len(todo)

    def _place(self, vectors: dict[int, np.ndarray]) -> None:
        """Each new memo into its nearest most specific theme (a sub-theme, or a broad theme without any)."""
        from organize.themes import place

        theme_ids, centroids = org.leaf_centroids(self.db)
        if not theme_ids:
            return
        current = org.placements(self.db, list(vectors))
        for memo_id, vector in vectors.items():
            if current[memo_id].pinned:
                continue
            row = place(vector, centroids)
            org.place_memo(self.db, memo_id, None if row is None else theme_ids[row])

    def _themes_for_new_topics(self, new_unsorted: list[int]) -> list[int]:
        """A new topic gets its theme at once, without waiting for a re-clustering: the memos just left in
        Unsorted, with the Unsorted memos near them (two steps of similarity), are grouped, and a group at
        least as tight as this library's own themes (organize.themes.new_topic_groups) becomes a theme,
        named against the others. Returns the new theme ids."""
        from organize.themes import (NEW_TOPIC_MAX_CANDIDATES, NEW_TOPIC_MIN_MEMOS, centroid, new_topic_groups,
                                     theme_cohesion)
        from organize.tree import min_subtheme_size
        from organize.vocabulary import is_junk

        if not new_unsorted:
            return []
        pool = {memo_id: text for memo_id, text in org.unsorted_memos(self.db).items() if not is_junk(text)}
        if len(pool) < NEW_TOPIC_MIN_MEMOS:
            return []
        ids, vectors = org.load_embeddings(self.db, MODEL_NAME)
        row_of = {memo_id: row for row, memo_id in enumerate(ids)}
        placed = org.placements(self.db)
        leaves = np.array([-1 if placed[m].theme_id is None else placed[m].theme_id for m in ids])
        smallest = max(NEW_TOPIC_MIN_MEMOS, min_subtheme_size(len(ids)))
        cohesion = theme_cohesion(vectors, leaves, smallest)
        if cohesion is None:
            return []
        pool_ids = [m for m in pool if m in row_of][-NEW_TOPIC_MAX_CANDIDATES:]
        pool_vectors = vectors[[row_of[m] for m in pool_ids]]
        near = np.isin(pool_ids, new_unsorted)
        for _ in range(2):  # the new memos, the Unsorted memos like them, and those like these
            near |= (pool_vectors @ pool_vectors[near].T >= cohesion).any(axis=1)
        candidates = np.flatnonzero(near)
        made = []
        for rows in new_topic_groups(pool_vectors[candidates], cohesion, smallest):
            members = [pool_ids[i] for i in candidates[rows]]
            name = self._name_new_topic(members, ids, leaves)
            made.append(org.new_theme_from_memos(self.db, name, centroid(vectors[[row_of[m] for m in members]]),
                                                 members))
            log.info("a new topic: theme %d %r from %d Unsorted memos (cohesion %.2f)", made[-1], name,
                     len(members), cohesion)
        return made

    def _name_new_topic(self, members: list[int], ids: list[int], leaves: np.ndarray) -> str:
        """Its name, from the words that set its memos apart from (a sample of) the sorted ones."""
        from organize.naming import name_themes

        by_id = org.transcripts(self.db)
        sorted_rows = np.flatnonzero(leaves >= 0)
        context = np.random.default_rng(0).choice(sorted_rows, min(len(sorted_rows), 2000), replace=False)
        texts = [by_id[m] for m in members] + [by_id[ids[row]] for row in context]
        labels = np.array([0] * len(members) + [1 + int(leaves[row]) for row in context])
        return name_themes(texts, labels)[0]

    def _reclustering_due(self) -> bool:
        from organize.vocabulary import is_junk

        embedded = org.count_embeddings(self.db, MODEL_NAME)
        if embedded < MIN_MEMOS_FOR_THEMES:
            return False
        if not org.list_themes(self.db):
            return True
        # Junk stays Unsorted for good: it does not call for a re-clustering.
        unsorted = sum(not is_junk(text) for text in org.unsorted_transcripts(self.db))
        return unsorted >= RECLUSTER_UNSORTED_MIN and unsorted > RECLUSTER_UNSORTED_SHARE * embedded

    def recluster(self) -> int:
        """Rebuild all themes, keeping theme ids, names and every user correction. Returns the theme count."""
        # scikit-learn, scipy, igraph: imported only to cluster (searching and reading never need them)
        from organize.themes import Theme, centroid, stabilise
        from organize.tree import build_theme_tree

        # Read first: a correction the user makes from now on, while the clustering computes (seconds
        # on a big library), is newer than it and save_themes keeps it.
        snapshot = org.themes_snapshot(self.db)
        memo_ids, memo_vectors = org.load_embeddings(self.db, MODEL_NAME)
        if not memo_ids:
            return 0
        items = _Items.of(self.db, memo_ids, memo_vectors)
        ids, vectors, texts = items.memo_of, items.vectors, items.texts
        current = snapshot.placements
        pinned = {row: current[memo_id].theme_id for row, memo_id in enumerate(ids)
                  if items.idea_of[row] is None and memo_id in current and current[memo_id].pinned
                  and current[memo_id].theme_id is not None}
        pinned |= {row: items.idea_theme[row] for row in items.moved if items.idea_theme[row] in snapshot.theme_ids}
        # an idea: where it was last placed; a memo: its theme (None: imported meanwhile)
        placed = [(current[m].theme_id if m in current else None) if idea is None else items.idea_theme[row]
                  for row, (m, idea) in enumerate(zip(ids, items.idea_of))]
        before = np.array([-1 if theme_id is None or theme_id not in snapshot.theme_ids else theme_id
                           for theme_id in placed])
        existing = [t for t in org.list_themes(self.db) if t.id in snapshot.theme_ids]
        known = {t.id for t in existing if t.centroid is not None}
        previous = [Theme(t.id, t.centroid, np.flatnonzero(before == t.id).tolist(), t.name,
                          t.parent_id if t.parent_id in known else None)
                    for t in existing if t.centroid is not None]
        model = build_theme_tree(vectors, texts, seed=0, pinned=pinned, previous=previous)
        pinned_mask = np.zeros(len(ids), dtype=bool)
        pinned_mask[list(pinned)] = True
        # A memo whose former theme became the broad theme of its new sub-theme has not moved.
        tree_parent = {t.theme_key: t.parent_key for t in model.themes}
        hint = np.array([new if tree_parent.get(int(new)) == old != -1 else old
                         for new, old in zip(model.labels, before)])
        labels = _keep_named_themes(stabilise(model.labels, hint, vectors), before, existing, pinned_mask)
        names = {t.id: t.name for t in existing} | {t.theme_key: t.name for t in model.themes}
        parent_of = _parents(model, existing, labels)
        themes = {}
        for key in sorted(set(labels.tolist()) - {-1} | {p for p in parent_of.values() if p is not None}):
            under = (labels == key) | np.isin(labels, [k for k, p in parent_of.items() if p == key])
            themes[int(key)] = (names[key], centroid(vectors[under]), parent_of.get(key))
        assignments, idea_assignments = items.assignments(labels, current)
        org.save_themes(self.db, themes, assignments, based_on=snapshot, idea_assignments=idea_assignments)
        return len(themes)

    def related_lists(self, k: int = RELATED_PER_MEMO) -> dict[int, list[tuple[int, float]]]:
        """Every memo's `k` most similar memos, (other id, cosine) best first, kept up to date in the database
        (storage.related): the memos whose stored list is short (new, or a memo in it left) are computed
        against the library, and each joins the lists of the memos it now beats. Nothing to do costs one
        read; a library that can't be written (a read-only disk) is computed without keeping it."""
        ids, vectors = org.load_embeddings(self.db, MODEL_NAME)
        want = min(k, len(ids) - 1)
        if want <= 0:
            return {memo_id: [] for memo_id in ids}
        can_keep = "related" in self.db.table_names()
        lists = stored_related.related_lists(self.db) if can_keep else {}
        stale = [row for row, memo_id in enumerate(ids) if len(lists.get(memo_id, ())) < want]
        if not stale:
            return lists
        kth = np.array([lists[m][want - 1][1] if len(lists.get(m, ())) >= want else np.inf for m in ids])
        kth[stale] = np.inf  # recomputed whole
        found, joins = related_memos.top_related(vectors, stale, want, kth=kth)
        changed = {ids[row]: [(ids[i], score) for i, score in best] for row, best in found.items()}
        for row, other_row, score in joins:
            memo_id = ids[row]
            merged = dict(changed.get(memo_id, lists[memo_id]))
            merged[ids[other_row]] = score
            changed[memo_id] = sorted(merged.items(), key=lambda item: (-item[1], item[0]))[:want]
        if can_keep:
            try:
                stored_related.save_related(self.db, changed)
            except sqlite3.OperationalError as error:  # a read-only database: computed, not kept
                log.info("related lists not kept: %s", error)
        log.info("related lists computed for %d memos, %d others updated", len(stale), len(changed) - len(stale))
        return lists | changed

    # -- reading -----------------------------------------------------------------------------

    def related(self, memo_id: int, k: int = 5, *, min_score: float = -1.0) -> list[RelatedMemo]:
        """The `k` memos most like this one, best first, none under `min_score`. Ideas count on both sides: a
        memo of several ideas is as close as its closest idea (and plays from that idea's start); a memo of
        several ideas looks with each of its ideas in turn (the best match of its first idea, of its second...,
        then the second best of each), so every idea gets its share of the `k`. Memos of one idea compare whole."""
        from storage import ideas as stored_ideas

        ids, vectors = org.load_embeddings(self.db, MODEL_NAME)
        if memo_id not in ids:
            return []
        row_of = {m: i for i, m in enumerate(ids)}
        row = row_of[memo_id]
        split = stored_ideas.spans_with_vectors(self.db, None)
        own = [(idea.title, np.frombuffer(v, dtype=np.float32)) for idea, v in split.get(memo_id, ()) if v]
        if len(own) < 2:
            own = []
        queries = np.stack([v for _, v in own]) if own else vectors[row:row + 1]
        scores = related_memos.similarities(queries, vectors)  # (queries, memos): each memo whole
        start = np.zeros(scores.shape)
        idea_title: dict[tuple[int, int], str] = {}  # (query, memo row) -> the title of its idea that matched
        for other, ideas in split.items():
            if other == memo_id or other not in row_of or not all(v for _, v in ideas):
                continue
            column = row_of[other]
            by_idea = related_memos.similarities(queries, np.stack([np.frombuffer(v, dtype=np.float32)
                                                                    for _, v in ideas]))  # (queries, its ideas)
            for q, i in enumerate(by_idea.argmax(axis=1).tolist()):
                if by_idea[q, i] > scores[q, column]:
                    scores[q, column], start[q, column] = by_idea[q, i], ideas[i][0].start
                    idea_title[(q, column)] = ideas[i][0].title
        scores[:, row] = -np.inf
        rankings = [iter(np.argsort(-scores[q], kind="stable").tolist()) for q in range(len(queries))]
        chosen: list[tuple[int, int]] = []  # (query, memo row)
        taken: set[int] = set()
        live = list(range(len(queries)))
        while live and len(chosen) < min(k, len(ids) - 1):
            for q in list(live):
                column = next((c for c in rankings[q] if c not in taken), None)
                if column is None or scores[q, column] < min_score:
                    live.remove(q)
                    continue
                chosen.append((q, column))
                taken.add(column)
                if len(chosen) == min(k, len(ids) - 1):
                    break
        chosen.sort(key=lambda pick: (-scores[pick], pick[1]))  # each idea has its share; shown best first
        return [RelatedMemo(store.get_memo(self.db, ids[c]), float(scores[q, c]),
                            related_memos.is_near_duplicate(float(scores[q, c])), float(start[q, c]),
                            idea_title.get((q, c)), own[q][0] if own else None)
                for q, c in chosen]

    def search(self, query: str, *, mode: str = "hybrid", limit: int = 20,
               theme_id: int | None = None) -> list[SearchResult]:
        """Keyword (FTS5) and meaning (embeddings) merged by reciprocal rank fusion; or one of them. With
        `theme_id`, only the memos of that theme and its sub-themes."""
        keyword_hits = (store.search(self.db, query, limit=50, theme_id=theme_id)
                        if mode in ("hybrid", "keyword") else [])
        snippets = {hit.memo.id: hit.snippet for hit in keyword_hits}
        semantic_ids: list[int] = []
        query_vector = None
        if mode in ("hybrid", "semantic"):
            ids, vectors = org.load_embeddings(self.db, MODEL_NAME)
            if ids and query.strip():
                query_vector = self.embedder.embed([query])[0]
                scores = semantic_scores(query_vector, vectors)
                if theme_id is not None:
                    scores[~np.isin(ids, org.memos_of_theme(self.db, theme_id))] = -np.inf
                semantic_ids = [ids[i] for i in top_k(scores, 50) if scores[i] >= SEMANTIC_MIN_SCORE]
        keyword_ids = [hit.memo.id for hit in keyword_hits]
        results = []
        for memo_id in fuse_rankings(keyword_ids, semantic_ids)[:limit]:
            memo = store.get_memo(self.db, memo_id)
            how = ("both" if memo_id in snippets and memo_id in semantic_ids
                   else "keyword" if memo_id in snippets else "semantic")
            results.append(SearchResult(memo, snippets.get(memo_id) or _opening(memo.transcript), how))
        self._point_at_ideas(results, query, query_vector)
        return results

    def _point_at_ideas(self, results: list[SearchResult], query: str, query_vector: np.ndarray | None) -> None:
        """A hit in a memo of several ideas plays from the idea it is in: the passage holding most of the query's
        words (the first of equals), else the idea whose own vector is nearest the query's."""
        from app.ideas import idea_row
        from storage import ideas as stored

        split = stored.spans_with_vectors(self.db, [r.memo.id for r in results])
        terms = {t for t in re.findall(r"\w+", query.lower()) if len(t) > 1}
        for result in results:
            ideas = split.get(result.memo.id)
            if not ideas:
                continue
            starts = [idea.start for idea, _ in ideas]
            row = None
            if result.matched_by != "semantic" and terms:
                found = [(len(terms & set(re.findall(r"\w+", s.shown_text.lower()))), -s.start, s)
                         for s in store.get_segments(self.db, result.memo.id)]
                most, _, passage = max(found, key=lambda item: item[:2], default=(0, 0, None))
                row = idea_row(starts, passage.start, passage.end) if most else None
            if row is None and query_vector is not None and all(vector for _, vector in ideas):
                matrix = np.stack([np.frombuffer(vector, dtype=np.float32) for _, vector in ideas])
                row = int(np.argmax(matrix @ query_vector))
            if row is not None:
                result.start, result.idea_title = ideas[row][0].start, ideas[row][0].title


@dataclass
class _Items:
    """What a re-clustering groups: each memo, except that a memo of several ideas is its ideas, each with its
    own vector and words (a memo of one idea is clustered exactly as before ideas existed)."""

    memo_of: list[int]  # the memo each item is, or is an idea of
    idea_of: list[int | None]  # the idea's id; None: the whole memo
    idea_theme: list[int | None]  # the idea's theme as last placed (None for a whole memo)
    length: list[float]  # the idea's seconds (0 for a whole memo)
    vectors: np.ndarray
    texts: list[str]
    moved: list[int] = field(default_factory=list)  # the items that are ideas the user moved to a theme

    @classmethod
    def of(cls, db: sqlite_utils.Database, memo_ids: list[int], memo_vectors: np.ndarray) -> "_Items":
        from app.ideas import idea_texts, segments_of
        from storage import ideas as stored_ideas

        split = stored_ideas.spans_with_vectors(db, None)
        transcripts = org.transcripts(db)
        items = cls([], [], [], [], np.zeros(0), [])
        rows: list[np.ndarray] = []
        for row, memo_id in enumerate(memo_ids):
            ideas = split.get(memo_id)
            segments = segments_of(db, memo_id) if ideas and all(vector for _, vector in ideas) else []
            if not segments:
                items._add(memo_id, None, None, 0.0, transcripts[memo_id])
                rows.append(memo_vectors[row])
                continue
            edges = [segments[0][0], *(idea.start for idea, _ in ideas[1:]), segments[-1][1]]
            for (idea, vector), text in zip(ideas, idea_texts(segments, edges)):
                if idea.theme_by_user:
                    items.moved.append(len(items.memo_of))
                items._add(memo_id, idea.id, idea.theme_id, idea.end - idea.start, text)
                rows.append(np.frombuffer(vector, dtype=np.float32))
        items.vectors = np.stack(rows).astype(memo_vectors.dtype, copy=False)
        return items

    def _add(self, memo_id: int, idea_id: int | None, theme_id: int | None, length: float, text: str) -> None:
        self.memo_of.append(memo_id)
        self.idea_of.append(idea_id)
        self.idea_theme.append(theme_id)
        self.length.append(length)
        self.texts.append(text)

    def assignments(self, labels: np.ndarray, current: dict) -> tuple[dict[int, int | None], dict[int, int | None]]:
        """Each memo's theme (a memo of several ideas: its longest idea's, or where the user pinned it) and
        each idea's."""
        memos: dict[int, int | None] = {}
        ideas: dict[int, int | None] = {}
        longest: dict[int, float] = {}
        for memo_id, idea_id, length, label in zip(self.memo_of, self.idea_of, self.length, labels.tolist()):
            theme_id = None if label < 0 else int(label)
            if idea_id is None:
                memos[memo_id] = theme_id
                continue
            ideas[idea_id] = theme_id
            if theme_id is not None and length > longest.get(memo_id, -1.0):
                longest[memo_id], memos[memo_id] = length, theme_id
            memos.setdefault(memo_id, None)
        for memo_id in {m for m, i in zip(self.memo_of, self.idea_of) if i is not None}:
            placed = current.get(memo_id)
            if placed is not None and placed.pinned and placed.theme_id is not None:
                memos[memo_id] = placed.theme_id  # moved by the user: stays; its ideas are clustered on their own
        return memos, ideas


def _parents(model, existing: list[org.ThemeRecord], labels: np.ndarray) -> dict[int, int | None]:
    """Every theme's parent: the tree's, except that a sub-theme of a broad theme the user named stays under
    it; for a theme kept from before that the tree did not make (memos stayed, or the user named it), its
    former parent if that is still a broad theme, else none."""
    parent_of = {t.theme_key: t.parent_key for t in model.themes}
    named = {t.id for t in existing if t.name_edited}
    for theme in existing:  # a broad theme the user named keeps its sub-themes
        if (theme.parent_id in named and parent_of.get(theme.parent_id, 0) is None and theme.id in parent_of
                and not any(p == theme.id for p in parent_of.values())):
            parent_of[theme.id] = theme.parent_id
    for theme in existing:
        if theme.id in parent_of or not (labels == theme.id).any():
            continue
        parent = theme.parent_id
        parent_of[theme.id] = parent if parent in parent_of and parent_of[parent] is None else None
    return parent_of


def _keep_named_themes(labels: np.ndarray, before: np.ndarray, themes: list[org.ThemeRecord],
                       pinned: np.ndarray) -> np.ndarray:
    """A theme the user named survives a re-clustering.

    If no new group was mapped onto it, the group holding most of its former memos takes its id; when
    that group is itself the user's (named, or holding memos the user placed), the former memos return.
    """
    labels = labels.copy()
    protected = {t.id for t in themes if t.name_edited} | {int(k) for k in labels[pinned]}
    for theme in themes:
        if not theme.name_edited or theme.id in labels:
            continue
        former = (before == theme.id) & ~pinned
        inherited = labels[former & (labels >= 0)]
        if len(inherited) == 0:
            labels[former] = theme.id
            continue
        values, counts = np.unique(inherited, return_counts=True)
        group = int(values[np.argmax(counts)])
        if group in protected:
            labels[former] = theme.id
        else:
            labels[(labels == group) & ~pinned] = theme.id
            protected.add(theme.id)
    return labels


def _opening(text: str | None, words: int = 16) -> str:
    parts = (text or "").split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")
