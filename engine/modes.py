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

import math
import os
import traceback
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import NamedTuple, Protocol

__all__ = ["no_grad", "enable_grad", "is_grad_enabled", "detect_anomaly", "scope", "current_scope"]


class Meta:
    """What a node carries besides its numbers: label, scope path, hooks, creation site, for an
    op written micrograd's way the learner's `_backward` closure, and for a leaf whether it is
    frozen (`requires_grad=False`).

    Nodes created in the same scope share one Meta, so a big graph pays one pointer per node
    for its names. A Meta is never changed in place; changing a node's label gives it a copy.
    """

    __slots__ = ("label", "scope", "hooks", "created_at", "closure", "frozen")

    def __init__(
        self,
        label: str = "",
        scope: str = "",
        hooks: tuple[Callable, ...] = (),
        created_at: str = "",
        closure: Callable[[], None] | None = None,
        frozen: bool = False,
    ) -> None:
        self.label = label
        self.scope = scope
        self.hooks = hooks
        self.created_at = created_at
        self.closure = closure
        self.frozen = frozen

    def replace(self, **changes: object) -> Meta:
        fields = {name: getattr(self, name) for name in Meta.__slots__}
        fields.update(changes)
        return Meta(**fields)


class _Mode(NamedTuple):
    grad: bool
    anomaly: bool
    meta: Meta | None  # shared by every node created in the current scope
    outer: _Mode | None = None  # the mode to return to when the block that made this one ends


# the mode outside every block: record the graph, no checks, no scope
RECORDING = _Mode(True, False, None)
_mode: ContextVar[_Mode] = ContextVar("chainrule_mode", default=RECORDING)  # noqa: B039 (immutable)

# One entry per mode block open right now, in any thread. While it is empty every thread is in
# RECORDING, and making a node need not read its context variable: that read is a fifth of
# the instructions of a forward pass through micrograd's graph (callgrind: 293M against 233M).
# A list, because append and pop are each one atomic step: two threads entering at once can
# never lose a count, and no lock is needed. The mode itself always lives in `_mode`.
_open_blocks: list[None] = []


class _ModeChange:
    """A `with` block that changes one part of the mode, and restores the previous mode on exit.

    The new mode is worked out on entry, from the mode in force at that moment, and remembers
    that mode as its `outer`. So the object keeps no per-entry state: one `no_grad()` object can
    be shared by threads and entered again inside itself (a token kept on the object would be
    reset in the wrong thread's context and leave that thread in the block's mode for good).
    """

    __slots__ = ("_change", "_argument")

    def __init__(self, change: Callable[[_Mode, object], _Mode], argument: object = None) -> None:
        self._change = change
        self._argument = argument

    def __enter__(self) -> None:
        mode = _mode.get()
        inner = self._change(mode, self._argument)._replace(outer=mode)
        _open_blocks.append(None)  # counted only once nothing can fail before the exit
        _mode.set(inner)

    def __exit__(self, *exception: object) -> None:
        outer = _mode.get().outer  # blocks end in the reverse order they began
        _mode.set(outer if outer is not None else RECORDING)
        _open_blocks.pop()


def no_grad() -> _ModeChange:
    """Context in which operations compute values but record no graph.

    >>> from engine import Value, no_grad
    >>> with no_grad():
    ...     y = Value(2.0) * 3
    >>> y.parents
    ()
    """
    return _ModeChange(lambda mode, _: mode._replace(grad=False))


def enable_grad() -> _ModeChange:
    """Context that records the graph again inside a `no_grad()` block."""
    return _ModeChange(lambda mode, _: mode._replace(grad=True))


def is_grad_enabled() -> bool:
    """True when new operations are recorded into the graph."""
    return _mode.get().grad


def detect_anomaly() -> _ModeChange:
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
    return _ModeChange(lambda mode, _: mode._replace(anomaly=True))


class _Scope:
    """The `with scope(name):` block. Its mode remembers the mode it was entered from, so the
    block keeps no per-call state: one object per name serves every thread and every call."""

    __slots__ = ("name", "_inner")

    def __init__(self, name: str) -> None:
        self.name = name
        # nn enters a scope for every module call, thousands per training step: the mode for
        # this scope inside a given mode is made once and reused (which also lets all the nodes
        # of one module share one Meta). Keyed by the outer mode's id, not the mode itself:
        # hashing a mode would hash every mode it is nested in. The id cannot be reused by
        # another mode while the entry lives, because the inner mode holds the outer one.
        self._inner: dict[int, _Mode] = {}

    def __enter__(self) -> None:
        _open_blocks.append(None)
        mode = _mode.get()
        inner = self._inner.get(id(mode))
        if inner is None:
            outer = mode.meta.scope if mode.meta is not None else ""
            inner = _Mode(mode.grad, mode.anomaly, Meta(scope=f"{outer}.{self.name}" if outer else self.name), mode)
            if len(self._inner) > 100:  # modes made by passing no_grad() blocks: let them go
                self._inner.clear()
            self._inner[id(mode)] = inner
        _mode.set(inner)

    def __exit__(self, *exception: object) -> None:
        outer = _mode.get().outer  # blocks end in the reverse order they began
        _mode.set(outer if outer is not None else RECORDING)
        _open_blocks.pop()

    def __reduce__(self) -> tuple:
        # a copied or unpickled model (which holds its scopes) gets the scope of that name, not
        # a copy whose cache keys would be ids of modes the copy does not hold
        return scope, (self.name,)


