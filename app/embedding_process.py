"""The embedding model in a child process: `EmbedderProcess`, with the same `embed(texts)` as
organize.embeddings.Embedder.

Process management is the app's concern (organize/ keeps pure functions over texts and vectors): the window
and imports embed here so that torch's imports and inference never hold their process's GIL.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time

import numpy as np

from organize.embeddings import MODEL_NAME, Embedder

log = logging.getLogger(__name__)


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

    @property
    def pid(self) -> int | None:
        """The child's process id (None before it started or when it could not)."""
        return self._process.pid

    @property
    def alive(self) -> bool:
        """Whether a child is running now (a released, closed or dead one is not)."""
        return self._process.is_alive()

    @property
    def exit_code(self) -> int | None:
        """The last child's exit code once it has ended (None while it runs)."""
        return self._process.exitcode

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
