"""Toy datasets in the plane: small enough to train on with scalars, shaped to need a hidden layer.

Each function returns `(X, y)`: `X` a list of `[x0, x1]` points and `y` a list of integer class
labels 0..k-1. None of them can be separated by a straight line (blobs aside), so a model that
classifies them has learned a curved boundary — which you can draw. They are pure Python (no
numpy or scikit-learn) and deterministic for a given `seed`; `noise` is the standard deviation
of Gaussian noise added to each coordinate.

- `make_moons`: two interleaving half-circles (micrograd's demo data);
- `make_circles`: a ring around a smaller ring;
- `make_blobs`: Gaussian clusters around centres;
- `make_spirals`: arms winding around the origin, the hardest of the four.

>>> X, y = make_moons(4, noise=0.0, shuffle=False)
>>> [[round(v, 3) for v in p] for p in X], y
([[1.0, 0.0], [-1.0, 0.0], [0.0, 0.5], [2.0, 0.5]], [0, 0, 1, 1])
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Callable, Iterable, Sequence
from typing import cast

from engine.checks import is_integer, is_real, positive_integer, require

__all__ = ["make_moons", "make_circles", "make_blobs", "make_spirals", "DATASETS"]

Dataset = tuple[list[list[float]], list[int]]


def make_moons(n_samples: int = 100, noise: float = 0.1, seed: int | None = None, shuffle: bool = True) -> Dataset:
    """Two interleaving half-circles: class 0 the upper unit half-circle centred at (0, 0), class 1
    the lower one centred at (1, 0.5). With `noise=0` every point lies exactly on its circle.

    >>> X, y = make_moons(100, seed=0)
    >>> len(X), sorted(set(y))
    (100, [0, 1])
    """
    n = _count(n_samples)
    rng = _rng(seed)
    n_upper = n // 2
    points, labels = [], []
    for t in _spaced(0.0, math.pi, n_upper, endpoint=True):
        points.append([math.cos(t), math.sin(t)])
        labels.append(0)
    for t in _spaced(0.0, math.pi, n - n_upper, endpoint=True):
        points.append([1.0 - math.cos(t), 0.5 - math.sin(t)])
        labels.append(1)
    return _finish(points, labels, _noise(noise), rng, shuffle)


def make_circles(
    n_samples: int = 100, noise: float = 0.05, seed: int | None = None, factor: float = 0.5, shuffle: bool = True
) -> Dataset:
    """A ring of radius 1 (class 0) around a ring of radius `factor` (class 1), both centred at 0.

    >>> X, y = make_circles(8, noise=0.0, shuffle=False)
    >>> [round(math.hypot(*p), 6) for p in X]
    [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5]
    """
    n = _count(n_samples)
    if not isinstance(factor, numbers.Real) or not 0 < factor < 1:
        raise ValueError(f"factor (the inner ring's radius) must be between 0 and 1, got {factor!r}")
    rng = _rng(seed)
    n_outer = n // 2
    points, labels = [], []
    for radius, count, label in ((1.0, n_outer, 0), (float(factor), n - n_outer, 1)):
        for t in _spaced(0.0, 2 * math.pi, count, endpoint=False):
            points.append([radius * math.cos(t), radius * math.sin(t)])
            labels.append(label)
    return _finish(points, labels, _noise(noise), rng, shuffle)


def make_blobs(
    n_samples: int = 100,
    noise: float = 1.0,
    seed: int | None = None,
    centers: int | Sequence[Sequence[float]] = 3,
    box: tuple[float, float] = (-10.0, 10.0),
    shuffle: bool = True,
) -> Dataset:
    """Gaussian clusters: class j is spread with standard deviation `noise` around centre j.

    `centers` is a number of clusters (centres drawn uniformly in `box` × `box`) or a list of
    `[x, y]` centres. Samples are shared out as evenly as possible, the first clusters taking
    the remainder.

    >>> X, y = make_blobs(6, noise=0.0, centers=[[0, 0], [5, 5]], shuffle=False)
    >>> X[0], X[-1], y
    ([0.0, 0.0], [5.0, 5.0], [0, 0, 0, 1, 1, 1])
    """
    n = _count(n_samples)
    rng = _rng(seed)
    if is_integer(centers):
        if centers < 1:
            raise ValueError(f"centers must be at least 1, got {centers}")
        low, high = box
        centre_points = [[rng.uniform(low, high), rng.uniform(low, high)] for _ in range(int(centers))]
    else:
        centre_points = _points(centers)
    k = len(centre_points)
    points, labels = [], []
    for j, (cx, cy) in enumerate(centre_points):
        for _ in range(n // k + (1 if j < n % k else 0)):
            points.append([cx, cy])
            labels.append(j)
    return _finish(points, labels, _noise(noise), rng, shuffle)


def make_spirals(
    n_samples: int = 100,
    noise: float = 0.05,
    seed: int | None = None,
    classes: int = 2,
    turns: float = 1.0,
    shuffle: bool = True,
) -> Dataset:
    """`classes` spiral arms, one per class, each winding `turns` times out to radius 1.

    Point i of an arm with m points sits at radius r = (i + 1)/m and angle 2π·turns·r plus the
    arm's offset 2π·j/classes.

    >>> X, y = make_spirals(6, noise=0.0, classes=3, shuffle=False)
    >>> y
    [0, 0, 1, 1, 2, 2]
    """
    n = _count(n_samples)
    classes = positive_integer(classes, "classes")
    if not isinstance(turns, numbers.Real) or not math.isfinite(turns) or turns <= 0:
        raise ValueError(f"turns must be a number > 0, got {turns!r}")
    rng = _rng(seed)
    points, labels = [], []
    for j in range(classes):
        m = n // classes + (1 if j < n % classes else 0)
        for i in range(m):
            r = (i + 1) / m
            angle = 2 * math.pi * (turns * r + j / classes)
            points.append([r * math.cos(angle), r * math.sin(angle)])
            labels.append(j)
    return _finish(points, labels, _noise(noise), rng, shuffle)


# each dataset by name: what `chainrule train --dataset` offers
DATASETS: dict[str, Callable[..., Dataset]] = {
    "moons": make_moons,
    "circles": make_circles,
    "blobs": make_blobs,
    "spirals": make_spirals,
}


# --- shared steps ----------------------------------------------------------------------------


def _spaced(start: float, stop: float, count: int, endpoint: bool) -> list[float]:
    """`count` evenly spaced numbers from start to stop (stop included when `endpoint`)."""
    if count == 1:
        return [start]
    gaps = count - 1 if endpoint else count
    return [start + (stop - start) * i / gaps for i in range(count)]


def _finish(points: list[list[float]], labels: list[int], noise: float, rng: random.Random, shuffle: bool) -> Dataset:
    if noise:
        points = [[x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)] for x, y in points]
    if shuffle:
        order = list(range(len(points)))
        rng.shuffle(order)
        points, labels = [points[i] for i in order], [labels[i] for i in order]
    return points, labels


def _rng(seed: int | None) -> random.Random:
    # a private generator: making data never disturbs the global `random` that MLP init draws from
    if seed is not None and not is_integer(seed):
        raise TypeError(f"seed must be an int or None, got {type(seed).__name__}")
    return random.Random(seed)


def _count(n: object) -> int:
    return positive_integer(n, "n_samples")


def _noise(noise: float) -> float:
    accepted = "a finite number >= 0 (a standard deviation)"
    require(is_real(noise) and math.isfinite(noise) and noise >= 0, "noise", accepted, noise)
    return float(noise)


def _points(centers: object) -> list[list[float]]:
    try:  # anything that is not a list of pairs of numbers fails here, and is told so below
        points = [[float(x), float(y)] for x, y in cast("Iterable[tuple[float, float]]", centers)]
    except (TypeError, ValueError):
        raise TypeError(f"centers must be a count or a list of [x, y] pairs, got {centers!r}") from None
    if not points:
        raise ValueError("centers must hold at least one [x, y] pair")
    return points
