"""`chainrule train`: fit an MLP on a 2-D toy dataset from the shell, and say how it went.

    chainrule train --dataset moons --hidden 16,16 --steps 100 --plot moons.png --save model.json

The whole training story in one line: make the points (nn/data.py), build `MLP(2, hidden + [out])`,
and let `nn.fit` run forward, loss, backward and the optimizer's step over and over with a progress
bar. Then it prints the final loss, the accuracy, and whether any layer's gradient was vanishing or
exploding at the last step — the first thing to look at when a net does not learn. The options
only choose; every rule of training (micrograd's falling learning rate, clipping, mini-batches,
the compiled step) lives in `nn.fit`, the same function a notebook calls.

A run that diverges ends with status 1 and fit's advice in this command's words (`--lr`,
`--clip 1.0`), and writes no file: saving or plotting a model full of nan would help nobody. A
run that ends with finite numbers but learned nothing (accuracy no better than always saying
the commonest class, or a loss far above where it started) writes what was asked, since the
pictures show what went wrong, then prints one line of advice and ends with status 1 too.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from engine.format import format_number, format_seconds
from nn.cli.files import PLOTS, output_path, require_matplotlib, write_atomically
from nn.cli.options import MOST_PARAMETERS, MOST_PER_LAYER
from nn.cli.status import FAILED, OK, REFUSED, Stop

__all__ = ["run", "MOST_PARAMETERS", "HIDDEN_HELP"]

HIDDEN_HELP = (
    f"hidden layer sizes (default 16,16); at most {MOST_PER_LAYER:,} per layer and {MOST_PARAMETERS:,} weights in all"
)


def run(args: argparse.Namespace) -> int:
    """Train as `args` say; print loss, accuracy and gradient health; write --save and --plot. Returns OK."""
    import nn
    from nn.boundary import predict
    from nn.tasks import TASKS

    task = TASKS[args.loss]
    plot = output_path(args.plot, PLOTS, "--plot") if args.plot else None
    curves = output_path(args.plot_history, PLOTS, "--plot-history") if args.plot_history else None
    save = output_path(args.save, (".json",), "--save") if args.save else None
    if plot is not None:
        require_matplotlib("--plot")  # before training, not after it
    if curves is not None:
        require_matplotlib("--plot-history")
    X, y = _dataset(args)
    if args.batch_size is not None and args.batch_size > len(X):
        raise Stop(f"--batch-size {args.batch_size} is more than the {len(X)} samples (--samples)", REFUSED)
    classes = max(y) + 1
    if task.two_classes and classes > 2:
        raise Stop(
            f"--loss {args.loss} separates two classes, the data has {classes}: use --loss cross_entropy", REFUSED
        )
    outputs = task.outputs(classes)
    layers = [2, *args.hidden, outputs]
    weights = sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(layers, layers[1:]))
    if weights > MOST_PARAMETERS:
        raise Stop(
            f"--hidden {','.join(map(str, args.hidden))} makes {weights:,} weights, more than the "
            f"{MOST_PARAMETERS:,} a scalar engine trains in reasonable time: use smaller layers",
            REFUSED,
        )
    try:
        model = nn.MLP(2, args.hidden + [outputs], activation=args.activation, init=args.init, seed=args.seed)
        optimizer = _optimizer(args.optimizer or task.optimizer, model, args.lr)
        started = time.perf_counter()
        history = nn.fit(
            model,
            X,
            y,
            loss=args.loss,
            optimizer=optimizer,
            steps=args.steps,
            batch_size=args.batch_size,
            progress=not args.no_progress,
            seed=args.seed,
            clip=args.clip,
            compile=not args.no_compile,
        )
    except FloatingPointError as error:
        # fit's advice, in this command's words
        advice = str(error).replace("clip=1.0", "--clip 1.0").replace("learning rate", "learning rate (--lr)")
        raise Stop(f"{advice}; nothing was written", FAILED) from None
    except ValueError as error:  # settings fit refuses, e.g. a batch larger than the dataset
        raise Stop(str(error), REFUSED) from None
    seconds = time.perf_counter() - started
    right = sum(p == t for p, t in zip(predict(model, X, args.loss, classes), y))
    print(
        f"trained {model.sizes[0]}-{'-'.join(map(str, model.sizes[1:]))} MLP on {args.dataset} "
        f"({_count(len(X), 'sample')}) for {_count(history.steps, 'step')} in {format_seconds(seconds)}"
    )
    # loss and accuracy of the same weights, the final ones (fit's last loss was before its update)
    final_loss = _loss_of(model, X, y, args.loss)
    print(f"final loss {format_number(final_loss)}")
    print(f"accuracy {right / len(y):.1%} ({right} of {_count(len(y), 'sample')})")
    unhealthy = [f"{s.name} {s.status}" for s in history.grad_stats[-1] if s.status != "ok"]
    print(f"gradients at the last step: {', '.join(unhealthy) if unhealthy else 'ok in every layer'}")
    # the pictures are drawn in memory first, so that a failure leaves no file behind
    picture = _decision_boundary(model, X, y, args.loss, plot.suffix[1:].lower()) if plot is not None else None
    curve_picture = _curves(history, curves.suffix[1:].lower()) if curves is not None else None
    made = []
    try:
        if save is not None:
            existed = save.exists()
            try:
                nn.save(model, save)
            except ValueError as error:  # a diverged model: JSON cannot hold nan
                raise Stop(str(error), FAILED) from None
            except OSError as error:
                raise Stop(f"cannot write {save}: {error.strerror or error}", FAILED) from None
            if not existed:
                made.append(save)
        for path, data in ((plot, picture), (curves, curve_picture)):
            if path is not None and data is not None:
                existed = path.exists()
                write_atomically(path, _writer(data))
                if not existed:
                    made.append(path)
    except Stop:
        for path in made:  # written a moment ago by this run: take it back
            path.unlink(missing_ok=True)
        raise
    if save is not None:
        rebuild = f"nn.MLP(2, {args.hidden + [outputs]}, activation={args.activation!r})"
        print(f"wrote weights: {save} (load with nn.load({rebuild}, {str(save)!r}))")
    if plot is not None:
        print(f"wrote decision boundary: {plot}")
    if curves is not None:
        print(f"wrote loss and accuracy curves: {curves}")
    failure = _learned_nothing(history.loss[0], final_loss, right / len(y), y)
    if failure:
        raise Stop(f"{failure}: try a smaller --lr, --activation tanh or relu, --init he, or --clip 1.0", FAILED)
    return OK


def _writer(data: bytes) -> Callable[[str], object]:
    """What writes `data` to the temporary file write_atomically names."""
    return lambda tmp: Path(tmp).write_bytes(data)


def _count(n: int, noun: str) -> str:
    """'1 sample', '2 samples'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _learned_nothing(first_loss: float, final_loss: float, accuracy: float, y: list[int]) -> str:
    """What went wrong with a run whose numbers stayed finite, or '' if it learned something.

    Chance is what always answering the commonest class scores; a loss that ends at more than
    twice where it started (and above 0.1, so a tiny loss that wobbles is no failure) diverged.
    """
    chance = max(y.count(c) for c in set(y)) / len(y)
    if final_loss > 2 * first_loss and final_loss > 0.1:
        return (
            f"the run diverged: the loss ended at {format_number(final_loss)}, "
            f"it started at {format_number(first_loss)}"
        )
    if accuracy <= chance < 1:  # (with one class only, every answer is right)
        return (
            f"the run learned nothing: accuracy {accuracy:.1%} is no better than always "
            f"answering the commonest class ({chance:.1%})"
        )
    return ""


