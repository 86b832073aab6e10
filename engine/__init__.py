"""chainrule's engine: scalar Values that record a graph, and reverse-mode autodiff over it.

>>> from engine import Value
>>> x = Value(2.0, label='x')
>>> y = (x * x + 1).tanh()
>>> y.backward()
>>> round(x.grad, 6)
0.000726
"""

from __future__ import annotations

from engine.animation import backward_animation, backward_frames, backward_widget
from engine.autodiff import GradcheckError, grad, gradcheck, local_derivatives
from engine.compile import Compiled, compile
from engine.draw import Drawing, GraphvizNotFoundError, draw_dot
from engine.memory import gc_paused
from engine.modes import current_scope, detect_anomaly, enable_grad, is_grad_enabled, no_grad, scope
from engine.ops import Primitive, primitive
from engine.value import Value, topological_order

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
    "backward_animation",
    "backward_frames",
    "backward_widget",
    "compile",
    "Compiled",
    "gc_paused",
]
