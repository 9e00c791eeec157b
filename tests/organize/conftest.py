"""Shared fixtures: one real embedding model per test session, real topic texts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from organize.embeddings import Embedder

TOPICS = Path(__file__).resolve().parents[1] / "data" / "topics"


def read_topics(relative: str) -> list[dict]:
    with open(TOPICS / relative, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return Embedder()


@pytest.fixture(scope="session")
def hwu_sample(embedder) -> tuple[list[str], list[str], np.ndarray]:
    """A seeded sample of 150 real hwu64 utterances: (texts, scenarios, embeddings)."""
    rows = read_topics("hwu64/hwu64_kfold1_test.jsonl")
    pick = np.random.default_rng(0).choice(len(rows), 150, replace=False)
    texts = [rows[i]["text"] for i in pick]
    return texts, [rows[i]["scenario"] for i in pick], embedder.embed(texts)


@pytest.fixture(scope="session")
def clinc_set(embedder) -> tuple[list[str], list[str], np.ndarray]:
    rows = read_topics("clinc150/clinc150_test_5perintent.jsonl")
    texts = [r["text"] for r in rows]
    return texts, [r["domain"] for r in rows], embedder.embed(texts)
