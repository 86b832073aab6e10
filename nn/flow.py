"""Gradient flow at a glance: one box per layer, coloured by how much gradient reaches it.

`draw_dot` shows every scalar; for a network the question is coarser: does the gradient reach
every layer, and at a sane size? `nn.grad_stats` measures each layer (mean and max |grad|, and a
status: 'ok', 'vanishing' or 'exploding'); this file draws those numbers:

- `draw_grad_flow(model)` — the layers from input to output, each box coloured by its status,
  the arrows (pointing the way gradients flow, from the loss back to the input) drawn thinner
  where less gradient flows;
- `draw_grad_flow(history)` — the same for steps of training side by side (first, middle, last
  by default), to see whether a problem at the start heals or grows;
- `plot_grad_flow(history)` — per-layer mean |grad| (solid) and max |grad| (dashed) over training
  on a log scale (matplotlib, imported only when called); `what='update_ratio'` plots each
  layer's log10 update-to-data ratio instead, with the healthy -3 marked.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

from engine.checks import is_integer, require
from engine.draw.dot import RANKDIRS, Drawing
from engine.draw.style import dot_text, html_text
from engine.extras import require_extra
from engine.format import format_number
from nn.health import EXPLODING_GRAD, VANISHING_RATIO, LayerStats, grad_stats
from nn.module import is_module

if TYPE_CHECKING:
    from typing import TypeAlias

    from matplotlib.axes import Axes

    from nn.module import Module
    from nn.train import History

    # what the drawings read gradients from: a History from fit, a model, or its LayerStats
    _Source: TypeAlias = "History | Module | Sequence[LayerStats]"

__all__ = ["draw_grad_flow", "plot_grad_flow", "STATUS_COLORS"]

# (fill, text) per status: blue for vanishing, red for exploding, as in draw_dot's grad colours
STATUS_COLORS = {"ok": ("#a6d96a", "#000000"), "vanishing": ("#4575b4", "#ffffff"), "exploding": ("#a50026", "#ffffff")}


def draw_grad_flow(source: _Source, steps: Sequence[int] | None = None, rankdir: str = "TB") -> Drawing:
    """A Digraph with one box per layer showing mean and max |grad| and the layer's status.

    Drawn top to bottom by default, input at the top as a network is usually pictured, so even a
    deep network stays as narrow as a page; `rankdir='LR'` lays it out left to right.

    `source` is a model (its current gradients), a list of LayerStats, or a History from `fit`
    (then one row per step in `steps`, default: first, middle and last).

    >>> import random; random.seed(0)
    >>> from nn.module import MLP
    >>> model = MLP(2, [4, 1]); model([1.0, 2.0]).backward()
    >>> 'layers.1' in draw_grad_flow(model).source
    True
    """
    require(rankdir in RANKDIRS, "rankdir", " or ".join(map(repr, RANKDIRS)), rankdir)
    rows = _rows(source, steps)
    graph_attr = {"rankdir": rankdir, "nodesep": "0.3", "ranksep": "0.4"}
    # the name is the SVG's <title>, the browser tab's text (Graphviz's default is '%3')
    dot = Drawing(name="gradient flow per layer", filename="Digraph.gv", graph_attr=graph_attr)
    dot.attr("node", fontname="Helvetica", fontsize="11", shape="plain")
    dot.attr("edge", dir="back", color="#555555")  # arrows point the way gradients flow
    # dot stacks LR rows bottom-up in the order given: give them last first, so step 0 is on top
    numbered = list(enumerate(rows))
    for r, (title, stats) in reversed(numbered) if rankdir == "LR" else numbered:
        row = Drawing(name=f"cluster_{r}") if len(rows) > 1 else dot
        if len(rows) > 1:
            row.attr(label=dot_text(title), style="rounded", color="#9e9e9e", fontname="Helvetica", labeljust="l")
        row.node(f"in{r}", label="input", shape="plaintext", fontcolor="#616161")
        previous, width = f"in{r}", "1"
        for k, s in enumerate(stats):
            fill, ink = STATUS_COLORS.get(s.status, ("#ffffff", "#000000"))
            row.node(f"l{r}_{k}", label=_layer_label(s, fill, ink), id=f"l{r}_{k}", **{"class": f"layer {s.status}"})
            # the arrow into a box is as wide as the gradient that reaches that layer
            row.edge(previous, f"l{r}_{k}", penwidth=width)
            previous, width = f"l{r}_{k}", _width(s.mean_abs_grad)
        row.node(f"loss{r}", label="loss", shape="plaintext", fontcolor="#616161")
        row.edge(previous, f"loss{r}", penwidth=width)
        if row is not dot:
            dot.subgraph(row)
    dot.attr(
        label=(
            r"gradient flows from the loss back to the input (arrows; thinner = less gradient)\l"
            rf"vanishing: mean |grad| below {VANISHING_RATIO:g} × the largest layer's\l"
            rf"exploding: mean |grad| above {EXPLODING_GRAD:g}, or not finite\l"
        ),
        labelloc="b",
        labeljust="l",
        fontname="Helvetica",
        fontsize="11",
    )
    return dot


def _rows(source: _Source, steps: Sequence[int] | None) -> list[tuple[str, list[LayerStats]]]:
    per_step = getattr(source, "grad_stats", None)
    if isinstance(per_step, list) and not callable(per_step):  # a History
        if not per_step:
            raise ValueError("draw_grad_flow: the History has no steps recorded")
        n = len(per_step)
        chosen = list(steps if steps is not None else (0, n // 2, n - 1))
        if not chosen:
            raise ValueError("draw_grad_flow: steps is empty; give the steps to draw, or leave it out")
        allowed = f"ints in [0, {n}) (or -{n}..-1, from the end)"
        for k in chosen:
            require(is_integer(k) and -n <= k < n, "draw_grad_flow: steps", allowed, k)
        losses = getattr(source, "loss", [])
        chosen = sorted({k % n for k in chosen})
        return [(_step_title(k, losses), per_step[k]) for k in chosen]
    if steps is not None:
        raise ValueError("draw_grad_flow: steps= applies to a History only")
    if isinstance(source, (list, tuple)) and all(isinstance(s, LayerStats) for s in source) and source:
        return [("", list(source))]
    if is_module(source):
        if not any(p.grad for p in source.parameters()):
            raise ValueError("draw_grad_flow: every gradient of the model is 0; run loss.backward() first")
        return [("", grad_stats(source))]
    kind = type(source).__name__
    raise TypeError(f"draw_grad_flow needs a model, a list of LayerStats or a History, got {kind}")


def _step_title(k: int, losses: Sequence[float]) -> str:
    return f"step {k}" + (f" (loss {format_number(losses[k])})" if k < len(losses) else "")


def _layer_label(s: LayerStats, fill: str, ink: str) -> str:
    rows = [
        f"<B>{html_text(s.name)}</B>",
        f"mean |grad| {format_number(s.mean_abs_grad)}",
        f"max |grad| {format_number(s.max_abs_grad)}",
        f"{html_text(s.status)}",
    ]
    cells = "".join(f'<TR><TD><FONT COLOR="{ink}">{row}</FONT></TD></TR>' for row in rows)
    # 5 pt between the text and the box's edge (spacing 3 + padding 2): text never touches it
    return f'<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="3" CELLPADDING="2" BGCOLOR="{fill}">{cells}</TABLE>>'


def _width(mean_abs_grad: float) -> str:
    # one point of line width per decade of |grad| above 1e-8, between 0.5 and 6
    if not math.isfinite(mean_abs_grad):
        return "6"
    decades = math.log10(mean_abs_grad) + 8 if mean_abs_grad > 0 else 0.0
    return f"{min(6.0, max(0.5, decades * 0.6)):.2f}"


def plot_grad_flow(source: _Source, ax: Axes | None = None, what: str = "grad") -> Axes:
    """Plot per-layer gradient sizes with matplotlib (imported only now); returns the Axes.

    From a History: mean |grad| (solid) and max |grad| (dashed) of each layer over the steps,
    log scale; with `what='update_ratio'`, each layer's log10 update-to-data ratio, with the
    healthy -3 marked. From a model or a list of LayerStats: bars of mean and max |grad| per layer.
    """
    if what not in ("grad", "update_ratio"):
        raise ValueError(f"what must be 'grad' or 'update_ratio', got {what!r}")
    require_extra("matplotlib", "plot", "plot_grad_flow")
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.5))
    per_step = getattr(source, "grad_stats", None)
    if isinstance(per_step, list) and not callable(per_step):
        if not per_step:
            raise ValueError("plot_grad_flow: the History has no steps recorded")
        names = [s.name for s in per_step[0]]
        steps = range(len(per_step))
        # one colour per layer along a perceptually ordered map (viridis: dark at the input, yellow at
        # the output), so a dozen lines stay apart and their order reads off the colour; the legend
        # names each layer once, the line style (mean solid, max dashed) is in the title
        colors = plt.get_cmap("viridis")([0.9 * k / max(len(names) - 1, 1) for k in range(len(names))])
        for k, name in enumerate(names):
            color = colors[k]
            if what == "grad":
                ax.plot(steps, [row[k].mean_abs_grad for row in per_step], color=color, label=f"{name} mean")
                ax.plot(
                    steps, [row[k].max_abs_grad for row in per_step], color=color, linestyle="--", label=f"{name} max"
                )
            else:
                ratios = cast("History", source).update_ratio  # (it has grad_stats per step: a History)
                ax.plot(range(len(ratios)), [row[k] for row in ratios], color=color, label=name)
        ax.set_xlabel("step")
        if what == "grad":
            ax.set_yscale("log")
            ax.set_ylabel("|grad|")
            ax.set_title("gradient flow over training: mean (solid) and max (dashed) |grad| per layer")
        else:
            ax.axhline(-3, color="#555555", linestyle=":", label="healthy ≈ -3")
            ax.set_ylabel("log10 |update| / |weights|")
            ax.set_title("update-to-data ratio per layer")
    else:
        if what != "grad":
            raise ValueError("plot_grad_flow: what='update_ratio' needs a History from fit")
        ((_, stats),) = _rows(source, None)
        names = [s.name for s in stats]
        x = range(len(stats))
        ax.bar([i - 0.2 for i in x], [s.max_abs_grad for s in stats], width=0.4, label="max |grad|", color="#fdae61")
        ax.bar([i + 0.2 for i in x], [s.mean_abs_grad for s in stats], width=0.4, label="mean |grad|", color="#4575b4")
        ax.set_xticks(list(x), names)
        ax.set_xlabel("layer (input side first)")
        ax.set_yscale("log")
        ax.set_ylabel("|grad|")
        ax.set_title("gradient flow: per layer, input side first")
        ax.legend(fontsize="small", ncol=2)
        return ax
    # a line's label is a str (matplotlib keeps str(label), typed object there)
    per_layer = [line for line in ax.get_lines() if not cast(str, line.get_label()).endswith(" max")]
    labels = [cast(str, line.get_label()).removesuffix(" mean") for line in per_layer]
    ax.legend(per_layer, labels, fontsize="small", ncol=2 if len(labels) < 10 else 3)
    return ax
