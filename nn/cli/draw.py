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
import sys
from collections.abc import Sequence
from pathlib import Path

from nn.cli.files import ANIMATION, PICTURES, SOURCES, output_path, write_atomically, write_drawing
from nn.cli.status import MISSING, OK, REFUSED, Stop

__all__ = ["run"]


def run(args: argparse.Namespace) -> int:
    """Build, backward and draw `args.expression`; print its value and gradients. Returns OK."""
    from engine import GraphvizNotFoundError, backward_animation, draw_dot
    from nn.cli.expression import ExpressionError, UnknownNamesError, build

    out = output_path(args.output, PICTURES + SOURCES + ANIMATION, "-o")
    values = _read_at(args.at)
    try:
        root, leaves = build(args.expression, values)
    except UnknownNamesError as error:
        given = " ".join(f"{n}=..." for n in error.names)
        raise Stop(
            f"{error} in the expression: give {'its' if len(error.names) == 1 else 'their'} value with --at {given}",
            REFUSED,
        ) from None
    except ExpressionError as error:
        raise Stop(str(error), REFUSED) from None
    root.backward()
    if out.suffix.lower() in ANIMATION:
        if args.step is not None:
            raise Stop("--step draws one moment of the walk; an .html file already holds every step", REFUSED)
        options = {"rankdir": args.rankdir, "color_by": args.color_by, "check": args.check, "max_nodes": args.max_nodes}
        try:
            write_atomically(out, lambda tmp: backward_animation(root, tmp, **options))
        except GraphvizNotFoundError as error:
            raise Stop(str(error), MISSING) from None
        except ValueError as error:  # the walk has more steps than one page should hold
            raise Stop(str(error), REFUSED) from None
    else:
        drawing = draw_dot(
            root,
            rankdir=args.rankdir,
            color_by=args.color_by,
            step=args.step,
            check=args.check,
            max_nodes=args.max_nodes,
        )
        write_drawing(drawing, out)
    _report(args.expression, root, leaves, out, args.check)
    unused = [name for name in values if name not in leaves]
    if unused:
        print(f"note: {', '.join(unused)} given with --at but not used by the expression", file=sys.stderr)
    return OK


def _read_at(items: Sequence[str]) -> dict[str, float]:
    """`--at x=2 w=-3` -> {'x': 2.0, 'w': -3.0}: each name a valid variable, given once, with a number."""
    from nn.cli.expression import ExpressionError, check_name

    values: dict[str, float] = {}
    for item in items:
        name, equals, text = item.partition("=")
        name = name.strip()
        if not equals:
            raise Stop(f"--at {item!r}: write NAME=VALUE, e.g. --at x=2.5", REFUSED)
        try:
            check_name(name)
        except ExpressionError as error:
            raise Stop(f"--at {item!r}: {error}", REFUSED) from None
        if name in values:
            raise Stop(f"--at gives {name!r} twice", REFUSED)
        try:
            values[name] = float(text)
        except ValueError:
            raise Stop(f"--at {item!r}: {text!r} is not a number", REFUSED) from None
    return values


def _report(text: str, root, leaves: dict, out: Path, check: bool) -> None:
    print(f"{text.strip()} = {_number(root.data)}")
    for name, leaf in leaves.items():
        print(f"  d/d{name} = {_number(leaf.grad)}")
    if check:
        from engine import topological_order
        from engine.autodiff import mismatches

        wrong = [v.op for v in topological_order(root) if not v.is_leaf and mismatches(v)]
        print(
            f"check: {len(wrong)} op(s) disagree with the numerical slope, marked in red: {', '.join(wrong)}"
            if wrong
            else "check: every op's derivative agrees with its numerical slope"
        )
    print(f"wrote {out}")


def _number(x: float) -> str:
    # four decimals like the drawing's boxes, unless that would hide a tiny or huge gradient
    return f"{x:.4f}" if x == 0 or 1e-4 <= abs(x) < 1e6 else f"{x:.4e}"
