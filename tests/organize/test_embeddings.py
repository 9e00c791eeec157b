import json
import random

import numpy as np
import onnxruntime
import pytest

from organize import onnx_export
from organize.embeddings import EMBEDDING_DIM, _token_batches, reference_embed
from tests.conftest import DATA as TEST_DATA

DATA = TEST_DATA / "topics"


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


def memo_like_texts(count: int, seed: int = 0) -> list[str]:
    """Utterances of the topic sets joined into memo-sized texts (1-14 utterances, all within one window)."""
    lines = [json.loads(line)["text"] for line in (DATA / "clinc150" / "clinc150_test.jsonl").open()]
    pick = random.Random(seed)
    return [" ".join(pick.sample(lines, pick.randint(1, 14))) for _ in range(count)]


def test_the_onnx_model_gives_sentence_transformers_vectors_on_200_texts(embedder):
    texts = memo_like_texts(200)
    assert all(len(embedder.chunks(text)) == 1 for text in texts)
    ours, reference = embedder.embed(texts), reference_embed(texts)
    assert np.abs(ours - reference).max() <= 1e-5


def test_a_long_memo_is_the_weighted_mean_of_its_windows_as_sentence_transformers_embeds_them(embedder):
    long_text = " ".join(memo_like_texts(30, seed=1))
    pieces = embedder.chunks(long_text)
    assert len(pieces) >= 3
    windows = reference_embed([piece for piece, _ in pieces])
    mean = (windows * np.array([len(piece) for piece, _ in pieces], dtype=np.float32)[:, None]).sum(0)
    assert np.abs(embedder.embed([long_text])[0] - mean / np.linalg.norm(mean)).max() <= 1e-5


def test_the_graph_is_exported_where_it_can_be_written_and_gives_the_same_vectors(embedder, tmp_path):
    blocked = tmp_path / "a-file"  # a folder that cannot be made (as root, permissions would not stop it)
    blocked.write_text("")
    place = tmp_path / "cache" / "model.onnx"
    assert onnx_export.export([blocked / "onnx" / "model.onnx", place]) == place
    session = onnxruntime.InferenceSession(str(place), providers=["CPUExecutionProvider"])
    texts = memo_like_texts(5, seed=2)
    sequences = [[101, *embedder._tokenizer.encode(t, add_special_tokens=False).ids, 102] for t in texts]
    longest = max(map(len, sequences))
    ids = np.array([s + [0] * (longest - len(s)) for s in sequences], dtype=np.int64)
    mask = (np.arange(longest)[None, :] < np.array([len(s) for s in sequences])[:, None]).astype(np.int64)
    vectors = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": 0 * ids})[0]
    assert np.abs(vectors - embedder.embed(texts)).max() <= 1e-5


def test_no_writable_place_is_one_clear_error(tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    with pytest.raises(onnx_export.EmbeddingModelError, match="no writable folder"):
        onnx_export.export([blocked / "onnx" / "model.onnx"])
