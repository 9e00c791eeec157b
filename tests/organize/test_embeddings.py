import os
import signal
import time

import numpy as np
import pytest

from app.embedding_process import EmbedderProcess, EmbeddingProcessError
from organize.embeddings import EMBEDDING_DIM, _token_batches


def test_embeddings_are_unit_float32_rows(embedder):
    vectors = embedder.embed(["set an alarm for seven", "what's the weather in paris"])
    assert vectors.shape == (2, EMBEDDING_DIM) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.model_name == "all-MiniLM-L6-v2"


def test_empty_list_gives_empty_matrix(embedder):
    assert embedder.embed([]).shape == (0, EMBEDDING_DIM)


def test_long_memo_is_chunked_not_truncated(embedder):
    garden = "We planted tomatoes, basil and peppers in the raised garden beds this spring. " * 25
    taxes = "The accountant needs the tax return receipts and the mortgage statement by April. " * 25
    long_text = garden + taxes
    assert len(embedder.chunks(long_text)) >= 3
    truncated = embedder.embed([embedder.chunks(long_text)[0][0]])[0]
    whole, tax_only = embedder.embed([long_text, taxes])
    # The tax half, beyond the first window, still shapes the memo's vector.
    assert not np.allclose(whole, truncated, atol=1e-3)
    assert whole @ tax_only > truncated @ tax_only + 0.1


def test_batches_are_cut_by_padded_tokens_not_count(embedder):
    texts = ["set an alarm", "turn the lights off", *("an idea about the garden " * 40 for _ in range(2))]
    batched = embedder.embed(texts)
    one_by_one = np.stack([embedder.embed([text])[0] for text in texts])
    assert np.allclose(batched, one_by_one, atol=1e-5)
    assert _token_batches([250, 5, 6, 250, 7], max_count=64, max_tokens=512) == [[1, 2, 4], [0, 3]]
    assert _token_batches([5] * 5, max_count=2, max_tokens=512) == [[0, 1], [2, 3], [4]]


def test_embedding_process_matches_in_process_and_survives_its_child_dying(embedder):
    texts = ["remind me to call the plumber", "a melody for the chorus"]
    remote = EmbedderProcess()
    try:
        assert np.allclose(remote.embed(texts), embedder.embed(texts), atol=1e-5)
        assert remote.ready() and remote.pid not in (None, os.getpid())
        os.kill(remote.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while remote.alive and time.monotonic() < deadline:
            time.sleep(0.05)
        # The child is gone: embedding goes on in this process, with the same result.
        assert np.allclose(remote.embed(texts), embedder.embed(texts), atol=1e-5)
    finally:
        remote.close()
    with pytest.raises(EmbeddingProcessError):
        remote.embed(texts)


def test_a_released_embedding_process_gives_its_memory_back_and_comes_back_when_needed(embedder):
    texts = ["sketch for the treehouse roof"]
    remote = EmbedderProcess()
    try:
        started = time.monotonic()
        first = remote.embed(texts)  # starts the child and loads the model first
        took = time.monotonic() - started
        child = remote.pid
        # idle is counted from the end of that embedding, not from the child's start (no bound on speed)
        assert remote.idle_seconds() < took / 2 and remote.release()
        assert not remote.alive and remote.exit_code == 0
        assert not remote.ready() and not remote.release()  # nothing left to stop
        again = remote.embed(texts)  # a new child, same vectors
        assert remote.pid != child and remote.alive and remote.ready()
        assert np.allclose(again, first, atol=1e-6)
        remote.release()
        remote.wake()  # a search box getting focus: the child starts loading before the query
        assert remote.alive
        assert np.allclose(remote.embed(texts), first, atol=1e-6)
    finally:
        remote.close()
