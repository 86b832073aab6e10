"""The graph node and its walk: a Value remembers how it was made, backward() undoes it.

Every arithmetic operation on Values creates a new Value that records the operation (its
primitive, from the table in ops.py) and its operands (its parents). That record is the
computation graph. To get d output / d node for every node, `backward()` visits the graph in
reverse topological order (every node after all the nodes that use it) and at each node applies
the chain rule:

    d out / d parent += d out / d node  *  d node / d parent
    (the gradient so far) (the local derivative, from the primitive's table entry)

One node is one slotted object with no closures, so nothing points back at it but its
children: a graph is freed the moment its last reference goes, without waiting for the
cyclic garbage collector.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable
from typing import Any

from engine import hooks, ops
from engine.attributes import Attributes
from engine.checks import real_number
from engine.compat import MicrogradNames, made_by_hand
from engine.modes import Meta, _mode, _note_creation, _open_blocks
from engine.operators import Operators

__all__ = ["Value", "topological_order"]


class Value(Operators, Attributes, MicrogradNames):
    """A scalar that records the operations applied to it, for reverse-mode autodiff.

    >>> a, b = Value(2.0, label='a'), Value(-3.0, label='b')
    >>> c = a * b + a
    >>> c.backward()
    >>> a.grad, b.grad
    (-2.0, 2.0)

    Here are the node, + and *, and backward with its walk; the other operators and named
    functions (operators.py), the label, `item()`, `requires_grad` and the repr (attributes.py),
    and micrograd's names `_prev`, `_op`, `_backward` (compat.py) are mixed in.
    """

    # The operands: a tuple of them in `_a`, except for an op of two operands (most of every
    # graph), which keeps them in `_a` and `_b`, one each. Two slots cost 16 bytes where a pair
    # costs 56: a node of bench/run.py's chain takes 184 bytes, not 224 (the floor is 200).
    # Everything reads the operands through `parents`.
    __slots__ = ("data", "grad", "_primitive", "_a", "_b", "_meta")
    data: float
    grad: float
    _primitive: ops.Primitive | ops.UserOp | None  # None for a leaf
    _a: Any  # a Value when `_b` holds the other operand, else a tuple of Values: the code tells
    # them apart by `_b`, which a type checker cannot follow
    _b: Value | None
    _meta: Meta | None  # label, scope, hooks... (modes.py); None for most nodes

    def __init__(
        self, data: float | numbers.Real, _children: Iterable[Value] = (), _op: str = "", label: str = ""
    ) -> None:
        # micrograd's signature: Value(data) is a leaf; Value(t, (a, b), 'op') an op node made
        # by hand, whose step of backward the learner then assigns to `_backward`
        self.data = data if type(data) is float else real_number(data)
        self.grad = 0.0
        self._primitive = None  # a leaf: made by the user, not by an operation
        self._a, self._b = (), None
        self._meta = _mode.get().meta if _open_blocks else None
        if label:
            self.label = label  # (checked there: attributes.py)
        if _children or _op:
            made_by_hand(self, _children, _op)

    # --- what the node records -------------------------------------------------------------

    @property
    def parents(self) -> tuple[Value, ...]:
        """The operands this Value was computed from, in operand order (empty for a leaf)."""
        return self._a if self._b is None else (self._a, self._b)

    @property
    def op(self) -> str:
        """The short name of the operation that made this Value ('' for a leaf)."""
        return self._primitive.name if self._primitive is not None else ""

    # --- gradients --------------------------------------------------------------------------

    def _chain_rule_step(self) -> None:
        _chain_rule_steps((self,))

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
        if type(gradient) is not float:
            gradient = _gradient(gradient)
        order = topological_order(self)
        special = []  # nodes with hooks, or with a closure written micrograd's way
        frozen = []  # leaves with requires_grad=False, and the grad each keeps
        for v in order:
            if v._primitive is not None:
                v.grad = 0.0  # an interior node holds this backward's gradient, not a sum of them
            meta = v._meta
            if meta is not None:
                if meta.hooks or meta.closure is not None:
                    special.append(v)
                if meta.frozen:
                    frozen.append((v, v.grad))
        if special or _mode.get().anomaly:  # the slower walk that runs hooks, closures and checks
            hooks.backward_with_checks(self, order, special, gradient)
        else:
            self.grad += gradient
            _chain_rule_steps(reversed(order))  # each node after every node that uses it
        for v, grad in frozen:
            v.grad = grad  # the gradient reached it, but a frozen leaf does not take it

    def register_hook(self, hook: Callable[[float], float | None]) -> Callable[[], None]:
        """Call `hook(grad)` when backward has this node's complete gradient (see hooks.py).

        A returned number replaces the gradient before it flows on. Returns a function that
        removes the hook.

        >>> x = Value(2.0); y = x * 3
        >>> remove = y.register_hook(lambda g: g * 10)
        >>> y.backward(); x.grad
        30.0
        """
        return hooks.register_hook(self, hook)

    def detach(self) -> Value:
        """A new leaf with the same data, cut off from the graph."""
        return Value(self.data)

    # --- arithmetic: each operator is a primitive or a composition of them ------------------

    @staticmethod
    def _apply(primitive: ops.Primitive, inputs: Iterable[Value | float]) -> Value:
        """`primitive` applied to `inputs` (Values or numbers): the node. ops.Primitive calls this."""
        parents = [x if type(x) is Value else _lift(x, primitive.name) for x in inputs]
        data = primitive.forward(*[p.data for p in parents])
        if len(parents) == 2:
            return _node(primitive, data, parents[0], parents[1])
        return _node(primitive, data, tuple(parents))

    def __add__(self, other: Value | float) -> Value:
        """x + y; d/dx = d/dy = 1."""
        if type(other) is not Value:
            other = _lift(other)
            if other is NotImplemented:
                return NotImplemented
        if _open_blocks:
            return _node(ops.add, self.data + other.data, self, other)
        # Outside every mode block, the node is built right here, as _node would build it: + and
        # * are most of every graph, and the call would cost a sixteenth of a step (callgrind).
        out = object.__new__(Value)
        out.data = self.data + other.data  # the table's forward, written out
        out.grad = 0.0
        out._primitive = ops.add
        out._a = self
        out._b = other
        out._meta = None
        return out

    def __radd__(self, other: float) -> Value:
        """c + x for a number c."""
        lifted = _lift(other)
        return NotImplemented if lifted is NotImplemented else lifted.__add__(self)

    def __mul__(self, other: Value | float) -> Value:
        """x * y; d/dx = y, d/dy = x."""
        if type(other) is not Value:
            other = _lift(other)
            if other is NotImplemented:
                return NotImplemented
        if _open_blocks:
            return _node(ops.mul, self.data * other.data, self, other)
        # (built here, as + builds its node)
        out = object.__new__(Value)
        out.data = self.data * other.data  # the table's forward, written out
        out.grad = 0.0
        out._primitive = ops.mul
        out._a = self
        out._b = other
        out._meta = None
        return out

    def __rmul__(self, other: float) -> Value:
        """c * x for a number c."""
        lifted = _lift(other)
        return NotImplemented if lifted is NotImplemented else lifted.__mul__(self)

    def _unary(self, primitive: ops.Primitive) -> Value:
        """A one-input primitive applied to this Value (x.tanh(), x.relu(), ... in operators.py)."""
        return _node(primitive, primitive.forward(self.data), (self,))


def _node(primitive: ops.Primitive, data: float, a: Value | tuple[Value, ...], b: Value | None = None) -> Value:
    """A new node holding `data`, made by `primitive`: every node is made here (+ and * write
    out the first lines in place, outside mode blocks).

    The operands go as they are kept (see Value's slots): `a` and `b` for an op of two, a tuple
    of them in `a` for any other. What the node records depends on the mode (modes.py): under
    no_grad it is a leaf; in a scope it carries the scope's name; under detect_anomaly it also
    remembers the line that made it.
    """
    out = object.__new__(Value)  # not Value(data): __init__'s checks are for what a user passes
    out.data = data
    out.grad = 0.0
    out._primitive = primitive
    out._a = a
    out._b = b
    out._meta = None
    if _open_blocks:  # inside a mode block, in some thread (most nodes are not: they are done)
        mode = _mode.get()
        out._meta = mode.meta
        if not mode.grad:
            out._primitive, out._a, out._b = None, (), None
        if mode.anomaly:
            _note_creation(out, primitive, a if isinstance(a, tuple) else (a, b))
    return out


def _chain_rule_steps(nodes: Iterable[Value]) -> None:
    """The chain rule at each node in turn: every parent's grad += d node / d parent × node.grad.

    The one step of backward, over many nodes in one call (a call per node would cost a twentieth
    of a step through micrograd's graph). ops.chain_rule gives the same shares as numbers, for the
    tools that keep gradients elsewhere.
    """
    for v in nodes:
        # (a closure's node has no rule here: backward sends it to hooks.py instead)
        primitive: ops.Primitive | None = v._primitive  # type: ignore[assignment]
        if primitive is None:
            continue  # a leaf: there is no one to hand a gradient on to
        g = v.grad
        a, b = v._a, v._b
        if b is not None:  # two operands: the rule gives a pair of local derivatives
            da, db = primitive.derivative(v.data, a.data, b.data)
            a.grad += da * g
            b.grad += db * g
        elif len(a) == 1:  # one operand: the rule gives one number
            a[0].grad += primitive.derivative(v.data, a[0].data) * g
        else:
            for parent, local in zip(a, primitive.derivative(v.data, *[p.data for p in a])):
                parent.grad += local * g


def _gradient(x: object) -> float:
    """backward's argument, d root / d root, as a float; or a TypeError saying it is that argument."""
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return float(x)
    hint = " (use its .data)" if type(x) is Value else ""
    raise TypeError(
        f"backward: gradient (d self / d self, where the chain rule starts; 1.0 by default) must be a real "
        f"number, got {type(x).__name__} {x!r:.40}{hint}"
    )


def _lift(x: object, op: str = "") -> Value:
    """A number as a new leaf Value; NotImplemented for anything else (Python then raises).

    Given the name of the op that needs it, a TypeError instead.
    """
    if type(x) is float or type(x) is int or isinstance(x, numbers.Real):
        return Value(x)
    if op:
        raise TypeError(f"{op}: inputs must be Values or real numbers, got {type(x).__name__}")
    return NotImplemented


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
    while stack:
        v = stack.pop()
        if v is None:  # the marker below a node's parents: they are all finished, so is it
            order.append(stack.pop())  # type: ignore[arg-type]  # (below a marker is always a node)
            continue
        if v in seen:
            continue  # pushed twice by two consumers; the first copy was walked already
        seen.add(v)
        # A parent seen before is finished (in a graph without cycles it cannot be half-way
        # through its own walk); a leaf parent is finished at once, in operand order. If no
        # parent is left waiting, v is finished too; otherwise v waits below a marker while its
        # waiting parents are walked, the first operand's subgraph first.
        a, b = v._a, v._b
        if b is not None or len(a) == 1:
            # one or two operands, most nodes: read from their slots without making a list (as
            # the loop below does), which halves the walk's time
            if b is None:
                a = a[0]
            a_waits = b_waits = False
            if a not in seen:
                if a._primitive is None:
                    seen.add(a)
                    order.append(a)
                else:
                    a_waits = True
            if b is not None and b not in seen:
                if b._primitive is None:
                    seen.add(b)
                    order.append(b)
                else:
                    b_waits = True
            if a_waits or b_waits:
                stack.append(v)
                stack.append(None)
                if b_waits:
                    stack.append(b)
                if a_waits:
                    stack.append(a)
                continue
        elif not seen.issuperset(a):  # (all seen: the usual case for a neuron's w·x+b, whose
            # weights and inputs were reached through another sample or a neighbouring neuron)
            waiting: list[Value] = []
            for p in a:
                if p not in seen:
                    if p._primitive is None:
                        seen.add(p)
                        order.append(p)
                    else:
                        waiting.append(p)
            if waiting:
                stack.append(v)
                stack.append(None)
                stack.extend(reversed(waiting))
                continue
        order.append(v)
    return order
