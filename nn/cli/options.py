"""What each `chainrule` option accepts: text from the shell turned into a checked number.

argparse calls an option's `type` on the text the user typed. Each function here is such a type:
it returns the number, or raises `argparse.ArgumentTypeError` saying what was given and what is
accepted, which argparse turns into `chainrule train: error: argument --lr: '0' is not a number > 0`
(exit status 2). Checking here, as the text enters, means the training loop and the drawing never
see a step count of zero or a learning rate of infinity, and need no checks of their own.

>>> sizes("16, 8")
[16, 8]
>>> positive("0")
Traceback (most recent call last):
  ...
argparse.ArgumentTypeError: '0' is not a number > 0
"""

from __future__ import annotations

import argparse
import math

__all__ = ["natural", "at_least_2", "at_least_20", "positive_int", "positive", "non_negative", "sizes"]


def natural(text: str) -> int:
    """A count that may be zero, e.g. `--step 0` (the drawing before any chain-rule step)."""
    return _integer(text, 0, "an integer >= 0")


def at_least_20(text: str) -> int:
    """`--max-nodes`: draw_dot's own least budget (a fold needs room for its summary boxes)."""
    return _integer(text, 20, "an integer >= 20")


def at_least_2(text: str) -> int:
    """`--classes`: one class is nothing to tell apart."""
    return _integer(text, 2, "an integer >= 2")


def positive_int(text: str) -> int:
    """A size or count that must be at least one: samples, steps, layers, neurons."""
    return _integer(text, 1, "an integer >= 1")


def positive(text: str) -> float:
    """A finite number > 0, e.g. a learning rate or a clipping norm."""
    x = _float(text)
    if not x > 0 or math.isinf(x):  # `not x > 0` also refuses nan
        raise argparse.ArgumentTypeError(f"{text!r} is not a number > 0")
    return x


def non_negative(text: str) -> float:
    """A finite number >= 0, e.g. the noise of a dataset."""
    x = _float(text)
    if not x >= 0 or math.isinf(x):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number >= 0")
    return x


def sizes(text: str) -> list[int]:
    """'16,16' -> [16, 16]; '' -> [] (no hidden layer: a linear model)."""
    parts = [p.strip() for p in text.split(",")] if text.strip() else []
    if not all(p.isdigit() and int(p) > 0 for p in parts):
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of layer sizes like 16,16")
    return [int(p) for p in parts]


def _integer(text: str, least: int, what: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
    if n < least:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}")
    return n


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
