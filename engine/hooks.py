"""Hooks and anomaly checks: the slower walk backward takes when a node asks for either.

`backward()` (value.py) walks the graph and applies the chain rule at each node. Two extras
need the walk to stop at a node and look: a hook (`register_hook`, as in PyTorch) sees a node's
complete gradient, and may replace it, before it flows on; `detect_anomaly()` (modes.py) asks,
before each step, whether it would hand a parent a nan or inf, and names the node that would.
Graphs without either never come here, so they pay nothing for it.
"""

from __future__ import annotations

from collections.abc import Callable

from engine.checks import real_number
from engine.modes import Meta, _complain_if_not_finite, _mode
from engine.names import node_names
from engine.ops import chain_rule

__all__ = ["register_hook", "backward_with_checks"]


def register_hook(node, hook: Callable[[float], float | None]) -> Callable[[], None]:
    """Attach `hook` to `node`; returns a function that removes it (`Value.register_hook`)."""
    if not callable(hook):
        raise TypeError(f"register_hook needs a callable, got {type(hook).__name__}")
    meta = node._meta if node._meta is not None else Meta()
    node._meta = meta.replace(hooks=meta.hooks + (hook,))

    def remove() -> None:
        hooks = list(node._meta.hooks)
        if hook in hooks:
            hooks.remove(hook)
            node._meta = node._meta.replace(hooks=tuple(hooks))

    return remove


def backward_with_checks(root, order: list, special: list, gradient: float) -> None:
    """`root.backward(gradient)` over `order` (its walk), running the hooks and closures of the
    `special` nodes and, in anomaly mode, checking every step.

    A hook sees the node's complete gradient of *this* backward: for a leaf, what arrives now,
    before it is added to what earlier calls left. A closure (an op written micrograd's way) that
    raises, or leaves a parent's grad that is not a number, stops the walk with a message naming
    its op, and every leaf's grad is put back as it was before the call.
    """
    closures = any(v._meta.closure is not None for v in special)
    before = {v: v.grad for v in order if v._primitive is None} if closures else {}
    hooked = [v for v in special if v._meta.hooks]
    earlier = {v: v.grad for v in hooked if v._primitive is None}
    for v in earlier:
        v.grad = 0.0
    is_hooked = set(hooked)
    root.grad += gradient
    anomaly = _mode.get().anomaly
    names = node_names(order) if anomaly or closures else []  # to say which node went wrong (engine.names)
    heard = set()  # hooked leaves whose hooks have all run: their gradient of this call is final
    finished = False
    try:
        for i in range(len(order) - 1, -1, -1):
            v = order[i]
            if v in is_hooked:
                for hook in v._meta.hooks:
                    replaced = hook(v.grad)
                    if replaced is not None:
                        v.grad = real_number(replaced)
                heard.add(v)
            if v._meta is not None and v._meta.closure is not None:
                _run_closure(v, anomaly, names[i])
            elif v._primitive is not None:
                if anomaly:  # look before the step: would it hand a parent a nan/inf?
                    _complain_if_not_finite(v, v.grad, chain_rule(v, v.grad), names[i])
                v._backward()
        finished = True
    finally:
        # a leaf adds this call's gradient to what it held; if a hook or a check raised before
        # its hooks ran, it keeps what it held (as in PyTorch, where a leaf's gradient is added
        # only after its hooks)
        for v, grad in earlier.items():
            v.grad = v.grad + grad if v in heard else grad
        if not finished:
            for v, grad in before.items():
                v.grad = grad


def _run_closure(node, anomaly: bool, name: str) -> None:
    """A learner's `_backward` closure, with a message naming its op if it goes wrong; in anomaly
    mode, what it added to each input is checked after it ran (it cannot be asked before)."""
    op = node._primitive.name
    where = f" (created at {node._meta.created_at})" if node._meta.created_at else ""
    distinct = list(dict.fromkeys(node.parents))
    before = [p.grad for p in distinct]
    try:
        node._meta.closure()
    except Exception as error:
        raise RuntimeError(
            f"the _backward of op {op!r}{where} raised {type(error).__name__}: {error} (at node {name})"
        ) from error
    for i, parent in enumerate(node.parents):
        if type(parent.grad) is not float:
            try:
                parent.grad = real_number(parent.grad)
            except TypeError:
                kind = type(parent.grad).__name__
                raise TypeError(
                    f"the _backward of op {op!r}{where} set the grad of its input {i} to a {kind} (at node {name}): "
                    "a gradient must be a number (write input.grad += local derivative * out.grad)"
                ) from None
    if anomaly:
        _complain_if_not_finite(node, node.grad, [p.grad - g for p, g in zip(distinct, before)], name)
