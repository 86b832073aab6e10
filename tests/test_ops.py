"""Every primitive in the table, checked against independent oracles.

The tests are parametrized over `engine.ops.examples()` (the registered table), so any op defined with
`@engine.primitive` before collection (like `softsign` just below) is checked like the
built-ins: its value and first derivatives against mpmath's high-precision arithmetic and
numerical differentiation (mpmath.diff at 40 digits, exact far beyond float64), its second
derivatives through `grad(..., create_graph=True)`, gradcheck, and PyTorch where installed.
"""

from __future__ import annotations

import math

import mpmath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine import Value, grad, gradcheck
from engine.ops import examples


# A learner's custom op, defined the documented way: forward and local derivative in one place.
# d softsign(x)/dx = 1 / (1 + |x|)^2
@engine.primitive("softsign", derivative=lambda out, x: 1 / (1 + abs(x)) ** 2)
def softsign(x):
    return x / (1 + abs(x))


# every primitive in the table (families by their examples, any-arity ops at five inputs), this
# file's softsign included; an op another test registers is gone when that test ends (conftest)
OPS = examples()

# Where each op is smooth and real, one interval per input; anything not listed uses DEFAULT.
DEFAULT = (-3.0, 3.0)
DOMAIN = {
    "log": [(0.05, 10.0)],
    "sqrt": [(0.05, 10.0)],
    "**": [(0.1, 3.0), (-3.0, 3.0)],  # a positive base, so a ** b is real for every exponent
}
# Points where an op (or its derivative) has a kink or a pole: inputs stay 1e-6 away from them.
KINKS = {"relu": 0.0, "abs": 0.0, "leaky_relu": 0.0, "softsign": 0.0, "**-1": 0.0}

# The same functions in mpmath, evaluated at 40 significant digits.
mp = mpmath.mp
REFERENCE = {
    "+": lambda a, b: a + b,
    "*": lambda a, b: a * b,
    "**": lambda a, b: a**b,
    "exp": lambda x: mp.exp(x),
    "log": lambda x: mp.log(x),
    "sqrt": lambda x: mp.sqrt(x),
    "tanh": lambda x: mp.tanh(x),
    "sigmoid": lambda x: 1 / (1 + mp.exp(-x)),
    "relu": lambda x: x if x > 0 else 0 * x,
    "abs": lambda x: abs(x),
    "sin": lambda x: mp.sin(x),
    "cos": lambda x: mp.cos(x),
    "softplus": lambda x: mp.log1p(mp.exp(x)),
    "**2": lambda x: x**2,
    "**-1": lambda x: 1 / x,
    "leaky_relu": lambda x: x if x > 0 else mpmath.mpf(0.01) * x,
    "softsign": lambda x: x / (1 + abs(x)),
    "w·x+b": lambda w0, w1, x0, x1, b: b + w0 * x0 + w1 * x1,  # the fused neuron, two inputs
    "logsumexp": lambda *xs: mp.log(sum(mp.exp(x) for x in xs)),
    # names the table may grow: checked as soon as they are registered
    "neg": lambda x: -x,
    "-": lambda a, b: a - b,
    "/": lambda a, b: a / b,
    "tan": lambda x: mp.tan(x),
    "atan": lambda x: mp.atan(x),
    "log1p": lambda x: mp.log1p(x),
    "expm1": lambda x: mp.expm1(x),
    "silu": lambda x: x / (1 + mp.exp(-x)),
    "gelu": lambda x: x * (1 + mp.erf(x / mp.sqrt(2))) / 2,
    "elu": lambda x: x if x > 0 else mp.expm1(x),
}


