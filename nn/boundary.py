"""What a trained classifier decided: its class for any point, and the picture of its boundary.

A model on the plane turns each point into scores. Reading a class off them is the last step of
the story — the sign of one score (hinge, bce), the nearest label (mse), or the largest of
several logits (cross entropy) — and asking that question for every point of a fine grid draws
the *decision boundary*: the curve the training has bent into place between the classes.

Predictions run under `no_grad`: nothing here is ever differentiated, so no graph is kept.

>>> from engine import Value
>>> line = lambda x: Value(x[0]) + x[1] - 1  # class 1 above the line x0 + x1 = 1
>>> predict(line, [[0.0, 0.0], [2.0, 0.5], [0.2, 0.3]])
[0, 1, 0]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from engine import no_grad
from engine.extras import require_extra
from nn.tasks import task_named

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["predict", "plot_decision_boundary"]

# one colour per class, light for the regions and strong for the points (class 0 blue, 1 orange, ...)
_REGION_COLORS = ["#c6dbef", "#fdd0a2", "#c7e9c0", "#dadaeb", "#fcbba1", "#d9d9d9"]
_POINT_COLORS = ["#2171b5", "#d94801", "#238b45", "#6a51a3", "#cb181d", "#525252"]

# a model: one point in; out, a score (a Value or a number) or a list of them, read at run time
_Model = Callable[[Sequence[float]], Any]


def predict(model: _Model, points: Sequence[Sequence[float]], loss: str = "hinge", classes: int = 2) -> list[int]:
    """The class `model` gives each point, read the way `loss` trained it.

    Several outputs: the index of the largest (cross entropy). One output: the task's rule
    (nn/tasks.py): class 1 when the score is above 0 for 'hinge' and 'bce' (a logit of 0 is
    probability 1/2), the nearest of the labels 0..classes-1 for 'mse' (a regression onto them).
    A `loss` that names no task raises ValueError.

    >>> predict(lambda x: [x[0], -x[0], 0.0], [[2.0], [-2.0]], loss='cross_entropy', classes=3)
    [0, 1]
    """
    decide = task_named(loss).decide
    out = []
    with no_grad():
        for x in points:
            scores = model(x)
            if isinstance(scores, (list, tuple)):
                if len(scores) == 1:
                    scores = scores[0]
                else:
                    values = [float(s) for s in scores]
                    out.append(max(range(len(values)), key=values.__getitem__))
                    continue
            out.append(decide(float(scores), classes))
    return out


def plot_decision_boundary(
    model: _Model,
    X: Sequence[Sequence[float]],
    y: Sequence[int],
    loss: str = "hinge",
    ax: Axes | None = None,
    resolution: int = 70,
    title: str | None = None,
) -> Axes:
    """Draw the model's class regions over a grid around the data, and the data on top; returns the Axes.

    matplotlib is imported only now. Points the model gets wrong are drawn with a red ring.
    """
    threshold = task_named(loss).threshold  # before matplotlib: a wrong name is refused at once
    require_extra("matplotlib", "plot", "plot_decision_boundary")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    labels = [int(t) for t in y]
    classes = max(max(labels) + 1, 2)
    xs, ys = [p[0] for p in X], [p[1] for p in X]
    pad_x, pad_y = 0.15 * (max(xs) - min(xs) or 1.0), 0.15 * (max(ys) - min(ys) or 1.0)
    x0, x1, y0, y1 = min(xs) - pad_x, max(xs) + pad_x, min(ys) - pad_y, max(ys) + pad_y
    gx = [x0 + (x1 - x0) * i / (resolution - 1) for i in range(resolution)]
    gy = [y0 + (y1 - y0) * j / (resolution - 1) for j in range(resolution)]
    grid_points = [[a, b] for b in gy for a in gx]
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.6))
    scores = _binary_scores(model, grid_points, threshold) if classes == 2 else None
    grid: Sequence[Sequence[float]]
    if scores is not None:
        # one score: the boundary is where it crosses the threshold, interpolated between grid
        # points, so the curve is smooth even on a coarse grid
        grid = [scores[j * resolution : (j + 1) * resolution] for j in range(resolution)]
        finite = [v for v in scores if math.isfinite(v)] or [0.0]
        levels = [min(min(finite), -1.0) - 1.0, 0.0, max(max(finite), 1.0) + 1.0]
        ax.contourf(gx, gy, grid, levels=levels, colors=_REGION_COLORS[:2])
    else:
        flat = predict(model, grid_points, loss, classes)
        grid = [flat[j * resolution : (j + 1) * resolution] for j in range(resolution)]
        regions = ListedColormap([_REGION_COLORS[k % len(_REGION_COLORS)] for k in range(classes)])
        ax.contourf(gx, gy, grid, levels=[k - 0.5 for k in range(classes + 1)], cmap=regions)
    guessed = predict(model, X, loss, classes)
    for k in range(classes):
        members = [i for i, t in enumerate(labels) if t == k]
        ax.scatter(
            [xs[i] for i in members],
            [ys[i] for i in members],
            s=22,
            color=_POINT_COLORS[k % len(_POINT_COLORS)],
            edgecolors=["#e31a1c" if guessed[i] != k else "white" for i in members],
            linewidths=[1.6 if guessed[i] != k else 0.6 for i in members],
            label=f"class {k}",
            zorder=3,
        )
    right = sum(g == t for g, t in zip(guessed, labels))
    ax.set_title(title if title is not None else f"decision boundary: {right}/{len(labels)} points right")
    ax.set_xlabel("x[0], the first input")  # the plane the points live on: input 0 across, input 1 up
    ax.set_ylabel("x[1], the second input")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="box")
    ax.legend(loc="upper right", fontsize="small", framealpha=0.85)
    return ax


def _binary_scores(model: _Model, points: list[list[float]], threshold: float) -> list[float] | None:
    """Score minus threshold at each point for a one-output model (None for several outputs)."""
    scores = []
    with no_grad():
        for x in points:
            s = model(x)
            if isinstance(s, (list, tuple)):
                if len(s) != 1:
                    return None
                s = s[0]
            scores.append(float(s) - threshold)
    return scores
