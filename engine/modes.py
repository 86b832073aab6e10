"""Modes that change how operations are recorded: grad mode, anomaly mode and name scopes.

Every arithmetic operation on a Value asks one question before it records itself into the
graph: "what mode are we in?" The answer lives in a context variable, so a `with no_grad():`
block in one thread never changes what another thread records, and leaving the block (even by
an exception) restores exactly the mode that was there before.

A scope is a name path such as `layers.1.neurons.3`. The `nn` package enters one scope per
module call, so every node created inside carries the module's path; the drawing uses it to
group nodes into clusters. The engine never imports `nn`: a scope is just a string.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import NamedTuple

__all__ = ["no_grad", "enable_grad", "is_grad_enabled", "detect_anomaly", "scope", "current_scope"]


class Meta:
    """What a node carries besides its numbers: label, scope path, hooks, creation site.

    Nodes created in the same scope share one Meta, so a big graph pays one pointer per node
    for its names. A Meta is never changed in place; changing a node's label gives it a copy.
    """

    __slots__ = ("label", "scope", "hooks", "created_at")

    def __init__(
        self,
        label: str = "",
        scope: str = "",
        hooks: tuple[Callable, ...] = (),
        created_at: str = "",
    ) -> None:
        self.label = label
        self.scope = scope
        self.hooks = hooks
        self.created_at = created_at

    def replace(self, **changes: object) -> Meta:
        fields = {name: getattr(self, name) for name in Meta.__slots__}
        fields.update(changes)
        return Meta(**fields)


class _Mode(NamedTuple):
    grad: bool
    anomaly: bool
    meta: Meta | None  # shared by every node created in the current scope


_mode: ContextVar[_Mode] = ContextVar("chainrule_mode", default=_Mode(True, False, None))  # noqa: B039 (immutable)


@contextmanager
def _entered(mode: _Mode) -> Iterator[None]:
    token = _mode.set(mode)
    try:
        yield
    finally:
        _mode.reset(token)


def no_grad():
    """Context in which operations compute values but record no graph.

    >>> from engine import Value, no_grad
    >>> with no_grad():
    ...     y = Value(2.0) * 3
    >>> y.parents
    ()
    """
    return _entered(_mode.get()._replace(grad=False))


def enable_grad():
    """Context that records the graph again inside a `no_grad()` block."""
    return _entered(_mode.get()._replace(grad=True))


def is_grad_enabled() -> bool:
    """True when new operations are recorded into the graph."""
    return _mode.get().grad


def detect_anomaly():
    """Context that stops at the first nan or inf, naming the operation that made it.

    In the forward pass the first op whose result is nan/inf (from inputs that were not)
    raises FloatingPointError; in backward, the first op that produces a nan/inf gradient
    raises too, naming where that node was created.

    >>> from engine import Value, detect_anomaly
    >>> with detect_anomaly():
    ...     Value(0.0).log()
    Traceback (most recent call last):
    FloatingPointError: log produced -inf from input 0.0
    """
    return _entered(_mode.get()._replace(anomaly=True))


def scope(name: str):
    """Context that tags every node created inside with a dotted path (`layers.1`).

    Nested scopes join with dots. `nn` modules enter their own scope when called.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"scope name must be a non-empty str, got {name!r}")
    mode = _mode.get()
    outer = mode.meta.scope if mode.meta is not None else ""
    path = f"{outer}.{name}" if outer else name
    return _entered(mode._replace(meta=Meta(scope=path)))


def current_scope() -> str:
    """The dotted path of the innermost scope, '' outside any scope."""
    meta = _mode.get().meta
    return meta.scope if meta is not None else ""