def _torch_ops():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    return {
        "+": torch.add,
        "*": torch.mul,
        "**": torch.pow,
        "exp": torch.exp,
        "log": torch.log,
        "sqrt": torch.sqrt,
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "relu": torch.relu,
        "abs": torch.abs,
        "sin": torch.sin,
        "cos": torch.cos,
        "softplus": lambda x: F.softplus(x, threshold=50.0),  # torch's default returns x itself from 20 on
        "**2": lambda x: x**2,
        "**-1": lambda x: x**-1,
        "leaky_relu": lambda x: F.leaky_relu(x, 0.01),
        "softsign": F.softsign,
        "w·x+b": lambda w0, w1, x0, x1, b: b + w0 * x0 + w1 * x1,
        "logsumexp": lambda *xs: torch.logsumexp(torch.stack(xs), 0),
        "neg": torch.neg,
        "-": torch.sub,
        "/": torch.div,
        "tan": torch.tan,
        "atan": torch.atan,
        "log1p": torch.log1p,
        "expm1": torch.expm1,
        "silu": F.silu,
        "elu": F.elu,
    }


every_op = pytest.mark.parametrize("op", list(OPS.values()), ids=list(OPS))


def _domain(op) -> list[tuple[float, float]]:
    return DOMAIN.get(op.name, [DEFAULT] * op.arity)


def _inputs(op) -> st.SearchStrategy[list[float]]:
    """Random points in the op's domain, kept 1e-6 away from its kink."""
    kink = KINKS.get(op.name)
    coordinates = []
    for lo, hi in _domain(op):
        x = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
        if kink is not None:
            x = x.filter(lambda v: abs(v - kink) > 1e-6)
        coordinates.append(x)
    return st.tuples(*coordinates).map(list)


def _fixed_points(op, n: int = 7) -> list[list[float]]:
    """n points spread over the op's domain (same for every run), away from its kink."""
    points = []
    for k in range(n):
        point = []
        for i, (lo, hi) in enumerate(_domain(op)):
            t = ((k + 0.5) / n + 0.37 * i + 0.013) % 1.0  # 0.013: no point lands on a kink at 0
            point.append(lo + (hi - lo) * t)
        points.append(point)
    return points


def _reference(op):
    """The op in mpmath: from REFERENCE, or its own forward if that computes in mpmath arithmetic."""
    if op.name in REFERENCE:
        return REFERENCE[op.name]
    try:
        with mpmath.workdps(40):
            probe = op.forward(*[mpmath.mpf(lo + (hi - lo) / 3) for lo, hi in _domain(op)])
    except (TypeError, ValueError):
        probe = None
    if not isinstance(probe, mpmath.mpf):
        pytest.skip(f"no high-precision reference for op {op.name!r}: add one to REFERENCE in {__name__}")
    return op.forward


# A sum of several rounded terms is exact to the size of its terms, not of its result (which may
# cancel to almost nothing): for such ops the value is compared at the scale of the terms.
# logsumexp is m + log(sum e^(xi - m)), m the largest input: each step is exact to a few ulps of
# what it adds, |m| and |log(...)| <= |m| + log n, and near f = 0 the two cancel. Its condition
# number, sum softmax_i |xi| / |f| <= max|xi| / |f|, says the same: an error of an ulp in the
# inputs moves f by up to an ulp of max|xi|, however small f is. So its value is compared at the
# scale of its largest input (logsumexp(-1.1015625, -1.09765625, -1.09765625) = -3.4e-4 is off by
# 1.7e-13 relative to itself, a quarter of an ulp of 1.1).
TERMS = {
    "w·x+b": lambda w0, w1, x0, x1, b: abs(w0 * x0) + abs(w1 * x1) + abs(b),
    "logsumexp": lambda *xs: max(map(abs, xs)),
}


def _close(actual: float, expected: float, rel: float) -> bool:
    # the 1e-20 floor: mpmath.diff is exact to ~30 digits of the function's scale, so a derivative
    # like d a^b/da = b a^(b-1) at b = 1e-141 comes back as 0; far below anything a float step sees
    return abs(actual - expected) <= rel * abs(expected) + 1e-20 or actual == expected


_exactness = settings(max_examples=40, deadline=None)


# --- values and derivatives against mpmath -------------------------------------------------------


