#!/usr/bin/env bash
# Build the one-folder bundle dist/musings/ (run it as dist/musings/musings). One command, from anywhere:
#   packaging/build-bundle.sh            # tiny.en + embedding model (~ see packaging/README.md for size)
#   MUSINGS_BUNDLE_BASE=1 packaging/build-bundle.sh   # also the multilingual base model
# Uses the project's .venv (scripts/bootstrap.sh makes it) and installs PyInstaller there if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || scripts/bootstrap.sh
if ! .venv/bin/python -c "import PyInstaller" 2>/dev/null; then
  echo "build-bundle: installing PyInstaller into .venv"
  .venv/bin/pip install -q "pyinstaller>=6.10"
fi
start=$(date +%s)
.venv/bin/pyinstaller --noconfirm --clean --log-level WARN \
  --distpath "${DISTPATH:-dist}" --workpath "${WORKPATH:-build/pyinstaller}" packaging/musings.spec
dist=${DISTPATH:-dist}/musings
echo "build-bundle: $dist/musings built in $(( $(date +%s) - start )) s, $(du -sh "$dist" | cut -f1)"
"$dist/musings" --version
