#!/usr/bin/env bash
# Set up everything (first run only), start the virtual microphone and screen the tests use, run the tests.
set -euo pipefail
cd "$(dirname "$0")"
scripts/bootstrap.sh
source scripts/test-services.sh
exec .venv/bin/python -m pytest "$@"
