"""The data folder as the GUI uses it: one database connection per thread, the models loaded once, lazily.

SQLite connections are not shared between threads: the UI thread reads with its own connection (WAL
readers never wait for the importer), and every background job gets its thread's connection.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path

log = logging.getLogger(__name__)

# The embedding process holds ~550 MB; after this long unused it is stopped until the next need.
EMBEDDER_IDLE_SECONDS = 600


class Library:
    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._embedder = None  # an organize.embeddings.EmbedderProcess, started on first need
        self._shut_down = False
        self._transcribers: dict[tuple, object] = {}

    def db(self):
        """This thread's connection to the database (opened, and migrated, on first use)."""
        db = getattr(self._local, "db", None)
        if db is None:
            from storage.db import open_database

            db = open_database(self.data_dir)
            self._local.db = db
        return db

    def close(self) -> None:
        """Close the calling thread's connection. A background job may still be using its own: closing
        that from here crashes SQLite, so it is left to its thread (released when the thread ends)."""
        db = getattr(self._local, "db", None)
        self._local.db = None
        if db is not None:
            db.conn.close()

    # -- models: loaded in the background, shared by imports and search --------------------------

    def embedder(self):
        """The embedding model, loading in its own process (started on the first call), shared by
        imports and search: its imports and inference never hold this process's GIL, so the UI stays smooth."""
        from organize.embeddings import EmbedderProcess, EmbeddingProcessError

        with self._lock:
            if self._shut_down:  # a job finishing after the window closed must not start a new process
                raise EmbeddingProcessError("the window is closing")
            if self._embedder is None:
                self._embedder = EmbedderProcess()
            embedder = self._embedder
        embedder.wake()  # after an idle release: loading again while the caller gets ready (never waits)
        return embedder

    def release_idle_embedder(self, after: float = EMBEDDER_IDLE_SECONDS) -> bool:
        """Stop the embedding process once nothing has used it for `after` seconds, giving back its ~550 MB;
        the next search or import starts it again (~4 s, and word search answers meanwhile)."""
        embedder = self._embedder
        if embedder is None or embedder.idle_seconds() < after or not embedder.release():
            return False
        log.info("embedding process stopped after %.0f s unused", after)
        return True

    def embedder_ready(self) -> bool:
        """Whether search by meaning can answer now (the embedding process has loaded its model)."""
        embedder = self._embedder
        return embedder is not None and embedder.ready()

    def organizer(self):
        """An Organizer on this thread's connection; the embedding process starts only if a use case needs it."""
        from app.organizing import Organizer

        return Organizer(self.db(), self.embedder)

    def shutdown(self) -> None:
        """The window is closing: stop the embedding process and close the UI thread's connection."""
        with self._lock:
            embedder, self._embedder, self._shut_down = self._embedder, None, True
        if embedder is not None:
            embedder.close()
        self.close()

    def transcriber(self, settings):
        """A Whisper model for `settings`, loaded once per distinct model/language/vocabulary."""
        from audio.transcribe import Transcriber

        key = (settings.model, settings.language, tuple(settings.vocabulary), settings.device)
        with self._lock:
            cached = self._transcribers.get(key)
        if cached is None:
            cached = Transcriber(settings)
            with self._lock:
                self._transcribers = {key: cached}  # keep one model in memory
        return cached
