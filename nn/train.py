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
from typing import TYPE_CHECKING, Any, Protocol, cast

from engine import Value, gc_paused, no_grad
from engine.checks import is_integer, is_real, require
from engine.compiler import compile as compile_graph
from engine.extras import require_extra
from engine.format import format_number
from nn.health import (
    ActivationStats,
    LayerStats,
    activation_stats,
    clip_grad_norm,
    diagnose,
    grad_stats,
    parameter_groups,
)
from nn.optim import SGD
from nn.tasks import TASKS, Task, class_labels

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["fit", "History"]

LossFunction = Callable[[list, list], Value]


class _Model(Protocol):
    # what fit needs of a model: an nn.Module, or anything shaped like one
    def __call__(self, x: Any) -> Any: ...
    def parameters(self) -> list[Value]: ...
    def zero_grad(self) -> None: ...


class _Optimizer(Protocol):
    # what fit needs of an optimizer (nn.SGD, nn.Adam, ...); an `lr_now()` is read when there is one
    def step(self) -> None: ...


@dataclass
class History:
    """What happened during `fit`, one entry per step.

    `loss` and `accuracy` (a fraction; nan where the loss has no notion of a class) of the
    batch, `grad_stats` (one `LayerStats` per layer, input side first), `update_ratio` (per layer:
    log10 of |update| / |weights|, healthy near -3) and the learning rate `lr` used. With
    validation data (`fit(val=...)` or `val_split=`), `val_loss` and `val_accuracy` of the whole
    validation set, measured with the same weights as that step's `loss`; empty otherwise.
    `activation_stats` describes each hidden layer's outputs on the training inputs after the
    last step. The repr ends with a verdict (`nn.health.diagnose`): 'gradients ok', or the reasons
    the network is not learning (a vanishing layer, dead units, a collapsed spread, huge updates).
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    grad_stats: list[list[LayerStats]] = field(default_factory=list)
    update_ratio: list[list[float]] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    # each hidden layer's outputs over the training inputs after the last step (nn.health)
    activation_stats: list[ActivationStats] = field(default_factory=list)

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
        steps = f"{self.steps} step" + ("s" if self.steps != 1 else "")
        text = f"History({steps}: loss {format_number(self.loss[0])} -> {format_number(self.loss[-1])}"
        if not math.isnan(self.accuracy[-1]):
            text += f", accuracy {self.accuracy[0]:.1%} -> {self.accuracy[-1]:.1%}"
        if self.val_loss:
            text += f"; validation loss {format_number(self.val_loss[-1])}"
            if not math.isnan(self.val_accuracy[-1]):
                text += f", accuracy {self.val_accuracy[-1]:.1%}"
        unhealthy = diagnose(self.grad_stats[-1], self.activation_stats, self.update_ratio)
        return text + (f"; gradients: {'; '.join(unhealthy)})" if unhealthy else "; gradients ok)")

    # Any: a matplotlib Axes, or the numpy array of two that plt.subplots returns (typed Any there)
    def plot(self, ax: Any = None) -> Any:
        """Loss (and accuracy, where the loss has classes) against the step, training and
        validation side by side; needs matplotlib. Returns the axes (an array of two when
        accuracy is drawn), so a notebook can add to them.

        >>> from nn.module import MLP
        >>> axes = fit(MLP(2, [4, 1], seed=0), [[0, 1], [1, 0]], [0, 1], steps=3, progress=False).plot()
        >>> [a.get_ylabel() for a in axes]
        ['loss', 'accuracy']
        """
        if not self.steps:
            raise ValueError("this History has no steps to plot: fit ran for 0 steps")
        require_extra("matplotlib", "plot", "History.plot")
        import matplotlib.pyplot as plt  # imported only now: fit itself needs no matplotlib

        with_accuracy = not all(math.isnan(a) for a in self.accuracy)
        if ax is None:
            _, ax = plt.subplots(1, 2 if with_accuracy else 1, figsize=(10 if with_accuracy else 5.5, 3.6))
        axes: list[Axes] = list(ax) if with_accuracy and not hasattr(ax, "plot") else [ax]
        steps = range(self.steps)
        series = [("loss", self.loss, self.val_loss), ("accuracy", self.accuracy, self.val_accuracy)]
        for axis, (name, train, val) in zip(axes, series[: len(axes)]):
            axis.plot(steps, train, label=f"training {name}", color="tab:blue")
            if val:
                axis.plot(steps, val, label=f"validation {name}", color="tab:orange")
            axis.set_xlabel("step")
            axis.set_ylabel(name)
            axis.grid(alpha=0.3)
            axis.legend()
        axes[0].set_title("loss per step")
        if len(axes) > 1:
            axes[1].set_title("accuracy per step")
            axes[1].set_ylim(0, 1.02)
        return axes if len(axes) > 1 else axes[0]


def fit(
    model: _Model,
    X: Sequence[Sequence[float]],
    y: Sequence,
    loss: str | LossFunction = "hinge",
    optimizer: _Optimizer | None = None,
    steps: int = 100,
    batch_size: int | None = None,
    progress: bool = True,
    seed: int | None = None,
    clip: float | None = None,
    compile: bool = False,
    val: tuple[Sequence[Sequence[float]], Sequence] | None = None,
    val_split: float | None = None,
) -> History:
    """Train `model` on inputs `X` and labels `y` for `steps` steps; return a History.

    `loss` is 'hinge' (classes 0/1 or -1/+1; the model gives one score), 'bce' (classes 0/1; one
    logit), 'cross_entropy' (classes 0..k-1; k logits), 'mse' (numbers, or lists of numbers for
    several outputs) or a callable `loss(predictions, targets) -> Value`. Class labels are mapped
    to what the loss needs (0/1 becomes -1/+1 for hinge): each name's rules are one entry of the
    table in nn/tasks.py.

    The default optimizer is micrograd demo's: SGD with a learning rate falling linearly from 1.0
    to 0.1 over the run. That suits hinge and the cross entropies on small nets; for 'mse' pass a
    gentler one, e.g. `optimizer=nn.Adam(model, lr=0.01)`.

    `batch_size=None` uses all samples each step; otherwise each step draws that many without
    replacement, from a generator seeded by `seed`. `clip` caps the total gradient norm
    (`clip_grad_norm`) before each step. The progress bar shows the live loss and accuracy; it is
    off with `progress=False` and when no one is watching (stderr not a terminal, outside Jupyter).

    `compile=True` runs each step's forward and backward as code generated by `engine.compile`
    (traced once per batch size, then plain float arithmetic): same numbers, several times faster.
    The model must build the same graph for every batch of a size (no `if` on `.data`). A callable
    `loss` may use its labels any way (as indices, say), so there each label pattern is traced
    anew: with mini-batches, compile=False is faster.

    Validation: `val=(X_val, y_val)`, or `val_split=0.2` to hold out that fraction of X, y (drawn
    by a generator seeded by `seed`; the rest is trained on). Each step then also records the
    loss and accuracy of the whole validation set, without recording a graph, in
    `History.val_loss` and `val_accuracy`, and the progress bar shows them.

    A loss that becomes nan or inf stops training with FloatingPointError naming the step.
    """
    if not callable(model):
        raise TypeError(f"fit needs a callable model (a Module), got {type(model).__name__}")
    X, y = list(X), list(y)
    if len(X) != len(y):
        raise ValueError(f"fit: X has {len(X)} samples but y has {len(y)} labels")
    if not X:
        raise ValueError("fit: X is empty")
    require(is_integer(steps) and steps >= 0, "steps", "an integer >= 0", steps)
    batches = f"None or an integer from 1 to {len(X)} (len(X))"
    require(
        batch_size is None or (is_integer(batch_size) and 1 <= batch_size <= len(X)), "batch_size", batches, batch_size
    )
    clips = "None or a number > 0 (the largest gradient norm allowed)"
    require(clip is None or (is_real(clip) and clip > 0), "clip", clips, clip)
    X, y, X_val, y_val = _validation(X, y, val, val_split, seed)
    if batch_size is not None and batch_size > len(X):
        raise ValueError(f"batch_size={batch_size} is more than the {len(X)} samples left to train on after val_split")
    task, loss_fn, targets, accuracy = _task(loss, y)
    val_targets = task.targets(y_val) if task is not None and y_val else y_val
    prediction = task.prediction if task is not None else _as_is  # one sample's output as the loss takes it
    params = model.parameters()
    if optimizer is None:
        optimizer = SGD(params, lr=_micrograd_schedule(steps))
    elif not callable(getattr(optimizer, "step", None)):
        raise TypeError(f"optimizer must have a step() method (e.g. nn.SGD), got {type(optimizer).__name__}")
    groups = parameter_groups(model)
    rng = random.Random(seed)
    everything = range(len(X))
    history = History()
    preds: list[Any] | None
    batch_loss: Value | None
    from tqdm.auto import tqdm  # imported here: `import nn` stays quick for scripts and the CLI

    compiled = _CompiledLoss(model, task, loss_fn) if compile else None
    bar = tqdm(range(steps), desc="fit", unit="step", disable=not (progress and _interactive()))
    for k in bar:
        # the step's graph has no reference cycles: the cyclic collector would only rescan it
        with gc_paused():
            batch = everything if batch_size is None else rng.sample(everything, batch_size)
            wanted = [targets[i] for i in batch]
            if compiled is None:
                preds = [prediction(model(X[i])) for i in batch]
                batch_loss = loss_fn(preds, wanted)
                value = batch_loss.data
            else:
                model.zero_grad()  # the compiled step runs backward too, adding into every .grad
                value, preds = compiled([X[i] for i in batch], wanted)
            if not math.isfinite(value):
                bar.close()
                raise FloatingPointError(
                    f"the loss became {value} at step {k}: training diverged; "
                    f"try a smaller learning rate, or clip=1.0 to cap the gradient norm"
                )
            if X_val:  # the same weights as this step's loss, before the optimizer moves them
                with no_grad():
                    val_preds = [prediction(model(x)) for x in X_val]
                    history.val_loss.append(loss_fn(val_preds, val_targets).data)
                history.val_accuracy.append(accuracy(val_preds, val_targets))
            lr = optimizer.lr_now() if hasattr(optimizer, "lr_now") else math.nan
            if compiled is None:
                model.zero_grad()
                assert batch_loss is not None  # (made above: this step is not compiled)
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
            preds = batch_loss = None  # the graph goes now, while the collector is off: none of it is left to scan
        shown = {"loss": format_number(value)}  # 4 significant digits: a small loss never reads 0.0000
        if not math.isnan(history.accuracy[-1]):  # nan for a regression loss: nothing to show
            shown["accuracy"] = f"{history.accuracy[-1]:.1%}"
        if X_val:
            shown["val_loss"] = format_number(history.val_loss[-1])
            if not math.isnan(history.val_accuracy[-1]):
                shown["val_accuracy"] = f"{history.val_accuracy[-1]:.1%}"
        bar.set_postfix(shown, refresh=False)
    bar.close()
    # the verdict also looks at the forward signal: dead units, spread collapsing across samples
    history.activation_stats = activation_stats(model, X[:256])
    return history


class _CompiledLoss:
    """fit(compile=True): a batch's loss and its backward pass as code made by `engine.compile`.

    One function is traced per batch shape. The built-in losses take the labels as arguments too,
    so all mini-batches of a size share one function: 'cross_entropy' gets each class index as a
    one-hot row of probabilities, which gives the same numbers. A callable loss may use its labels
    any way it likes (as indices, say), so there a batch's labels are part of its shape: with
    mini-batches that is a trace per label pattern, and compile=False is faster.
    """

    def __init__(self, model: _Model, task: Task | None, loss_fn: LossFunction) -> None:
        self.model, self.task, self.loss_fn = model, task, loss_fn
        self.classes = 0  # one output per class: the model's number of outputs, read on the first call
        self.run = compile_graph(self._batch_loss)

    # labels: a _Labels for a callable loss, else the batch's labels, traced as leaf Values (or rows)
    def _batch_loss(self, xs: list, labels: object) -> tuple[Value, list]:
        task = self.task
        if task is None:  # a callable loss: its labels as given, part of the batch's shape
            preds = [self.model(x) for x in xs]
            return self.loss_fn(preds, cast(_Labels, labels).labels), preds
        preds = [task.prediction(self.model(x)) for x in xs]
        return (task.traced_loss or task.loss)(preds, list(cast("list[Any]", labels))), preds

    def __call__(self, xs: list, wanted: list) -> tuple[float, list]:
        labels: object  # a _Labels for a callable loss, else the batch's labels as floats (or rows)
        if self.task is None:
            labels = _Labels(wanted)
        elif self.task.per_class:  # each class index as a one-hot row of probabilities: the same loss
            if not self.classes:
                with no_grad():
                    out = self.model(xs[0])
                self.classes = len(out) if isinstance(out, (list, tuple)) else 1
            labels = [[1.0 if j == t else 0.0 for j in range(self.classes)] for t in wanted]
        else:
            labels = _floats(wanted)
        value, preds = cast("tuple[float, list[Any]]", self.run(_floats(xs), labels))  # (the loss, its extras)
        return value, cast("list[Any]", _as_values(preds))  # (a list of predictions in, a list out)


class _Labels:
    """A batch's labels as one hashable setting: `compile` traces again when they change."""

    __slots__ = ("labels", "key")

    def __init__(self, labels: list) -> None:
        self.labels = labels
        self.key = repr(labels)

    def __eq__(self, other: object) -> bool:
        return type(other) is _Labels and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)