@every_op
@_exactness
@given(data=st.data())
def test_every_op_computes_its_value_to_near_full_float_precision(op, data):
    reference = _reference(op)
    xs = data.draw(_inputs(op), label="inputs")
    out = op(*[Value(x) for x in xs])
    with mpmath.workdps(40):
        expected = float(reference(*map(mpmath.mpf, xs)))
    if op.name not in REFERENCE and not math.isfinite(expected):
        return  # an op we know nothing about, outside its domain
    assert isinstance(out, Value) and out.op == op.name
    scale = TERMS[op.name](*xs) if op.name in TERMS else abs(expected)
    assert abs(out.data - expected) <= 1e-13 * scale or _close(out.data, expected, 1e-13), (
        f"{op.name}{tuple(xs)} = {out.data!r}, mpmath says {expected!r}"
    )


@every_op
@_exactness
@given(data=st.data())
def test_every_op_has_first_derivatives_within_1e_9_of_mpmath(op, data):
    reference = _reference(op)
    xs = data.draw(_inputs(op), label="inputs")
    leaves = [Value(x) for x in xs]
    out = op(*leaves)
    out.backward()
    with mpmath.workdps(40):
        if not mpmath.isfinite(reference(*map(mpmath.mpf, xs))):
            assert op.name not in REFERENCE, f"the domain of {op.name} in DOMAIN is wrong"
            return
        for i, leaf in enumerate(leaves):
            orders = [int(j == i) for j in range(len(xs))]
            expected = float(mpmath.diff(reference, list(map(mpmath.mpf, xs)), orders))
            assert _close(leaf.grad, expected, 1e-9), f"d {op.name}/d input {i} at {xs}: {leaf.grad!r} vs {expected!r}"


@every_op
@_exactness
@given(data=st.data())
def test_every_op_has_second_derivatives_through_create_graph_matching_mpmath(op, data):
    reference = _reference(op)
    xs = data.draw(_inputs(op), label="inputs")
    leaves = [Value(x) for x in xs]
    first = grad(op(*leaves), leaves, create_graph=True)
    hessian = [grad(d, leaves) for d in first]
    with mpmath.workdps(40):
        if not mpmath.isfinite(reference(*map(mpmath.mpf, xs))):
            return
        for i in range(len(xs)):
            for j in range(len(xs)):
                orders = [int(k == i) + int(k == j) for k in range(len(xs))]
                expected = float(mpmath.diff(reference, list(map(mpmath.mpf, xs)), orders))
                actual = hessian[i][j]
                assert abs(actual - expected) <= 1e-9 * abs(expected) + 1e-12, (
                    f"d2 {op.name}/d{i}d{j} at {xs}: {actual!r} vs {expected!r}"
                )


@every_op
def test_every_op_passes_gradcheck_across_its_domain(op):
    for point in _fixed_points(op):
        assert gradcheck(lambda *xs: op(*xs), point) is True


@every_op
def test_every_op_on_plain_floats_returns_the_float_its_node_holds(op):
    for point in _fixed_points(op, 3):
        on_floats = op(*point)
        assert type(on_floats) is float
        assert on_floats == op(*[Value(x) for x in point]).data


@settings(max_examples=60, deadline=None)
@given(x=st.floats(0.1, 3.0), k=st.floats(-3.0, 3.0))
def test_any_constant_exponent_gives_mpmath_value_and_derivatives(x, k):
    leaf = Value(x)
    y = leaf**k
    (dy,) = grad(y, [leaf], create_graph=True)
    (d2y,) = grad(dy, [leaf])
    with mpmath.workdps(40):
        f = lambda t: t ** mpmath.mpf(k)
        expected = [float(mpmath.diff(f, mpmath.mpf(x), n)) for n in range(3)]
    assert y.op.startswith("**") and float(y.op[2:]) == k
    assert _close(y.data, expected[0], 1e-13)
    assert _close(dy.data, expected[1], 1e-9)
    assert abs(d2y - expected[2]) <= 1e-9 * abs(expected[2]) + 1e-12


