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
    "ActivationStats",
    "grad_stats",
    "activation_stats",
    "diagnose",
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
# A unit is dead when its activation's slope stays below this fraction of the activation's
# steepest slope for every sample: a ReLU that outputs exact zeros (slope 0), a sigmoid or tanh
# pushed far onto a flat tail. No gradient passes through it, whatever the loss says.
DEAD_SLOPE = 0.01
# The spread of a layer's outputs across samples (std over the batch, averaged over units)
# carries what tells one input from another. Below this fraction of the first layer's spread the
# layers behind it see (almost) the same numbers for every input: the signal has collapsed.
COLLAPSED_SPREAD = 1e-3
# log10(|update| / |weights|) per step: about -3 is healthy. Above 0 one step moves a layer by
# more than its own size: the learning rate is far too large. (Not -1: micrograd's own moons
# demo, lr 1.0, reaches -0.2 in its first step and learns fine.)
UPDATE_RATIO_TOO_LARGE = 0.0
# A layer is flagged for dead units when at least this fraction of its units is dead (a stray
# dead ReLU is common and harmless; half a layer is capacity lost).
DEAD_FRACTION = 0.5


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


@dataclass(frozen=True)
class ActivationStats:
    """What one layer's outputs look like across a batch of inputs (forward pass only).

    `mean_abs_pre` is the mean |w . x + b| over units and samples, `spread` the std of each
    unit's output across the samples averaged over units, `dead` how many of the layer's `units`
    are dead (slope below DEAD_SLOPE of its steepest for every sample: exact-zero ReLUs,
    saturated sigmoids), `activation` the layer's activation name.
    """

    name: str
    activation: str
    units: int
    dead: int
    mean_abs_pre: float
    spread: float

    def __str__(self) -> str:
        """One line per layer, e.g. `layers.5 (sigmoid): 8 of 8 units dead, ...`.

        >>> print(ActivationStats("layers.0", "relu", 8, 2, 0.5, 0.07))
        layers.0 (relu): 2 of 8 units dead, mean |pre-activation| 0.5000, spread across samples 0.07000
        """
        return (
            f"{self.name} ({self.activation}): {self.dead} of {self.units} units dead, mean |pre-activation| "
            f"{format_number(self.mean_abs_pre)}, spread across samples {format_number(self.spread)}"
        )


# the slope of each activation at pre-activation z, relative to its steepest slope (1 for all)
_RELATIVE_SLOPE = {
    "relu": lambda z: 1.0 if z > 0 else 0.0,
    "sigmoid": lambda z: 4.0 / (2.0 + math.exp(-abs(z)) + math.exp(abs(z))) if abs(z) < 700 else 0.0,
    "tanh": lambda z: 1.0 - math.tanh(z) ** 2,
}


def activation_stats(model: object, inputs: Iterable[object]) -> list[ActivationStats]:
    """One ActivationStats per hidden layer of an MLP (`model.layers`), run on `inputs` (floats).

    Only hidden layers with a relu, sigmoid or tanh activation are measured (the output layer is
    the answer, not a signal to pass on); a model without `.layers` gives [].

    >>> from nn.module import MLP
    >>> stats = activation_stats(MLP(2, [4, 4, 1], seed=0), [[1.0, -1.0], [0.5, 2.0]])
    >>> [(s.name, s.units) for s in stats]
    [('layers.0', 4), ('layers.1', 4)]
    """
    layers = getattr(model, "layers", None)
    if not isinstance(layers, (list, tuple)):
        return []
    signals = [[_float(v) for v in (x if isinstance(x, (list, tuple)) else [x])] for x in inputs]
    stats: list[ActivationStats] = []
    for i, layer in enumerate(layers[:-1]):
        neurons = list(getattr(layer, "neurons", None) or [])
        kind = getattr(neurons[0], "activation", None) if neurons else None
        if kind not in _RELATIVE_SLOPE:
            return stats  # a layer this cannot read: stop rather than guess what follows
        slope = _RELATIVE_SLOPE[kind]
        pre = [[math.fsum(w.data * x for w, x in zip(n.w, xs)) + n.b.data for n in neurons] for xs in signals]
        signals = [[_ACTIVATE[kind](z) for z in row] for row in pre]
        dead = sum(all(slope(row[j]) < DEAD_SLOPE for row in pre) for j in range(len(neurons)))
        units = len(neurons)
        mean_abs_pre = math.fsum(abs(z) for row in pre for z in row) / max(len(pre) * units, 1)
        spread = math.fsum(_std([row[j] for row in signals]) for j in range(units)) / units
        stats.append(ActivationStats(f"layers.{i}", kind, units, dead, mean_abs_pre, spread))
    return stats


_ACTIVATE = {
    "relu": lambda z: max(z, 0.0),
    "sigmoid": lambda z: 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0,
    "tanh": math.tanh,
}


def _float(v: object) -> float:
    return float(v.data) if isinstance(v, Value) else float(v)  # type: ignore[arg-type]


def _std(xs: list[float]) -> float:
    mean = math.fsum(xs) / len(xs)
    return math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / len(xs))


def diagnose(
    grads: list[LayerStats],
    activations: list[ActivationStats] | None = None,
    update_ratio: list[list[float]] | None = None,
) -> list[str]:
    """Short reasons a network is not learning; [] when nothing is wrong (History's verdict).

    Looks at the gradients (vanishing / exploding layers), the activations (dead units, the
    spread across samples collapsing from the first hidden layer to the last) and the update
    ratios of every step (log10 above UPDATE_RATIO_TOO_LARGE, 0: the learning rate is too large).

    >>> diagnose([], update_ratio=[[0.5, -3.0], [-3.2, -3.1]])
    ['update ratio up to 0.5000 at step 0 (healthy near -3): the learning rate is too large']
    """
    reasons = [f"{s.name} {s.status}" for s in grads if s.status != "ok"]
    activations = activations or []
    dead = [f"{s.name} {s.dead}/{s.units}" for s in activations if s.dead >= DEAD_FRACTION * s.units]
    if dead:
        reasons.append(f"dead units ({', '.join(dead)}): no gradient passes through them")
    if len(activations) > 1 and activations[0].spread > 0:
        first, last = activations[0], activations[-1]
        if last.spread < COLLAPSED_SPREAD * first.spread:
            reasons.append(
                f"spread across samples collapsed from {format_number(first.spread)} ({first.name}) to "
                f"{format_number(last.spread)} ({last.name}): every input looks the same to the output"
            )
    worst = max(((r, k) for k, step in enumerate(update_ratio or []) for r in step if math.isfinite(r)), default=None)
    if worst is not None and worst[0] > UPDATE_RATIO_TOO_LARGE:
        reasons.append(
            f"update ratio up to {format_number(worst[0])} at step {worst[1]} (healthy near -3): "
            "the learning rate is too large"
        )
    return reasons
