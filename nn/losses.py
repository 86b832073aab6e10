"""Losses: one number that says how wrong the model is, whose gradient says how to fix it.

Training minimises a loss, so `loss.backward()` is where every gradient starts (d loss / d loss
= 1). Each function here takes a batch of predictions and targets and returns the batch mean as
a single Value, with the same numbers as PyTorch's functional losses:

- `mse`: mean squared error, for regression;
- `hinge`: mean of relu(1 - y·s) for labels ±1, the loss of micrograd's demo (a support vector
  machine's): a score on the right side by a margin of 1 costs nothing;
- `binary_cross_entropy`: two classes, from logits (scores before the sigmoid);
- `cross_entropy`: k classes, from rows of logits (scores before the softmax).

The cross entropies are written so large logits cannot overflow: log(1 + e^z) is `softplus`
(stable for any z) and log Σ e^z_j is `logsumexp`, one node that subtracts the largest logit
first, since log Σ e^z_j = m + log Σ e^(z_j - m) for any m.

>>> from engine import Value
>>> hinge([Value(2.0), Value(-0.5)], [1, 1]).data
0.75
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import cast

from engine import Value
from engine.checks import is_integer, is_real
from engine.ops import logsumexp

__all__ = ["mse", "hinge", "binary_cross_entropy", "cross_entropy"]


def mse(preds: Sequence[Value | float] | Value, targets: Sequence[Value | float] | float) -> Value:
    """Mean of (prediction - target)² over the batch (torch's `F.mse_loss`).

    Predictions may be Values or lists of Values (several outputs per sample); targets match.

    >>> from engine import Value
    >>> mse([Value(1.0), Value(3.0)], [0.0, 1.0]).data
    2.5
    """
    preds, targets = _flatten(preds, "preds"), _flatten(targets, "targets")
    _same_length(preds, targets, "mse")
    return _mean([(p - t) ** 2 for p, t in zip(preds, targets)])


def hinge(scores: Sequence[Value] | Value, labels: Sequence[float] | float) -> Value:
    """Mean of relu(1 - y·s) for labels y = ±1: micrograd's demo loss (the SVM's max-margin loss).

    >>> from engine import Value
    >>> hinge([Value(0.25)], [-1]).data
    1.25
    """
    scores, labels = _flatten(scores, "scores"), _flatten(labels, "labels")
    _same_length(scores, labels, "hinge")
    bad = [y for y in labels if not is_real(y) or y not in (-1, 1)]
    if bad:
        raise ValueError(f"hinge needs labels -1 or +1, got {bad[0]!r} (map classes 0/1 with 2*y - 1)")
    # written term for term as micrograd's demo, so ported scripts get identical numbers
    losses = [(1 + -y * s).relu() for y, s in zip(labels, scores)]
    return sum(losses) * (1.0 / len(losses))


def binary_cross_entropy(logits: Sequence[Value] | Value, labels: Sequence[float] | float) -> Value:
    """Mean of -[y log σ(z) + (1 - y) log(1 - σ(z))] for labels y in [0, 1] and logits z.

    Computed as softplus(z) - y·z, the same quantity rearranged so that no exp can overflow
    (torch's `F.binary_cross_entropy_with_logits`). Its gradient is σ(z) - y.

    >>> from engine import Value
    >>> round(binary_cross_entropy([Value(0.0)], [1]).data, 6)  # log 2
    0.693147
    >>> binary_cross_entropy([Value(1000.0)], [1]).data
    0.0
    """
    logits, labels = _flatten(logits, "logits"), _flatten(labels, "labels")
    _same_length(logits, labels, "binary_cross_entropy")
    # a label may be a Value too (compiled training passes each batch's labels as inputs)
    bad = [y for y in labels if not (is_real(y) or isinstance(y, Value)) or not 0 <= _data(y) <= 1]
    if bad:
        raise ValueError(f"binary_cross_entropy needs labels in [0, 1] (classes 0/1), got {bad[0]!r}")
    # -y log σ(z) - (1-y) log(1-σ(z)) = log(1 + e^z) - y z  = softplus(z) - y z
    return _mean([_as_value(z).softplus() - y * z for z, y in zip(logits, labels)])


def cross_entropy(logit_rows: Sequence[Sequence[Value]], targets: Sequence[int | Sequence[Value | float]]) -> Value:
    """Mean of -log softmax(row)[target] over the batch (torch's `F.cross_entropy`).

    Each row holds one sample's k logits; each target is a class index 0..k-1, or (as in torch)
    a row of k class probabilities p, for the loss -Σ p_j log softmax(row)_j. The log-sum-exp
    subtracts the row's largest logit first, so a logit of 800 stays finite.

    >>> from engine import Value
    >>> round(cross_entropy([[Value(800.0), Value(0.0)]], [1]).data, 6)
    800.0
    >>> round(cross_entropy([[Value(800.0), Value(0.0)]], [[0.0, 1.0]]).data, 6)
    800.0
    """
    if isinstance(logit_rows, Value) or not isinstance(logit_rows, Sequence):
        raise TypeError(f"cross_entropy needs a list of rows of logits, got {type(logit_rows).__name__}")
    targets = list(targets) if isinstance(targets, Sequence) else [targets]
    rows = [[row] if isinstance(row, Value) else list(row) for row in logit_rows]
    _same_length(rows, targets, "cross_entropy")
    losses: list[Value | float] = []
    for i, (row, t) in enumerate(zip(rows, targets)):
        log_sum_exp = cast(Value, logsumexp(*row))  # (the primitive applied to Values makes a Value)
        if isinstance(t, Sequence) and not isinstance(t, (str, bytes)):
            if len(t) != len(row) or not all(isinstance(p, Value) or is_real(p) for p in t):
                raise ValueError(f"cross_entropy target {i}: a row of {len(row)} class probabilities, got {t!r}")
            # -Σ p_j (z_j - logsumexp(z)): for a one-hot p, the same number as the class index
            losses.append(-sum(p * (z - log_sum_exp) for p, z in zip(t, row)))
        elif not (is_integer(t) and 0 <= t < len(row)):
            raise ValueError(f"cross_entropy target {i} must be a class index 0..{len(row) - 1}, got {t!r}")
        else:
            losses.append(log_sum_exp - row[t])
    return _mean(losses)


# --- helpers shared by the losses ---------------------------------------------------------


def _flatten(xs: object, what: str) -> list:
    """A batch as a flat list: a lone Value or number is a batch of one; rows are concatenated."""
    if isinstance(xs, (Value, numbers.Real)):
        return [xs]
    if not isinstance(xs, Sequence) or isinstance(xs, (str, bytes)):
        raise TypeError(f"{what} must be a Value, a number or a list of them, got {type(xs).__name__}")
    flat = []
    for x in xs:
        if isinstance(x, (Value, numbers.Real)):
            flat.append(x)
        elif isinstance(x, Sequence) and not isinstance(x, (str, bytes)):
            flat.extend(x)
        else:
            raise TypeError(f"{what} must hold Values or numbers, got {type(x).__name__}")
    return flat


def _same_length(a: list, b: list, who: str) -> None:
    if len(a) != len(b):
        raise ValueError(f"{who}: {len(a)} predictions but {len(b)} targets")
    if not a:
        raise ValueError(f"{who}: the batch is empty")


def _mean(terms: Sequence[Value | float]) -> Value:
    return _as_value(sum(terms) * (1.0 / len(terms)))


def _as_value(x: Value | float) -> Value:
    return x if isinstance(x, Value) else Value(x)


def _data(x: Value | float) -> float:
    return x.data if isinstance(x, Value) else float(x)
