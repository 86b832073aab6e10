"""The `chainrule` command: backprop pictures and small experiments from the shell.

    chainrule draw "tanh(x1*w1 + x2*w2 + b)" --at x1=2 x2=0 w1=-3 w2=1 b=6.8813735870195432 -o neuron.svg
    chainrule train --dataset moons --hidden 16,16 --steps 100 --plot moons.png --save model.json
    chainrule gradflow --depth 12 --width 8 --activation sigmoid -o flow.svg

`draw` builds the graph of a formula (parsed by nn/cli/expression.py, never run as Python), runs
backward and draws every node with its data and gradient; `train` fits an MLP on a toy dataset;
`gradflow` runs one backward through a deep MLP and shows how much gradient reaches each layer.

This file is the front door: it declares every command and option (what each option accepts is
in nn/cli/options.py), hands the parsed options to the command's `run` (nn/cli/draw.py,
nn/cli/train.py, nn/cli/gradflow.py) and turns however it ends into an exit status. It sits on
top of both packages (the commands use `engine` and `nn`), which is why it lives in `nn`.
A mistake in what the user typed is answered with one line on stderr, never a traceback, and
nothing is written (nn/cli/files.py). Exit status (nn/cli/status.py): 0 done; 1 failed while
running (training diverged, a file could not be written); 2 refused (bad arguments or
expression); 3 a program or package it needs is missing (Graphviz's `dot`, matplotlib).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from engine.draw.dot import COLOR_MODES, RANKDIRS
from nn.cli import draw as cli_draw
from nn.cli import gradflow as cli_gradflow
from nn.cli import train as cli_train
from nn.cli.options import at_least_2, at_least_20, natural, non_negative, positive, positive_int, sizes
from nn.cli.status import FAILED, MISSING, OK, REFUSED, Stop
from nn.data import DATASETS
from nn.module import ACTIVATIONS, INITS
from nn.optim import OPTIMIZERS
from nn.tasks import TASKS

__all__ = ["main", "OK", "FAILED", "REFUSED", "MISSING"]


class _Parser(argparse.ArgumentParser):
    # argparse's own errors (unknown option, missing value) as one line too, with exit status 2
    def error(self, message: str) -> None:
        if "EXPR" in message:  # --at takes every value after it, so EXPR may have been swallowed
            message += ': give the formula before --at, e.g. chainrule draw "x*w + b" --at x=1 w=2 b=0'
        raise Stop(f"{message} (see {self.prog} --help)", REFUSED, self.prog)


class _Version(argparse.Action):
    # looked up only when asked for: reading package metadata slows every start of the command
    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(f"chainrule {_version()}")
        parser.exit()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line `argv` (default: sys.argv[1:]); return the exit status.

    `main(["gradflow", "--depth", "3"])` prints the table and returns 0; `main(["draw"])` prints one
    line on stderr and returns 2.
    """
    parser = _build_parser()
    prog = "chainrule"
    try:
        args = parser.parse_args(_formulas_as_operands(list(sys.argv[1:] if argv is None else argv)))
        prog = f"chainrule {args.command}".strip()
        return args.run(args)
    except Stop as stop:
        print(f"{stop.prog or prog}: error: {stop}", file=sys.stderr)
        return stop.status
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; nothing was written", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`chainrule gradflow | head -1`): nothing left to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return FAILED


