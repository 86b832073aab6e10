"""The `chainrule` command: backprop pictures and small experiments from the shell.

    chainrule draw "tanh(x1*w1 + x2*w2 + b)" --at x1=2 x2=0 w1=-3 w2=1 b=6.8813735870195432 -o neuron.svg
    chainrule train --dataset moons --hidden 16,16 --steps 100 --plot moons.png --save model.json
    chainrule gradflow --depth 12 --width 8 --activation sigmoid -o flow.svg

`draw` builds the graph of a formula (parsed by nn/expression.py, never run as Python), runs
backward and draws every node with its data and gradient; `train` fits an MLP on a toy dataset;
`gradflow` runs one backward through a deep MLP and shows how much gradient reaches each layer.

It sits on top of both packages (it uses `engine` and `nn`), which is why it lives in `nn`.
A mistake in what the user typed is answered with one line on stderr, never a traceback, and
nothing is written: every file is made under a temporary name in its folder and renamed into
place only when complete. Exit status: 0 done; 1 failed while running (training diverged, a
file could not be written); 2 refused (bad arguments or expression); 3 a program or package it
needs is missing (Graphviz's `dot`, matplotlib).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["main", "OK", "FAILED", "REFUSED", "MISSING"]

OK, FAILED, REFUSED, MISSING = 0, 1, 2, 3

_PICTURES = (".svg", ".png", ".pdf")  # rendered by Graphviz
_SOURCES = (".dot", ".gv")  # the DOT text itself: no Graphviz needed
_ANIMATION = (".html",)  # the backward walk as a step-through player
_PLOTS = (".png", ".svg", ".pdf")  # written by matplotlib


class _Stop(Exception):
    """End the command with one line on stderr and an exit status."""

    def __init__(self, message: str, status: int, prog: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.prog = prog  # the (sub)command to name, when it differs from the one being run


class _Parser(argparse.ArgumentParser):
    # argparse's own errors (unknown option, missing value) as one line too, with exit status 2
    def error(self, message: str) -> None:
        raise _Stop(f"{message} (see {self.prog} --help)", REFUSED, self.prog)


class _Version(argparse.Action):
    # looked up only when asked for: reading package metadata slows every start of the command
    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(f"chainrule {_version()}")
        parser.exit()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line `argv` (default: sys.argv[1:]); return the exit status."""
    parser = _build_parser()
    prog = "chainrule"
    try:
        args = parser.parse_args(argv)
        prog = f"chainrule {args.command}".strip()
        return args.run(args)
    except _Stop as stop:
        print(f"{stop.prog or prog}: error: {stop}", file=sys.stderr)
        return stop.status
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; nothing was written", file=sys.stderr)
        return 130


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="chainrule",
        description="Draw backpropagation, train a small network, watch gradients flow.",
        epilog="exit status: 0 done, 1 failed while running, 2 refused input, 3 Graphviz or matplotlib missing",
    )
    parser.add_argument("--version", action=_Version, help="show the installed version and exit")
    parser.set_defaults(run=_no_command, command="")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    draw = commands.add_parser("draw", help="draw the graph of a formula after backward, with data and gradients")
    draw.description = (
        "Build EXPR from Values, run backward, and draw every node with its data and gradient. "
        "EXPR may use numbers, the names given with --at, + - * / **, unary -, parentheses and the "
        "functions tanh, exp, log, relu, sigmoid, sin, cos, sqrt, abs, softplus, leaky_relu."
    )
    draw.add_argument("expression", metavar="EXPR", help='the formula, e.g. "tanh(x*w + b)"')
    draw.add_argument(
        "--at", nargs="+", action="extend", default=[], metavar="NAME=VALUE", help="a value for each name in EXPR"
    )
    draw.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT",
        help="file to write: .svg .png .pdf (Graphviz), .dot .gv "
        "(the DOT source, no Graphviz needed) or .html (the backward pass step by step, with a slider)",
    )
    draw.add_argument("--rankdir", choices=("LR", "TB"), default="LR", help="left to right (default) or top to bottom")
    draw.add_argument("--color-by", choices=("grad", "role"), help="fill boxes by |grad| (log scale) or by role")
    draw.add_argument("--step", type=_natural, metavar="K", help="draw the backward walk after K chain-rule steps")
    draw.add_argument("--check", action="store_true", help="mark in red any op whose derivative disagrees numerically")
    draw.add_argument(
        "--max-nodes", type=_at_least_20, default=300, metavar="N", help="boxes before folding modules (default 300)"
    )
    draw.set_defaults(run=_draw, command="draw")

    train = commands.add_parser("train", help="train an MLP on a toy dataset, with a progress bar")
    train.description = "Train an MLP classifier on a 2-D toy dataset and report its loss and accuracy."
    train.add_argument("--dataset", choices=("moons", "circles", "blobs", "spirals"), default="moons")
    train.add_argument("--samples", type=_positive_int, default=100, help="number of points (default 100)")
    train.add_argument("--noise", type=_non_negative, help="noise of the dataset (default: the dataset's own)")
    train.add_argument("--classes", type=_positive_int, help="number of classes, for blobs and spirals (default 2)")
    train.add_argument("--hidden", type=_sizes, default=[16, 16], metavar="N,N", help="hidden layer sizes (16,16)")
    train.add_argument("--activation", choices=("relu", "tanh", "sigmoid", "leaky_relu", "linear"), default="relu")
    train.add_argument("--init", choices=("uniform", "xavier", "he"), default="uniform")
    train.add_argument("--loss", choices=("hinge", "bce", "cross_entropy", "mse"), default="hinge")
    train.add_argument("--optimizer", choices=("sgd", "adam"), default="sgd")
    train.add_argument(
        "--lr", type=_positive, help="learning rate (default: sgd falls from 1.0 to 0.1 as in micrograd; adam 0.05)"
    )
    train.add_argument("--steps", type=_positive_int, default=100, help="optimizer steps (default 100)")
    train.add_argument("--batch-size", type=_positive_int, metavar="B", help="samples per step (default: all)")
    train.add_argument("--clip", type=_positive, metavar="NORM", help="cap the gradient norm before each step")
    train.add_argument("--seed", type=int, default=0, help="seed for data, weights and batches (default 0)")
    train.add_argument("--plot", metavar="OUT", help="write the decision boundary picture (.png .svg .pdf)")
    train.add_argument("--save", metavar="MODEL.json", help="write the trained weights as JSON")
    train.add_argument("--no-compile", action="store_true", help="run the plain Value graph, not the compiled one")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    train.set_defaults(run=_train, command="train")

    flow = commands.add_parser("gradflow", help="one backward through a deep MLP: how much gradient reaches each layer")
    flow.description = (
        "Build a deep MLP, run one backward on a batch of moons, and show each layer's gradient: "
        "vanishing with sigmoid, exploding with large weights, healthy with --activation relu --init he."
    )
    flow.add_argument("--depth", type=_positive_int, default=12, help="hidden layers (default 12)")
    flow.add_argument("--width", type=_positive_int, default=8, help="neurons per hidden layer (default 8)")
    flow.add_argument("--activation", choices=("relu", "tanh", "sigmoid", "leaky_relu", "linear"), default="sigmoid")
    flow.add_argument("--init", choices=("uniform", "xavier", "he"), default="uniform")
    flow.add_argument("--samples", type=_positive_int, default=32, help="batch size of the one backward (default 32)")
    flow.add_argument("--seed", type=int, default=0, help="seed for data and weights (default 0)")
    flow.add_argument("-o", "--output", metavar="OUT", help="write the diagram: .svg .png .pdf or .dot .gv")
    flow.add_argument("--rankdir", choices=("LR", "TB"), default="LR")
    flow.set_defaults(run=_gradflow, command="gradflow")
    return parser


