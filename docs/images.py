"""Redraw the README's pictures (docs/img/*.svg) with today's code: `python docs/images.py`.

Each picture is made by the library itself, from a fixed seed, so anyone can remake it and a
change to the drawings shows up here as a changed image. Needs Graphviz's `dot`.

- neuron_step.svg: the lecture's neuron `tanh(x1*w1 + x2*w2 + b)`, three chain-rule steps into backward;
- demo_loss.svg: micrograd's demo loss (100 moons through MLP(2, [16, 16, 1]), hinge + L2), 65,818
  nodes once its fused neurons are counted as their parts, summarized by module and coloured by |grad|;
- grad_flow.svg: an 8-layer sigmoid network whose gradients vanish towards the input.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a clone without installing it

import nn  # noqa: E402  (after the path is set)
from engine import Value, draw_dot  # noqa: E402
from engine.files import write_atomically  # noqa: E402

OUT = HERE / "img"


def neuron_step():
    """The lecture's neuron mid-backward: step 3 of 5."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return draw_dot(o, step=3)


def demo_loss(**options):
    """micrograd's demo: the hinge loss of MLP(2, [16, 16, 1]) on 100 moons, plus an L2 penalty."""
    random.seed(1337)
    X, y = nn.make_moons(100, noise=0.1, seed=0)
    model = nn.MLP(2, [16, 16, 1])
    scores = [model(x) for x in X]
    loss = nn.losses.hinge(scores, [1 if c == 1 else -1 for c in y])
    loss = loss + 1e-4 * sum(p * p for p in model.parameters())
    loss.label = "loss"
    loss.backward()
    return draw_dot(loss, color_by="grad", **options)


def grad_flow():
    """Vanishing gradients: 8 sigmoid layers, one backward pass."""
    random.seed(0)
    model = nn.MLP(2, [8] * 7 + [1], activation="sigmoid")
    model([1.0, -1.0]).backward()
    return nn.draw_grad_flow(model)


PICTURES = {"neuron_step": neuron_step, "demo_loss": demo_loss, "grad_flow": grad_flow}


def main(names: list[str]) -> None:
    for name in names or PICTURES:
        svg = PICTURES[name]().pipe(format="svg")
        path = OUT / f"{name}.svg"
        write_atomically(path, lambda tmp: Path(tmp).write_bytes(svg))
        print(f"wrote {path.relative_to(HERE.parent)} ({len(svg):,} bytes)")


if __name__ == "__main__":
    main(sys.argv[1:])