def _formulas_as_operands(argv: list[str]) -> list[str]:
    """A formula that starts with unary minus ("-x*w") as EXPR, where argparse would read an option.

    Only a word that cannot be an option is touched: one holding an operator, a bracket or a
    space (not a negative number such as an option's value -0.5, which argparse reads itself).
    A leading space makes argparse take it as an operand; the formula ignores it.
    """
    return [" " + word if word[:1] == "-" and any(c in word for c in "*/+() ") else word for word in argv]


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
        metavar="OUT",
        help="file to write (without it only the gradients are printed): .svg .png .pdf (Graphviz), .dot .gv "
        "(the DOT source, no Graphviz needed) or .html (the backward pass step by step, with a slider)",
    )
    draw.add_argument(
        "--rankdir", choices=RANKDIRS, help="left to right or top to bottom (default: the one that fits a screen)"
    )
    draw.add_argument("--color-by", choices=COLOR_MODES, help="fill boxes by |grad| (log scale) or by role")
    draw.add_argument("--step", type=natural, metavar="K", help="draw the backward walk after K chain-rule steps")
    draw.add_argument("--check", action="store_true", help="mark in red any op whose derivative disagrees numerically")
    draw.add_argument(
        "--max-nodes", type=at_least_20, default=300, metavar="N", help="boxes before folding modules (default 300)"
    )
    draw.add_argument(
        "--max-steps",
        type=positive_int,
        default=300,
        metavar="N",
        help="most chain-rule steps an .html step-through may hold (default 300)",
    )
    draw.set_defaults(run=cli_draw.run, command="draw")

    train = commands.add_parser("train", help="train an MLP on a toy dataset, with a progress bar")
    train.description = "Train an MLP classifier on a 2-D toy dataset and report its loss and accuracy."
    train.add_argument("--dataset", choices=list(DATASETS), default="moons", help="(default moons)")
    train.add_argument("--samples", type=positive_int, default=100, help="number of points (default 100)")
    train.add_argument("--noise", type=non_negative, help="noise of the dataset (default: the dataset's own)")
    train.add_argument("--classes", type=at_least_2, help="number of classes, for blobs and spirals (default 2)")
    train.add_argument("--hidden", type=sizes, default=[16, 16], metavar="N,N", help="hidden layer sizes (16,16)")
    train.add_argument("--activation", choices=ACTIVATIONS, default="relu", help="(default relu)")
    train.add_argument("--init", choices=INITS, default="uniform", help="(default uniform)")
    train.add_argument("--loss", choices=list(TASKS), default="hinge", help="(default hinge)")
    train.add_argument("--optimizer", choices=list(OPTIMIZERS), help=f"(default: {_suggested_optimizers()})")
    train.add_argument(
        "--lr", type=positive, help="learning rate (default: sgd falls from 1.0 to 0.1 as in micrograd; adam 0.05)"
    )
    train.add_argument("--steps", type=positive_int, default=100, help="optimizer steps (default 100)")
    train.add_argument("--batch-size", type=positive_int, metavar="B", help="samples per step (default: all)")
    train.add_argument("--clip", type=positive, metavar="NORM", help="cap the gradient norm before each step")
    train.add_argument("--seed", type=int, default=0, help="seed for data, weights and batches (default 0)")
    train.add_argument("--plot", metavar="OUT", help="write the decision boundary picture (.png .svg .pdf)")
    train.add_argument("--plot-history", metavar="OUT", help="write the loss and accuracy curves (.png .svg .pdf)")
    train.add_argument("--save", metavar="MODEL.json", help="write the trained weights as JSON")
    train.add_argument("--no-compile", action="store_true", help="run the plain Value graph, not the compiled one")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    train.set_defaults(run=cli_train.run, command="train")

    flow = commands.add_parser("gradflow", help="one backward through a deep MLP: how much gradient reaches each layer")
    flow.description = (
        "Build a deep MLP, run one backward on a batch of moons, and show each layer's gradient: "
        "vanishing with sigmoid, exploding with large weights, healthy with --activation relu --init he."
    )
    flow.add_argument("--depth", type=positive_int, default=12, help="hidden layers (default 12)")
    flow.add_argument("--width", type=positive_int, default=8, help="neurons per hidden layer (default 8)")
    flow.add_argument(
        "--activation", choices=ACTIVATIONS, default="sigmoid", help="(default sigmoid: its gradients vanish)"
    )
    flow.add_argument(
        "--init",
        choices=INITS,
        default="uniform",
        help="(default uniform; --activation relu --init uniform --width 24 --depth 8 explodes)",
    )
    flow.add_argument("--samples", type=positive_int, default=32, help="batch size of the one backward (default 32)")
    flow.add_argument("--seed", type=int, default=0, help="seed for data and weights (default 0)")
    flow.add_argument("-o", "--output", metavar="OUT", help="write the diagram: .svg .png .pdf or .dot .gv")
    flow.add_argument("--rankdir", choices=RANKDIRS, default="TB", help="top to bottom (default) or left to right")
    flow.set_defaults(run=cli_gradflow.run, command="gradflow")
    return parser


def _suggested_optimizers() -> str:
    """'sgd for hinge and bce, adam for mse and cross_entropy': each task's optimizer, from the table."""
    chosen: dict[str, list[str]] = {}
    for task in TASKS.values():
        chosen.setdefault(task.optimizer, []).append(task.name)
    return ", ".join(f"{optimizer} for {' and '.join(names)}" for optimizer, names in chosen.items())


def _no_command(args: argparse.Namespace) -> int:
    raise Stop("choose a command: draw, train or gradflow (see chainrule --help)", REFUSED)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("chainrule")
    except PackageNotFoundError:
        return "unknown"
