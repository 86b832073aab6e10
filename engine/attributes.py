"""What a Value tells about itself besides the graph: its name, its scope, whether it learns.

These are conveniences around the node of value.py (a label for drawings, PyTorch's `item()`,
`is_leaf` and `requires_grad`, a repr), mixed into Value so that value.py reads as the node, its
operators and its walk alone. Names and flags live in the node's Meta (modes.py), which most
nodes do not have: a node made outside every scope, unlabelled, points at no Meta at all.
"""

from __future__ import annotations

from typing import Protocol

from engine import ops
from engine.modes import Meta

__all__ = ["Attributes"]


class _Node(Protocol):
    # the node's fields (value.py) that these read: what a type checker needs to know of `self`
    data: float
    grad: float
    _primitive: ops.Primitive | ops.UserOp | None
    _meta: Meta | None


class Attributes:
    """The named attributes of Value (the class in value.py) that the walk does not need."""

    __slots__ = ()

    @property
    def label(self: _Node) -> str:
        """A name for drawings and messages ('' if none)."""
        return self._meta.label if self._meta is not None else ""

    @label.setter
    def label(self: _Node, label: str) -> None:
        if not isinstance(label, str):
            raise TypeError(f"Value label must be a str, got {type(label).__name__}")
        _change_meta(self, label=label)

    @property
    def scope(self: _Node) -> str:
        """The dotted module path this Value was created in ('' outside any scope)."""
        return self._meta.scope if self._meta is not None else ""

    @property
    def is_leaf(self: _Node) -> bool:
        """True for Values made by the user (or under no_grad), not by an operation (PyTorch's name)."""
        return self._primitive is None

    @property
    def requires_grad(self: _Node) -> bool:
        """False for a frozen leaf: backward leaves its grad alone and optimizers skip it.

        >>> from engine import Value
        >>> w = Value(2.0); w.requires_grad = False
        >>> (w * 3).backward(); w.grad
        0.0
        """
        return self._meta is None or not self._meta.frozen

    @requires_grad.setter
    def requires_grad(self: _Node, flag: bool) -> None:
        if not isinstance(flag, bool):
            raise TypeError(f"requires_grad must be True or False, got {flag!r}")
        if self._primitive is not None:
            raise ValueError(
                f"only a leaf can be frozen (this Value was made by {self._primitive.name!r}): "
                "set requires_grad on the leaves it is computed from"
            )
        _change_meta(self, frozen=not flag)

    def zero_grad(self: _Node) -> None:
        """Set this Value's grad to 0 (backward adds to a leaf's grad)."""
        self.grad = 0.0

    def item(self: _Node) -> float:
        """The data as a Python float (PyTorch's name)."""
        return self.data

    def __float__(self: _Node) -> float:
        """float(x): the data."""
        return self.data

    def __format__(self: _Node, spec: str) -> str:
        """A format spec applies to the data: f"{loss:.4f}" (no spec: the repr, as str() gives)."""
        return format(self.data, spec) if spec else str(self)

    def __repr__(self: _Node) -> str:
        label = self._meta.label if self._meta is not None else ""
        extra = f", label={label!r}" if label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{extra})"


def _change_meta(node: _Node, **changes: object) -> None:
    # a Meta is shared and never changed in place (modes.py): the node gets a changed copy
    meta = node._meta
    node._meta = meta.replace(**changes) if meta is not None else Meta().replace(**changes)
