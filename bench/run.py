"""Benchmark: micrograd's demo loop on micrograd, on chainrule, and on plain floats, side by side.

    python bench/run.py [--steps 100] [--micrograd-steps 5] [--rounds 5] [--no-scaling]

Every variant runs in this one process on the same data with the same seed, so the ratios
compare like with like: micrograd, chainrule's variants, the floor and bench/bare.py's bare Value
class (the most any pure-Python Value class can do on micrograd's graph) take turns in rounds, and
each turn ends with a timed full collection, so each pays for its own garbage. Ratios come from
each variant's fastest turn: another program on this machine can only add time. micrograd is the
PyPI package (`pip install micrograd`, the `bench` extra); without it its column is skipped.
"""

from __future__ import annotations

import argparse
import gc
import platform
import random
import sys
import time
import tracemalloc

import workload
from bare import BareValue
from compiled import compiled_step, scaling_compiled
from timing import Timed
from workload import floor_step, values_step

import nn
from engine import Value, gc_paused, topological_order


def nn_mlp_step(X, y):
    """micrograd's demo loop ported to chainrule: only the import changes (nn.MLP, fused neurons)."""
    random.seed(1337)
    model = nn.MLP(2, [16, 16, 1])
    return lambda k: workload.demo_step(model, Value, X, y, k)[0]


def paused(run_step):
    """The same step with the cyclic collector off (engine.gc_paused), as nn.fit runs its steps."""

    def run(k):
        with gc_paused():
            return run_step(k)

    return run


def graph_nodes(X, y):
    random.seed(1337)
    model = workload.value_mlp(Value)
    inputs = [list(map(Value, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    total = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())
    return len(topological_order(total))


def bytes_per_op_node(Value, n=100_000):
    """tracemalloc over the chain y = y * c + d (2n op nodes), before and after backward."""
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    y = Value(1.0)
    for _ in range(n):
        y = y * 1.0001 + 0.5
    built = tracemalloc.get_traced_memory()[0] - base
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * n))  # micrograd's backward recurses (chainrule's does not)
    try:
        y.backward()
        after = tracemalloc.get_traced_memory()[0] - base
    finally:
        sys.setrecursionlimit(limit)
        tracemalloc.stop()
    return built / (2 * n), after / (2 * n)