def _no_command(args: argparse.Namespace) -> int:
    raise _Stop("choose a command: draw, train or gradflow (see chainrule --help)", REFUSED)


# --- draw ------------------------------------------------------------------------------------


def _draw(args: argparse.Namespace) -> int:
    from engine import GraphvizNotFoundError, backward_animation, draw_dot
    from nn.expression import ExpressionError, UnknownNamesError, build, check_name

    out = _output_path(args.output, _PICTURES + _SOURCES + _ANIMATION, "-o")
    values: dict[str, float] = {}
    for item in args.at:
        name, equals, text = item.partition("=")
        name = name.strip()
        if not equals:
            raise _Stop(f"--at {item!r}: write NAME=VALUE, e.g. --at x=2.5", REFUSED)
        try:
            check_name(name)
        except ExpressionError as error:
            raise _Stop(f"--at {item!r}: {error}", REFUSED) from None
        if name in values:
            raise _Stop(f"--at gives {name!r} twice", REFUSED)
        try:
            values[name] = float(text)
        except ValueError:
            raise _Stop(f"--at {item!r}: {text!r} is not a number", REFUSED) from None
    try:
        root, leaves = build(args.expression, values)
    except UnknownNamesError as error:
        given = " ".join(f"{n}=..." for n in error.names)
        raise _Stop(
            f"{error} in the expression: give {'its' if len(error.names) == 1 else 'their'} value with --at {given}",
            REFUSED,
        ) from None
    except ExpressionError as error:
        raise _Stop(str(error), REFUSED) from None
    root.backward()
    if out.suffix.lower() in _ANIMATION:
        if args.step is not None:
            raise _Stop("--step draws one moment of the walk; an .html file already holds every step", REFUSED)
        options = {"rankdir": args.rankdir, "color_by": args.color_by, "check": args.check, "max_nodes": args.max_nodes}
        try:
            _write_atomically(out, lambda tmp: backward_animation(root, tmp, **options))
        except GraphvizNotFoundError as error:
            raise _Stop(str(error), MISSING) from None
        except ValueError as error:  # the walk has more steps than one page should hold
            raise _Stop(str(error), REFUSED) from None
    else:
        drawing = draw_dot(
            root,
            rankdir=args.rankdir,
            color_by=args.color_by,
            step=args.step,
            check=args.check,
            max_nodes=args.max_nodes,
        )
        _write_drawing(drawing, out)
    _report_draw(args.expression, root, leaves, out, args.check)
    unused = [name for name in values if name not in leaves]
    if unused:
        print(f"note: {', '.join(unused)} given with --at but not used by the expression", file=sys.stderr)
    return OK


