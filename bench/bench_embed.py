"""Batch embedding: onnxruntime (what the app runs) against sentence-transformers (torch, the reference), one command:

    .venv/bin/python bench/bench_embed.py [--texts 2000] [--runs 3]

Texts: memo-like texts of the public intent sets (bench/memo_sets.py, 30-80 words), the same list for both.
Each runtime's model is loaded first (not timed: sentence-transformers' import alone is 4-6 s); then the
whole list is embedded `--runs` times and the median wall time is reported as texts/s, with the ratio
onnxruntime / sentence-transformers and the largest difference between the two runtimes' vectors.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from scale_library import texts as memo_texts  # noqa: E402


def timed(embed, texts: list[str], runs: int):
    seconds, vectors = [], None
    for _ in range(runs):
        started = time.perf_counter()
        vectors = embed(texts)
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), vectors


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    texts = memo_texts(args.texts)[:args.texts]
    from organize.embeddings import Embedder, bundled_model_dir

    onnx = Embedder()
    onnx.embed(texts[:8])  # loaded
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    torch_model = SentenceTransformer(str(bundled_model_dir()), device="cpu")

    def reference(batch):
        return torch_model.encode(batch, batch_size=32, convert_to_numpy=True, normalize_embeddings=True,
                                  show_progress_bar=False)

    reference(texts[:8])
    words = sum(len(t.split()) for t in texts) / len(texts)
    ort_s, ort_vectors = timed(onnx.embed, texts, args.runs)
    st_s, st_vectors = timed(reference, texts, args.runs)
    print(f"{len(texts)} memo-like texts ({words:.0f} words on average), median of {args.runs}:")
    print(f"  onnxruntime (the app):          {len(texts) / ort_s:7.0f} texts/s ({ort_s:.2f} s)")
    print(f"  sentence-transformers (torch):  {len(texts) / st_s:7.0f} texts/s ({st_s:.2f} s)")
    print(f"  ratio onnxruntime / sentence-transformers: {st_s / ort_s:.2f}x the speed; "
          f"largest vector difference {abs(ort_vectors - st_vectors).max():.1e}")


if __name__ == "__main__":
    main()
