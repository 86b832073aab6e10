"""nan/inf cases where chainrule must give what PyTorch float64 gives (issue 14, "Numbers").

PyTorch is the oracle: each case is computed by torch at run time, never written down here.
"""

import math

import pytest

from engine import grad, ops
from engine.value import Value

torch = pytest.importorskip("torch", reason="PyTorch float64 is the oracle for these tests")


def _same(a: float, b: float) -> bool:
    # equal, or both nan
    return a == b or (math.isnan(a) and math.isnan(b))


def _torch_grad(f, x: float) -> tuple[float, float]:
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out = f(t)
    out.backward()
    return out.item(), t.grad.item()


def _ours_grad(f, x: float) -> tuple[float, float]:
    v = Value(x)
    out = f(v)
    out.backward()
    return out.data, v.grad


@pytest.mark.parametrize(
    ("name", "ours", "theirs", "x"),
    [
        ("relu.log at -1", lambda v: v.relu().log(), lambda t: t.relu().log(), -1.0),
        ("sqrt(relu) at -1", lambda v: ops.sqrt(v.relu()), lambda t: t.relu().sqrt(), -1.0),
        ("relu at nan", lambda v: v.relu(), lambda t: t.relu(), math.nan),
        ("pow(nan, 0)", lambda v: v**0, lambda t: t**0, math.nan),
    ],
)
def test_gradient_through_a_kink_or_a_zero_power_matches_pytorch(name, ours, theirs, x):
    got, want = _ours_grad(ours, x), _torch_grad(theirs, x)
    assert _same(got[0], want[0]) and _same(got[1], want[1]), (name, got, want)


@pytest.mark.parametrize(("base", "k"), [(-10.0, 400.5), (-1e-308, -1.5)])
def test_overflowing_negative_base_to_a_fractional_power_is_nan_as_in_pytorch(base, k):
    want = (torch.tensor(base, dtype=torch.float64) ** k).item()
    assert math.isnan(want)
    assert math.isnan((Value(base) ** k).data)


@pytest.mark.parametrize("args", [(math.inf, math.nan), (math.nan, math.inf), (1.0, math.nan)])
def test_logsumexp_with_a_nan_is_nan_whatever_the_order(args):
    want = torch.logsumexp(torch.tensor(args, dtype=torch.float64), 0).item()
    assert math.isnan(want)
    assert math.isnan(ops.logsumexp(*args))


def _torch_grads(f, *xs: float) -> tuple[float, ...]:
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    out = f(*ts)
    out.backward()
    return (out.item(), *[t.grad.item() for t in ts])


def _ours_grads(f, *xs: float) -> tuple[float, ...]:
    vs = [Value(x) for x in xs]
    out = f(*vs)
    out.backward()
    return (out.data, *[v.grad for v in vs])


@pytest.mark.parametrize("K", [1e154, 1e200, 8.6e228, 1e300])
def test_a_quotient_of_huge_equal_numbers_has_gradient_zero_as_in_pytorch(K):
    # d/dx (xK)/(xK) = 0 exactly; built as a * b**-1, the slope of b**-1, -1/b², underflows to 0
    # for |b| > 1e154, which used to leave only the a-path's share 1/x
    quotient = lambda x: (x * K) / (x * K)
    got, want = _ours_grads(quotient, 3.0), _torch_grads(quotient, 3.0)
    assert want == (1.0, 0.0)
    assert got == want


@pytest.mark.parametrize(
    ("a", "b"),
    [(1.0, 1e155), (-3e200, 7e250), (2.5e300, -1.5e300), (1e-300, 3e-10), (-4e100, 2e200), (1.7e308, -1e307)],
)
def test_division_with_huge_or_tiny_operands_matches_pytorch_to_rounding(a, b):
    # a / b is a * (1/b): one more rounding than PyTorch's a / b, so 2 ulps apart at most while
    # 1/b is a normal float (|b| between 2^-1024 and 2^1022)
    got, want = _ours_grads(lambda x, y: x / y, a, b), _torch_grads(lambda x, y: x / y, a, b)
    assert want[2] != 0.0  # -a/b² is representable: the case the two factors are kept for
    assert got == pytest.approx(want, rel=5e-16, abs=0.0)


def test_the_reciprocal_slope_still_builds_a_graph_under_create_graph():
    # d/dx (1/x) = -1/x², and d²/dx² (1/x) = 2/x³: at x = 2, -0.25 and 0.25
    x = Value(2.0)
    (first,) = grad(x**-1, [x], create_graph=True)
    assert isinstance(first, Value) and first.data == -0.25
    assert grad(first, [x]) == [0.25]


def test_log_at_the_smallest_float_with_no_upstream_gradient_gives_zero_as_in_pytorch():
    # log'(5e-324) = 1/5e-324 overflows to inf, and inf · 0 is nan; PyTorch divides, 0 / 5e-324 = 0
    got = Value(5e-324)
    got.log().backward(0.0)
    want = torch.tensor(5e-324, dtype=torch.float64, requires_grad=True)
    want.log().backward(torch.tensor(0.0, dtype=torch.float64))
    assert got.grad == want.grad.item() == 0.0


def test_relu_keeps_the_sign_of_a_negative_zero_as_pytorch_does():
    want = torch.relu(torch.tensor(-0.0, dtype=torch.float64)).item()
    assert math.copysign(1.0, want) == -1.0
    assert math.copysign(1.0, Value(-0.0).relu().data) == -1.0


def _bits_equal(a: float, b: float) -> bool:
    # equal with the sign of a zero, or both nan
    return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1.0, a) == math.copysign(1.0, b))


@pytest.mark.parametrize("slope", [0.01, 0.0, 0.2, 1.0, 2.0, -0.5])
@pytest.mark.parametrize("x", [0.0, -0.0, 1.0, -1.0, 5e-324, -5e-324, math.inf, -math.inf, math.nan])
def test_leaky_relu_and_abs_at_zero_infinities_and_nan_match_pytorch(slope, x):
    F = torch.nn.functional
    got, want = _ours_grads(lambda v: v.leaky_relu(slope), x), _torch_grads(lambda t: F.leaky_relu(t, slope), x)
    assert _bits_equal(got[0], want[0]) and _same(got[1], want[1]), (got, want)
    got, want = _ours_grads(abs, x), _torch_grads(torch.abs, x)
    assert _bits_equal(got[0], want[0]) and _same(got[1], want[1]), (got, want)
