"""micrograd's demo workload: 100 two-moons points, MLP(2, [16, 16, 1]), hinge + 1e-4 L2, SGD.

`value_mlp(Value)` builds micrograd's exact network shape from any Value class (each neuron
`sum(w*x for ...) + b`, ReLU on hidden layers), so the same loop runs on micrograd's Value and
on chainrule's, seeded alike. `values_step` and `floor_step` make the step functions that
bench/timing.py times: step k of the loop, on a Value class or on plain floats.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import floor

SIZES = [2, 16, 16, 1]


def moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> tuple[list[list[float]], list[int]]:
    """Two interleaving half-circles with labels +1 / -1 (hinge loss wants signs)."""
    rng = random.Random(seed)
    half = n // 2
    X, y = [], []
    for i in range(n):
        t = math.pi * (i % half) / (half - 1)
        if i < half:
            X.append([math.cos(t) + rng.gauss(0, noise), math.sin(t) + rng.gauss(0, noise)])
            y.append(1)
        else:
            X.append([1 - math.cos(t) + rng.gauss(0, noise), 0.5 - math.sin(t) + rng.gauss(0, noise)])
            y.append(-1)
    return X, y


def value_mlp(Value):
    """micrograd's MLP(2, [16, 16, 1]) written against a Value class; weights from global `random`."""

    class Neuron:
        def __init__(self, nin, nonlin):
            self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
            self.b = Value(0)
            self.nonlin = nonlin

        def __call__(self, x):
            act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
            return act.relu() if self.nonlin else act

        def parameters(self):
            return self.w + [self.b]

    class MLP:
        def __init__(self):
            self.layers = [
                [Neuron(SIZES[i], i != len(SIZES) - 2) for _ in range(SIZES[i + 1])] for i in range(len(SIZES) - 1)
            ]

        def __call__(self, x):
            for layer in self.layers:
                x = [n(x) for n in layer]
            return x[0]

        def parameters(self):
            return [p for layer in self.layers for n in layer for p in n.parameters()]

    return MLP()


def demo_step(model, Value, X, y, k):
    """One step of micrograd's demo loop; returns (loss, accuracy, loss node)."""
    inputs = [list(map(Value, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    total = data_loss + reg_loss
    accuracy = sum((yi > 0) == (si.data > 0) for yi, si in zip(y, scores)) / len(y)
    model_params = model.parameters()
    for p in model_params:
        p.grad = 0.0
    total.backward()
    lr = 1.0 - 0.9 * k / 100
    for p in model_params:
        p.data -= lr * p.grad
    return total.data, accuracy, total


def values_step(Value, X: list[list[float]], y: list[int]) -> Callable[[int], float]:
    """micrograd's demo loop on `Value` (micrograd's network, seeded alike): step k's loss."""
    random.seed(1337)
    model = value_mlp(Value)
    return lambda k: demo_step(model, Value, X, y, k)[0]


def floor_step(X: list[list[float]], y: list[int]) -> Callable[[int], float]:
    """The same loop on plain floats with a hand-derived backward (bench/floor.py): step k's loss."""
    random.seed(1337)
    layers = floor.init_like_micrograd(random.uniform, SIZES)
    return lambda k: floor.step(layers, X, y, 1.0 - 0.9 * k / 100)[0]
