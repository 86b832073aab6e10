"""backward(): the chain rule over the whole graph, checked against hand-derived numbers."""

from __future__ import annotations

import pytest

from engine import Value


def test_micrograd_readme_example_prints_its_documented_numbers():
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    assert f"{g.data:.4f}" == "24.7041"
    assert f"{a.grad:.4f}" == "138.8338"
    assert f"{b.grad:.4f}" == "645.5773"


def test_diamond_sums_both_paths():
    a = Value(3.0)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == pytest.approx(4.0)


def test_second_backward_doubles_leaves_but_not_interior_nodes():
    x = Value(2.0)
    h = x * x
    y = h * 3.0
    y.backward()
    assert (x.grad, h.grad) == (pytest.approx(12.0), pytest.approx(3.0))
    y.backward()
    assert (x.grad, h.grad) == (pytest.approx(24.0), pytest.approx(3.0))


def test_a_chain_a_million_nodes_deep_backpropagates_without_recursion():
    x = Value(1.0)
    y = x
    for _ in range(500_000):
        y = y * 1.0 + 0.0
    y.backward()
    assert x.grad == 1.0