@pytest.mark.parametrize("a", [1.0, 2.0, 0.5])
def test_power_has_the_mixed_second_derivative_one_over_a_at_exponent_zero(a):
    # d/db (d a^b/da) = d/db (b a^(b-1)) = a^(b-1) + b a^(b-1) log a, which is 1/a at b = 0:
    # the slope in a vanishes at b = 0, but how it changes with b does not
    base, exponent = Value(a), Value(0.0)
    d_base, d_exponent = grad(base**exponent, [base, exponent], create_graph=True)
    assert grad(d_exponent, [base])[0] == pytest.approx(1 / a, rel=1e-15)
    assert grad(d_base, [exponent])[0] == pytest.approx(1 / a, rel=1e-15)


@settings(max_examples=40, deadline=None)
@given(x=st.floats(-3.0, -0.1), k=st.integers(-3, 4))
def test_integer_exponents_of_negative_bases_are_real(x, k):
    leaf = Value(x)
    y = leaf**k
    y.backward()
    assert _close(y.data, x**k, 1e-15)
    assert _close(leaf.grad, k * x ** (k - 1) if k else 0.0, 1e-13)


@settings(max_examples=40, deadline=None)
@given(x=st.floats(-3.0, 3.0).filter(lambda v: abs(v) > 1e-9), slope=st.floats(0.0, 1.0))
def test_leaky_relu_with_any_slope_has_slope_one_or_its_slope(x, slope):
    leaf = Value(x)
    y = leaf.leaky_relu(slope)
    y.backward()
    assert y.data == (x if x > 0 else slope * x)
    assert leaf.grad == (1.0 if x > 0 else slope)


def test_the_custom_op_was_registered_and_builds_its_own_node():
    assert OPS["softsign"].name == "softsign"
    y = softsign(Value(3.0))
    y.backward()
    assert (y.op, y.data, y.parents[0].grad) == ("softsign", 0.75, 1 / 16)


def test_an_op_registered_inside_local_registry_is_gone_when_the_block_ends():
    before = set(engine.ops.registered())
    with engine.ops.local_registry():
        wrong = engine.primitive("scratch_square", derivative=lambda out, x: 3 * x)(lambda x: x * x)
        assert engine.ops.registered()["scratch_square"] is wrong
    assert set(engine.ops.registered()) == before
    assert wrong(Value(2.0)).data == 4.0  # the op itself still works; only the table forgot it


def test_the_table_registers_families_and_any_arity_ops_as_the_graph_records_them():
    table = engine.ops.registered()
    assert isinstance(table["**k"], engine.ops.Family) and isinstance(table["leaky_relu"], engine.ops.Family)
    x = Value(1.5)
    assert (x**2)._primitive is table["**k"](2) and x.leaky_relu(0.2)._primitive is table["leaky_relu"](0.2)
    y = engine.ops.logsumexp(x, x, x, x)
    assert y._primitive is table["logsumexp"] and table["logsumexp"].arity is None


@pytest.mark.parametrize("name", ["tanh", "sigmoid"])
@pytest.mark.parametrize("x", [8.0, 15.0, 20.0, 30.0, 40.0, -12.0, -30.0])
def test_where_tanh_and_sigmoid_saturate_their_derivatives_are_right_to_the_last_bit_of_one(name, x):
    # Computed from the output, as PyTorch does (1 - tanh², σ(1 - σ)): exact in absolute terms
    # (within 2e-16, the rounding of numbers near 1), though not relatively once they are tiny
    # (sigmoid'(30) = 9.348e-14 against 9.358e-14): the price of the teaching formula.
    v = Value(x)
    getattr(v, name)().backward()
    true = mpmath.diff(REFERENCE[name], mpmath.mpf(x))
    assert abs(v.grad - float(true)) <= 2e-16


def test_logsumexp_near_zero_is_exact_to_the_scale_of_its_inputs_not_of_its_result():
    # the example that failed a fresh clone's run under a flat 1e-13 relative limit: the inputs
    # are within 0.004 of each other and their logsumexp cancels to -3.4e-4
    xs = (-1.1015625, -1.09765625, -1.09765625)
    with mpmath.workdps(40):
        expected = float(mp.log(sum(mp.exp(mpmath.mpf(x)) for x in xs)))
    got = engine.ops.logsumexp(*xs)
    assert abs(got - expected) <= math.ulp(max(map(abs, xs)))  # within an ulp of 1.1
    assert abs(got - expected) > 1e-13 * abs(expected)  # though not within 1e-13 of itself


