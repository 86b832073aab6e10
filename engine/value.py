"""The graph node and its walk: a Value remembers how it was made, backward() undoes it.

Every arithmetic operation on Values creates a new Value that records the operation (its
primitive) and its operands (its parents). That record is the computation graph. To get
d output / d node for every node, `backward()` visits the graph in reverse topological order
(every node after all the nodes that use it) and at each node applies the chain rule:

    d out / d parent += d out / d node  *  d node / d parent
    (the gradient so far) (the local derivative, from the primitive's table entry)

One node is one slotted object with no closures, so nothing points back at it but its
children: a graph is freed the moment its last reference goes, without waiting for the
cyclic garbage collector.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable

from engine.modes import Meta, _complain_if_not_finite, _mode, _modes_in_use, _note_creation

__all__ = ["Value", "topological_order"]

_MANY = Ellipsis  # in `_b`: the node has more than two parents, all held as a tuple in `_a`
_new = object.__new__


class Value:
    """A scalar that records the operations applied to it, for reverse-mode autodiff.

    >>> a, b = Value(2.0, label='a'), Value(-3.0, label='b')
    >>> c = a * b + a
    >>> c.backward()
    >>> a.grad, b.grad
    (-2.0, 2.0)
    """

    # operands live in two slots rather than a tuple: a binary node then costs no extra object
    __slots__ = ("data", "grad", "_primitive", "_a", "_b", "_meta")

    def __init__(self, data: float, label: str = "") -> None:
        if type(data) is not float:
            data = _real(data)
        self.data = data
        self.grad = 0.0
        self._primitive = self._a = self._b = None
        meta = _mode.get().meta if _modes_in_use else None
        if label:
            if not isinstance(label, str):
                raise TypeError(f"Value label must be a str, got {type(label).__name__}")
            meta = meta.replace(label=label) if meta is not None else Meta(label=label)
        self._meta = meta

    # --- what the node records -------------------------------------------------------------

    @property
    def parents(self) -> tuple[Value, ...]:
        """The operands this Value was computed from, in operand order (empty for a leaf)."""
        a = self._a
        if a is None:
            return ()
        b = self._b
        if b is None:
            return (a,)
        if b is _MANY:
            return a
        return (a, b)

    @property
    def op(self) -> str:
        """The short name of the operation that made this Value ('' for a leaf)."""
        return self._primitive.name if self._primitive is not None else ""

    @property
    def _prev(self) -> tuple[Value, ...]:
        # micrograd's name: its `_prev` is a set, so repeated operands appear once
        return tuple(dict.fromkeys(self.parents))

    @property
    def _op(self) -> str:
        return self.op

    @property
    def label(self) -> str:
        return self._meta.label if self._meta is not None else ""

    @label.setter
    def label(self, label: str) -> None:
        if not isinstance(label, str):
            raise TypeError(f"Value label must be a str, got {type(label).__name__}")
        meta = self._meta
        self._meta = meta.replace(label=label) if meta is not None else Meta(label=label)

    @property
    def scope(self) -> str:
        """The dotted module path this Value was created in ('' outside any scope)."""
        return self._meta.scope if self._meta is not None else ""

    def is_leaf(self) -> bool:
        """True for Values made by the user (or under no_grad), not by an operation."""
        return self._primitive is None

    # --- gradients --------------------------------------------------------------------------

    def _backward(self) -> None:
        """This node's local chain-rule step: each parent's grad += local derivative × self.grad."""
        primitive = self._primitive
        if primitive is None:
            return
        g = self.grad
        a, b = self._a, self._b
        if b is None:
            a.grad += primitive.derivative(self.data, a.data) * g
        elif b is _MANY:
            local = primitive.derivative(self.data, *[p.data for p in a])
            for parent, d in zip(a, local):
                parent.grad += d * g
        else:
            da, db = primitive.derivative(self.data, a.data, b.data)
            a.grad += da * g
            b.grad += db * g

    def backward(self, gradient: float = 1.0) -> None:
        """Fill `.grad` of every node reachable from this one with d self / d node.

        Leaves accumulate across calls (as in PyTorch); interior nodes hold this call's value.

        >>> x = Value(3.0)
        >>> y = x * x
        >>> y.backward(); x.grad
        6.0
        >>> y.backward(); x.grad
        12.0
        """
        gradient = _real(gradient)
        order = topological_order(self)
        hooked = []
        for v in order:
            if v._primitive is not None:
                v.grad = 0.0  # an interior node holds this backward's gradient, not a sum of them
            meta = v._meta
            if meta is not None and meta.hooks:
                hooked.append(v)
        if hooked or _mode.get().anomaly:
            self._backward_with_checks(order, hooked, gradient)
            return
        self.grad += gradient
        # Value._backward for every node, written out here: a method call per node would cost
        # a fifth of the whole backward pass.
        for v in reversed(order):
            primitive = v._primitive
            if primitive is None:
                continue
            g = v.grad
            a, b = v._a, v._b
            # the chain rule: d root/d parent += d root/d v * d v/d parent
            if b is None:
                a.grad += primitive.derivative(v.data, a.data) * g
            elif b is _MANY:
                local = primitive.derivative(v.data, *[p.data for p in a])
                for parent, d in zip(a, local):
                    parent.grad += d * g
            else:
                da, db = primitive.derivative(v.data, a.data, b.data)
                a.grad += da * g
                b.grad += db * g

    def _backward_with_checks(self, order: list[Value], hooked: list[Value], gradient: float) -> None:
        # The slow walk, for hooks and anomaly mode. A hook sees the node's complete gradient of
        # *this* backward: for a leaf, what arrives now, before it is added to earlier calls' sum.
        earlier = {v: v.grad for v in hooked if v._primitive is None}
        for v in earlier:
            v.grad = 0.0
        hooked = set(hooked)
        self.grad += gradient
        anomaly = _mode.get().anomaly
        heard = set()  # hooked leaves whose hooks have all run: their gradient of this call is final
        try:
            for v in reversed(order):
                if v in hooked:
                    for hook in v._meta.hooks:
                        replaced = hook(v.grad)
                        if replaced is not None:
                            v.grad = _real(replaced)
                    heard.add(v)
                if v._primitive is not None:
                    if anomaly:  # look before the step: would it hand a parent a nan/inf?
                        contributions = [d * v.grad for d in _autodiff.local_derivatives(v)]
                        _complain_if_not_finite(v, v.grad, contributions)
                    v._backward()
        finally:
            # a leaf adds this call's gradient to what it held; if a hook or a check raised
            # before its hooks ran, it keeps what it held (as in PyTorch, where a leaf's
            # gradient is added only after its hooks)
            for v, grad in earlier.items():
                v.grad = v.grad + grad if v in heard else grad

    def register_hook(self, hook: Callable[[float], float | None]) -> Callable[[], None]:
        """Call `hook(grad)` when backward has this node's complete gradient.

        A returned number replaces the gradient before it flows on. Returns a function that
        removes the hook.

        >>> x = Value(2.0); y = x * 3
        >>> remove = y.register_hook(lambda g: g * 10)
        >>> y.backward(); x.grad
        30.0
        """
        if not callable(hook):
            raise TypeError(f"register_hook needs a callable, got {type(hook).__name__}")
        meta = self._meta if self._meta is not None else Meta()
        self._meta = meta.replace(hooks=meta.hooks + (hook,))

        def remove() -> None:
            hooks = list(self._meta.hooks)
            if hook in hooks:
                hooks.remove(hook)
                self._meta = self._meta.replace(hooks=tuple(hooks))

        return remove

    def zero_grad(self) -> None:
        self.grad = 0.0

    def detach(self) -> Value:
        """A new leaf with the same data, cut off from the graph."""
        return Value(self.data)

    def item(self) -> float:
        return self.data

    def __float__(self) -> float:
        return self.data

    def __repr__(self) -> str:
        label = self.label
        extra = f", label={label!r}" if label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{extra})"

    # --- arithmetic: each operator is a primitive or a composition of them ------------------

    # `+` and `*` build their node right here (no further call): they are most of every graph
    def __add__(self, other: Value | float) -> Value:
        if type(other) is not Value:
            other = _lift(other)
            if other is NotImplemented:
                return NotImplemented
        out = _new(Value)
        out.data = self.data + other.data  # the table's forward for '+', written in place
        out.grad = 0.0
        if _modes_in_use:
            return _attach(out, _add, self, other)
        out._primitive = _add
        out._a = self
        out._b = other
        out._meta = None
        return out

    def __radd__(self, other: float) -> Value:
        other = _lift(other)
        return NotImplemented if other is NotImplemented else other.__add__(self)

    def __mul__(self, other: Value | float) -> Value:
        if type(other) is not Value:
            other = _lift(other)
            if other is NotImplemented:
                return NotImplemented
        out = _new(Value)
        out.data = self.data * other.data  # the table's forward for '*', written in place
        out.grad = 0.0
        if _modes_in_use:
            return _attach(out, _mul, self, other)
        out._primitive = _mul
        out._a = self
        out._b = other
        out._meta = None
        return out

    def __rmul__(self, other: float) -> Value:
        other = _lift(other)
        return NotImplemented if other is NotImplemented else other.__mul__(self)

    def __pow__(self, other: Value | float) -> Value:
        if type(other) is Value:
            return pow(self, other)
        if isinstance(other, numbers.Real):
            return power(self, other)  # a constant exponent: one parent, op '**k' as in micrograd
        return NotImplemented

    def __rpow__(self, other: float) -> Value:
        other = _lift(other)
        return NotImplemented if other is NotImplemented else pow(other, self)

    # negation, subtraction and division are compositions, exactly as micrograd builds them
    def __neg__(self) -> Value:
        return self * -1

    def __sub__(self, other: Value | float) -> Value:
        if type(other) is not Value and not isinstance(other, numbers.Real):
            return NotImplemented
        return self + (-other)

    def __rsub__(self, other: float) -> Value:
        if not isinstance(other, numbers.Real):
            return NotImplemented
        return other + (-self)

    def __truediv__(self, other: Value | float) -> Value:
        if type(other) is Value:
            return self * other**-1
        if not isinstance(other, numbers.Real):
            return NotImplemented
        reciprocal = power(other, -1)  # a number's reciprocal is a float constant, as in micrograd
        if reciprocal in (math.inf, -math.inf) and _mode.get().anomaly:
            raise FloatingPointError(f"/ produced {reciprocal * self.data!r} from {self.data!r} / {other!r}")
        return self * reciprocal

    def __rtruediv__(self, other: float) -> Value:
        if not isinstance(other, numbers.Real):
            return NotImplemented
        return other * self**-1

    def __abs__(self) -> Value:
        return abs_(self)

    # comparisons look at the data (as `if loss < 0.1:` expects); equality stays identity,
    # so Values can sit in sets and dicts of visited nodes
    def __lt__(self, other: Value | float) -> bool:
        return self.data < _data(other)

    def __le__(self, other: Value | float) -> bool:
        return self.data <= _data(other)

    def __gt__(self, other: Value | float) -> bool:
        return self.data > _data(other)

    def __ge__(self, other: Value | float) -> bool:
        return self.data >= _data(other)

    # --- named functions ----------------------------------------------------------------

    def relu(self) -> Value:
        return relu(self)

    def leaky_relu(self, slope: float = 0.01) -> Value:
        return leaky_relu(self, slope)

    def tanh(self) -> Value:
        return tanh(self)

    def sigmoid(self) -> Value:
        return sigmoid(self)

    def exp(self) -> Value:
        return exp(self)

    def log(self) -> Value:
        return log(self)

    def sqrt(self) -> Value:
        return sqrt(self)

    def sin(self) -> Value:
        return sin(self)

    def cos(self) -> Value:
        return cos(self)

    def softplus(self) -> Value:
        return softplus(self)

    def abs(self) -> Value:
        return abs_(self)


def _real(x: object) -> float:
    """`x` as a float, or a TypeError saying what was given and what is accepted."""
    if isinstance(x, numbers.Real) and not isinstance(x, Value):
        return float(x)
    kind = type(x).__name__
    if type(x).__module__ == "numpy":
        if kind in ("bool", "bool_"):  # numpy's bool is not a numbers.Real, but it is a real number
            return float(x)
        kind = f"numpy.{kind}"
    hint = " (use its .data, or .detach() for a new leaf)" if isinstance(x, Value) else ""
    raise TypeError(f"Value data must be a real number (int, float, bool, Fraction or numpy scalar), got {kind}{hint}")


def _node(primitive: object, data: float, a: Value | tuple[Value, ...], b: Value | None) -> Value:
    """A new node holding `data`, and (as this thread's mode says) how it was made.

    `b` is the second operand, None for a one-operand op, or _MANY when `a` holds all operands.
    (`+` and `*` write this out in place: they are most of every graph.)
    """
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    if _modes_in_use:
        return _attach(out, primitive, a, b)
    out._primitive = primitive
    out._a = a
    out._b = b
    out._meta = None
    return out


def _attach(out: Value, primitive: object, a: Value, b: Value | None) -> Value:
    """Record how `out` was made, as this thread's mode says (no_grad, anomaly, scope)."""
    grad_enabled, anomaly, meta, _ = _mode.get()
    if grad_enabled:
        out._primitive = primitive
        out._a = a
        out._b = b
    else:
        out._primitive = out._a = out._b = None
    out._meta = meta
    if anomaly:
        _note_creation(out, primitive, a if b is _MANY else (a,) if b is None else (a, b))
    return out


def _lift(x: object) -> Value:
    """A number as a new leaf Value; NotImplemented for anything else (Python then raises)."""
    if type(x) is float or type(x) is int or isinstance(x, numbers.Real):
        return Value(x)
    return NotImplemented


def _data(x: Value | float) -> float:
    return x.data if type(x) is Value else x


def topological_order(root: Value) -> list[Value]:
    """Every node reachable from `root`, each after all of its parents (root last).

    The one graph walk: backward, grad, drawing and compiling all use it. It is iterative, so a
    chain a million nodes deep needs no recursion, and it visits parents in a fixed order, so the
    order is the same every run.

    >>> a = Value(1.0); b = a + a; c = b * b
    >>> [v.op for v in topological_order(c)]
    ['', '+', '*']
    """
    order: list[Value] = []
    seen: set[Value] = set()
    stack: list[Value | None] = [root]
    push, pop, visit, finish = stack.append, stack.pop, seen.add, order.append
    while stack:
        v = pop()
        if v is None:  # the marker below a node's parents: they are all finished, so is it
            finish(pop())
            continue
        if v in seen:
            continue  # pushed twice by two consumers; the first copy was walked already
        visit(v)
        a = v._a
        if a is None:
            finish(v)  # a leaf has no parents to wait for
            continue
        b = v._b
        # Leaf parents are finished at once, in operand order. If no other parent is waiting
        # (a parent seen before is finished: in a graph without cycles it cannot be half-way
        # through its own walk), v is finished too; otherwise v waits below a marker while its
        # waiting parents are walked, the first operand's subgraph first.
        if b is _MANY:
            if seen.issuperset(a):  # the usual case for a neuron's node: its weights and inputs
                finish(v)  # were reached through another sample or a neighbouring neuron
                continue
            waiting = []
            for p in a:
                if p not in seen:
                    if p._a is None:
                        visit(p)
                        finish(p)
                    else:
                        waiting.append(p)
            if waiting:
                push(v)
                push(None)
                stack.extend(reversed(waiting))
            else:
                finish(v)
            continue
        a_waits = a not in seen
        if a_waits and a._a is None:
            visit(a)
            finish(a)
            a_waits = False
        b_waits = False
        if b is not None and b not in seen:
            if b._a is None:
                visit(b)
                finish(b)
            else:
                b_waits = True
        if a_waits or b_waits:
            push(v)
            push(None)
            if b_waits:
                push(b)
            if a_waits:
                push(a)
        else:
            finish(v)
    return order


def _check_iterable_of_values(values: Iterable[object], what: str) -> list[Value]:
    values = list(values)
    for i, v in enumerate(values):
        if not isinstance(v, Value):
            raise TypeError(f"{what}[{i}] must be a Value, got {type(v).__name__}")
    return values


# The primitives are defined in the table (ops.py), which itself builds Values; so do the
# autodiff tools, whose local derivatives anomaly mode checks.
from engine import autodiff as _autodiff  # noqa: E402  (a module: it may be half-imported here)
from engine.ops import _add, _mul, abs_, cos, exp, leaky_relu, log, pow, power, relu, sigmoid, sin, softplus, sqrt, tanh  # noqa: E402,E501
