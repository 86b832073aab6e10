"""backward(): the chain rule over the whole graph, checked against hand-derived numbers."""

from __future__ import annotations

import math
import sys
import traceback

import mpmath
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine import Value, grad, topological_order


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


# --- shapes of graphs -------------------------------------------------------------------------


def test_a_double_diamond_counts_every_path():
    # a feeds b twice and c feeds d through two different nodes: 2 paths × 2 paths
    a = Value(1.5)
    b = a * a  # db/da = 2a = 3
    c1, c2 = b + 1.0, b * 2.0
    d = c1 * c2  # dd/db = c2 + 2 c1
    d.backward()
    assert b.grad == pytest.approx(c2.data + 2 * c1.data, rel=1e-15)
    assert a.grad == pytest.approx((c2.data + 2 * c1.data) * 3.0, rel=1e-15)


def test_an_operand_used_twice_in_one_node_gets_both_contributions():
    x = Value(-2.5)
    y = x * x
    y.backward()
    assert x.grad == -5.0


def test_backward_on_a_leaf_sets_its_grad_to_one():
    x = Value(4.0)
    x.backward()
    assert x.grad == 1.0


def test_unrelated_leaves_keep_a_zero_grad():
    x, unused = Value(2.0), Value(7.0)
    (x * 3).backward()
    assert unused.grad == 0.0


def test_backward_gradient_argument_scales_every_gradient():
    x, w = Value(2.0), Value(-3.0)
    y = (x * w).tanh()
    y.backward(gradient=2.5)
    local = 1 - math.tanh(-6.0) ** 2
    assert y.grad == 2.5
    assert x.grad == pytest.approx(2.5 * local * -3.0, rel=1e-12)
    assert w.grad == pytest.approx(2.5 * local * 2.0, rel=1e-12)


def test_backward_gradient_argument_must_be_a_real_number():
    y = Value(1.0) * 2
    with pytest.raises(TypeError, match="str"):
        y.backward(gradient="1.0")


# --- repeated backward --------------------------------------------------------------------------


def test_a_second_backward_through_a_longer_chain_exactly_doubles_the_leaf():
    # micrograd's bug: the second call starts from the interior grads left by the first and
    # compounds them (here the leaf would get 24 + 2·(…) instead of exactly twice 24)
    x = Value(1.0)
    a = x * 2.0
    b = a * 3.0
    c = b * 4.0
    c.backward()
    first = (x.grad, a.grad, b.grad)
    c.backward()
    assert first == (24.0, 12.0, 4.0)
    assert (x.grad, a.grad, b.grad) == (48.0, 12.0, 4.0)


def test_repeated_backward_with_shared_subexpressions_accumulates_only_in_leaves():
    x, y = Value(0.3), Value(-1.2)
    s = x * y
    out = (s + s.tanh()) * s
    out.backward()
    leaf_grads, interior = (x.grad, y.grad), s.grad
    for _ in range(2):
        out.backward()
    assert (x.grad, y.grad) == (pytest.approx(3 * leaf_grads[0]), pytest.approx(3 * leaf_grads[1]))
    assert s.grad == pytest.approx(interior)


def test_zero_grad_on_leaves_lets_the_next_backward_start_fresh():
    x = Value(3.0)
    y = x * x
    y.backward()
    x.grad = 0.0
    y.backward()
    assert x.grad == 6.0


# --- depth ------------------------------------------------------------------------------------


def test_a_million_multiplications_deep_give_the_exact_power_rule_without_touching_the_recursion_limit():
    limit = sys.getrecursionlimit()
    x, c = Value(1.0), Value(1.0001)
    y = x
    for _ in range(1_000_000):
        y = y * c
    y.backward()
    assert sys.getrecursionlimit() == limit
    with mpmath.workdps(30):
        expected_x = float(mpmath.mpf(1.0001) ** 1_000_000)  # d y/d x = c^n
        expected_c = float(1_000_000 * mpmath.mpf(1.0001) ** 999_999)  # d y/d c = n x c^(n-1)
    assert x.grad == pytest.approx(expected_x, rel=1e-9)
    assert c.grad == pytest.approx(expected_c, rel=1e-9)


def test_backward_of_a_deep_chain_needs_no_stack_even_under_a_tiny_recursion_limit():
    x = Value(0.5)
    y = x
    for _ in range(10_000):
        y = (y * 0.5).tanh() + 0.25
    limit = sys.getrecursionlimit()
    # allow only a few frames beyond the current depth: any recursion over the graph would fail
    depth = len(traceback.extract_stack())
    sys.setrecursionlimit(depth + 50)
    try:
        y.backward()
        order_length = len(topological_order(y))
    finally:
        sys.setrecursionlimit(limit)
    assert order_length == 1 + 10_000 * 5  # x, then per step: the constant 0.5, *, tanh, the constant 0.25, +
    # the same derivative by hand: the chain rule as a running product of local slopes
    value, slope = 0.5, 1.0
    for _ in range(10_000):
        t = math.tanh(value * 0.5)
        slope *= 0.5 * (1 - t * t)
        value = t + 0.25
    assert x.grad == pytest.approx(slope, rel=1e-9)


# --- random compositions against independent engines ------------------------------------------

_random_graphs = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])


@_random_graphs
@given(data=st.data())
def test_random_graphs_with_shared_subexpressions_match_hips_autograd(dags, data):
    import autograd

    program = data.draw(dags.programs(), label="program")
    assume(program.is_tame())
    f = dags.autograd()
    leaves = [Value(v) for v in program.leaves]
    out, _ = program.run(dags.engine, leaves)
    out.backward()
    value_and_grad = autograd.value_and_grad(lambda xs: program.run(f, [xs[i] for i in range(len(xs))])[0])
    expected_value, expected_grads = value_and_grad(np.array(program.leaves, dtype=np.float64))
    assert out.data == pytest.approx(float(expected_value), rel=1e-12, abs=1e-12), str(program)
    for x, expected in zip(leaves, expected_grads):
        assert x.grad == pytest.approx(float(expected), rel=1e-9, abs=1e-12), str(program)


@_random_graphs
@given(data=st.data())
def test_grad_returns_what_backward_stores_on_random_graphs(dags, data):
    program = data.draw(dags.programs(), label="program")
    assume(program.is_tame())
    leaves = [Value(v) for v in program.leaves]
    out, _ = program.run(dags.engine, leaves)
    returned = grad(out, leaves)
    assert all(x.grad == 0.0 for x in leaves)
    out.backward()
    assert returned == pytest.approx([x.grad for x in leaves], rel=1e-12, abs=1e-15)


@pytest.mark.torch
@_random_graphs
@given(data=st.data())
def test_random_graphs_match_pytorch_in_float64(dags, data):
    torch = pytest.importorskip("torch")
    program = data.draw(dags.programs(), label="program")
    assume(program.is_tame())
    leaves = [Value(v) for v in program.leaves]
    out, nodes = program.run(dags.engine, leaves)
    out.backward()
    tensors = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in program.leaves]
    expected, expected_nodes = program.run(dags.torch(), tensors)
    for node in expected_nodes:
        if node.requires_grad:
            node.retain_grad()
    expected.backward()
    assert out.data == pytest.approx(expected.item(), rel=1e-12, abs=1e-12), str(program)
    for node, reference in zip(nodes, expected_nodes):
        reference_grad = reference.grad.item() if reference.grad is not None else 0.0
        assert node.grad == pytest.approx(reference_grad, rel=1e-9, abs=1e-12), str(program)
