"""Entry script for the PyInstaller bundle: the same `musings` command as the console script."""
import multiprocessing
import sys

import privacy  # noqa: F401  first: telemetry off before any library loads (app imports it too)
from app.entry import main  # `record --toggle` and a cold listener answer before app.cli loads

if __name__ == "__main__":
    # The embedding model runs in a child process (spawn): in a frozen bundle the child is this
    # executable again, and freeze_support() turns it into that child instead of a second app.
    multiprocessing.freeze_support()
    sys.exit(main())