def _chain(n):
    y = Value(1.0)
    for _ in range(n // 4):  # each step makes 2 op nodes and 2 constant leaves
        y = y * 1.0001 + 0.5
    return y


def scaling(sizes=(10**3, 10**4, 10**5, 10**6)):
    """Interpreted step (build + backward) time and memory against graph size: a chain of * and +."""
    rows = []
    for n in sizes:
        start = time.perf_counter()
        y = _chain(n)
        built = time.perf_counter()
        y.backward()
        done = time.perf_counter()
        del y
        gc.collect()
        tracemalloc.start()
        y = _chain(n)
        y.backward()
        held = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        del y
        rows.append((n, built - start, done - built, held))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100, help="steps for chainrule and the floor")
    parser.add_argument("--micrograd-steps", type=int, default=5, help="steps for micrograd (about 1.5 s each)")
    parser.add_argument("--rounds", type=int, default=5, help="turns each variant takes, interleaved")
    parser.add_argument("--no-scaling", action="store_true")
    args = parser.parse_args()

    X, y = workload.moons(100, 0.1, seed=0)
    variants = {
        "plain floats, hand-derived backward (the floor)": (Timed(floor_step(X, y)), args.steps),
        "chainrule Value, micrograd's graph": (Timed(values_step(Value, X, y)), args.steps),
        "bare Value class, micrograd's graph (ceiling)": (Timed(values_step(BareValue, X, y)), args.steps),
        "chainrule nn.MLP (fused neurons)": (Timed(nn_mlp_step(X, y)), args.steps),
        "chainrule Value, micrograd's graph, each step in gc_paused()": (
            Timed(paused(values_step(Value, X, y))),
            args.steps,
        ),
        "chainrule nn.MLP, each step in gc_paused()": (Timed(paused(nn_mlp_step(X, y))), args.steps),
        "bare Value class, each step in gc_paused() (ceiling)": (
            Timed(paused(values_step(BareValue, X, y))),
            args.steps,
        ),
        "chainrule compile (traced and compiled in its first turn)": (Timed(compiled_step(X, y)), args.steps),
    }
    try:
        from micrograd.engine import Value as MicrogradValue
    except ImportError:
        MicrogradValue = None
        print("micrograd is not installed (pip install micrograd): its column is skipped")
    if MicrogradValue is not None:
        variants["micrograd 0.1.0"] = (Timed(values_step(MicrogradValue, X, y)), args.micrograd_steps)
    # every variant, micrograd too, takes turns, a share of its steps in each round, so a slow
    # spell of this (shared) machine falls on all of them alike
    for r in range(args.rounds):
        for timed, steps in variants.values():
            share = steps * (r + 1) // args.rounds - steps * r // args.rounds
            if share:
                gc.collect()
                timed.run(share)
    results = {name: timed.result() for name, (timed, _) in variants.items()}

    floor = results["plain floats, hand-derived backward (the floor)"]
    micro = results.get("micrograd 0.1.0")
    print(f"\nmicrograd's demo step: 100 moons points, MLP(2,[16,16,1]), hinge + L2, SGD — {graph_nodes(X, y)} nodes")
    python = f"{platform.python_implementation()} {platform.python_version()}"
    print(f"{args.rounds} turns each on {python}; ratios from each variant's fastest turn")
    print("| variant | ms / step, fastest turn | ms / step, all steps | × floor | micrograd × faster | time in GC |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, (best, mean, gc_share, _) in results.items():
        speedup = f"{micro.best / best:.1f}" if micro else "–"
        print(
            f"| {name} | {best * 1e3:.1f} | {mean * 1e3:.1f} | {best / floor.best:.1f} | {speedup} | {gc_share:.0%} |"
        )
    compiled = results["chainrule compile (traced and compiled in its first turn)"]
    print(
        f"\nend to end, all {len(compiled.losses)} steps (means): compile, compilation included, "
        f"{compiled.mean / floor.mean:.1f}× the floor"
        + (f", {micro.mean / compiled.mean:.0f}× faster than micrograd" if micro else "")
    )
    if micro:
        k = len(micro.losses)
        print(f"\nsame seed, same data: largest loss difference to micrograd over {k} steps:")
        for name in (
            "chainrule Value, micrograd's graph",
            "bare Value class, micrograd's graph (ceiling)",
            "chainrule nn.MLP (fused neurons)",
            "chainrule compile (traced and compiled in its first turn)",
        ):
            diff = max(abs(a - b) for a, b in zip(results[name].losses[:k], micro.losses))
            print(f"  {name}: {diff:.1e}")

    print("\nbytes per op node, chain y = y*c + d of 10^5 steps (tracemalloc, graph as built / after backward):")
    built, after = bytes_per_op_node(Value)
    print(f"  chainrule: {built:.0f} / {after:.0f}")
    if MicrogradValue is not None:
        # micrograd's backward recurses once per node: a shorter chain, or it takes minutes
        built, after = bytes_per_op_node(MicrogradValue, n=2_000)
        print(f"  micrograd: {built:.0f} / {after:.0f} (a chain of 2,000 steps: its backward recurses)")

    if not args.no_scaling:
        print("\none step against graph size (a chain of * and +, half op nodes, half constants):")
        print(
            "| nodes | build ms | backward ms | build + backward µs / node | graph MB | compiled step ms "
            "| compiled µs / node "
            "| compiled holds B / node |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|---:|")
        for (n, build, back, held), row in zip(scaling(), scaling_compiled()):
            print(
                f"| {n:,} | {build * 1e3:.1f} | {back * 1e3:.1f} | {(build + back) / n * 1e6:.2f} | {held / 1e6:.1f} "
                f"| {row.step_seconds * 1e3:.2f} | {row.step_seconds / n * 1e6:.2f} | {row.held_bytes / n:.0f} |"
            )


if __name__ == "__main__":
    main()
