"""The checks exercises 3, 4 and 8 run after each task: ✓, or what is wrong and a hint.

Built on the library as an independent reference: `backward()` through `nn.losses.cross_entropy`
for the softmax gradient, `nn.clip_grad_norm` for clipping, a measured forward pass for the
per-layer gain. The printing is the shared `report` of checks.py.

>>> check_softmax_grad(lambda z, t: [0.0] * len(z))  # doctest: +ELLIPSIS
✗ softmax-cross-entropy gradient: logits [2.0, 1.0, -1.0], target 0: got [0, 0, 0], backward gives ...
...
False
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

from checks import report

import nn
from engine import Value
from engine.format import format_number

__all__ = [
    "check_softmax_grad",
    "check_cross_entropy",
    "check_gain",
    "check_clip_grad_norm",
    "check_moons_training",
    "signal_sizes",
]

_ROWS = [([2.0, 1.0, -1.0], 0), ([0.5, -0.3, 0.1, 2.2], 2), ([800.0, 0.0], 1)]


def _shown(xs: list[float]) -> str:
    return "[" + ", ".join(format_number(x) for x in xs) + "]"


def _backward_grad(logits: list[float], target: int) -> list[float]:
    z = [Value(x) for x in logits]
    nn.losses.cross_entropy([z], [target]).backward()
    return [v.grad for v in z]


def _called(fn: Callable[[list[float], int], Any], logits: list[float], target: int, problems: list[str]) -> Any:
    """fn(logits, target), or None with the error the learner's code raised added to `problems`."""
    try:
        return fn(list(logits), target)
    except NotImplementedError:
        raise  # a task not written yet stops the notebook there
    except Exception as error:  # the learner's code: say where it broke, never a traceback
        problems.append(f"logits {logits}, target {target}: raised {type(error).__name__}: {error}")
        return None


def check_softmax_grad(grad: Callable[[list[float], int], list[float]]) -> bool:
    """`grad(logits, target)` is dL/dz of -log softmax(z)[target], as backward computes it."""
    problems = []
    for logits, target in _ROWS:
        got = _called(grad, logits, target, problems)
        if got is None:
            continue
        got = list(got)
        want = _backward_grad(logits, target)
        if len(got) != len(want) or not all(math.isclose(g, w, rel_tol=1e-9, abs_tol=1e-12) for g, w in zip(got, want)):
            problems.append(f"logits {logits}, target {target}: got {_shown(got)}, backward gives {_shown(want)}")
    hint = "p = softmax(z) (subtract max(z) before exp, or 800 overflows), then p[target] -= 1"
    return report("softmax-cross-entropy gradient", problems, hint)


def check_cross_entropy(loss: Callable[[list[float], int], float]) -> bool:
    """`loss(logits, target)` is -log softmax(z)[target], as `nn.losses.cross_entropy` computes it."""
    problems = []
    for logits, target in _ROWS:
        got = _called(loss, logits, target, problems)
        if got is None:
            continue
        want = nn.losses.cross_entropy([[Value(x) for x in logits]], [target]).data
        if not isinstance(got, (int, float)) or not math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12):
            problems.append(f"logits {logits}, target {target}: got {got!r}, expected {format_number(want)}")
    hint = "-log p_t = logsumexp(z) - z_t, with logsumexp(z) = m + log(sum(exp(z_i - m))) and m = max(z)"
    return report("cross-entropy", problems, hint)


def signal_sizes(model: nn.MLP, xs: list[list[float]]) -> list[float]:
    """Root mean square of each hidden layer's outputs over the inputs xs."""
    sizes = []
    for layer in model.layers[:-1]:
        xs = [[v.data for v in layer(x)] for x in xs]
        sizes.append(math.sqrt(math.fsum(v * v for row in xs for v in row) / (len(xs) * len(xs[0]))))
    return sizes


