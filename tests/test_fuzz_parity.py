"""Every op of the table, and every operator built from them, against PyTorch float64 over the
whole float range: nan, ±inf, ±0, subnormals and the largest floats, values and gradients.

PyTorch is the oracle, computed at run time. Two things are compared: the op's value (nan equal
to nan, infinities and the sign of a zero exactly) and the gradient that reaches each input
when backward starts from an upstream gradient `g` (nan equal to nan, infinities exactly, a
zero whatever its sign: chainrule's grads start at +0.0 and add every share, so a -0 share
reads +0). The upstream gradient is 1 half the time and any float otherwise, so a derivative
that is a strong zero (relu below 0, x**0) or a pair of factors (1/x) meets inf and nan too.

Hypothesis is derandomized under CI=true (conftest.py): the same examples every run there.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Value, ops
from engine.ops import examples, registered

torch = pytest.importorskip("torch", reason="PyTorch float64 is the oracle for these tests")
F = torch.nn.functional

inf, nan = math.inf, math.nan

# the points where IEEE arithmetic changes its mind: zeros, the edges of the normal and
# subnormal ranges, where exp over- and underflows, where 1/x² underflows, the infinities
SPECIAL = [
    0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 2.0**-1074, -(2.0**-1074), 2.0**-1022, 1e-310, -1e-310, 1e154,
    -1e155, 1e300, -1e300, 1.7976931348623157e308, -1.7976931348623157e308, 709.8, -745.2, 20.0, 50.5,
    inf, -inf, nan,
]  # fmt: skip

# PyTorch's spelling of each op (softplus with a threshold far out: PyTorch's default returns
# x itself from 20 on, within rounding of log(1 + e^x) but a different number)
TORCH = {
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
    "softplus": lambda x: F.softplus(x, threshold=50.0),
    # a constant exponent: torch.pow with a tensor exponent, which is IEEE pow at every k; with a
    # Python number PyTorch takes shortcuts that differ at -0 and -inf (README: parity)
    "**2": lambda x: torch.pow(x, torch.tensor(2.0, dtype=torch.float64)),
    "**-1": lambda x: torch.pow(x, torch.tensor(-1.0, dtype=torch.float64)),
    "leaky_relu": lambda x: F.leaky_relu(x, 0.01),
    "logsumexp": lambda *xs: torch.logsumexp(torch.stack(xs), 0),
    "w·x+b": lambda w0, x0, b: b + w0 * x0,
}

# the operators a Value has beyond the table, composed from it (a - b is a + (-b), a / b is
# a * b**-1): each against PyTorch's own operator
OPERATORS = {
    "neg": (lambda x: -x, 1),
    "-": (lambda a, b: a - b, 2),
    "/": (lambda a, b: a / b, 2),
    "c - x": (lambda x: 2.5 - x, 1),
    "c / x": (lambda x: 2.5 / x, 1),
    "x / c": (lambda x: x / 3.0, 1),
    "c ** x": (lambda x: 2.5**x, 1),
}

# How far apart two correct answers may be, in units in the last place (ulp) of the larger.
# - 0: + * - neg abs relu leaky_relu and x**2 are single IEEE operations (or comparisons), so
#   both libraries round the same exact result once: bit for bit equal. So are their gradients
#   (1, 0, the other operand, the slope, 2x).
# - 4: exp log sqrt sin cos tanh sigmoid softplus and pow come from two libm's (CPython's C
#   library, PyTorch's vectorised kernels), each within an ulp or two of the truth. Their
#   gradients multiply such a value by another (2x·1, x^b·log x), so 4 ulps cover both.
# - for / and c / x: a * (1/b) rounds twice where PyTorch's a / b rounds once: 2 ulps apart.
# - gradients taken from the output, 1 - tanh² and σ(1 - σ): the output is within an ulp of 1
#   where they saturate, so the derivative is exact only to ulp(1) = 2.2e-16 absolute, however
#   small it is (sigmoid'(30) = 9.4e-14): an absolute allowance of 2 ulp(1) on top.
# - logsumexp: m + log(sum e^(xi - m)) with m the largest input: the result is exact to a few
#   ulps of max|xi| (the size of what is added and cancelled), not of itself.
ULPS = {"exp": 4, "log": 4, "sqrt": 4, "sin": 4, "cos": 4, "tanh": 4, "sigmoid": 4, "softplus": 4}
ULPS |= {"**": 4, "**-1": 2, "/": 2, "c / x": 2, "x / c": 2, "c ** x": 4, "logsumexp": 4}
FROM_OUTPUT = {"tanh", "sigmoid"}
# - a local derivative in the subnormal range (below 2^-1022) holds its value only to 2^-1074
#   absolute, and the upstream gradient scales that: every gradient may be off by a few |g|·2^-1074.
# - logsumexp's gradient is the softmax e^(xi - f): an error of an ulp of max|xi| in f (above) is
#   a relative error of that size in each e^(xi - f).

_TINY = 2.0**-1074


def _product_overflows(a: float, b: float) -> bool:
    return math.isfinite(a) and math.isfinite(b) and math.isinf(a * b)


def _product_leaves_the_normal_range(a: float, b: float) -> bool:
    # a·b overflows, or underflows below 2^-1022 (fewer digits, or 0), though neither is 0 or inf
    return a != 0 and b != 0 and math.isfinite(a) and math.isfinite(b) and not (2.0**-1022 <= abs(a * b) < inf)


def _twice_divided_overflows(a: float, b: float) -> bool:
    return math.isfinite(a) and math.isfinite(b) and b != 0 and math.isinf(a / b / b)


# The deliberate differences (README, "parity"), each where it applies: an example inside one of
# these regions is not compared; test_the_documented_differences_are_real shows one of each.
def _reciprocal_leaves_the_normal_range(b: float) -> bool:
    # a / b is a · (1/b), as in micrograd: 1/b overflows for 0 < |b| < 2^-1024 and is subnormal
    # (fewer digits) for |b| > 2^1022, where PyTorch's a / b is still an ordinary number
    return math.isfinite(b) and (0 < abs(b) < 2.0**-1024 or abs(b) > 2.0**1022)


def _square_of_reciprocal_leaves_the_normal_range(x: float) -> bool:
    # PyTorch's 1/x and x**-1 take their slope as -g·(1/x)² or -g·x^-2, which overflows for
    # |x| < 2^-512 and is subnormal for |x| > 2^511; chainrule's is (g·(-1/x))/x, a number there
    return math.isfinite(x) and (0 < abs(x) < 2.0**-512 or abs(x) > 2.0**511)


DIFFERENCES = {
    # the gradient that reaches 1/b is g·a, which can leave the float range where g·a/b² does
    # not; and PyTorch's slope for b, -g·(a/b)/b, can overflow in (a/b)/b before g scales it down
    "/": lambda xs, g: (
        _reciprocal_leaves_the_normal_range(xs[1])
        or _product_leaves_the_normal_range(g, xs[0])
        or _twice_divided_overflows(xs[0], xs[1])
    ),
    "c / x": lambda xs, g: (
        _reciprocal_leaves_the_normal_range(xs[0]) or _square_of_reciprocal_leaves_the_normal_range(xs[0])
    ),
    "**-1": lambda xs, g: _square_of_reciprocal_leaves_the_normal_range(xs[0]),
    # PyTorch's softplus slope is g·e^x / (e^x + 1): g·e^x overflows first for a huge upstream g
    "softplus": lambda xs, g: math.isfinite(xs[0]) and _product_overflows(g, math.exp(min(xs[0], 50.0))),
}


def _ulp_distance_ok(got: float, want: float, ulps: int, floor: float = 0.0) -> bool:
    if math.isnan(got) or math.isnan(want):
        return math.isnan(got) and math.isnan(want)
    if math.isinf(got) or math.isinf(want):
        return got == want
    return abs(got - want) <= ulps * math.ulp(max(abs(got), abs(want))) + floor


def _same_value(got: float, want: float, ulps: int, scale: float) -> bool:
    if got == 0.0 and want == 0.0:
        return math.copysign(1.0, got) == math.copysign(1.0, want)
    return _ulp_distance_ok(got, want, ulps, ulps * math.ulp(scale) if math.isfinite(scale) else 0.0)


def _torch_value_and_grads(f, xs: list[float], g: float = 1.0) -> tuple[float, ...]:
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    out = f(*tensors)
    out.backward(torch.tensor(g, dtype=torch.float64))
    return (out.item(), *[t.grad.item() for t in tensors])


def _ours(f, xs: list[float], g: float = 1.0) -> tuple[float, ...]:
    leaves = [Value(x) for x in xs]
    out = f(*leaves)
    out.backward(g)
    return (out.data, *[v.grad for v in leaves])


def _check(name: str, ours, theirs, xs: list[float], g: float) -> None:
    if name in DIFFERENCES and DIFFERENCES[name](xs, g):
        return  # a documented difference (README)
    got, want = _ours(ours, xs, g), _torch_value_and_grads(theirs, xs, g)
    ulps = ULPS.get(name, 0)
    # logsumexp is exact to the scale of its largest input; the others to the scale of the result
    scale = max(map(abs, xs)) if name == "logsumexp" else 0.0
    assert _same_value(got[0], want[0], ulps, scale), f"{name}{tuple(xs)} = {got[0]!r}, PyTorch {want[0]!r}"
    floor = 4 * abs(g) * _TINY
    if name in FROM_OUTPUT:
        floor += 2 * math.ulp(1.0) * abs(g)
    for i, (mine, theirs_) in enumerate(zip(got[1:], want[1:])):
        if name == "logsumexp" and math.isfinite(scale) and math.isfinite(theirs_):
            floor = 4 * abs(g) * _TINY + min(1.0, 4 * math.ulp(scale)) * abs(theirs_)
        ok = (mine == 0.0 and theirs_ == 0.0) or _ulp_distance_ok(mine, theirs_, ulps, floor)
        assert ok, f"d {name}/d input {i} at {tuple(xs)}, upstream {g!r}: {mine!r}, PyTorch {theirs_!r}"


# every registered primitive (families by their examples, logsumexp and w·x+b at three inputs)
# that PyTorch has a counterpart for; one it has not fails here, so the table cannot grow unseen
TABLE = examples(3)
FUZZED = {name: (op, TORCH[name], op.arity) for name, op in TABLE.items() if name in TORCH}
FUZZED |= {name: (f, f, arity) for name, (f, arity) in OPERATORS.items()}
# more members of the family x ** k than its two examples: 0 (a strong zero slope), roots,
# odd and even powers, negative ones; against torch.pow with a tensor exponent (IEEE pow)
MORE_POWERS = (0.0, 0.5, -0.5, 1.5, 3.0, -2.0, -3.0)
for k in MORE_POWERS:
    exponent = torch.tensor(k, dtype=torch.float64)
    FUZZED[f"**{k}"] = (ops.powers(k), lambda x, exponent=exponent: torch.pow(x, exponent), 1)
    ULPS[f"**{k}"] = 4


def test_every_op_in_the_built_in_table_has_a_pytorch_counterpart_here():
    # the built-in table: the registered entries that engine/ops.py defines (a learner's op that
    # another test file registers, such as test_ops.py's softsign, is checked there, not here)
    built_in = [entry for entry in registered().values() if any(entry is v for v in vars(ops).values())]
    names = {e(c).name for e in built_in if isinstance(e, ops.Family) for c in e.examples}
    names |= {e.name for e in built_in if not isinstance(e, ops.Family)}
    assert len(built_in) >= 15 and sorted(names - set(TORCH)) == []


floats = st.one_of(st.sampled_from(SPECIAL), st.floats(), st.floats(-30.0, 30.0))
upstream = st.one_of(st.just(1.0), st.floats())


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(FUZZED))
def test_every_op_matches_pytorch_at_every_pair_of_special_floats(name):
    # every combination of SPECIAL for one- and two-input ops (625 pairs); for three inputs, the
    # diagonal and each input special with the others at 1.5
    op, theirs, arity = FUZZED[name]
    if arity == 1:
        points = [[x] for x in SPECIAL]
    elif arity == 2:
        points = [[a, b] for a in SPECIAL for b in SPECIAL]
    else:
        points = [[x] * arity for x in SPECIAL]
        points += [[x if j == i else 1.5 for j in range(arity)] for x in SPECIAL for i in range(arity)]
    for xs in points:
        _check(name, op, theirs, xs, 1.0)


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(FUZZED))
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_every_op_matches_pytorch_on_random_floats_and_upstream_gradients(name, data):
    op, theirs, arity = FUZZED[name]
    xs = data.draw(st.lists(floats, min_size=arity, max_size=arity), label="inputs")
    g = data.draw(upstream, label="upstream gradient")
    _check(name, op, theirs, xs, g)


@pytest.mark.torch
def test_the_documented_differences_are_real():
    # one example of each difference the README lists, so the list stays true both ways
    divide = lambda a, b: a / b
    # 0 / 5e-324: a · (1/b) is 0 · inf
    assert math.isnan(_ours(divide, [0.0, 5e-324])[0]) and _torch_value_and_grads(divide, [0.0, 5e-324])[0] == 0.0
    # 1 / 2.2e-308 with upstream 0: PyTorch's (a/b)/b overflows before the 0 arrives
    assert _ours(divide, [1.0, 2.2250738585072014e-308], 0.0)[2] == 0.0
    assert math.isnan(_torch_value_and_grads(divide, [1.0, 2.2250738585072014e-308], 0.0)[2])
    # the gradient that reaches 1/b is g·a: overflows at a = 1e300, g = 1e10, though g·a/b² = 1e10
    assert _ours(divide, [1e300, 1e300], 1e10)[2] == -inf
    assert _torch_value_and_grads(divide, [1e300, 1e300], 1e10)[2] == pytest.approx(-1e-290)
    # 1/x's slope at x = 1e-200 with upstream 1e-300: (g·(-1/x))/x = -1e100; PyTorch squares 1/x first
    assert _ours(lambda x: 1 / x, [1e-200], 1e-300)[1] == pytest.approx(-1e100)
    assert _torch_value_and_grads(lambda x: 1 / x, [1e-200], 1e-300)[1] == -inf
    # softplus'(1) with upstream 1e308: σ(1)·g = 7.3e307; PyTorch's g·e^x overflows first
    assert _ours(lambda x: x.softplus(), [1.0], 1e308)[1] == pytest.approx(7.310585786300049e307)
    assert _torch_value_and_grads(lambda x: F.softplus(x, threshold=50.0), [1.0], 1e308)[1] == inf
    # x ** 0.5 is IEEE pow, as torch.pow with a tensor exponent; with a Python 0.5, PyTorch takes sqrt
    for x, ours, pytorch in [(-0.0, 0.0, -0.0), (-inf, inf, nan)]:
        assert _same_value((Value(x) ** 0.5).data, ours, 0, 0.0)
        assert _same_value((torch.tensor(x, dtype=torch.float64) ** 0.5).item(), pytorch, 0, 0.0)
        exponent = torch.tensor(0.5, dtype=torch.float64)
        assert _same_value(torch.pow(torch.tensor(x, dtype=torch.float64), exponent).item(), ours, 0, 0.0)
    # and 1/(x·x) for a Python -2, which underflows to 0 where x^-2 = 1e-310 is a subnormal
    assert (Value(-1e155) ** -2).data == 1e-310
    assert (torch.tensor(-1e155, dtype=torch.float64) ** -2).item() == 0.0
