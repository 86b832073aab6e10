"""Memory: graphs are freed by reference counting alone, and gc_paused() keeps the collector off them."""

from __future__ import annotations

import gc
import threading
import tracemalloc

import pytest

import nn
from engine import Value, gc_paused


@pytest.fixture
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_a_dropped_graph_is_freed_with_the_collector_off():
    # no reference cycles: the moment the output goes, every node goes, with nobody collecting
    with gc_paused():
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            x = Value(0.5)
            y = x
            for _ in range(20_000):
                y = (y * 1.0001 + x).tanh()
            y.backward()
            held = tracemalloc.get_traced_memory()[0] - base
            del y
            left = tracemalloc.get_traced_memory()[0] - base
        finally:
            tracemalloc.stop()
    assert held > 60_000 * 150  # three op nodes a step, each well over 150 bytes
    # x, and what the interpreter keeps for reuse (its free list of up to 2,000 one-element tuples,
    # a one-operand node's parents: ~96 kB however big the graph): not the graph
    assert left < held / 50


def test_the_collector_is_off_inside_and_back_on_after_even_after_an_exception(collector_on):
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(KeyError), gc_paused():
        raise KeyError("a step that fails")
    assert gc.isenabled()


def test_a_collector_the_user_switched_off_stays_off():
    was = gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()


def test_overlapping_blocks_in_two_threads_turn_it_back_on_only_when_the_last_ends(collector_on):
    inside, release = threading.Event(), threading.Event()

    def other():
        with gc_paused():
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=other)
    with gc_paused():
        thread.start()
        inside.wait(10)
    assert not gc.isenabled()  # this block ended, the other thread's has not
    release.set()
    thread.join()
    assert gc.isenabled()


def test_fit_runs_each_step_with_the_collector_off_and_between_steps_with_it_on(collector_on):
    seen = []

    def mse_noting_the_collector(preds, targets):
        seen.append(gc.isenabled())
        return nn.losses.mse(preds, targets)

    model = nn.MLP(2, [3, 1], seed=0)
    nn.fit(model, [[0.0, 1.0], [1.0, 0.0]], [0, 1], loss=mse_noting_the_collector, steps=3, progress=False)
    assert seen == [False, False, False]
    assert gc.isenabled()