def check_gain(gain: Callable[[int, float, str], float]) -> bool:
    """`gain(fan_in, var_w, activation)` predicts the per-layer growth of the signal measured in deep MLPs."""
    X, _ = nn.make_moons(64, noise=0.1, seed=0)
    problems = []
    for init, var_w in (("uniform", 1 / 3), ("xavier", 2 / 48), ("he", 2 / 24)):
        for activation in ("relu", "linear"):
            measured = []
            for seed in range(3):  # average a few networks: one draw of weights is noisy
                model = nn.MLP(2, [24] * 8 + [1], activation=activation, init=init, seed=seed)
                sizes = signal_sizes(model, X)
                measured.append((sizes[-1] / sizes[1]) ** (1 / (len(sizes) - 2)))
            want = sum(measured) / len(measured)
            got = gain(24, var_w, activation)
            if not isinstance(got, (int, float)) or not abs(got - want) <= 0.15 * want:
                problems.append(
                    f"{init} init, {activation}: predicted {got!r}, measured ×{format_number(want)} per layer"
                )
    hint = "Var(sum of n terms w*x) = n * Var(w) * E[x^2]; ReLU keeps half of E[x^2]; the gain is the square root"
    return report("per-layer gain", problems, hint)


def check_clip_grad_norm(clip: Callable[[list[Value], float], float]) -> bool:
    """`clip(params, max_norm)` rescales the gradients and returns the norm as `nn.clip_grad_norm` does."""
    rng = random.Random(0)
    problems = []
    for max_norm in (1.0, 100.0):
        grads = [rng.uniform(-3, 3) for _ in range(6)]
        mine, theirs = [Value(0.0) for _ in grads], [Value(0.0) for _ in grads]
        for a, b, g in zip(mine, theirs, grads):
            a.grad = b.grad = g
        got, want = clip(mine, max_norm), nn.clip_grad_norm(theirs, max_norm)
        if not isinstance(got, (int, float)) or not math.isclose(got, want, rel_tol=1e-9):
            problems.append(
                f"max_norm {max_norm}: returned {got!r}, expected the norm before clipping {format_number(want)}"
            )
        if not all(math.isclose(a.grad, b.grad, rel_tol=1e-6) for a, b in zip(mine, theirs)):
            shown = f"gradients {_shown([a.grad for a in mine])}, expected {_shown([b.grad for b in theirs])}"
            problems.append(f"max_norm {max_norm}: {shown}")
    hint = "norm = sqrt(sum g^2); if norm > max_norm multiply every grad by max_norm / (norm + 1e-6); return norm"
    return report("clip_grad_norm", problems, hint)


def _accuracy(model: nn.MLP, X: list, y: list) -> float:
    return sum((model(x).data > 0) == (t == 1) for x, t in zip(X, y)) / len(y)


def check_moons_training(train: Callable[..., object]) -> bool:
    """`train(model, X, y)` trains an MLP on the moons; its accuracy on 25 held-out points must reach 90%."""
    X, y = nn.make_moons(100, noise=0.1, seed=0)
    order = list(range(len(X)))
    random.Random(0).shuffle(order)  # a fixed split: 75 points to train on, 25 it never sees
    train_idx, val_idx = order[:75], order[75:]
    model = nn.MLP(2, [16, 16, 1], seed=1)
    before = [p.data for p in model.parameters()]
    train(model, [X[i] for i in train_idx], [y[i] for i in train_idx])
    moved = sum(p.data != b for p, b in zip(model.parameters(), before))
    val = _accuracy(model, [X[i] for i in val_idx], [y[i] for i in val_idx])
    problems = []
    if moved == 0:
        problems.append("no weight changed: is the update p.data -= lr * p.grad there?")
    elif not val >= 0.9:
        problems.append(f"validation accuracy {val:.1%} on the 25 held-out points, expected at least 90%")
    hint = "each step: a minibatch, hinge loss + alpha * sum(p*p), zero_grad, backward, lr = 1.0 - 0.9 * k / steps"
    return report("moons training loop", problems, hint, passed=f"validation accuracy {val:.1%}")