def _report_draw(text: str, root, leaves: dict, out: Path, check: bool) -> None:
    print(f"{text.strip()} = {_number(root.data)}")
    for name, leaf in leaves.items():
        print(f"  d/d{name} = {_number(leaf.grad)}")
    if check:
        from engine import topological_order
        from engine.draw import mismatches

        wrong = [v.op for v in topological_order(root) if not v.is_leaf() and mismatches(v)]
        print(
            f"check: {len(wrong)} op(s) disagree with the numerical slope, marked in red: {', '.join(wrong)}"
            if wrong
            else "check: every op's derivative agrees with its numerical slope"
        )
    print(f"wrote {out}")


# --- train -----------------------------------------------------------------------------------


def _train(args: argparse.Namespace) -> int:
    import nn
    from nn.boundary import plot_decision_boundary, predict

    plot = _output_path(args.plot, _PLOTS, "--plot") if args.plot else None
    save = _output_path(args.save, (".json",), "--save") if args.save else None
    if plot is not None:
        _require_matplotlib("--plot")  # before training, not after it
    X, y = _dataset(args)
    classes = max(y) + 1
    if args.loss in ("hinge", "bce") and classes > 2:
        raise _Stop(
            f"--loss {args.loss} separates two classes, the data has {classes}: use --loss cross_entropy", REFUSED
        )
    outputs = classes if args.loss == "cross_entropy" else 1
    try:
        model = nn.MLP(2, args.hidden + [outputs], activation=args.activation, init=args.init, seed=args.seed)
        optimizer = None  # fit's default: micrograd's SGD, learning rate 1.0 falling to 0.1
        if args.optimizer == "adam":
            optimizer = nn.Adam(model.parameters(), lr=args.lr or 0.05)
        elif args.lr is not None:
            optimizer = nn.SGD(model.parameters(), lr=args.lr)
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
        raise _Stop(f"{advice}; nothing was written", FAILED) from None
    except ValueError as error:  # settings fit refuses, e.g. a batch larger than the dataset
        raise _Stop(str(error), REFUSED) from None
    seconds = time.perf_counter() - started
    right = sum(p == t for p, t in zip(predict(model, X, args.loss, classes), y))
    print(
        f"trained {model.sizes[0]}-{'-'.join(map(str, model.sizes[1:]))} MLP on {args.dataset} "
        f"({len(X)} samples) for {history.steps} steps in {seconds:.1f} s"
    )
    print(f"final loss {history.loss[-1]:.4f}")
    print(f"accuracy {right / len(y):.1%} ({right} of {len(y)} samples)")
    unhealthy = [f"{s.name} {s.status}" for s in history.grad_stats[-1] if s.status != "ok"]
    print(f"gradients at the last step: {', '.join(unhealthy) if unhealthy else 'ok in every layer'}")
    # the weights first: refusing to save a diverged model is the likelier failure, and then no picture is left either
    if save is not None:
        try:
            nn.save(model, save)
        except ValueError as error:
            raise _Stop(str(error), FAILED) from None
        except OSError as error:
            raise _Stop(f"cannot write {save}: {error.strerror or error}", FAILED) from None
        rebuild = f"nn.MLP(2, {args.hidden + [outputs]}, activation={args.activation!r})"
        print(f"wrote weights: {save} (load with nn.load({rebuild}, {str(save)!r}))")
    if plot is not None:
        import matplotlib.pyplot as plt

        ax = plot_decision_boundary(model, X, y, loss=args.loss)
        ax.figure.tight_layout()
        _write_atomically(plot, lambda tmp: ax.figure.savefig(tmp, format=plot.suffix[1:].lower(), dpi=120))
        plt.close(ax.figure)
        print(f"wrote decision boundary: {plot}")
    return OK