def _floats(x: object) -> object:
    if isinstance(x, (list, tuple)):
        return [_floats(item) for item in x]
    return float(x) if isinstance(x, numbers.Real) and not isinstance(x, Value) else x


def _as_values(x: object) -> object:
    # the compiled step returns predictions as floats; accuracy reads them as Values' .data
    return [_as_values(item) for item in x] if isinstance(x, list) else Value(cast(float, x))


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


def _validation(
    X: list, y: list, val: object, val_split: float | None, seed: int | None
) -> tuple[list, list, list, list]:
    """(X, y) to train on and (X_val, y_val) to validate on, from fit's `val` or `val_split`."""
    if val is not None and val_split is not None:
        raise ValueError("fit: give val=(X_val, y_val) or val_split=, not both")
    if val is not None:
        if not (isinstance(val, (tuple, list)) and len(val) == 2):
            raise TypeError(f"fit: val must be a pair (X_val, y_val), got {type(val).__name__}")
        X_val, y_val = list(val[0]), list(val[1])
        if len(X_val) != len(y_val) or not X_val:
            raise ValueError(
                f"fit: val has {len(X_val)} samples and {len(y_val)} labels; they must match, and not be 0"
            )
        return X, y, X_val, y_val
    if val_split is None:
        return X, y, [], []
    require(is_real(val_split) and 0 < val_split < 1, "val_split", "a fraction between 0 and 1 (e.g. 0.2)", val_split)
    held = round(len(X) * val_split)
    if not 1 <= held < len(X):
        raise ValueError(
            f"fit: val_split={val_split} of {len(X)} samples holds out {held}; leave at least 1 on each side"
        )
    order = list(range(len(X)))
    random.Random(seed).shuffle(order)
    kept, out = sorted(order[held:]), sorted(order[:held])
    return [X[i] for i in kept], [y[i] for i in kept], [X[i] for i in out], [y[i] for i in out]


def _task(loss: object, y: list) -> tuple[Task | None, LossFunction, list, Callable[[list, list], float]]:
    """The Task `loss` names (None for a callable), its loss function, the targets for labels y, and its accuracy."""
    if callable(loss):
        return None, loss, y, lambda preds, targets: math.nan
    task = TASKS.get(loss) if isinstance(loss, str) else None
    if task is None:
        raise ValueError(f"loss must be {', '.join(map(repr, TASKS))} or a callable, got {loss!r}")
    classes = class_labels(y)
    targets = task.targets(y)
    return task, task.loss, targets, lambda preds, wanted: task.accuracy(preds, wanted, classes)


def _as_is(out: object) -> object:
    # a callable loss takes the model's outputs as they are
    return out
