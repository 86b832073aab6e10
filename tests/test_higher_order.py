"""Derivatives of derivatives: `grad(..., create_graph=True)` returns Values that are graphs too.

Oracles: mpmath's numerical differentiation at 40 digits, HIPS autograd's Hessians, derivatives
worked out by hand, and PyTorch's double backward where installed.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine import Value, grad

mp = mpmath.mp

# (engine version, mpmath version): smooth functions of one variable, defined on all of (-2, 2)
FUNCTIONS = {
    "x^3 sin x": (lambda x: x**3 * x.sin(), lambda x: x**3 * mp.sin(x)),
    "tanh": (lambda x: x.tanh(), lambda x: mp.tanh(x)),
    "sigmoid": (lambda x: x.sigmoid(), lambda x: 1 / (1 + mp.exp(-x))),
    "softplus": (lambda x: x.softplus(), lambda x: mp.log1p(mp.exp(x))),
    "exp(sin x)": (lambda x: x.sin().exp(), lambda x: mp.exp(mp.sin(x))),
    "log(1 + x^2)": (lambda x: (1 + x * x).log(), lambda x: mp.log(1 + x * x)),
    "sqrt(1 + x^2)": (lambda x: (1 + x**2).sqrt(), lambda x: mp.sqrt(1 + x**2)),
    "x / (1 + x^2)": (lambda x: x / (1 + x * x), lambda x: x / (1 + x * x)),
    "2^x cos x": (lambda x: 2**x * x.cos(), lambda x: 2**x * mp.cos(x)),
    "(1 + x^2)^x": (lambda x: (1 + x * x) ** x, lambda x: (1 + x * x) ** x),
    "tanh via exp": (lambda x: ((2 * x).exp() - 1) / ((2 * x).exp() + 1), lambda x: mp.tanh(x)),
}


def _derivatives(f, x: float, n: int) -> list[float]:
    """f, f', ..., f^(n) at x by repeated grad(create_graph=True)."""
    leaf = Value(x)
    results = [f(leaf)]
    for _ in range(n):
        (d,) = grad(results[-1], [leaf], create_graph=True)
        results.append(d)
    return [r.data for r in results]


@pytest.mark.parametrize("name", list(FUNCTIONS))
@settings(max_examples=25, deadline=None)
@given(x=st.floats(-2.0, 2.0))
def test_second_and_third_derivatives_match_mpmath(name, x):
    f, reference = FUNCTIONS[name]
    got = _derivatives(f, x, 3)
    with mpmath.workdps(40):
        expected = [float(mpmath.diff(reference, mpmath.mpf(x), n)) for n in range(4)]
    for n in range(4):
        assert got[n] == pytest.approx(expected[n], rel=1e-9, abs=1e-12), f"order {n} of {name} at {x!r}"


def test_derivatives_of_x_cubed_are_3x2_then_6x_then_6_then_0():
    assert _derivatives(lambda x: x**3, 2.0, 4) == [8.0, 12.0, 12.0, 6.0, 0.0]


def test_a_create_graph_result_is_a_value_connected_to_the_inputs():
    x = Value(1.5)
    (dy,) = grad(x.sin() * x, [x], create_graph=True)
    assert type(dy) is Value and dy.parents != ()
    assert dy.data == pytest.approx(math.cos(1.5) * 1.5 + math.sin(1.5), rel=1e-15)
    dy.backward()  # and it can be backpropagated like any output
    assert x.grad == pytest.approx(-math.sin(1.5) * 1.5 + 2 * math.cos(1.5), rel=1e-14)


def test_create_graph_leaves_every_grad_untouched():
    x, y = Value(0.7), Value(-1.1)
    h = x * y
    out = h.tanh() + x
    grad(out, [x, y], create_graph=True)
    assert (x.grad, y.grad, h.grad, out.grad) == (0.0, 0.0, 0.0, 0.0)


def test_an_unreached_input_gets_a_zero_that_can_be_differentiated_again():
    x, unused = Value(2.0), Value(5.0)
    dx, du = grad(x * x, [x, unused], create_graph=True)
    assert (dx.data, du.data) == (4.0, 0.0)
    assert grad(du, [x, unused]) == [0.0, 0.0]


def _f(x, y, exp, sin):
    # f(x, y) = x^2 y + sin(x y) + exp(x - y)
    return x * x * y + sin(x * y) + exp(x - y)


