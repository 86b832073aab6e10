"""How every variant is timed: a few steps at a time (a turn), each turn ending with a timed full collection.

bench/run.py and bench/compiled.py both time step functions (`run_step(k)` runs step k and
returns its loss) with this one loop, so every number they print was measured the same way.
A turn ends with `gc.collect()` inside the timing, so each variant pays for the garbage it
leaves (micrograd's cyclic graphs; chainrule's are freed by reference counting) and the next
one starts clean. The time the cyclic collector runs is clocked on the side (`GcClock`).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import NamedTuple


class GcClock:
    """Time spent in the cyclic garbage collector while the block runs."""

    def __enter__(self) -> GcClock:
        self.seconds = 0.0
        self._start = 0.0
        gc.callbacks.append(self._callback)
        return self

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._start

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)


class Result(NamedTuple):
    best: float  # seconds per step in the fastest turn
    mean: float  # seconds per step over every step
    gc_share: float
    losses: list[float]


class Timed:
    """One variant's step function, timed a few steps at a time (a turn): its running totals."""

    def __init__(self, run_step: Callable[[int], float]) -> None:
        self.run_step = run_step
        self.seconds = 0.0
        self.gc_seconds = 0.0
        self.turns: list[float] = []  # seconds per step, one entry per turn
        self.losses: list[float] = []

    def run(self, steps: int) -> Timed:
        with GcClock() as clock:
            start = time.perf_counter()
            for _ in range(steps):
                self.losses.append(self.run_step(len(self.losses)))
            gc.collect()  # this variant's garbage, paid for in its own turn
            seconds = time.perf_counter() - start
        self.seconds += seconds
        self.turns.append(seconds / steps)
        self.gc_seconds += clock.seconds
        return self

    def result(self) -> Result:
        """Seconds per step in the fastest turn and over every step, GC share, per-step losses.

        Another program on the machine can only add time to a turn, never take it away, so the
        fastest turn is the closest to what the code itself costs (the advice of Python's timeit).
        """
        return Result(min(self.turns), self.seconds / len(self.losses), self.gc_seconds / self.seconds, self.losses)


def time_steps(run_step: Callable[[int], float], steps: int) -> tuple[float, float, list[float]]:
    """Seconds per step (mean over `steps`, in one turn), GC share, and the per-step losses."""
    _, mean, gc_share, losses = Timed(run_step).run(steps).result()
    return mean, gc_share, losses
