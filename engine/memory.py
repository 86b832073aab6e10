"""Memory: a graph is freed the moment it is dropped; the cyclic collector only looks at it.

A Value holds its operands, never the other way round, and no closure points back at it, so a
graph has no reference cycles: reference counting frees it as soon as the last name holding its
output goes. Python's cyclic garbage collector runs anyway — after every 700 new objects, and
now and then over every object alive — and a graph being built is thousands of new objects, so
the collector scans the live graph again and again and frees nothing: about a fifth of a step
on micrograd's graph. `gc_paused()` switches it off for a block of graph work (`nn.fit` and
`compile` use it for each step); other code's cyclic garbage simply waits for the block's end.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["gc_paused"]

# blocks open now in any thread, and whether the collector was on when the first one began: the
# collector is process-wide, so it comes back on only when the last block ends
_open = [0, False]
_lock = threading.Lock()


@contextmanager
def gc_paused() -> Iterator[None]:
    """Context that switches the cyclic garbage collector off, and back on when it ends.

    Around a training step over Values it saves the collector's fruitless passes over the graph
    (chainrule's graphs have no cycles, so reference counting frees them anyway). Blocks may
    nest and may run in several threads; the collector comes back on when the last one ends,
    and only if it was on before.

    >>> import gc
    >>> with gc_paused():
    ...     gc.isenabled()
    False
    """
    with _lock:
        if _open[0] == 0:
            _open[1] = gc.isenabled()
            gc.disable()
        _open[0] += 1
    try:
        yield
    finally:
        with _lock:
            _open[0] -= 1
            if _open[0] == 0 and _open[1]:
                gc.enable()