def _metas_inside(blocks: Sequence[_Scope], within: _Scope | None = None) -> tuple[Meta, ...] | None:
    """The Meta each block would give the nodes made inside it, entered from the current mode
    (from inside `within` first, when given: `with within, block:`).

    For a caller that makes a few nodes per block and tags them itself (an nn Layer's neurons),
    saving a `with` block each, and its own `within` block too. None in anomaly mode, where nodes
    carry their creation site: then the blocks must be entered. `blocks` must not change later:
    the answer is kept for the next call.
    """
    mode = _mode.get()
    key = (id(blocks), id(within), id(mode))
    known = _metas_known.get(key)
    if known is not None:
        return known[-1]
    if mode.anomaly:
        return None
    if within is not None:
        with within:
            metas = _metas_inside(blocks)
    else:
        found = []
        for block in blocks:
            inner = block._inner.get(id(mode))
            if inner is None:
                with block:
                    inner = _mode.get()
            assert inner.meta is not None  # a scope's mode always carries the Meta of its path
            found.append(inner.meta)
        metas = tuple(found)
    if len(_metas_known) > 1000:  # modes made by passing no_grad() blocks: let them go
        _metas_known.clear()
    # the entry holds what the key's ids are of, so no other object can take those ids
    _metas_known[key] = (blocks, within, mode, metas)
    return metas


# a Layer asks _metas_inside the same question for every sample: walking its blocks again each
# time cost 3% of the instructions of micrograd's demo step through nn.MLP (callgrind)
_metas_known: dict[tuple[int, int, int], tuple[Sequence[_Scope], _Scope | None, _Mode, tuple[Meta, ...] | None]] = {}


_scopes: dict[str, _Scope] = {}


def scope(name: str) -> _Scope:
    """Context that tags every node created inside with a dotted path (`layers.1`).

    Nested scopes join with dots. `nn` modules enter their own scope when called.

    >>> from engine import Value, scope
    >>> with scope('layers'), scope('1'):
    ...     (Value(1.0) * 2).scope
    'layers.1'
    """
    block = _scopes.get(name) if type(name) is str else None
    if block is None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"scope name must be a non-empty str, got {name!r}")
        if len(_scopes) > 10_000:
            _scopes.clear()
        block = _scopes[name] = _Scope(name)
    return block


def current_scope() -> str:
    """The dotted path of the innermost scope, '' outside any scope."""
    meta = _mode.get().meta
    return meta.scope if meta is not None else ""


# --- anomaly mode: the checks detect_anomaly() switches on ---------------------------------

_ENGINE_DIR = os.path.dirname(os.path.abspath(__file__))


def _creation_site() -> str:
    """file:line of the innermost frame outside the engine, i.e. the user's line."""
    for frame in reversed(traceback.extract_stack()):
        if not os.path.abspath(frame.filename).startswith(_ENGINE_DIR):
            code = f": {frame.line.strip()}" if frame.line else ""
            return f"{frame.filename}:{frame.lineno} in {frame.name}{code}"
    return "unknown"


def _finite(x: float) -> bool:
    return not (math.isnan(x) or math.isinf(x))


class _Named(Protocol):
    name: str


def _note_creation(out, primitive: _Named, inputs: Sequence) -> None:
    """In anomaly mode: stop at an op whose result is nan/inf from inputs that were not,
    and remember where each node was made, for backward's report."""
    values = [x.data for x in inputs]
    if not _finite(out.data):
        produced = math.isnan(out.data) and not any(math.isnan(x) for x in values)
        produced = produced or all(_finite(x) for x in values)
        if produced:
            shown = ", ".join(repr(x) for x in values)
            noun = "input" if len(values) == 1 else "inputs"
            raise FloatingPointError(f"{primitive.name} produced {out.data!r} from {noun} {shown}")
    meta = out._meta if out._meta is not None else Meta()
    out._meta = meta.replace(created_at=_creation_site())


def _complain_if_not_finite(node, upstream: float, contributions: Sequence[float], name: str = "") -> None:
    """In anomaly mode, during a node's backward step: does it hand a parent a nan/inf?

    `contributions` are what the chain rule adds to each parent (local derivative × upstream).
    Only what this step adds counts: a gradient a leaf already held from an earlier backward is
    not this node's doing.
    """
    if not _finite(upstream):
        return  # it arrived non-finite: the node that made it was reported already
    for i, contribution in enumerate(contributions):
        if not _finite(contribution):
            meta = node._meta
            if meta is not None and meta.created_at:
                where = f"the node was created at {meta.created_at}"
            else:  # its graph was built outside detect_anomaly(), so no site was recorded
                where = "build the graph inside detect_anomaly() too, to see the line that created the node"
            values = ", ".join(repr(p.data) for p in node.parents)
            raise FloatingPointError(
                f"backward of {node.op} gave gradient {contribution!r} to its input {i}"
                f"{f' of node {name}' if name else ''} "
                f"(input values {values}; upstream gradient {upstream!r}); {where}"
            )


def _without_forward_checks() -> _ModeChange:
    """For derivative rules run under create_graph=True: their nodes are backward's arithmetic,
    checked as gradients (by `_complain_if_not_finite`), not as forward operations."""
    return _ModeChange(lambda mode, _: mode._replace(grad=True, anomaly=False))
