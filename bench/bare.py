"""The ceiling for micrograd's exact graph in pure Python: a Value class that does nothing else.

`BareValue` records `+`, `*` and relu into the same graph micrograd builds (one object per
node, operands in two slots, no closures) and its backward walks it with chainrule's own
`topological_order` (which reads a node's operands through `parents` and knows a leaf by its
`_primitive` being None, so those are spelled as in chainrule's Value), but with every rule
written in place and nothing a library needs: no checks, no modes (no_grad, scopes, anomaly),
no hooks, no other ops, no higher derivatives. Whatever this class reaches on micrograd's demo
is as fast as any pure-Python Value class can run that graph on the machine at hand;
bench/run.py times it beside chainrule.
"""

from __future__ import annotations

from engine import topological_order

_new = object.__new__
_ADD, _MUL, _RELU = 1, 2, 3


class BareValue:
    # as in chainrule's Value: two operands in `_a` and `_b`, one operand as a tuple in `_a`;
    # `_primitive` is the op's code here (None for a leaf), not a row of the table of primitives
    __slots__ = ("data", "grad", "_primitive", "_a", "_b")

    def __init__(self, data: float) -> None:
        self.data = float(data)
        self.grad = 0.0
        self._primitive = None
        self._a, self._b = (), None

    @property
    def parents(self) -> tuple[BareValue, ...]:
        return self._a if self._b is None else (self._a, self._b)

    def __add__(self, other: BareValue | float) -> BareValue:
        if type(other) is not BareValue:
            other = BareValue(other)
        out = _new(BareValue)
        out.data = self.data + other.data
        out.grad = 0.0
        out._primitive = _ADD
        out._a = self
        out._b = other
        return out

    __radd__ = __add__

    def __mul__(self, other: BareValue | float) -> BareValue:
        if type(other) is not BareValue:
            other = BareValue(other)
        out = _new(BareValue)
        out.data = self.data * other.data
        out.grad = 0.0
        out._primitive = _MUL
        out._a = self
        out._b = other
        return out

    __rmul__ = __mul__

    def __neg__(self) -> BareValue:
        return self * -1

    def relu(self) -> BareValue:
        out = _new(BareValue)
        out.data = self.data if self.data > 0 else 0.0
        out.grad = 0.0
        out._primitive = _RELU
        out._a = (self,)
        out._b = None
        return out

    def backward(self) -> None:
        order = topological_order(self)  # chainrule's walk
        for v in order:
            if v._primitive is not None:
                v.grad = 0.0
        self.grad = 1.0
        for v in reversed(order):  # the chain rule, each rule written in place
            op, g, a = v._primitive, v.grad, v._a
            if op == _ADD:
                a.grad += g
                v._b.grad += g
            elif op == _MUL:
                b = v._b
                a.grad += b.data * g
                b.grad += a.data * g
            elif op == _RELU and v.data > 0:  # relu's output is positive exactly where its input is
                a[0].grad += g
