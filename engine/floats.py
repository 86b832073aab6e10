"""Float arithmetic as IEEE 754 (and PyTorch) does it, for the table of primitives in ops.py.

A learner can skip this file: each function here computes what its name says. They exist because
the gradients are tested against PyTorch bit for bit, over the whole float range, and three things
of Python's floats differ from IEEE 754 and from PyTorch:

- Python's `math` raises where IEEE gives inf or nan (`math.log(0)`, `math.exp(1000)`, `1 / 0`);
  the forwards below return the IEEE result instead, so a graph computes what PyTorch computes.
- The chain rule multiplies, and 0 × inf is nan; where PyTorch's backward selects a 0 (relu below
  0, `x ** 0`) the gradient must stay 0. `strong_zero` is that 0.
- A slope such as 1/x can overflow (or its square underflow) where the gradient times it would
  not; `ratio(u, v)` keeps the slope as a fraction, so g·u/v is computed as (g·u)/v, as PyTorch does.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

__all__ = ["StrongZero", "strong_zero", "Ratio", "ratio"]

_inf, _nan = math.inf, math.nan


# --- a zero that wins: where PyTorch's backward selects 0 instead of multiplying ------------------


class StrongZero(float):
    """A local derivative of 0 that stays 0 whatever gradient it meets: 0 × inf and 0 × nan are 0.

    The chain rule multiplies, and for floats 0 × inf is nan. PyTorch's relu does not multiply
    in backward: where x <= 0 it hands back 0 whatever arrives, so in `relu(x).log()` at x = -1
    the inf from log'(0) stops at the relu and x.grad is 0, not nan. A derivative rule that
    returns `strong_zero` says the same ("strong zero" is ChainRules.jl's name for it).

    >>> strong_zero * math.inf, math.nan * strong_zero, 0.0 * math.inf
    (0.0, 0.0, nan)
    """

    __slots__ = ()

    def __mul__(self, other: Any) -> Any:
        # (a float subclass on the right of `*` is asked first, so `g * strong_zero` lands here
        # too); a gradient that is a Value (grad(..., create_graph=True)) gets a Value 0, a
        # constant leaf: this derivative is 0 and stays 0 when differentiated again
        if type(other) is float or isinstance(other, numbers.Real):
            return 0.0
        return type(other)(0.0)

    __rmul__ = __mul__


strong_zero = StrongZero(0.0)


# --- a slope kept as a fraction, so the gradient goes into its numerator --------------------------


class Ratio(float):
    """A local derivative u/v kept as a fraction, so a gradient g is multiplied into it: (g·u)/v.

    As a float it is u/v; times a gradient it is (g·u)/v, which is what PyTorch computes and
    which stays a number where u/v alone does not. The slope of log at x is 1/x: at x = 5e-324
    that is inf, and inf × an upstream 0 is nan, where g/x is 0. The slope of 1/x is -(1/x)/x:
    for |x| > 1e154 its square underflows to 0, and `a / b` (built as a · b**-1) reaches b**-1
    with a gradient the size of a: (g·a·(-1/b))/b is a/b², a number like any other (PyTorch's
    division computes -g·(a/b)/b). `(x*K) / (x*K)` with K = 8.6e228 then gives d/dx = 0, not 1/x.

    >>> d = ratio(-1e-200, 1e200); float(d), 1e200 * d
    (-0.0, -1e-200)
    """

    __slots__ = ("u", "v")
    u: float
    v: float

    def __mul__(self, other: Any) -> Any:
        # (a float subclass on the right of `*` is asked first, so `g * d` lands here too)
        if type(other) is float:
            return _divide(other * self.u, self.v)
        return float(self) * other

    __rmul__ = __mul__


def _divide(u: float, v: float) -> float:
    # IEEE division: x/±0 is ±inf (signed by both), 0/0 and nan/0 are nan; Python would raise
    if v:
        return u / v
    return _nan if u == 0 or u != u else math.copysign(_inf, u) * math.copysign(1.0, v)


def ratio(u: Any, v: Any) -> Any:
    """u/v, kept as a fraction (`Ratio`) when both are floats; the quotient of Values otherwise."""
    if type(u) is float and type(v) is float:
        fraction = Ratio(_divide(u, v))
        fraction.u, fraction.v = u, v
        return fraction
    return u / v  # Values under create_graph: the graph of u/v


# --- the forwards: IEEE-754 results (inf, nan) where Python's math would raise --------------------
# (PyTorch computes in IEEE floats, so these give its numbers; ops.py's table uses them as forwards)


def _pow(x: float, k: float) -> float:
    try:
        r = x**k
    except ZeroDivisionError:  # 0 ** negative: inf, signed like IEEE pow for odd integers
        odd = float(k).is_integer() and int(k) % 2 == 1
        return math.copysign(_inf, x) if odd else _inf
    except OverflowError:  # too large (or too near 0, for k < 0) to hold: inf, signed for odd k
        if x < 0 and not float(k).is_integer():
            return _nan  # negative ** fractional has no real value, however large
        odd = float(k).is_integer() and int(k) % 2 == 1
        return -_inf if (x < 0 and odd) else _inf
    return _nan if type(r) is complex else r  # negative ** fractional has no real value


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:  # e^x beyond the largest float: inf, as torch.exp gives
        return _inf


def _log(x: float) -> float:
    if x > 0:
        return math.log(x)
    return -_inf if x == 0 else _nan  # log 0 = -inf, log of a negative = nan, as torch.log gives


def _sqrt(x: float) -> float:
    return math.sqrt(x) if x >= 0 else _nan  # sqrt(-1) = nan, as torch.sqrt gives


def _trig(f: Callable[[float], float]) -> Callable[[float], float]:
    # sin and cos of ±inf are nan in IEEE (and torch); math.sin raises
    def safe(x: float) -> float:
        return f(x) if math.isfinite(x) else _nan

    return safe


def _sigmoid(x: float) -> float:
    # never exponentiate a large positive number (math.exp(710) raises): exp(-|x|) is at most 1
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _softplus(x: float) -> float:
    # log(1 + e^x) = max(x, 0) + log(1 + e^-|x|), finite for any finite x
    if x != x:
        return x
    return (x if x > 0 else 0.0) + math.log1p(math.exp(-abs(x)))


def _relu(x: float) -> float:
    return 0.0 if x < 0.0 else x  # nan stays nan and -0.0 stays -0.0, as in PyTorch


def _sign(x: float) -> float:
    return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)  # 0 at 0 and at nan: abs' there is 0 in PyTorch
