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
from typing import NoReturn

from engine.draw.dot import COLOR_MODES, RANKDIRS
from nn.cli import draw as cli_draw
from nn.cli import gradflow as cli_gradflow
from nn.cli import train as cli_train
from nn.cli.files import DEFAULT_TIMEOUT, TIMEOUT_VARIABLE
from nn.cli.options import (
    MOST_DEPTH,
    MOST_GRADFLOW_COST,
    MOST_NODES,
    MOST_PARAMETERS,
    MOST_PER_LAYER,
    MOST_SAMPLES,
    MOST_STEPS,
    MOST_TRAIN_STEPS,
    at_least_2,
    depth,
    natural,
    node_budget,
    noise,
    positive,
    positive_int,
    samples,
    seconds,
    sizes,
    step_budget,
    steps,
    width,
)
from nn.cli.status import FAILED, MISSING, OK, REFUSED, Stop
from nn.cli.train import HIDDEN_HELP
from nn.data import DATASETS
from nn.module import ACTIVATIONS, INITS
from nn.optim import OPTIMIZERS
from nn.tasks import TASKS

__all__ = ["main", "OK", "FAILED", "REFUSED", "MISSING"]


class _Parser(argparse.ArgumentParser):
    # argparse's own errors (unknown option, missing value) as one line too, with exit status 2
    def error(self, message: str) -> NoReturn:
        if "EXPR" in message:  # --at takes every value after it, so EXPR may have been swallowed
            message += ': give the formula before --at, e.g. chainrule draw "x*w + b" --at x=1 w=2 b=0'
        raise Stop(f"{message} (see {self.prog} --help)", REFUSED, self.prog)