def _optimizer(kind: str, model, lr: float | None):
    """The optimizer `--optimizer` and `--lr` ask for, or None for fit's default.

    fit's default is micrograd's SGD, its learning rate falling from 1.0 to 0.1: what the task
    table suggests for hinge and bce; cross_entropy and mse diverge or stall with it, so the
    table suggests Adam for them, here at 0.05 unless --lr says otherwise.
    """
    from nn.optim import OPTIMIZERS

    if kind == "sgd" and lr is None:
        return None
    return OPTIMIZERS[kind](model.parameters(), lr=lr or 0.05)


def _loss_of(model, X: list, y: list, loss: str) -> float:
    """`loss` of the model's predictions on every sample, as fit computes it, without a graph."""
    from engine import no_grad
    from nn.tasks import TASKS

    task = TASKS[loss]
    targets = task.targets(y)
    with no_grad():
        return task.loss([task.prediction(model(x)) for x in X], targets).data


def _decision_boundary(model, X: list, y: list, loss: str, kind: str) -> bytes:
    """The decision-boundary picture as the bytes of a .png, .svg or .pdf file."""
    from nn.boundary import plot_decision_boundary

    return _figure_bytes(plot_decision_boundary(model, X, y, loss=loss).figure, kind)


def _curves(history, kind: str) -> bytes:
    """History.plot()'s loss and accuracy curves as the bytes of a .png, .svg or .pdf file."""
    axes = history.plot()
    return _figure_bytes((axes[0] if isinstance(axes, list) else axes).figure, kind)


def _figure_bytes(figure, kind: str) -> bytes:
    """A matplotlib figure as a file's bytes, drawn in memory (and closed)."""
    import io

    import matplotlib.pyplot as plt

    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format=kind, dpi=120)
    plt.close(figure)
    return buffer.getvalue()


# the datasets whose number of classes --classes sets, and the keyword that sets it (the others have 2)
_CLASSES_KEYWORD = {"blobs": "centers", "spirals": "classes"}


def _dataset(args: argparse.Namespace) -> tuple[list[list[float]], list[int]]:
    """The points and labels `--dataset`, `--samples`, `--noise`, `--classes` and `--seed` ask for."""
    from nn.data import DATASETS

    keyword = _CLASSES_KEYWORD.get(args.dataset)
    if args.classes is not None and keyword is None:
        raise Stop(f"--classes applies to {' and '.join(_CLASSES_KEYWORD)}; {args.dataset} always has 2", REFUSED)
    options: dict[str, object] = {"seed": args.seed}
    if args.noise is not None:
        options["noise"] = args.noise
    if keyword is not None:
        options[keyword] = args.classes or 2
    try:
        return DATASETS[args.dataset](args.samples, **options)
    except ValueError as error:
        raise Stop(str(error), REFUSED) from None
