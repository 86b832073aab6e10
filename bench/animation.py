"""The step-through's size and export time: one drawing plus a few bytes per step.

    python bench/animation.py

Two walks from issue 15, each written by `backward_animation` (expand=True, the default):

- a 60-term formula, tanh(x0*w0 + ... + x59*w59), every leaf labelled: 121 steps;
- `MLP(2, [4, 4, 1])` on 4 two-moons samples, squared error summed: 268 steps.

Printed: steps, the file's size, the size of one drawing, and the best of 3 export times.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from engine import Value, backward_animation, draw_dot


def formula() -> Value:
    xs = [Value((i % 7 - 3) / 3, label=f"x{i}") for i in range(60)]
    ws = [Value(0.1 * ((i * 37) % 11 - 5), label=f"w{i}") for i in range(60)]
    loss = sum(x * w for x, w in zip(xs, ws)).tanh()
    loss.backward()
    return loss


def mlp_on_four_samples() -> Value:
    import nn

    model = nn.MLP(2, [4, 4, 1], seed=0)
    X, y = nn.make_moons(4, seed=0)
    loss = sum((model(x) - t) ** 2 for x, t in zip(X, y))
    loss.backward()
    return loss


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    print(f"{'walk':<28} {'steps':>6} {'file':>9} {'one drawing':>12} {'written in':>11}")
    for name, build in (("60-term formula", formula), ("MLP(2,[4,4,1]) x 4 samples", mlp_on_four_samples)):
        root = build()
        times = []
        for _ in range(3):
            start = time.perf_counter()
            path = backward_animation(root, folder / "walk.html", progress=False)
            times.append(time.perf_counter() - start)
        page = path.read_text(encoding="utf-8")
        steps = page.count('"caption":') - 1
        one = len(draw_dot(root, step=0, title="").pipe("svg"))
        print(f"{name:<28} {steps:>6} {path.stat().st_size / 1e6:>7.2f} MB {one / 1e6:>9.2f} MB {min(times):>9.2f} s")


if __name__ == "__main__":
    main()
