"""The layers, checked rather than remembered (DEVELOPERS.md, "Where things live"): `audio/`, `storage/` and
`organize/` never import each other or `app/`. The top-level modules beside them (privacy.py and the
like) are shared by every layer. Every import is seen: at the top, inside functions, relative, and
`importlib.import_module`/`__import__` with a literal name."""
from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

LAYERS = ("audio", "storage", "organize")
FORBIDDEN = {layer: {"app", *LAYERS} - {layer} for layer in LAYERS}


def imported_modules(path: Path, source: str | None = None) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in `path` (or `source`, as if it were there), relative
    ones resolved."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text() if source is None else source, filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            # `from . import x` / `from storage import memos`: the names may be modules themselves
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in (
                "import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant):
            found.append((node.lineno, str(node.args[0].value)))
    return found


def crossings(layer: str) -> list[str]:
    return sorted({f"{path.relative_to(ROOT)}:{line} imports {module}"
                   for path in (ROOT / layer).rglob("*.py")
                   for line, module in imported_modules(path)
                   if module.split(".")[0] in FORBIDDEN[layer]})


def test_audio_imports_no_other_layer_and_not_app():
    assert crossings("audio") == []


def test_storage_imports_no_other_layer_and_not_app():
    assert crossings("storage") == []


def test_organize_imports_no_other_layer_and_not_app():
    assert crossings("organize") == []


def test_the_scan_does_see_the_imports():
    # Guards the tests above: a scanner that found nothing would let them pass vacuously. app/ imports every
    # layer, at the top and inside functions, and the layers import the shared top-level privacy module.
    app = {module.split(".")[0] for path in (ROOT / "app").rglob("*.py") for _, module in imported_modules(path)}
    assert set(LAYERS) | {"app", "privacy"} <= app
    inside_functions = [module for _, module in imported_modules(ROOT / "app" / "importer.py")]
    assert "app.organizer" in inside_functions  # imported in Importer.run, not at the top
    for layer in LAYERS:
        assert "privacy" in {module for path in (ROOT / layer).rglob("*.py") for _, module in imported_modules(path)}


def test_relative_and_function_level_imports_are_seen():
    source = ("from ..app import cli\nfrom . import memos\n\n\ndef later():\n"
              "    import organize.titles\n    importlib.import_module('audio.decode')\n")
    found = {name for _, name in imported_modules(ROOT / "storage" / "probe.py", source)}
    assert {"app.cli", "storage.memos", "organize.titles", "audio.decode"} <= found
