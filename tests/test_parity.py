"""nan/inf cases where chainrule must give what PyTorch float64 gives (issue 14, "Numbers").

PyTorch is the oracle: each case is computed by torch at run time, never written down here.
"""

import math

import pytest

from engine import ops
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
