"""Gradient health: are the gradients reaching every layer, and are they a sane size?

Backpropagation multiplies local derivatives layer after layer. If each layer shrinks the
gradient (sigmoid's slope is at most 1/4), the layers near the input get almost nothing and stop
learning: *vanishing* gradients. If each layer grows it (weights too large for the layer's
width), the gradients near the input blow up and one step throws the weights far away:
*exploding* gradients. Both are invisible in the loss curve until training fails, and plain to
see once you measure each layer's gradients — which is what `grad_stats` does.

The standard remedies for exploding gradients are here too: `clip_grad_norm` rescales all
gradients together when their total length exceeds a limit (the direction is kept), and
`clip_grad_value` clamps each one separately.

>>> import random; random.seed(0)
>>> from nn.module import MLP
>>> model = MLP(2, [8, 8, 1])
>>> model([1.0, -1.0]).backward()
>>> [s.name for s in grad_stats(model)]
['layers.0', 'layers.1', 'layers.2']
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from engine import Value
from engine.checks import is_real, require
from engine.format import format_number
from nn.module import as_parameters, is_module

__all__ = [
    "LayerStats",
    "grad_stats",
    "parameter_groups",
    "clip_grad_norm",
    "clip_grad_value",
    "VANISHING_RATIO",
    "EXPLODING_GRAD",
]

# A layer whose mean |grad| is below this fraction of the largest layer's learns at least a
# thousand times slower than the fastest one: for practical purposes, it has stopped learning.
VANISHING_RATIO = 1e-3
# A layer whose mean |grad| is above this size (or not finite) is exploding: with any usual
# learning rate (1e-3..1) one step would move its weights by far more than their own size.
EXPLODING_GRAD = 100.0


@dataclass(frozen=True)
class LayerStats:
    """Gradient statistics of one layer's parameters (after a backward pass).

    `status` is 'exploding' when `mean_abs_grad` exceeds EXPLODING_GRAD (100) or any gradient is
    nan/inf; 'vanishing' when it is below VANISHING_RATIO (1e-3) times the largest layer's
    `mean_abs_grad` in the same model (a layer with all-zero gradients included); 'ok' otherwise.
    The vanishing test is relative because near a minimum every gradient is small, which is not a
    disease; what matters is one layer getting a thousandth of what another gets.
    """

    name: str
    mean_abs_grad: float
    max_abs_grad: float
    grad_norm: float
    weight_norm: float
    status: str

    def __str__(self) -> str:
        """The layer's health in one line, numbers as every drawing writes them (format_number).

        >>> print(LayerStats("layers.0", 8.31e-05, 0.0002, 0.001, 1.0, "vanishing"))
        layers.0: mean |grad| 8.310e-05, max |grad| 2.000e-04, grad norm 0.001000, weight norm 1.000 (vanishing)
        """
        numbers = [("mean |grad|", self.mean_abs_grad), ("max |grad|", self.max_abs_grad)]
        numbers += [("grad norm", self.grad_norm), ("weight norm", self.weight_norm)]
        shown = ", ".join(f"{what} {format_number(x)}" for what, x in numbers)
        return f"{self.name}: {shown} ({self.status})"


def grad_stats(model: object) -> list[LayerStats]:
    """One LayerStats per layer of `model`, input side first.

    Layers are `model.layers` when the model has that list (an MLP: names 'layers.0', ...);
    otherwise each direct sub-module (named as in `named_parameters`); otherwise the whole model
    as one record named after its class.

    >>> import random; random.seed(0)
    >>> from nn.module import MLP
    >>> model = MLP(1, [4, 1])
    >>> model([2.0]).backward()
    >>> grad_stats(model)[1].grad_norm > 0
    True
    """
    groups = parameter_groups(model)
    raw = []
    for name, params in groups:
        grads = [p.grad for p in params]
        weights = [p.data for p in params]
        n = max(len(grads), 1)
        mean_abs = math.fsum(abs(g) for g in grads) / n
        max_abs = max((abs(g) for g in grads), default=0.0)
        raw.append((name, mean_abs, max_abs, math.hypot(*grads), math.hypot(*weights)))
    largest = max((r[1] for r in raw if math.isfinite(r[1])), default=0.0)
    stats = []
    for name, mean_abs, max_abs, grad_norm, weight_norm in raw:
        if not math.isfinite(mean_abs) or not math.isfinite(max_abs) or mean_abs > EXPLODING_GRAD:
            status = "exploding"
        elif largest > 0 and mean_abs < VANISHING_RATIO * largest:
            status = "vanishing"
        else:
            status = "ok"
        stats.append(LayerStats(name, mean_abs, max_abs, grad_norm, weight_norm, status))
    return stats


def parameter_groups(model: object) -> list[tuple[str, list[Value]]]:
    """(layer name, its parameters) for each layer, input side first: the grouping grad_stats uses."""
    layers = getattr(model, "layers", None)
    if isinstance(layers, (list, tuple)) and layers and all(is_module(layer) for layer in layers):
        return [(f"layers.{i}", list(layer.parameters())) for i, layer in enumerate(layers)]
    if not is_module(model):
        raise TypeError(f"grad_stats needs a Module (something with parameters()), got {type(model).__name__}")
    children = model.named_children() if hasattr(model, "named_children") else []
    if children:
        return [(name, list(child.parameters())) for name, child in children]
    return [(type(model).__name__, list(model.parameters()))]


def clip_grad_norm(params: Iterable[Value], max_norm: float, norm_type: float = 2.0) -> float:
    """Scale all gradients down together so their total norm is at most `max_norm`.

    Returns the total norm before clipping, as `torch.nn.utils.clip_grad_norm_` does (and, like
    it, scales by max_norm / (norm + 1e-6) when the norm is larger). The gradient keeps its
    direction, only its length is capped: the usual cure for exploding gradients.

    >>> from engine import Value
    >>> a, b = Value(0.0), Value(0.0)
    >>> a.grad, b.grad = 3.0, 4.0
    >>> clip_grad_norm([a, b], 1.0), round(a.grad, 6), round(b.grad, 6)
    (5.0, 0.6, 0.8)
    """
    params = _values(params, "clip_grad_norm")
    max_norm = _positive(max_norm, "max_norm")
    norm_type = _positive(norm_type, "norm_type", allow_inf=True)
    grads = [abs(p.grad) for p in params]
    if not grads:
        return 0.0
    if norm_type == math.inf:
        total = max(grads)
    elif norm_type == 2.0:
        total = math.hypot(*grads)
    else:
        total = math.fsum(g**norm_type for g in grads) ** (1.0 / norm_type)
    scale = max_norm / (total + 1e-6)
    if scale < 1.0:
        for p in params:
            p.grad *= scale
    return total


def clip_grad_value(params: Iterable[Value], clip_value: float) -> None:
    """Clamp every gradient into [-clip_value, clip_value] (`torch.nn.utils.clip_grad_value_`).

    >>> from engine import Value
    >>> a = Value(0.0); a.grad = -7.0
    >>> clip_grad_value([a], 2.0); a.grad
    -2.0
    """
    params = _values(params, "clip_grad_value")
    c = _positive(clip_value, "clip_value")
    for p in params:
        p.grad = min(max(p.grad, -c), c)


def _values(params: object, who: str) -> list[Value]:
    # clipping one Value's gradient is fine too: it is a list of one
    return [params] if isinstance(params, Value) else as_parameters(params, who)


def _positive(x: float, what: str, allow_inf: bool = False) -> float:
    require(is_real(x) and x > 0 and (allow_inf or not math.isinf(x)), what, "a number > 0", x)
    return float(x)
