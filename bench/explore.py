"""The explorer's size and speed on micrograd's demo loss: file size, export time, first paint in Chromium.

    python bench/explore.py            # both graphs below, 3 openings each
    python bench/explore.py --opens 1  # a quick look

Two graphs of the same loss (100 two-moons points, MLP(2, [16, 16, 1]), hinge + 1e-4 L2):

- micrograd's own, built by its unchanged code on chainrule's Value (workload.py): 65,818 nodes,
  made outside any scope, so the explorer's boxes come from the terms of its big sums;
- `nn.MLP`'s, whose modules record scopes (`layers.1.neurons.3`) and whose fused `w·x+b` nodes the
  explorer shows as micrograd's `*` and `+` parts.

"First paint" is measured in the page (`performance.now()` once the first picture is on screen,
counted from the start of navigation), in headless Chromium opening the file from disk.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import workload

from engine import Value, explore

CHROMIUM = "/usr/bin/chromium"


def micrograd_loss() -> Value:
    """micrograd's demo loss as its own code builds it, on chainrule's Value."""
    X, y = workload.moons()
    random.seed(1337)
    model = workload.value_mlp(Value)
    scores = [model(list(map(Value, row))) for row in X]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    return sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())


def nn_loss() -> Value:
    """The same loss through nn.MLP: module scopes, fused neurons."""
    import nn

    X, y = workload.moons()
    random.seed(1337)
    model = nn.MLP(2, [16, 16, 1])
    scores = [model(x) for x in X]
    loss = nn.losses.hinge(scores, y)
    return loss + 1e-4 * sum(p * p for p in model.parameters())


def first_paints(path: Path, opens: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        for _ in range(opens):
            page = browser.new_context(offline=True, viewport={"width": 1280, "height": 800}).new_page()
            page.goto(path.as_uri())
            page.wait_for_function("window.exploreFirstPaint !== undefined")
            times.append(page.evaluate("window.exploreFirstPaint"))
            page.context.close()
        browser.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opens", type=int, default=3, help="times to open each page (default 3)")
    opens = parser.parse_args().opens
    folder = Path(tempfile.mkdtemp(prefix="explore-"))
    print(f"{'graph':<28} {'nodes':>7} {'file MB':>8} {'export s':>9} {'first paint ms':>24}")
    for name, build in (("micrograd's Value code", micrograd_loss), ("nn.MLP (scopes, fused)", nn_loss)):
        loss = build()
        loss.backward()
        path = folder / f"{build.__name__.removesuffix('_loss')}.explore.html"
        start = time.perf_counter()
        page = explore(loss, path, progress=False)
        seconds = time.perf_counter() - start
        paints = first_paints(path, opens)
        shown = ", ".join(f"{t:.0f}" for t in paints)
        mb = path.stat().st_size / 1e6
        print(f"{name:<28} {page.nodes:>7,} {mb:>8.2f} {seconds:>9.2f} {shown:>24}")
        del loss
    print(f"pages left in {folder}")


if __name__ == "__main__":
    main()
