import numpy as np

from organize.embeddings import EMBEDDING_DIM


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
    truncated = embedder.embed([embedder.chunks(long_text)[0]])[0]
    whole, tax_only = embedder.embed([long_text, taxes])
    # The tax half, beyond the first window, still shapes the memo's vector.
    assert not np.allclose(whole, truncated, atol=1e-3)
    assert whole @ tax_only > truncated @ tax_only + 0.1
