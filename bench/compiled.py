"""Benchmark: micrograd's demo loop through `engine.compile`, and how compiled steps scale.

    python bench/compiled.py [--steps 100] [--no-scaling]

`bench_compiled` runs the same 100-step loop as bench/run.py (same data, same seed, same
graph), but the loss is compiled: the first step traces the graph and generates its code, every
step after runs that code on the current weights. The time per step includes all of that.
`scaling_compiled` times one compiled step on chains of 10^3 .. 10^6 nodes and measures memory:
the peak while tracing and compiling, and what the compiled function holds between steps.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from typing import NamedTuple

import workload
from timing import time_steps

from engine import Value
from engine.compiler import compile


def compiled_step(X: list[list[float]], y: list[int]) -> Callable[[int], float]:
    """micrograd's demo step with the loss compiled: step k's loss (the first call traces and compiles)."""
    random.seed(1337)
    model = workload.value_mlp(Value)
    params = model.parameters()

    def demo_loss(inputs):  # demo_step's graph; the inputs arrive as leaves made from the floats
        scores = list(map(model, inputs))
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum(p * p for p in params)
        return data_loss + reg_loss

    step = compile(demo_loss)

    def run_step(k: int) -> float:
        for p in params:
            p.grad = 0.0
        loss = step(X)
        lr = 1.0 - 0.9 * k / 100
        for p in params:
            p.data -= lr * p.grad
        return loss

    return run_step


def bench_compiled(steps: int, X: list[list[float]], y: list[int]) -> tuple[float, float, list[float]]:
    """Seconds per step (tracing and compiling included), share of time in the GC, the losses.

    The same timing loop (bench/timing.py) as every variant of bench/run.py, with the loss compiled.
    """
    return time_steps(compiled_step(X, y), steps)


class ScalingRow(NamedTuple):
    nodes: int
    step_seconds: float  # one compiled forward + backward, after compiling
    peak_bytes: int  # growth of the process's peak memory (RSS) while tracing, generating, compiling
    compile_seconds: float  # the first call: trace, generate, compile(), run
    held_bytes: int  # what the compiled function keeps between steps (code, names, constants, source)
    interpreted_seconds: float  # the same graph built from Values and backward(), for comparison


def scaling_compiled(sizes=(10**3, 10**4, 10**5, 10**6)) -> list[ScalingRow]:
    """Compiled step time and memory against graph size, on bench/run.py's chain of * and +.

    The chain starts at a parameter `y0` and repeats `y = y * 1.0001 + 0.5`: each repeat makes
    two op nodes and two constant leaves (which the compiled code holds as literals). Each size
    runs in a fresh process, so its peak memory is its own.
    """
    rows = []
    for n in sizes:
        done = subprocess.run(
            [sys.executable, __file__, "--one-size", str(n)], capture_output=True, text=True, check=True
        )
        rows.append(ScalingRow(*json.loads(done.stdout)))
    return rows


def _one_size(n: int) -> list:
    y0 = Value(1.0, label="y0")

    def chain(steps=n // 4):
        y = y0
        for _ in range(steps):
            y = y * 1.0001 + 0.5
        return y

    gc.collect()
    baseline = _reset_peak()
    start = time.perf_counter()
    compiled = compile(chain, check=False)
    compiled()
    compile_seconds = time.perf_counter() - start
    peak = _peak_rss() - baseline
    step = min(_timed(compiled) for _ in range(3))
    interpreted = _timed(lambda: chain().backward())
    return [n, step, peak, compile_seconds, _held_bytes(compiled), interpreted]


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _reset_peak() -> int:
    """Start measuring the peak from now; return the memory in use now (bytes)."""
    try:  # Linux: writing 5 to clear_refs resets the peak (VmHWM) to the current size
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return _status("VmRSS")
    except OSError:  # elsewhere the peak cannot be reset: measure from the peak so far
        return _peak_rss()


def _peak_rss() -> int:
    try:
        return _status("VmHWM")
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, kilobytes on Linux


def _status(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise OSError(f"no {field} in /proc/self/status")


def _held_bytes(compiled) -> int:
    """The bytes the compiled function keeps: its code object and everything that hangs off it."""
    entry = compiled._last
    code = entry.run.__code__
    parts = [code, code.co_code, code.co_consts, code.co_names, code.co_varnames, code.co_linetable, entry.source]
    parts += list(code.co_consts) + list(code.co_varnames)
    return sum(sys.getsizeof(part) for part in parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--no-scaling", action="store_true")
    parser.add_argument("--one-size", type=int, help=argparse.SUPPRESS)  # scaling_compiled's worker
    args = parser.parse_args()
    if args.one_size:
        print(json.dumps(_one_size(args.one_size)))
        return

    X, y = workload.moons(100, 0.1, seed=0)
    floor_s, _, floor_losses = time_steps(workload.floor_step(X, y), args.steps)
    compiled_s, gc_share, losses = bench_compiled(args.steps, X, y)
    values_s, _, value_losses = time_steps(workload.values_step(Value, X, y), min(args.steps, 10))
    print(f"micrograd's demo, {args.steps} steps end to end, same data and seed:")
    print("| variant | ms / step | × floor | time in GC |")
    print("|---|---:|---:|---:|")
    print(f"| plain floats, hand-derived backward (the floor) | {floor_s * 1e3:.1f} | 1.0 | – |")
    print(f"| chainrule Value, interpreted | {values_s * 1e3:.1f} | {values_s / floor_s:.1f} | – |")
    ratio = compiled_s / floor_s
    print(f"| chainrule `compile`, compilation included | {compiled_s * 1e3:.1f} | {ratio:.2f} | {gc_share:.0%} |")
    k = len(value_losses)
    print(
        f"largest loss difference to the interpreted loop over {k} steps: "
        f"{max(abs(a - b) for a, b in zip(losses, value_losses)):.1e}"
    )
    print(
        f"largest loss difference to the floor over {args.steps} steps: "
        f"{max(abs(a - b) for a, b in zip(losses, floor_losses)):.1e}"
    )
    if not args.no_scaling:
        print("\ncompiled step against graph size (chain of * and +):")
        print("| nodes | interpreted step ms | compiled step ms | ns / node | first call s | peak MB | held B / node |")
        print("|---:|---:|---:|---:|---:|---:|---:|")
        for row in scaling_compiled():
            print(
                f"| {row.nodes:,} | {row.interpreted_seconds * 1e3:.1f} | {row.step_seconds * 1e3:.2f} "
                f"| {row.step_seconds / row.nodes * 1e9:.0f} | {row.compile_seconds:.2f} "
                f"| {row.peak_bytes / 1e6:.1f} | {row.held_bytes / row.nodes:.0f} |"
            )


if __name__ == "__main__":
    main()
