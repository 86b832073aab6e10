"""micrograd's names on a Value: `_prev`, `_op`, and a `_backward` the learner can assign.

Code written for micrograd walks a graph through `v._prev` and `v._op` and defines new ops the
way the lecture does: make the result by hand, `out = Value(t, (x,), 'tanh')`, then give it its
step of backward as a closure, `out._backward = _backward`. Those names are chainrule's too, and
they live here so that value.py reads as the node and its walk alone. The closure is stored in
the node's Meta; backward (value.py) notices it and calls it at the node's place in the walk
(hooks.py), in place of the table's rule. A closure refers back to its node, so such a node is a
reference cycle (freed by the cyclic garbage collector, not the moment it is dropped), as every
node of micrograd is; the table's ops stay cycle-free.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Protocol, cast

from engine import ops
from engine.modes import Meta, _mode, _note_creation

if TYPE_CHECKING:
    from engine.value import Value

__all__ = ["MicrogradNames", "made_by_hand"]

_MICROGRAD_NAMES = {"relu": "ReLU"}  # op names micrograd 0.1.0 spells otherwise (`Value._op`)


class _Node(Protocol):
    # what these read and write of the node (value.py): all a type checker needs to know of `self`
    _primitive: ops.Primitive | ops.UserOp | None
    _meta: Meta | None

    @property
    def parents(self) -> tuple[Value, ...]: ...
    @property
    def op(self) -> str: ...
    def _chain_rule_step(self) -> None: ...


class MicrogradNames:
    """The part of Value that micrograd's code reads and writes by name."""

    __slots__ = ()
    # the node's fields (value.py) that the setter below writes, typed as Value types them
    _primitive: ops.Primitive | ops.UserOp | None
    _meta: Meta | None

    @property
    def _prev(self: _Node) -> tuple[Value, ...]:
        # micrograd's `_prev` is a set, so repeated operands appear once
        return tuple(dict.fromkeys(self.parents))

    @property
    def _op(self: _Node) -> str:
        # micrograd's spelling where it differs from chainrule's (.op)
        return _MICROGRAD_NAMES.get(self.op, self.op)

    @property
    def _backward(self: _Node) -> Callable[[], None]:
        """This node's step of backward, as micrograd names it: `node._backward()` hands the
        node's grad to its parents by the chain rule. For an op written micrograd's way it is the
        closure the learner assigned (a leaf's does nothing)."""
        meta = self._meta
        if meta is not None and meta.closure is not None:
            return meta.closure
        return self._chain_rule_step

    @_backward.setter
    def _backward(self: _Node, closure: Callable[[], None]) -> None:
        if not callable(closure):
            raise TypeError(f"_backward must be a function of no arguments, got {type(closure).__name__}")
        if self._primitive is None:
            if not _mode.get().grad:
                return  # made under no_grad, a leaf like any op's node there: nothing to record
            raise TypeError(
                "a leaf has no inputs to hand its gradient to: make the node with its children, "
                "Value(data, (a, b), 'op'), then assign its _backward"
            )
        if type(self._primitive) is not ops.UserOp:
            self._primitive = ops.UserOp(self.op)  # a built-in node given a closure becomes a user op
        meta = self._meta if self._meta is not None else Meta()
        self._meta = meta.replace(closure=closure)


def made_by_hand(node: Value, children: object, op: object) -> None:
    """Make `node` an op node with `children`, as micrograd's `Value(data, _children, _op)`."""
    if isinstance(children, str):
        raise TypeError(
            f"Value(data, _children, _op): the second argument is the Values this one is made from, "
            f"got the string {children!r}; for a label write label={children!r}"
        )
    if not isinstance(op, str):
        raise TypeError(f"Value _op must be a str (the op's name, e.g. 'tanh'), got {type(op).__name__}")
    try:
        inputs = tuple(cast("Iterable[object]", children))  # (tuple() itself refuses a non-iterable)
    except TypeError:
        raise TypeError(
            f"Value _children must be an iterable of Values, e.g. (a, b), got {type(children).__name__}"
        ) from None
    for i, child in enumerate(inputs):
        if not isinstance(child, MicrogradNames):  # (every Value is one)
            raise TypeError(f"Value _children[{i}] must be a Value, got {type(child).__name__}")
    children = cast("tuple[Value, ...]", inputs)  # each one checked just above
    mode = _mode.get()
    if not children or not mode.grad:
        return  # no inputs, or under no_grad: a leaf, as a built-in op's node would be
    primitive = ops.UserOp(op)
    node._primitive = primitive
    node._a, node._b = children if len(children) == 2 else (children, None)
    node._meta = (node._meta if node._meta is not None else Meta()).replace(closure=_hands_nothing_on)
    if mode.anomaly:
        _note_creation(node, primitive, children)


def _hands_nothing_on() -> None:
    """micrograd's default `_backward`, until the learner assigns one."""
