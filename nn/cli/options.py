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

__all__ = [
    "natural",
    "at_least_2",
    "node_budget",
    "step_budget",
    "positive_int",
    "steps",
    "samples",
    "depth",
    "width",
    "positive",
    "noise",
    "seconds",
    "sizes",
    "MOST_NODES",
    "MOST_STEPS",
    "MOST_TRAIN_STEPS",
    "MOST_SAMPLES",
    "MOST_NOISE",
    "MOST_PER_LAYER",
    "MOST_PARAMETERS",
    "MOST_DEPTH",
    "MOST_GRADFLOW_COST",
    "NEURON_COST",
    "SAMPLE_COST",
]

# Upper bounds, so that a typo (an extra zero, a pasted number) is refused at once instead of
# running for minutes, filling the memory or overflowing deep inside a library. Each is far above
# what a lesson needs and far below what the machine would choke on.
MOST_NODES = 5_000  # boxes in one drawing: Graphviz lays out ~5,000 in seconds, 10^6 in hours
MOST_STEPS = 5_000  # chain-rule steps in one .html player: each step is one SVG picture
MOST_TRAIN_STEPS = 1_000_000  # optimizer steps: a day of scalar training
MOST_SAMPLES = 100_000  # points of a toy dataset (each sample is a graph per step)
MOST_NOISE = 100.0  # the toy datasets lie within a few units; noise 100 is already pure noise
MOST_PER_LAYER = 1_000  # neurons in one hidden layer
# Every weight is a Value and every step builds a graph per sample, so 100,000 weights already
# take minutes a training step; 10^8 would fill the memory after a minute of building.
MOST_PARAMETERS = 100_000  # weights and biases of one MLP (train and gradflow)
MOST_DEPTH = 100  # gradflow's hidden layers: the lesson's net has 12, and 100 sigmoids leave ~1e-60
# gradflow's one backward, measured: per sample, each weight costs ~1.3 us, each neuron (a node
# with its activation) about 15 weights' worth, and the sample itself about 100. The cost allowed
# is 4 million such units, a few seconds: the lesson's net with its 32 samples is 76,000.
NEURON_COST, SAMPLE_COST = 15, 100
MOST_GRADFLOW_COST = 4_000_000


def natural(text: str) -> int:
    """A count that may be zero, e.g. `--step 0` (the drawing before any chain-rule step)."""
    return _integer(text, 0, "an integer >= 0")


def node_budget(text: str) -> int:
    """`--max-nodes`: at least draw_dot's own least budget (a fold needs room for its summary boxes)."""
    return _integer(text, 20, f"an integer from 20 to {MOST_NODES:,}", MOST_NODES)


def step_budget(text: str) -> int:
    """`--max-steps`: chain-rule steps an .html player may hold."""
    return _integer(text, 1, f"an integer from 1 to {MOST_STEPS:,}", MOST_STEPS)


def steps(text: str) -> int:
    """`train --steps`: optimizer steps."""
    return _integer(text, 1, f"an integer from 1 to {MOST_TRAIN_STEPS:,}", MOST_TRAIN_STEPS)


def samples(text: str) -> int:
    """`--samples`: points of a toy dataset."""
    return _integer(text, 1, f"an integer from 1 to {MOST_SAMPLES:,}", MOST_SAMPLES)


def depth(text: str) -> int:
    """`gradflow --depth`: hidden layers."""
    return _integer(text, 1, f"an integer from 1 to {MOST_DEPTH:,}", MOST_DEPTH)


def width(text: str) -> int:
    """`gradflow --width`: neurons per hidden layer, as many as `--hidden` allows in one layer."""
    return _integer(text, 1, f"an integer from 1 to {MOST_PER_LAYER:,}", MOST_PER_LAYER)


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


def noise(text: str) -> float:
    """`--noise`: a number from 0 to MOST_NOISE (beyond it the points are noise and nothing else)."""
    x = _float(text)
    if not 0 <= x <= MOST_NOISE:  # also refuses nan
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number from 0 to {MOST_NOISE:g} (the points lie within a few units; "
            "more noise than that hides them completely)"
        )
    return x


def seconds(text: str) -> float:
    """A time limit in seconds, > 0 and finite, e.g. `--graphviz-timeout 60`."""
    return positive(text)


def sizes(text: str) -> list[int]:
    """'16,16' -> [16, 16]; '' -> [] (no hidden layer: a linear model)."""
    parts = [p.strip() for p in text.split(",")] if text.strip() else []
    if not all(p.isdigit() and int(p) > 0 for p in parts):
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of layer sizes like 16,16")
    if any(int(p) > MOST_PER_LAYER for p in parts):
        raise argparse.ArgumentTypeError(f"{text!r}: a layer may have at most {MOST_PER_LAYER:,} neurons")
    return [int(p) for p in parts]


def _integer(text: str, least: int, what: str, most: int | None = None) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
    if n < least or (most is not None and n > most):
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}")
    return n


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