class _Version(argparse.Action):
    # looked up only when asked for: reading package metadata slows every start of the command
    def __init__(self, option_strings: list[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, help=help)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        print(f"chainrule {_version()}")
        parser.exit()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line `argv` (default: sys.argv[1:]); return the exit status.

    `main(["gradflow", "--depth", "3"])` prints the table and returns 0; `main(["draw"])` prints one
    line on stderr and returns 2.
    """
    parser, draw = _build_parser()
    prog = "chainrule"
    try:
        args = parser.parse_args(_formula_as_operand(list(sys.argv[1:] if argv is None else argv), draw))
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


def _formula_as_operand(argv: list[str], draw: argparse.ArgumentParser) -> list[str]:
    """`draw`'s formula as EXPR even when it starts with a minus ("-x", "--x", "-1e309", "-x*w").

    argparse reads any word starting with "-" as an option, so such a formula is found here and
    put right after `draw` with a leading space (which makes argparse take it as an operand; the
    formula ignores it). Only the formula is touched: an option's value such as `-o "-a b.dot"`
    is skipped over, by reading the words the way argparse will. `--` says the next word is the
    formula whatever it looks like, as in `chainrule draw -- -x --at x=1`.
    """
    if argv[:1] != ["draw"]:
        return argv
    options = draw._option_string_actions  # every spelling of every option of `draw`
    words = argv[1:]
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--":
            if i + 1 < len(words):
                formula = words[i + 1]
                rest = words[:i] + words[i + 2 :]
                return ["draw", " " + formula if formula[:1] == "-" else formula, *rest]
            return argv
        if word[:1] != "-" or " " in word:  # an operand: the formula itself, which needs no help
            return argv
        action = _option_named(word, options)
        if action is None:  # no option of draw: the formula, starting with a minus
            return ["draw", " " + word, *words[:i], *words[i + 1 :]]
        i += 1
        if "=" in word or action.nargs == 0:
            continue
        if action.nargs == "+":  # --at takes words until the next option
            while i < len(words) and words[i][:1] != "-":
                i += 1
        else:
            i += 1  # the option's one value, whatever it looks like
    return argv


def _option_named(word: str, options: dict[str, argparse.Action]) -> argparse.Action | None:
    """The option `word` means (spelt out, as --name=value, or shortened as argparse allows), or None."""
    name = word.split("=", 1)[0] if word.startswith("--") else word
    if name in options:
        return options[name]
    if name.startswith("--") and len(name) > 2:
        matches = {action for spelling, action in options.items() if spelling.startswith(name)}
        if matches:  # one match is that option; several, argparse's own "ambiguous option" error
            return next(iter(matches))
    return None


def _build_parser() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """The `chainrule` parser, and its `draw` subparser (whose options _formula_as_operand reads)."""
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
        "(the DOT source, no Graphviz needed), .html (the backward pass step by step, with a slider) or "
        ".explore.html (a large graph to pan, zoom and search)",
    )
    draw.add_argument(
        "--rankdir", choices=RANKDIRS, help="left to right or top to bottom (default: the one that fits a screen)"
    )
    draw.add_argument("--color-by", choices=COLOR_MODES, help="fill boxes by |grad| (log scale) or by role")
    draw.add_argument("--step", type=natural, metavar="K", help="draw the backward walk after K chain-rule steps")
    draw.add_argument("--check", action="store_true", help="mark in red any op whose derivative disagrees numerically")
    draw.add_argument(
        "--max-nodes",
        type=node_budget,
        default=300,
        metavar="N",
        help=f"boxes before folding modules, 20 to {MOST_NODES:,} (default 300)",
    )
    draw.add_argument(
        "--max-steps",
        type=step_budget,
        default=300,
        metavar="N",
        help=f"most chain-rule steps an .html step-through may hold, up to {MOST_STEPS:,} (default 300)",
    )
    _graphviz_timeout(draw)
    draw.set_defaults(run=cli_draw.run, command="draw")

    train = commands.add_parser("train", help="train an MLP on a toy dataset, with a progress bar")
    train.description = "Train an MLP classifier on a 2-D toy dataset and report its loss and accuracy."
    train.add_argument("--dataset", choices=list(DATASETS), default="moons", help="(default moons)")
    train.add_argument(
        "--samples", type=samples, default=100, help=f"number of points, up to {MOST_SAMPLES:,} (default 100)"
    )
    train.add_argument("--noise", type=noise, help="noise of the dataset, 0 to 100 (default: the dataset's own)")
    train.add_argument("--classes", type=at_least_2, help="number of classes, for blobs and spirals (default 2)")
    train.add_argument("--hidden", type=sizes, default=[16, 16], metavar="N,N", help=HIDDEN_HELP)
    train.add_argument("--activation", choices=ACTIVATIONS, default="relu", help="(default relu)")
    train.add_argument("--init", choices=INITS, default="uniform", help="(default uniform)")
    train.add_argument("--loss", choices=list(TASKS), default="hinge", help="(default hinge)")
    train.add_argument("--optimizer", choices=list(OPTIMIZERS), help=f"(default: {_suggested_optimizers()})")
    train.add_argument(
        "--lr", type=positive, help="learning rate (default: sgd falls from 1.0 to 0.1 as in micrograd; adam 0.05)"
    )
    train.add_argument(
        "--steps", type=steps, default=100, help=f"optimizer steps, up to {MOST_TRAIN_STEPS:,} (default 100)"
    )
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
    flow.add_argument("--depth", type=depth, default=12, help=f"hidden layers, 1 to {MOST_DEPTH} (default 12)")
    flow.add_argument(
        "--width",
        type=width,
        default=8,
        help=f"neurons per hidden layer, 1 to {MOST_PER_LAYER:,} (default 8); at most {MOST_PARAMETERS:,} "
        f"weights in all, and at most {MOST_GRADFLOW_COST:,} units of work with --samples "
        "(per sample: each weight 1, each neuron 15, the sample 100)",
    )
    flow.add_argument(
        "--activation", choices=ACTIVATIONS, default="sigmoid", help="(default sigmoid: its gradients vanish)"
    )
    flow.add_argument(
        "--init",
        choices=INITS,
        default="uniform",
        help="(default uniform; --activation relu --init uniform --width 24 --depth 8 explodes)",
    )
    flow.add_argument("--samples", type=samples, default=32, help="batch size of the one backward (default 32)")
    flow.add_argument("--seed", type=int, default=0, help="seed for data and weights (default 0)")
    flow.add_argument("-o", "--output", metavar="OUT", help="write the diagram: .svg .png .pdf or .dot .gv")
    flow.add_argument("--rankdir", choices=RANKDIRS, default="TB", help="top to bottom (default) or left to right")
    _graphviz_timeout(flow)
    flow.set_defaults(run=cli_gradflow.run, command="gradflow")
    return parser, draw


def _graphviz_timeout(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--graphviz-timeout",
        type=seconds,
        metavar="SECONDS",
        help=f"stop Graphviz's dot if it runs longer (default ${TIMEOUT_VARIABLE} or {DEFAULT_TIMEOUT:g})",
    )


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
