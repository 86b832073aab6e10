"""Tasks: what a loss name asks of the labels and the model, and how it reads the answer.

`fit(model, X, y, loss="hinge")` names a loss, and the name decides more than the loss function:
what the labels must look like (hinge wants -1/+1, bce 0/1, cross entropy class indices 0..k-1),
how many outputs the model gives per sample (one score, or one logit per class), how a class is
read off them (the sign of the score, the nearest label, the largest logit), how accuracy is
counted, and which optimizer trains it well. A `Task` holds those answers for one name and
`TASKS` one Task per name: `fit`, `predict`, the decision boundary and `chainrule train` all look
the name up here, as the engine looks an op up in its table of primitives. A new task is one
more entry.

>>> task = TASKS["hinge"]
>>> task.targets([0, 1, 1]), task.outputs(classes=2), task.optimizer
([-1, 1, 1], 1, 'sgd')
>>> TASKS["cross_entropy"].outputs(classes=3)
3
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from engine import Value
from engine.checks import is_integer
from nn import losses

__all__ = ["Task", "TASKS", "task_named", "class_labels"]

LossFunction = Callable[[list, list], Value]


@dataclass(frozen=True)
class Task:
    """What one loss name means, from the labels it wants to the class it reads off an output."""

    name: str
    loss: LossFunction  # (predictions, targets) -> the batch's loss
    targets: Callable[[list], list]  # class labels -> the loss's targets; ValueError when they do not fit
    output: Callable[[object, str], object]  # (one sample's output, name) -> what the loss takes; ValueError
    accuracy: Callable[[list, list, list | None], float]  # (preds, targets, class labels) -> fraction right
    decide: Callable[[float, int], int]  # (one score, number of classes) -> its class
    threshold: float  # the score where decide() turns from class 0 to class 1: the decision boundary
    per_class: bool  # the model gives one output per class, else one score
    two_classes: bool  # the loss tells two classes apart, no more
    optimizer: str  # the optimizer to suggest: a key of nn.optim.OPTIMIZERS
    traced_loss: LossFunction | None = None  # what fit(compile=True) traces, labels as inputs (None: loss)

    def prediction(self, out: object) -> object:
        """One sample's model output as the loss takes it (ValueError naming the task when its shape is wrong)."""
        return self.output(out, self.name)

    def outputs(self, classes: int) -> int:
        """How many outputs per sample the model needs for `classes` classes."""
        return classes if self.per_class else 1


def task_named(name: object) -> Task:
    """The Task called `name`; ValueError listing the names there are.

    >>> task_named("mse").threshold
    0.5
    """
    task = TASKS.get(name) if isinstance(name, str) else None
    if task is None:
        raise ValueError(f"loss must be one of {', '.join(map(repr, TASKS))}, got {name!r}")
    return task


def class_labels(y: list) -> list | None:
    """The distinct labels, sorted, when every label is a whole number; None for regression targets.

    >>> class_labels([1, 0, 1.0]), class_labels([0.5, 1])
    ([0, 1], None)
    """
    return sorted(set(y)) if all(_is_whole(t) for t in y) else None


# --- targets: the class labels as the loss needs them --------------------------------------------


def _signs(y: list) -> list:
    # hinge's margin y·s is positive on the right side only when class 1 is +1 and class 0 is -1
    if not _two_classes(y):
        raise ValueError(f"loss='hinge' needs two classes labelled 0/1 or -1/+1, got labels {_some(y)}")
    return [1 if t == 1 else -1 for t in y]


def _zero_one(y: list) -> list:
    # binary cross entropy compares σ(z) with a probability: class 1 is 1, class 0 (or -1) is 0
    if not _two_classes(y):
        raise ValueError(f"loss='bce' needs two classes labelled 0/1 (or -1/+1), got labels {_some(y)}")
    return [1 if t == 1 else 0 for t in y]


def _class_indices(y: list) -> list:
    # cross entropy picks logit number t out of each row: t must index the row
    classes = class_labels(y)
    if classes is None or min(classes) < 0:
        raise ValueError(f"loss='cross_entropy' needs integer class labels 0..k-1, got labels {_some(y)}")
    return [int(t) for t in y]


def _as_given(y: list) -> list:
    # a regression fits the numbers themselves (class labels too: then it regresses onto them)
    return y


# --- output: one sample's model output as the loss takes it --------------------------------------


def _one_score(out: object, name: str) -> object:
    # a margin or a logit is one number: [s] is s, and several outputs are a mistake worth naming
    if isinstance(out, list) and len(out) == 1:
        return out[0]
    if not isinstance(out, Value):
        count = len(out) if isinstance(out, list) else type(out).__name__
        raise ValueError(f"loss={name!r} needs one output per sample, the model gave {count}")
    return out