def test_a_derivative_that_forgets_the_output_argument_is_refused_where_it_is_defined():
    expected = r"'cube': derivative must take the output, then each input: derivative\(out, x0\), got derivative\(x\)"
    with pytest.raises(TypeError, match=expected):

        @engine.primitive("cube", derivative=lambda x: 3 * x**2)
        def cube(x):
            return x**3


def test_a_primitive_called_on_something_that_is_not_a_number_says_so():
    with pytest.raises(TypeError, match="softsign: inputs must be Values or real numbers, got str"):
        softsign("1.5")


# --- PyTorch parity -----------------------------------------------------------------------------


@pytest.mark.torch
@every_op
def test_every_op_value_and_gradient_match_pytorch_in_float64(op):
    torch = pytest.importorskip("torch")
    counterpart = _torch_ops().get(op.name)
    if counterpart is None:
        pytest.skip(f"no PyTorch counterpart known for op {op.name!r}")
    for point in _fixed_points(op, 11):
        leaves = [Value(x) for x in point]
        out = op(*leaves)
        out.backward()
        tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in point]
        expected = counterpart(*tensors)
        expected.backward()
        assert _close(out.data, expected.item(), 1e-13), point
        for leaf, tensor in zip(leaves, tensors):
            assert _close(leaf.grad, tensor.grad.item(), 1e-12), point


# --- IEEE-754 edge cases: results like PyTorch's, never a Python exception ------------------------

inf, nan = math.inf, math.nan
EDGE_CASES = {
    "1 / 0": (lambda: Value(1.0) / 0, inf),
    "-1 / 0": (lambda: Value(-1.0) / 0, -inf),
    "1 / -0.0": (lambda: Value(1.0) / Value(-0.0), -inf),
    "0 / 0": (lambda: Value(0.0) / Value(0.0), nan),
    "1 / Value(0)": (lambda: 1 / Value(0.0), inf),
    "log(0)": (lambda: Value(0.0).log(), -inf),
    "log(-1)": (lambda: Value(-1.0).log(), nan),
    "sqrt(-1)": (lambda: Value(-1.0).sqrt(), nan),
    "exp(1000)": (lambda: Value(1000.0).exp(), inf),
    "exp(-1000)": (lambda: Value(-1000.0).exp(), 0.0),
    "0 ** -1": (lambda: Value(0.0) ** -1, inf),
    "10 ** 1000": (lambda: Value(10.0) ** 1000, inf),
    "-10 ** 1001": (lambda: Value(-10.0) ** 1001, -inf),
    "(-8) ** (1/3)": (lambda: Value(-8.0) ** (1 / 3), nan),
    "Value(-8) ** Value(0.5)": (lambda: Value(-8.0) ** Value(0.5), nan),
    "sin(inf)": (lambda: Value(inf).sin(), nan),
    "cos(-inf)": (lambda: Value(-inf).cos(), nan),
}


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.mark.parametrize("case", list(EDGE_CASES))
def test_ieee_edge_cases_give_inf_or_nan_instead_of_raising(case):
    build, expected = EDGE_CASES[case]
    out = build()
    out.backward()  # the gradients may be inf or nan too, but nothing raises
    assert _same(out.data, expected), f"{case} gave {out.data!r}, expected {expected!r}"


@pytest.mark.parametrize(
    "op, x, expected_grad",
    [("log", 0.0, inf), ("sqrt", 0.0, inf), ("exp", 1000.0, inf), ("**-1", 0.0, -inf)],
)
def test_gradients_at_edge_points_are_ieee_infinities(op, x, expected_grad):
    leaf = Value(x)
    OPS[op](leaf).backward()
    assert leaf.grad == expected_grad


