"""The training loop, written once: forward, loss, backward, (clip), step — and watch it work.

Every step of gradient descent is the same four moves: run the model on a batch (building the
graph), reduce its predictions to one loss, `backward()` to get d loss / d parameter for every
parameter, and let the optimizer move each parameter against its gradient. `fit` does exactly
that, and records what a learner wants to look at afterwards: the loss and accuracy of every
step, each layer's gradient statistics (vanishing? exploding?), and each layer's
update-to-data ratio — how far a step moves the weights relative to their size (about 1e-3 is
healthy: much smaller and the layer barely learns, much larger and it thrashes).

>>> import random; random.seed(1337)
>>> from nn.data import make_moons
>>> from nn.module import MLP
>>> X, y = make_moons(20, seed=1)
>>> history = fit(MLP(2, [8, 8, 1]), X, y, steps=20, progress=False)
>>> history.steps, history.loss[-1] < history.loss[0]
(20, True)
"""

from __future__ import annotations

import math
import numbers
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from engine import Value
from nn import losses
from nn.health import LayerStats, clip_grad_norm, grad_stats, parameter_groups
from nn.optim import SGD

__all__ = ["fit", "History"]

LossFunction = Callable[[list, list], Value]


@dataclass
class History:
    """What happened during `fit`, one entry per step.

    `loss` and `accuracy` (a fraction; nan where the loss has no notion of a class) of the
    batch, `grad_stats` (one `LayerStats` per layer, input side first), `update_ratio` (per layer:
    log10 of |update| / |weights|, healthy near -3) and the learning rate `lr` used.
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    grad_stats: list[list[LayerStats]] = field(default_factory=list)
    update_ratio: list[list[float]] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)

    @property
    def steps(self) -> int:
        """How many steps were taken."""
        return len(self.loss)

    @property
    def layer_names(self) -> list[str]:
        """The layer names of the per-layer records, input side first."""
        return [s.name for s in self.grad_stats[0]] if self.grad_stats else []

    def __repr__(self) -> str:
        if not self.steps:
            return "History(0 steps)"
        text = f"History({self.steps} steps: loss {self.loss[0]:.4g} -> {self.loss[-1]:.4g}"
        if not math.isnan(self.accuracy[-1]):
            text += f", accuracy {self.accuracy[0]:.1%} -> {self.accuracy[-1]:.1%}"
        unhealthy = [f"{s.name} {s.status}" for s in self.grad_stats[-1] if s.status != "ok"]
        return text + (f"; gradients: {', '.join(unhealthy)})" if unhealthy else "; gradients ok)")


def fit(
    model: Callable,
    X: Sequence[Sequence[float]],
    y: Sequence,
    loss: str | LossFunction = "hinge",
    optimizer: object = None,
    steps: int = 100,
    batch_size: int | None = None,
    progress: bool = True,
    seed: int | None = None,
    clip: float | None = None,
) -> History:
    """Train `model` on inputs `X` and labels `y` for `steps` steps; return a History.

    `loss` is 'hinge' (classes 0/1 or -1/+1; the model gives one score), 'bce' (classes 0/1; one
    logit), 'cross_entropy' (classes 0..k-1; k logits), 'mse' (numbers, or lists of numbers for
    several outputs) or a callable `loss(predictions, targets) -> Value`. Class labels are mapped
    to what the loss needs (0/1 becomes -1/+1 for hinge).

    The default optimizer is micrograd demo's: SGD with a learning rate falling linearly from 1.0
    to 0.1 over the run. That suits hinge and the cross entropies on small nets; for 'mse' pass a
    gentler one, e.g. `optimizer=nn.Adam(model, lr=0.01)`.

    `batch_size=None` uses all samples each step; otherwise each step draws that many without
    replacement, from a generator seeded by `seed`. `clip` caps the total gradient norm
    (`clip_grad_norm`) before each step. The progress bar shows the live loss and accuracy; it is
    off with `progress=False` and when no one is watching (stderr not a terminal, outside Jupyter).

    A loss that becomes nan or inf stops training with FloatingPointError naming the step.
    """
    if not callable(model):
        raise TypeError(f"fit needs a callable model (a Module), got {type(model).__name__}")
    X, y = list(X), list(y)
    if len(X) != len(y):
        raise ValueError(f"fit: X has {len(X)} samples but y has {len(y)} labels")
    if not X:
        raise ValueError("fit: X is empty")
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 0:
        raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or not 1 <= batch_size <= len(X)
    ):
        raise ValueError(f"batch_size must be None or an integer from 1 to {len(X)} (len(X)), got {batch_size!r}")
    if clip is not None and (isinstance(clip, bool) or not isinstance(clip, numbers.Real) or not clip > 0):
        raise ValueError(f"clip must be None or a number > 0 (the largest gradient norm allowed), got {clip!r}")
    loss_fn, targets, accuracy = _task(loss, y)
    params = model.parameters()
    if optimizer is None:
        optimizer = SGD(params, lr=_micrograd_schedule(steps))
    elif not callable(getattr(optimizer, "step", None)):
        raise TypeError(f"optimizer must have a step() method (e.g. nn.SGD), got {type(optimizer).__name__}")
    groups = parameter_groups(model)
    rng = random.Random(seed)
    everything = range(len(X))
    history = History()
    from tqdm.auto import tqdm  # imported here: `import nn` stays quick for scripts and the CLI

    bar = tqdm(range(steps), desc="fit", unit="step", disable=not (progress and _interactive()))
    for k in bar:
        batch = everything if batch_size is None else rng.sample(everything, batch_size)
        preds = [_single_output(model(X[i]), loss) for i in batch]
        wanted = [targets[i] for i in batch]
        batch_loss = loss_fn(preds, wanted)
        value = batch_loss.data
        if not math.isfinite(value):
            bar.close()
            raise FloatingPointError(
                f"the loss became {value} at step {k}: training diverged; "
                f"try a smaller learning rate, or clip=1.0 to cap the gradient norm"
            )
        lr = optimizer.lr_now() if hasattr(optimizer, "lr_now") else math.nan
        model.zero_grad()
        batch_loss.backward()
        if clip is not None:
            clip_grad_norm(params, clip)
        history.grad_stats.append(grad_stats(model))
        before = [[p.data for p in group] for _, group in groups]
        optimizer.step()
        history.update_ratio.append([_update_ratio(old, group) for old, (_, group) in zip(before, groups)])
        history.loss.append(value)
        history.accuracy.append(accuracy(preds, wanted))
        history.lr.append(lr)
        bar.set_postfix(loss=f"{value:.4f}", accuracy=f"{history.accuracy[-1]:.1%}", refresh=False)
    bar.close()
    return history


def _interactive() -> bool:
    """A person is watching: stderr is a terminal, or we run inside a Jupyter kernel."""
    stderr = sys.stderr
    if stderr is not None and hasattr(stderr, "isatty") and stderr.isatty():
        return True
    return "ipykernel" in sys.modules


def _micrograd_schedule(steps: int) -> Callable[[int], float]:
    def micrograd_lr(k: int) -> float:
        return 1.0 - 0.9 * k / steps  # micrograd's demo: from 1.0 down towards 0.1

    return micrograd_lr


def _update_ratio(before: list[float], group: list[Value]) -> float:
    """log10(|Δw| / |w|) for one layer: how big this step was relative to the weights."""
    step = math.hypot(*[p.data - old for p, old in zip(group, before)])
    size = math.hypot(*before)
    if step == 0:
        return -math.inf
    return math.log10(step / size) if size > 0 else math.inf


def _task(loss: object, y: list) -> tuple[LossFunction, list, Callable[[list, list], float]]:
    """The loss function, the targets it needs, and how to score accuracy, for `loss`."""
    if callable(loss):
        return loss, y, lambda preds, targets: math.nan
    classes = set(y) if all(_is_int(t) for t in y) else None
    if loss == "hinge":
        if classes is None or not (classes <= {0, 1} or classes <= {-1, 1}):
            raise ValueError(f"loss='hinge' needs two classes labelled 0/1 or -1/+1, got labels {_some(y)}")
        signs = [1 if t == 1 else -1 for t in y]
        return losses.hinge, signs, _accuracy_by_sign
    if loss == "bce":
        if classes is None or not (classes <= {0, 1} or classes <= {-1, 1}):
            raise ValueError(f"loss='bce' needs two classes labelled 0/1 (or -1/+1), got labels {_some(y)}")
        return losses.binary_cross_entropy, [1 if t == 1 else 0 for t in y], _accuracy_by_sign
    if loss == "cross_entropy":
        if classes is None or min(classes) < 0:
            raise ValueError(f"loss='cross_entropy' needs integer class labels 0..k-1, got labels {_some(y)}")
        return losses.cross_entropy, [int(t) for t in y], _accuracy_by_argmax
    if loss == "mse":
        if classes is None:
            return losses.mse, y, lambda preds, targets: math.nan  # regression: no classes to be right about
        return losses.mse, y, _nearest_class_accuracy(sorted(classes))
    raise ValueError(f"loss must be 'hinge', 'mse', 'bce', 'cross_entropy' or a callable, got {loss!r}")


def _single_output(pred: object, loss: object) -> object:
    if loss == "mse" and isinstance(pred, list) and len(pred) == 1:
        return pred[0]
    if loss in ("hinge", "bce"):
        if isinstance(pred, list) and len(pred) == 1:
            return pred[0]
        if not isinstance(pred, Value):
            count = len(pred) if isinstance(pred, list) else type(pred).__name__
            raise ValueError(f"loss={loss!r} needs one output per sample, the model gave {count}")
    elif loss == "cross_entropy" and isinstance(pred, Value):
        raise ValueError("loss='cross_entropy' needs one logit per class, the model gave a single Value")
    return pred


def _accuracy_by_sign(scores: list[Value], targets: list[int]) -> float:
    return sum((s.data > 0) == (t == 1) for s, t in zip(scores, targets)) / len(targets)


def _accuracy_by_argmax(rows: list[list[Value]], targets: list[int]) -> float:
    hits = 0
    for row, t in zip(rows, targets):
        hits += max(range(len(row)), key=lambda j: row[j].data) == t
    return hits / len(targets)


def _nearest_class_accuracy(classes: list[int]) -> Callable[[list, list], float]:
    def accuracy(preds: list, targets: list) -> float:
        if not all(isinstance(p, Value) for p in preds):
            return math.nan
        return sum(min(classes, key=lambda c: abs(p.data - c)) == t for p, t in zip(preds, targets)) / len(targets)

    return accuracy


def _is_int(t: object) -> bool:
    if isinstance(t, bool):
        return False
    if isinstance(t, numbers.Integral):
        return True
    return isinstance(t, float) and t.is_integer()


def _some(y: list, limit: int = 6) -> str:
    seen = sorted(set(map(repr, y)))
    return ", ".join(seen[:limit]) + (", ..." if len(seen) > limit else "")