def _scores(out: object, name: str) -> object:
    # a regression may have several outputs per sample; a list of one is its single output
    return out[0] if isinstance(out, list) and len(out) == 1 else out


def _logit_row(out: object, name: str) -> object:
    # a softmax over one logit is always 1: nothing to learn
    if isinstance(out, Value):
        raise ValueError(f"loss={name!r} needs one logit per class, the model gave a single Value")
    return out


# --- accuracy: the fraction of samples the model gets right --------------------------------------


def _sign_accuracy(scores: list, targets: list, classes: list | None) -> float:
    # one score: class 1 above 0 (for bce a logit of 0 is probability 1/2)
    return sum((s.data > 0) == (t == 1) for s, t in zip(scores, targets)) / len(targets)


def _argmax_accuracy(rows: list, targets: list, classes: list | None) -> float:
    # one logit per class: the largest logit is the most probable class
    hits = 0
    for row, t in zip(rows, targets):
        hits += max(range(len(row)), key=lambda j: row[j].data) == t
    return hits / len(targets)


def _nearest_label_accuracy(preds: list, targets: list, classes: list | None) -> float:
    # a regression onto the labels is right when it lands nearest the true one; numbers have no classes
    if classes is None or not all(isinstance(p, Value) for p in preds):
        return math.nan
    return sum(min(classes, key=lambda c: abs(p.data - c)) == t for p, t in zip(preds, targets)) / len(targets)


# --- decide: the class of one score ---------------------------------------------------------------


def _class_by_sign(score: float, classes: int) -> int:
    # a margin or a logit: above 0 is class 1
    return 1 if score > 0 else 0


def _class_by_nearest_label(score: float, classes: int) -> int:
    # a regression onto the labels 0..classes-1: round to the nearest one (nan: class 0)
    return min(max(round(score), 0), classes - 1) if score == score else 0


def _hinge_on_traced_labels(scores: list, signs: list) -> Value:
    # compiled, the labels ±1 are traced inputs hinge cannot check: hinge(s, y) is hinge(s·y, +1), number for number
    return losses.hinge([s * y for s, y in zip(scores, signs)], [1] * len(scores))


# --- the table -----------------------------------------------------------------------------------

TASKS: dict[str, Task] = {
    task.name: task
    for task in (
        # micrograd's demo loss: a support vector machine's margin; its SGD (1.0 falling to 0.1) trains it
        Task(
            "hinge",
            loss=losses.hinge,
            targets=_signs,
            output=_one_score,
            accuracy=_sign_accuracy,
            decide=_class_by_sign,
            threshold=0.0,
            per_class=False,
            two_classes=True,
            optimizer="sgd",
            traced_loss=_hinge_on_traced_labels,
        ),
        # squared error onto the labels (or any numbers); SGD at rate 1.0 overshoots it, Adam does not
        Task(
            "mse",
            loss=losses.mse,
            targets=_as_given,
            output=_scores,
            accuracy=_nearest_label_accuracy,
            decide=_class_by_nearest_label,
            threshold=0.5,  # halfway between the labels 0 and 1
            per_class=False,
            two_classes=False,
            optimizer="adam",
        ),
        # two classes from one logit (the sigmoid's input); micrograd's SGD trains it as it does hinge
        Task(
            "bce",
            loss=losses.binary_cross_entropy,
            targets=_zero_one,
            output=_one_score,
            accuracy=_sign_accuracy,
            decide=_class_by_sign,
            threshold=0.0,
            per_class=False,
            two_classes=True,
            optimizer="sgd",
        ),
        # k classes from k logits (the softmax's inputs); SGD at rate 1.0 diverges on them, Adam does not
        Task(
            "cross_entropy",
            loss=losses.cross_entropy,
            targets=_class_indices,
            output=_logit_row,
            accuracy=_argmax_accuracy,
            decide=_class_by_sign,  # one logit alone is read as a binary score
            threshold=0.0,
            per_class=True,
            two_classes=False,
            optimizer="adam",
        ),
    )
}


def _two_classes(y: list) -> bool:
    classes = class_labels(y)
    return classes is not None and (set(classes) <= {0, 1} or set(classes) <= {-1, 1})


def _is_whole(t: object) -> bool:
    # a class label: an int, or a float such as 1.0 that holds one (never a bool)
    return is_integer(t) or (isinstance(t, float) and t.is_integer())


def _some(y: list, limit: int = 6) -> str:
    seen = sorted(set(map(repr, y)))
    return ", ".join(seen[:limit]) + (", ..." if len(seen) > limit else "")