@pytest.mark.torch
@pytest.mark.parametrize(
    "a, b", [(1.0, 0.0), (-1.0, 0.0), (0.0, 0.0), (1.0, -0.0), (0.0, 1.0), (-8.0, 0.5), (0.0, -1.0), (0.0, 0.0)]
)
def test_division_and_power_at_edge_points_match_pytorch_values_and_gradients(a, b):
    torch = pytest.importorskip("torch")
    for build in (lambda x, y: x / y, lambda x, y: x**y):
        x, y = Value(a), Value(b)
        out = build(x, y)
        out.backward()
        tx, ty = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (a, b))
        expected = build(tx, ty)
        expected.backward()
        got, want = (out.data, x.grad, y.grad), (expected.item(), tx.grad.item(), ty.grad.item())
        assert all(_same(g, w) for g, w in zip(got, want)), f"{a}, {b}: engine {got}, torch {want}"


@pytest.mark.torch
@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs", "softplus", "sin", "cos"])
@pytest.mark.parametrize("x", [0.0, -0.0, -1.0, 1000.0, -1000.0, inf, -inf])
def test_named_functions_at_edge_points_match_pytorch(name, x):
    torch = pytest.importorskip("torch")
    leaf = Value(x)
    out = getattr(leaf, name)()
    out.backward()
    tensor = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    expected = _torch_ops()[name](tensor)
    expected.backward()
    got, want = (out.data, leaf.grad), (expected.item(), tensor.grad.item())
    assert all(_same(g, w) for g, w in zip(got, want)), f"{name}({x}): engine {got}, torch {want}"


# --- stability far out in the tails ---------------------------------------------------------------

STABLE = {
    "sigmoid": lambda x: 1 / (1 + mp.exp(-x)),
    "tanh": lambda x: mp.tanh(x),
    "softplus": lambda x: mp.log1p(mp.exp(x)),
}


@pytest.mark.parametrize("name", list(STABLE))
@pytest.mark.parametrize("x", [-1000.0, -710.0, -50.0, 50.0, 710.0, 1000.0])
def test_saturating_functions_stay_finite_and_correct_far_out(name, x):
    leaf = Value(x)
    out = getattr(leaf, name)()
    out.backward()
    with mpmath.workdps(40):
        value = float(STABLE[name](mpmath.mpf(x)))
        slope = float(mpmath.diff(STABLE[name], mpmath.mpf(x)))
    assert math.isfinite(out.data) and math.isfinite(leaf.grad)
    assert _close(out.data, value, 1e-15)
    # a slope that is 1 - (a number within an ulp of 1) can only be right to about 1e-16 absolute
    assert abs(leaf.grad - slope) <= 1e-15 * abs(slope) + 1e-16


@pytest.mark.parametrize("x", [-1000.0, 1000.0])
def test_saturating_functions_give_exact_limits_at_plus_minus_1000(x):
    one_side = 1.0 if x > 0 else 0.0
    assert Value(x).sigmoid().data == one_side
    assert Value(x).tanh().data == math.copysign(1.0, x)
    assert Value(x).softplus().data == max(x, 0.0)
    for name, slope in [("sigmoid", 0.0), ("tanh", 0.0), ("softplus", one_side)]:
        leaf = Value(x)
        getattr(leaf, name)().backward()
        assert leaf.grad == slope, name


# --- kinks: the PyTorch convention ---------------------------------------------------------------

KINK_SLOPES = {"relu": 0.0, "abs": 0.0, "leaky_relu": 0.01}


@pytest.mark.parametrize("name", list(KINK_SLOPES))
def test_kinks_take_pytorchs_slope_at_zero(name):
    leaf = Value(0.0)
    out = getattr(leaf, name)()
    out.backward()
    assert (out.data, leaf.grad) == (0.0, KINK_SLOPES[name])


@pytest.mark.torch
@pytest.mark.parametrize("name", list(KINK_SLOPES))
def test_pytorch_agrees_on_the_slope_at_each_kink(name):
    torch = pytest.importorskip("torch")
    tensor = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    _torch_ops()[name](tensor).backward()
    assert tensor.grad.item() == KINK_SLOPES[name]
