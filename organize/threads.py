"""One BLAS thread for the small products that answer an interactive query.

numpy's OpenBLAS workers busy-wait for a while after each product, and torch's OpenMP workers do the same
after each model call. On a 2-core machine a query that does both (embed the query, then score 10,000
memo vectors) had the two pools spinning against each other: p95 88 ms for a 9 ms search. A
matrix-vector product over 10,000 × 384 floats takes ~0.5 ms on one thread, so queries use one; batch
work (clustering, layouts) keeps every thread.
"""

from __future__ import annotations

import functools
import threading
from contextlib import contextmanager

_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def _controller():
    from threadpoolctl import ThreadpoolController  # finds the BLAS numpy loaded; ~10 ms, once

    return ThreadpoolController()


@contextmanager
def single_blas_thread():
    """Run the body with numpy's BLAS on one thread (process-wide while it runs; queries are serialised)."""
    with _lock, _controller().limit(limits=1, user_api="blas"):
        yield