def _dataset(args: argparse.Namespace) -> tuple[list[list[float]], list[int]]:
    import nn

    if args.classes is not None and args.dataset in ("moons", "circles"):
        raise _Stop(f"--classes applies to blobs and spirals; {args.dataset} always has 2", REFUSED)
    options: dict[str, object] = {"seed": args.seed}
    if args.noise is not None:
        options["noise"] = args.noise
    if args.dataset == "blobs":
        options["centers"] = args.classes or 2
    if args.dataset == "spirals":
        options["classes"] = args.classes or 2
    make = {"moons": nn.make_moons, "circles": nn.make_circles, "blobs": nn.make_blobs, "spirals": nn.make_spirals}
    try:
        return make[args.dataset](args.samples, **options)
    except ValueError as error:
        raise _Stop(str(error), REFUSED) from None


# --- gradflow --------------------------------------------------------------------------------


def _gradflow(args: argparse.Namespace) -> int:
    import nn

    out = _output_path(args.output, _PICTURES + _SOURCES, "-o") if args.output else None
    X, y = nn.make_moons(args.samples, seed=args.seed)
    model = nn.MLP(2, [args.width] * args.depth + [1], activation=args.activation, init=args.init, seed=args.seed)
    # mean squared error towards the labels 0/1: unlike hinge, its per-sample gradients do not
    # cancel out when a deep net gives every point the same score
    loss = nn.losses.mse([model(x) for x in X], [float(t) for t in y])
    loss.backward()
    stats = nn.grad_stats(model)
    print(
        f"one backward of the mean squared error on {args.samples} moons through "
        f"MLP(2, [{args.width}] * {args.depth} + [1]), {args.activation}, {args.init} init"
    )
    print(f"{'layer':<10} {'mean |grad|':>12} {'max |grad|':>12}  status")
    for s in stats:
        print(f"{s.name:<10} {s.mean_abs_grad:>12.3e} {s.max_abs_grad:>12.3e}  {s.status}")
    print(_verdict(stats))
    if out is not None:
        _write_drawing(nn.draw_grad_flow(stats, rankdir=args.rankdir), out)
        print(f"wrote {out}")
    return OK