def test_hessian_of_a_two_variable_function_matches_the_hand_derived_one_and_autograd():
    import autograd
    import autograd.numpy as anp

    x0, y0 = 0.8, -0.4
    x, y = Value(x0), Value(y0)
    gradient = grad(_f(x, y, Value.exp, Value.sin), [x, y], create_graph=True)
    hessian = [grad(g, [x, y]) for g in gradient]
    # by hand: f_xx = 2y - y^2 sin(xy) + e^(x-y), f_xy = 2x + cos(xy) - xy sin(xy) - e^(x-y),
    #          f_yy = -x^2 sin(xy) + e^(x-y)
    s, c, e = math.sin(x0 * y0), math.cos(x0 * y0), math.exp(x0 - y0)
    by_hand = [[2 * y0 - y0**2 * s + e, 2 * x0 + c - x0 * y0 * s - e], [2 * x0 + c - x0 * y0 * s - e, -(x0**2) * s + e]]
    by_autograd = autograd.hessian(lambda v: _f(v[0], v[1], anp.exp, anp.sin))(np.array([x0, y0]))
    for i in range(2):
        for j in range(2):
            assert hessian[i][j] == pytest.approx(by_hand[i][j], rel=1e-13)
            assert hessian[i][j] == pytest.approx(float(by_autograd[i][j]), rel=1e-13)


def test_one_newton_step_uses_the_first_and_second_derivative():
    # f(x) = x^4 - 3x^2 + x: f'(2) = 32 - 12 + 1 = 21, f''(2) = 48 - 6 = 42, so x1 = 2 - 21/42 = 1.5
    x = Value(2.0)
    (slope,) = grad(x**4 - 3 * x**2 + x, [x], create_graph=True)
    (curvature,) = grad(slope, [x])
    assert (slope.data, curvature) == (21.0, 42.0)
    assert x.data - slope.data / curvature == 1.5


def test_newton_iterations_find_the_minimum_mpmath_finds():
    x = 2.0
    for _ in range(8):
        leaf = Value(x)
        (slope,) = grad(leaf**4 - 3 * leaf**2 + leaf, [leaf], create_graph=True)
        (curvature,) = grad(slope, [leaf])
        x = x - slope.data / curvature
    with mpmath.workdps(30):
        root = mpmath.findroot(lambda t: 4 * t**3 - 6 * t + 1, 1.2)
    assert x == pytest.approx(float(root), rel=1e-14)


@pytest.mark.filterwarnings("ignore:Output seems independent of input")  # autograd, for a linear program
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(data=st.data())
def test_hessians_of_random_graphs_with_shared_subexpressions_match_hips_autograd(dags, data):
    import autograd

    program = data.draw(dags.programs(max_leaves=3, max_steps=7), label="program")
    assume(program.is_tame())
    leaves = [Value(v) for v in program.leaves]
    out, _ = program.run(dags.engine, leaves)
    gradient = grad(out, leaves, create_graph=True)
    hessian = [grad(g, leaves) for g in gradient]
    f = dags.autograd()
    expected = autograd.hessian(lambda xs: program.run(f, [xs[i] for i in range(len(xs))])[0])(
        np.array(program.leaves, dtype=np.float64)
    )
    for i, row in enumerate(hessian):
        for j, entry in enumerate(row):
            assert entry == pytest.approx(float(expected[i][j]), rel=1e-9, abs=1e-10), f"H[{i}][{j}] of {program}"


@pytest.mark.torch
def test_second_derivatives_match_pytorch_double_backward():
    torch = pytest.importorskip("torch")
    for x0 in (-1.3, 0.2, 1.7):
        x = Value(x0)
        (d1,) = grad((x * x.sigmoid()).softplus() * x.cos(), [x], create_graph=True)
        (d2,) = grad(d1, [x], create_graph=True)
        (d3,) = grad(d2, [x])
        t = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
        y = torch.nn.functional.softplus(t * torch.sigmoid(t), threshold=50.0) * torch.cos(t)
        (t1,) = torch.autograd.grad(y, [t], create_graph=True)
        (t2,) = torch.autograd.grad(t1, [t], create_graph=True)
        (t3,) = torch.autograd.grad(t2, [t])
        assert d1.data == pytest.approx(t1.item(), rel=1e-12)
        assert d2.data == pytest.approx(t2.item(), rel=1e-12)
        assert d3 == pytest.approx(t3.item(), rel=1e-12)
