"""The rest of a Value's arithmetic: every operator and named function beyond + and *.

Each is one primitive from the table (ops.py) applied to the Value, or a composition of them,
built exactly as micrograd builds it: `-x` is `x * -1`, `a - b` is `a + (-b)`, `a / b` is
`a * b**-1`. So the graph (and its drawing) holds only the table's ops, and backward needs no
rule of its own for subtraction or division. value.py shows how one operator, +, makes its node;
these make theirs the same way (`Value._unary` for a function of one input).
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING

from engine import ops
from engine.checks import real_constant
from engine.modes import _mode

if TYPE_CHECKING:
    from engine.value import Value

__all__ = ["Operators"]


class Operators:
    """The operators and named functions of Value (the class in value.py)."""

    __slots__ = ()

    if TYPE_CHECKING:  # what these methods use of the node, defined in value.py's Value
        data: float

        def __add__(self, other: Value | float) -> Value: ...

        def __mul__(self, other: Value | float) -> Value: ...

        def _unary(self, primitive: ops.Primitive) -> Value: ...

    def __pow__(self, other: Value | float) -> Value:
        """x**k; d/dx = k·x^(k-1), and for a Value exponent d/dk = x^k·log(x)."""
        if isinstance(other, Operators):
            return ops.pow(self, other)
        if isinstance(other, numbers.Real):
            return ops.power(self, other)  # a constant exponent: one parent, op '**k' as in micrograd
        return NotImplemented

    def __rpow__(self, other: float) -> Value:
        """c**x for a number c; d/dx = c^x·log(c)."""
        return ops.pow(other, self) if isinstance(other, numbers.Real) else NotImplemented

    def __neg__(self) -> Value:
        """-x, built as micrograd builds it: x * -1."""
        return self * -1

    def __sub__(self, other: Value | float) -> Value:
        """x - y, built as x + (-y)."""
        if not isinstance(other, (Operators, numbers.Real)):
            return NotImplemented
        return self + (-other)

    def __rsub__(self, other: float) -> Value:
        """c - x, built as c + (-x)."""
        return other + (-self) if isinstance(other, numbers.Real) else NotImplemented

    def __truediv__(self, other: Value | float) -> Value:
        """x / y, built as x * y**-1 (for a number y: x times the float 1/y)."""
        if isinstance(other, Operators):
            return self * other**-1
        if not isinstance(other, numbers.Real):
            return NotImplemented
        reciprocal = ops.power(other, -1)  # a number's reciprocal is a float constant, as in micrograd
        if reciprocal in (math.inf, -math.inf) and _mode.get().anomaly:
            raise FloatingPointError(f"/ produced {reciprocal * self.data!r} from {self.data!r} / {other!r}")
        return self * reciprocal

    def __rtruediv__(self, other: float) -> Value:
        """c / x, built as c * x**-1."""
        return other * self**-1 if isinstance(other, numbers.Real) else NotImplemented

    def __abs__(self) -> Value:
        """abs(x): as x.abs()."""
        return self._unary(ops.abs_)

    # Comparisons and truth look at the data (as `if loss < 0.1:` and `if x:` expect, like a
    # one-element tensor); equality and hash stay identity (as in micrograd), so Values can sit
    # in sets and dicts of visited nodes: `v == 3` is False for v = Value(3.0), `v.data == 3` True.
    def __lt__(self, other: Value | float) -> bool:
        return self.data < _data(other) if _comparable(other) else NotImplemented

    def __le__(self, other: Value | float) -> bool:
        return self.data <= _data(other) if _comparable(other) else NotImplemented

    def __gt__(self, other: Value | float) -> bool:
        return self.data > _data(other) if _comparable(other) else NotImplemented

    def __ge__(self, other: Value | float) -> bool:
        return self.data >= _data(other) if _comparable(other) else NotImplemented

    def __bool__(self) -> bool:
        """False for data 0.0 (and -0.0), True otherwise (nan too), as bool(torch.tensor(x)).

        >>> from engine import Value
        >>> bool(Value(0.0)), bool(Value(-2.5))
        (False, True)
        """
        return self.data != 0.0

    # --- named functions, one primitive each ---------------------------------------------

    def relu(self) -> Value:
        """max(0, x); d/dx = 1 for x > 0, else 0."""
        return self._unary(ops.relu)

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """x for x > 0, else slope·x; d/dx = 1 for x > 0, else slope."""
        return self._unary(ops.leaky_relus(real_constant(slope, "leaky_relu's slope")))

    def tanh(self) -> Value:
        """tanh(x); d/dx = 1 - tanh(x)²."""
        return self._unary(ops.tanh)

    def sigmoid(self) -> Value:
        """1 / (1 + e^-x); d/dx = σ(x)(1 - σ(x))."""
        return self._unary(ops.sigmoid)

    def exp(self) -> Value:
        """e^x; d/dx = e^x."""
        return self._unary(ops.exp)

    def log(self) -> Value:
        """The natural logarithm; d/dx = 1/x."""
        return self._unary(ops.log)

    def sqrt(self) -> Value:
        """√x; d/dx = 1 / (2√x)."""
        return self._unary(ops.sqrt)

    def sin(self) -> Value:
        """sin(x); d/dx = cos(x)."""
        return self._unary(ops.sin)

    def cos(self) -> Value:
        """cos(x); d/dx = -sin(x)."""
        return self._unary(ops.cos)

    def softplus(self) -> Value:
        """log(1 + e^x); d/dx = σ(x)."""
        return self._unary(ops.softplus)

    def abs(self) -> Value:
        """|x|; d/dx = sign(x) (0 at 0)."""
        return self._unary(ops.abs_)


def _data(x: Value | float) -> float:
    return x.data if isinstance(x, Operators) else x


def _comparable(x: object) -> bool:
    # anything else: NotImplemented, and Python says "'<' not supported between 'Value' and 'str'"
    return isinstance(x, (Operators, numbers.Real))