def _verdict(stats: list) -> str:
    vanishing = [s.name for s in stats if s.status == "vanishing"]
    exploding = [s.name for s in stats if s.status == "exploding"]
    if exploding:
        return (
            f"exploding: {_span(exploding)} get huge gradients, so one step throws their weights far away; "
            "try --init he (xavier for tanh/sigmoid), a smaller learning rate or gradient clipping"
        )
    if vanishing:
        return (
            f"vanishing: {_span(vanishing)} get under 1/1000 of the largest layer's gradient, so they barely "
            "learn; try --activation relu --init he"
        )
    return "healthy: every layer gets a useful share of the gradient"


def _span(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{len(names)} layers ({names[0]} to {names[-1]})"


# --- files -----------------------------------------------------------------------------------


def _output_path(text: str, suffixes: tuple[str, ...], option: str) -> Path:
    """The path to write, checked before any work is done: a known suffix, in an existing folder."""
    path = Path(text)
    if path.suffix.lower() not in suffixes:
        raise _Stop(f"{option} {text!r}: the file name must end in {', '.join(suffixes)}", REFUSED)
    if path.is_dir():
        raise _Stop(f"{option} {text!r} is a folder; give a file name", REFUSED)
    folder = path.parent
    if not folder.is_dir():
        raise _Stop(f"{option} {text!r}: the folder {str(folder)!r} does not exist", REFUSED)
    return path


def _write_drawing(drawing, out: Path) -> None:
    from engine import GraphvizNotFoundError

    suffix = out.suffix.lower()
    if suffix in _SOURCES:
        data = drawing.source.encode("utf-8")
    else:
        try:
            data = drawing.pipe(format=suffix[1:])
        except GraphvizNotFoundError as error:
            raise _Stop(f"{error} (or write the DOT source with -o {out.with_suffix('.dot')})", MISSING) from None
    _write_atomically(out, lambda tmp: Path(tmp).write_bytes(data))


def _write_atomically(path: Path, write: Callable[[str], object]) -> None:
    """`write(temporary)` then rename over `path`: the file appears complete or not at all."""
    from engine.files import write_atomically

    try:
        write_atomically(path, write)
    except OSError as error:
        raise _Stop(f"cannot write {path}: {error.strerror or error}", FAILED) from None


def _require_matplotlib(option: str) -> None:
    try:
        import matplotlib
    except ImportError:
        raise _Stop(
            f"{option} needs matplotlib, which is not installed: pip install matplotlib "
            "(or pip install -e '.[notebooks]')",
            MISSING,
        ) from None
    matplotlib.use("Agg")  # files only: never open a window


# --- argument types --------------------------------------------------------------------------


def _natural(text: str) -> int:
    return _integer(text, 0, "an integer >= 0")


def _at_least_20(text: str) -> int:
    return _integer(text, 20, "an integer >= 20")


def _positive_int(text: str) -> int:
    return _integer(text, 1, "an integer >= 1")


def _integer(text: str, least: int, what: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
    if n < least:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}")
    return n


def _positive(text: str) -> float:
    x = _float(text)
    if not x > 0 or math.isinf(x):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number > 0")
    return x


def _non_negative(text: str) -> float:
    x = _float(text)
    if not x >= 0 or math.isinf(x):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number >= 0")
    return x


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


def _sizes(text: str) -> list[int]:
    """'16,16' -> [16, 16]; '' -> [] (no hidden layer: a linear model)."""
    parts = [p.strip() for p in text.split(",")] if text.strip() else []
    if not all(p.isdigit() and int(p) > 0 for p in parts):
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of layer sizes like 16,16")
    return [int(p) for p in parts]


def _number(x: float) -> str:
    return f"{x:.4f}" if x == 0 or 1e-4 <= abs(x) < 1e6 else f"{x:.4e}"


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("chainrule")
    except PackageNotFoundError:
        return "unknown"
