"""chainrule's engine: scalar Values that record a graph, and reverse-mode autodiff over it.

>>> from engine import Value
>>> x = Value(2.0, label='x')
>>> y = (x * x + 1).tanh()
>>> y.backward()
>>> round(x.grad, 6)
0.000726

The core needs only the standard library. The drawing (`engine.draw`, which needs the graphviz
package) and the compiler (`engine.compiler`) are imported the first time one of their names is
asked for, so `from engine import draw_dot, compile` works and `from engine import Value` stays
light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from engine._version import __version__ as __version__
from engine.autodiff import GradcheckError, grad, gradcheck, local_derivatives
from engine.memory import gc_paused
from engine.modes import current_scope, detect_anomaly, enable_grad, is_grad_enabled, no_grad, scope
from engine.ops import Primitive, primitive
from engine.value import Value, topological_order

if TYPE_CHECKING:  # the type checker sees the lazy names' real types; at run time __getattr__ loads them
    from engine.compiler import Compiled, compile
    from engine.draw import (
        Drawing,
        Explorer,
        GraphvizFailed,
        GraphvizNotFoundError,
        GraphvizTimeout,
        backward_animation,
        backward_frames,
        backward_widget,
        draw_dot,
        explore,
    )

# public names that live in a subpackage, imported on first use
_LAZY = {
    "draw_dot": "engine.draw",
    "Drawing": "engine.draw",
    "GraphvizNotFoundError": "engine.draw",
    "GraphvizFailed": "engine.draw",
    "GraphvizTimeout": "engine.draw",
    "backward_animation": "engine.draw",
    "backward_frames": "engine.draw",
    "backward_widget": "engine.draw",
    "explore": "engine.draw",
    "Explorer": "engine.draw",
    "compile": "engine.compiler",
    "Compiled": "engine.compiler",
}


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value  # asked once: later lookups find it like any other name
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
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
    "GraphvizFailed",
    "GraphvizTimeout",
    "backward_animation",
    "backward_frames",
    "backward_widget",
    "explore",
    "Explorer",
    "compile",
    "Compiled",
    "gc_paused",
]
