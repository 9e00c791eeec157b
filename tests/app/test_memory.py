"""app/memory.py: memory a job frees goes back to the system (glibc), measured in a fresh process."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A 16 MB block freed (glibc then raises its mmap threshold to 16 MB), then 200 arrays of 2 MB with small
# objects between them, freed: prints resident MB before, at the top, and after.
PROGRAM = """
import sys, numpy as np
def rss(): return next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmRSS')) / 1024
if sys.argv[1] == 'on':
    from app.memory import give_freed_memory_back
    assert give_freed_memory_back()
big = np.ones(2_000_000); del big
base = rss()
arrays, keep = [], []
for _ in range(200):
    arrays.append(np.ones(250_000)); keep.append(bytearray(5000))
peak = rss(); del arrays
print(base, peak, rss())
"""


def resident(mode: str) -> tuple[float, float, float]:
    done = subprocess.run([sys.executable, "-c", PROGRAM, mode], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    base, peak, after = map(float, done.stdout.split())
    assert peak - base > 350  # the 400 MB were resident at the top
    return base, peak, after


def test_freed_arrays_go_back_to_the_system():
    base, _, after = resident("on")
    assert after - base < 50


def test_without_it_they_stay_in_the_process_so_the_test_above_can_fail():
    base, _, after = resident("off")
    assert after - base > 300


# Long-lived objects out of the collector: a young garbage cycle made before is collected, not kept; what is
# alive is frozen (a full collection no longer walks it), and still freed by reference counting when dropped.
FREEZING = """
import gc, weakref
from app.memory import keep_out_of_collections
class Node: pass
def cycle():
    node = Node(); node.me = node
    return weakref.ref(node)
before = cycle()
kept = [Node() for _ in range(20000)]
plain = Node()
dropped = weakref.ref(plain)
keep_out_of_collections()
assert before() is None, "a young garbage cycle was frozen instead of collected"
assert gc.get_freeze_count() >= 20000, gc.get_freeze_count()
del plain  # frozen, yet freed when its last reference goes
assert dropped() is None
gc.unfreeze()
assert gc.get_freeze_count() == 0
print("ok")
"""


def test_long_lived_objects_leave_the_collector_and_young_garbage_is_not_kept_with_them():
    done = subprocess.run([sys.executable, "-c", FREEZING], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
