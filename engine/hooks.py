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


def backward_with_checks(root, order: list, hooked: list, gradient: float) -> None:
    """`root.backward(gradient)` over `order` (its walk), running `hooked` nodes' hooks and, in
    anomaly mode, checking every step.

    A hook sees the node's complete gradient of *this* backward: for a leaf, what arrives now,
    before it is added to what earlier calls left.
    """
    earlier = {v: v.grad for v in hooked if v._primitive is None}
    for v in earlier:
        v.grad = 0.0
    hooked = set(hooked)
    root.grad += gradient
    anomaly = _mode.get().anomaly
    heard = set()  # hooked leaves whose hooks have all run: their gradient of this call is final
    try:
        for v in reversed(order):
            if v in hooked:
                for hook in v._meta.hooks:
                    replaced = hook(v.grad)
                    if replaced is not None:
                        v.grad = real_number(replaced)
                heard.add(v)
            if v._primitive is not None:
                if anomaly:  # look before the step: would it hand a parent a nan/inf?
                    _complain_if_not_finite(v, v.grad, chain_rule(v, v.grad))
                v._backward()
    finally:
        # a leaf adds this call's gradient to what it held; if a hook or a check raised before
        # its hooks ran, it keeps what it held (as in PyTorch, where a leaf's gradient is added
        # only after its hooks)
        for v, grad in earlier.items():
            v.grad = v.grad + grad if v in heard else grad
