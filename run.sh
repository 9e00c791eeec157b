#!/usr/bin/env bash
# Set up everything (first run only) and start Musings. Extra arguments go to the `musings` command.
set -euo pipefail
cd "$(dirname "$0")"
scripts/bootstrap.sh
exec .venv/bin/musings "$@"
