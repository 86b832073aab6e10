"""`chainrule draw`: a formula typed in the shell, its graph after backward, as a picture.

    chainrule draw "tanh(x1*w1 + x2*w2 + b)" --at x1=2 x2=0 w1=-3 w2=1 b=6.8813735870195432 -o neuron.svg

This is the lecture's neuron without writing any Python: each name given with `--at` becomes a
leaf Value, the formula is built from Values by nn/cli/expression.py (parsed, never run), `backward()`
fills in every gradient, and `draw_dot` shows each node with its data and grad — so the picture
is the chain rule worked out. The same numbers are printed (the output and d/dname for each leaf)
so a script or a test can read them. With `-o walk.html` the picture becomes a player that steps
through backward one node at a time; `--check` marks in red any op whose derivative disagrees
with its numerical slope.
"""

from __future__ import annotations

import argparse
import math
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from engine.format import format_number
from nn.cli.files import (
    ANIMATION,
    PICTURES,
    SOURCES,
    graphviz_stop,
    graphviz_timeout,
    output_path,
    write_atomically,
    write_drawing,
)
from nn.cli.status import OK, REFUSED, SHOWN_AT_MOST, Stop, shown

__all__ = ["run"]


def run(args: argparse.Namespace) -> int:
    """Build, backward and draw `args.expression`; print its value and gradients. Returns OK."""
    from engine import GraphvizFailed, GraphvizNotFoundError, backward_animation, draw_dot
    from nn.cli.expression import ExpressionError, UnknownNamesError, build

    out = output_path(args.output, PICTURES + SOURCES + ANIMATION, "-o") if args.output else None
    timeout = graphviz_timeout(args.graphviz_timeout)
    values = _read_at(args.at)
    try:
        root, leaves = build(args.expression, values)
    except UnknownNamesError as error:
        # a name too long or odd to retype is only quoted once, in the error itself
        given = " ".join(
            f"{n}=..." if n.isprintable() and len(n) <= SHOWN_AT_MOST else "NAME=..." for n in error.names[:5]
        )
        raise Stop(
            f"{error} in the expression: give {'its' if len(error.names) == 1 else 'their'} value with --at {given}",
            REFUSED,
        ) from None
    except ExpressionError as error:
        raise Stop(str(error), REFUSED) from None
    root.backward()
    if out is None:  # no file asked for: the numbers are the answer
        pass
    elif out.name.lower().endswith(".explore.html"):  # the big-graph explorer (engine/draw/explorer.py)
        from engine import explore

        explore(root, out)
    elif out.suffix.lower() in ANIMATION:
        if args.step is not None:
            raise Stop("--step draws one moment of the walk; an .html file already holds every step", REFUSED)
        options = {
            "rankdir": args.rankdir,
            "color_by": args.color_by,
            "check": args.check,
            "max_nodes": args.max_nodes,
            "max_steps": args.max_steps,
        }
        try:
            write_atomically(out, lambda tmp: backward_animation(root, tmp, timeout=timeout, **options))
        except (GraphvizNotFoundError, GraphvizFailed) as error:  # the same line as for a picture
            raise graphviz_stop(error, out) from None
        except ValueError as error:  # the walk has more steps than one page should hold
            # the engine's words name its keyword; here the option is what to change
            said = str(error).split(" (backward_animation(")[0].replace("max_steps=", "--max-steps ")
            raise Stop(said.replace("raise max_steps", "raise --max-steps"), REFUSED) from None
    else:
        drawing = draw_dot(
            root,
            rankdir=args.rankdir,
            color_by=args.color_by,
            step=args.step,
            check=args.check,
            max_nodes=args.max_nodes,
        )
        write_drawing(drawing, out, timeout)
    _report(args.expression, root, leaves, out, args.check)
    if not all(math.isfinite(x) for x in [root.data, *(leaf.grad for leaf in leaves.values())]):
        _say_which_op_was_not_finite(args.expression, values)
    unused = [name for name in values if name not in leaves]
    if unused:
        print(f"note: {', '.join(unused)} given with --at but not used by the expression", file=sys.stderr)
    return OK


def _read_at(items: Sequence[str]) -> dict[str, float]:
    """`--at x=2 w=-3` -> {'x': 2.0, 'w': -3.0}: each name a valid variable, given once, with a number."""
    from nn.cli.expression import FINITE, ExpressionError, check_name

    values: dict[str, float] = {}
    for item in items:
        name, equals, text = item.partition("=")
        # NFKC, as Python's parser does to the formula's names: --at ｘ=1 gives the x of "ｘ*w"
        name = unicodedata.normalize("NFKC", name.strip())
        if not equals:
            raise Stop(f"--at {shown(item)}: write NAME=VALUE, e.g. --at x=2.5", REFUSED)
        try:
            check_name(name)
        except ExpressionError as error:
            raise Stop(f"--at {shown(item)}: {error}", REFUSED) from None
        if name in values:
            raise Stop(f"--at gives {shown(name)} twice", REFUSED)
        try:
            value = float(text)
        except ValueError:
            raise Stop(f"--at {shown(item)}: {shown(text)} is not a number", REFUSED) from None
        if not math.isfinite(value):  # nan, inf, and numbers past the float range such as 1e309
            raise Stop(f"--at {shown(item)}: {FINITE}", REFUSED)
        values[name] = value
    return values


def _report(text: str, root, leaves: dict, out: Path | None, check: bool) -> None:
    print(f"{_formula(text)} = {format_number(root.data)}")
    for name, leaf in leaves.items():
        print(f"  d/d{name} = {format_number(leaf.grad)}")
    if check:
        from engine import topological_order
        from engine.autodiff import mismatches

        wrong = [v.op for v in topological_order(root) if not v.is_leaf and mismatches(v)]
        print(
            f"check: {len(wrong)} op(s) disagree with the numerical slope, marked in red: {', '.join(wrong)}"
            if wrong
            else "check: every op's derivative agrees with its numerical slope"
        )
    if out is not None:
        print(f"wrote {out}")


def _formula(text: str) -> str:
    """The formula as typed, unless echoing it could send the terminal control characters or a megabyte."""
    text = text.strip()
    return text if text.isprintable() and len(text) <= 2 * SHOWN_AT_MOST else shown(text, 2 * SHOWN_AT_MOST)


def _say_which_op_was_not_finite(text: str, values: dict[str, float]) -> None:
    """Rebuild and backward under detect_anomaly, which stops at the first op making a nan or inf."""
    from engine import detect_anomaly
    from nn.cli.expression import build

    try:
        with detect_anomaly():
            root, _ = build(text, values)
            root.backward()
    except FloatingPointError as error:
        # where the node was made is this command's own code: of no use to the user
        why = str(error).split("; the node was created")[0]
        print(f"note: not every number is finite: {why}", file=sys.stderr)
