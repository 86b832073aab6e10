"""`chainrule train`: fit an MLP on a 2-D toy dataset from the shell, and say how it went.

    chainrule train --dataset moons --hidden 16,16 --steps 100 --plot moons.png --save model.json

The whole training story in one line: make the points (nn/data.py), build `MLP(2, hidden + [out])`,
and let `nn.fit` run forward, loss, backward and the optimizer's step over and over with a progress
bar. Then it prints the final loss, the accuracy, and whether any layer's gradient was vanishing or
exploding at the last step — the first thing to look at when a net does not learn. The options
only choose; every rule of training (micrograd's falling learning rate, clipping, mini-batches,
the compiled step) lives in `nn.fit`, the same function a notebook calls.

A run that diverges ends with status 1 and fit's advice in this command's words (`--lr`,
`--clip 1.0`), and writes no file: saving or plotting a model full of nan would help nobody.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from nn.cli.files import PLOTS, output_path, require_matplotlib, write_atomically
from nn.cli.status import FAILED, OK, REFUSED, Stop

__all__ = ["run"]


def run(args: argparse.Namespace) -> int:
    """Train as `args` say; print loss, accuracy and gradient health; write --save and --plot. Returns OK."""
    import nn
    from nn.boundary import predict
    from nn.tasks import TASKS

    task = TASKS[args.loss]
    plot = output_path(args.plot, PLOTS, "--plot") if args.plot else None
    save = output_path(args.save, (".json",), "--save") if args.save else None
    if plot is not None:
        require_matplotlib("--plot")  # before training, not after it
    X, y = _dataset(args)
    if args.batch_size is not None and args.batch_size > len(X):
        raise Stop(f"--batch-size {args.batch_size} is more than the {len(X)} samples (--samples)", REFUSED)
    classes = max(y) + 1
    if task.two_classes and classes > 2:
        raise Stop(
            f"--loss {args.loss} separates two classes, the data has {classes}: use --loss cross_entropy", REFUSED
        )
    outputs = task.outputs(classes)
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
        f"({len(X)} samples) for {history.steps} steps in {seconds:.1f} s"
    )
    # loss and accuracy of the same weights, the final ones (fit's last loss was before its update)
    print(f"final loss {_loss_of(model, X, y, args.loss):.4f}")
    print(f"accuracy {right / len(y):.1%} ({right} of {len(y)} samples)")
    unhealthy = [f"{s.name} {s.status}" for s in history.grad_stats[-1] if s.status != "ok"]
    print(f"gradients at the last step: {', '.join(unhealthy) if unhealthy else 'ok in every layer'}")
    # the picture is drawn in memory first, so that a failure leaves neither file behind
    picture = _decision_boundary(model, X, y, args.loss, plot.suffix[1:].lower()) if plot is not None else None
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
        if picture is not None:
            write_atomically(plot, lambda tmp: Path(tmp).write_bytes(picture))
    except Stop:
        for path in made:  # written a moment ago by this run: take it back
            path.unlink(missing_ok=True)
        raise
    if save is not None:
        rebuild = f"nn.MLP(2, {args.hidden + [outputs]}, activation={args.activation!r})"
        print(f"wrote weights: {save} (load with nn.load({rebuild}, {str(save)!r}))")
    if plot is not None:
        print(f"wrote decision boundary: {plot}")
    return OK


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
    import io

    import matplotlib.pyplot as plt

    from nn.boundary import plot_decision_boundary

    ax = plot_decision_boundary(model, X, y, loss=loss)
    ax.figure.tight_layout()
    buffer = io.BytesIO()
    ax.figure.savefig(buffer, format=kind, dpi=120)
    plt.close(ax.figure)
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
