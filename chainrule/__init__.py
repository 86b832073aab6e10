"""chainrule under one name: the public API of `engine` and `nn`, for scripts and notebooks.

The code lives in two packages named as in micrograd, `engine` (Values and the chain rule) and
`nn` (modules, losses, training); this package only re-exports them, so `chainrule.Value is
engine.Value`. Use `import chainrule` in scripts (it cannot be confused with `torch.nn`), and
`from engine import Value` / `from nn import MLP` in code ported from micrograd.

>>> import chainrule
>>> x = chainrule.Value(3.0)
>>> (x * x).backward()
>>> x.grad
6.0
>>> model = chainrule.nn.MLP(2, [4, 1])
>>> len(model.parameters())
17
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# first: says in one line when a file named engine.py or nn.py hides our packages
import chainrule._guard  # noqa: F401
from chainrule import nn
from engine import (
    GradcheckError,
    Primitive,
    Value,
    __version__,
    current_scope,
    detect_anomaly,
    enable_grad,
    gc_paused,
    grad,
    gradcheck,
    is_grad_enabled,
    local_derivatives,
    no_grad,
    primitive,
    scope,
    topological_order,
)

if TYPE_CHECKING:
    from engine.compiler import Compiled, compile
    from engine.draw import (
        Drawing,
        GraphvizNotFoundError,
        backward_animation,
        backward_frames,
        backward_widget,
        draw_dot,
    )

# the drawing (graphviz) and the compiler load on first use, as in `engine`
_LAZY = {"draw_dot", "Drawing", "GraphvizNotFoundError", "backward_animation", "backward_frames"}
_LAZY |= {"backward_widget", "compile", "Compiled"}


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module 'chainrule' has no attribute {name!r}")
    value = getattr(importlib.import_module("engine"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | _LAZY)


__all__ = [
    "__version__",
    "nn",
    "Value",
    "topological_order",
    "Primitive",
    "primitive",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "detect_anomaly",
    "scope",
    "current_scope",
    "grad",
    "gradcheck",
    "GradcheckError",
    "local_derivatives",
    "draw_dot",
    "Drawing",
    "GraphvizNotFoundError",
    "backward_animation",
    "backward_frames",
    "backward_widget",
    "compile",
    "Compiled",
    "gc_paused",
]
