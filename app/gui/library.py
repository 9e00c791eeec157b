"""The data folder as the GUI uses it: one database connection per thread, the models loaded once, lazily.

SQLite connections are not shared between threads: the UI thread reads with its own connection (WAL
readers never wait for the importer), and every background job gets its thread's connection.
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from pathlib import Path

log = logging.getLogger(__name__)


class Library:
    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._embedder: Future | None = None
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

    def start_loading_embedder(self) -> Future:
        with self._lock:
            if self._embedder is None:
                from app.organizing import start_loading_embedder

                self._embedder = start_loading_embedder()
            return self._embedder

    def embedder_ready(self) -> bool:
        future = self._embedder
        return future is not None and future.done() and future.exception() is None

    def organizer(self):
        """An Organizer on this thread's connection; semantic search waits for the embedder only if it is loaded."""
        from app.organizing import Organizer

        return Organizer(self.db(), self._embedder if self.embedder_ready() else None)

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
