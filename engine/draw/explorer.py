"""Exploring a big graph in the browser: start from the summary, open the boxes you care about.

`draw_dot` has to fit a graph into one picture, so micrograd's demo loss (65,818 scalars) becomes a
few dozen summary boxes. The explorer keeps every node instead and lets the reader decide what to
see: one self-contained HTML page (no network, nothing to install) that opens on the same kind of
summary — the nodes of the top level and one box per scope (`sample`, `layers`, ...) — where
clicking a box draws its inside in place, hovering a node shows its label, op, data, grad and
scope, and a search box finds a label or a parameter's full name (`layers.1.neurons.3.w0`), opens
the boxes around it and jumps there. Every node is filled by |grad| on the drawings' log scale,
so a box of vanishing gradients is blue before it is even opened (a closed box takes the colour
of its largest |grad|).

How the page is built, and why it stays small and quick:

- Python walks the graph once, folds chains of `+` into one Σ node as the summary drawing does
  (the partial sums in between are bookkeeping nobody asked to see), groups nodes by scope, and
  writes every number through `format_number`, so the page shows exactly what the drawings show.
- The page lays out only what is open, in the browser (explorer.js, written for this page): each
  open box is laid out by ranks, inputs before the nodes they feed, with its sub-boxes as single
  blocks. Opening a box lays out its few hundred nodes in milliseconds; nothing is precomputed
  for boxes nobody opens, so the file holds the graph's numbers and little else.
"""

from __future__ import annotations

import html
import json
import os
from collections import Counter
from pathlib import Path

from engine.draw.collapse import _distance_from_root, _effective_scopes, _fold_chains, _scopes_from_sums
from engine.draw.expand import drawn_graph
from engine.draw.style import GRAD_BINS, PENDING_FILL, ZERO_FILL, grad_color
from engine.files import check_target, write_atomically
from engine.format import format_number
from engine.value import Value

__all__ = ["explore", "Explorer"]

_ASSETS = Path(__file__).with_name("explorer.js"), Path(__file__).with_name("explorer.css")
_FILLS = [fill for _, fill, _ in GRAD_BINS] + [ZERO_FILL, PENDING_FILL]  # colour number → fill
_ZERO, _PENDING = len(GRAD_BINS), len(GRAD_BINS) + 1
_CROWD = 24  # a scope with more nodes of its own than this shows them in boxes, one per op ...
_FEW = 4  # ... except for ops it holds this few of
_PROGRESS_EVERY = 4096  # nodes between progress-bar updates: a bar redrawn per node would cost more than the work


class Explorer:
    """The explorer page of one graph: `.html` is the page, `.path` where it was written (or None).

    In a notebook the page shows inline (in a frame of its own, so its script and styles stay apart).
    """

    def __init__(self, page: str, path: Path | None, nodes: int) -> None:
        self.html, self.path, self.nodes = page, path, nodes

    def save(self, path: str | os.PathLike) -> Path:
        """Write the page to `path` (complete or not at all); returns the path."""
        target = _html_target(path)
        self.path = write_atomically(target, lambda tmp: Path(tmp).write_text(self.html, encoding="utf-8"))
        return self.path

    def _repr_html_(self) -> str:
        frame = "width:100%;height:640px;border:1px solid #ccc"
        return f'<iframe srcdoc="{html.escape(self.html, quote=True)}" style="{frame}"></iframe>'

    def __repr__(self) -> str:
        where = f" written to {self.path}" if self.path else ""
        return f"<Explorer of {self.nodes:,} nodes{where}: display it in Jupyter, or open the .html in a browser>"


def explore(
    root: Value, path: str | os.PathLike | None = None, *, expand: bool = True, progress: bool = True
) -> Explorer:
    """An interactive page for exploring `root`'s graph, however big; written to `path` if given.

    Opens on a summary (top-level nodes and one box per scope); click a box to open it, hover a
    node for its numbers, search a label or parameter name to jump to it. `expand=False` shows a
    fused node (nn's `w·x+b`) as one node; `progress=False` hides the progress bar that appears
    when writing takes more than a second.

    >>> a, b = Value(2.0, label='a'), Value(-3.0, label='b')
    >>> c = a * b; c.label = 'c'; c.backward()
    >>> page = explore(c)
    >>> page.nodes, '<svg' in page.html
    (3, True)
    """
    if not isinstance(root, Value):
        raise TypeError(f"explore needs a Value as root, got {type(root).__name__}")
    for name, flag in (("expand", expand), ("progress", progress)):
        if not isinstance(flag, bool):
            raise TypeError(f"{name} must be True or False, got {flag!r}")
    target = _html_target(path) if path is not None else None  # refuse a bad path before the work
    data = _graph_data(root, expand, progress)
    page = _page(data)
    explorer = Explorer(page, None, data["total"])
    if target is not None:
        explorer.save(target)
    return explorer


def _html_target(path: str | os.PathLike) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file name (str or Path), got {type(path).__name__}")
    path = Path(path)
    if path.suffix.lower() != ".html":
        raise ValueError(
            f"the explorer is an HTML page: give a path ending in .html (e.g. graph.explore.html), got {str(path)!r}"
        )
    return check_target(path)


def _graph_data(root: Value, expand: bool, progress: bool) -> dict:
    """Everything the page needs, as JSON-ready columns: one entry per node the page can show."""
    from tqdm.auto import tqdm  # imported here: `import engine` stays quick

    graph = drawn_graph(root, expand)
    order, grads = graph.order, graph.grads
    n = len(order)
    # the bar appears only once writing has taken a second (tqdm's delay): a quick export stays quiet
    bar = tqdm(total=n, desc="explore", unit="node", delay=1.0, disable=not progress, leave=False)
    inputs, folded, absorbed = _fold_chains(order, graph.parents)
    scopes = _effective_scopes(order, inputs, absorbed)
    if not any(scopes):  # made outside every scope (micrograd's own code): the big sums make the boxes
        depth = _distance_from_root(inputs, absorbed)
        scopes = _scopes_from_sums(inputs, absorbed, folded, depth)
    done = root.grad != 0  # backward seeds the root with 1: until then every gradient is pending
    keep = [i for i in range(n) if not absorbed[i]]
    position = {i: k for k, i in enumerate(keep)}  # a partial sum folded into a Σ has no place of its own
    crowds = _crowds(order, scopes, keep)
    scope_ids: dict[str, int] = {"": 0}
    scope_rows: list[list] = [["", -1, 0]]  # path, parent, 1 for a box of a crowded scope's nodes

    def scope_id(path: str) -> int:
        found = scope_ids.get(path)
        if found is None:
            up = scope_id(path.rpartition(".")[0])  # first, so a scope's parent always has the smaller id
            found = scope_ids[path] = len(scope_rows)
            scope_rows.append([path, up, int(path.endswith("]"))])
        return found

    ops: dict[str, int] = {}
    columns: dict[str, list] = {
        key: [] for key in ("at", "scope", "label", "op", "data", "grad", "color", "inputs", "folded")
    }
    for k, i in enumerate(keep):
        v = order[i]
        g = grads[i] if done else None
        columns["at"].append(i)  # its place in the walk: an unlabelled node is `n{at}`, as in draw_dot's ids
        columns["scope"].append(scope_id(crowds.get(i, scopes[i])))
        columns["label"].append(v.label)
        columns["op"].append(ops.setdefault(v.op, len(ops)))
        columns["data"].append(format_number(v.data))
        columns["grad"].append(format_number(g))
        columns["color"].append(_color(g))
        columns["inputs"].append([position[p] for p in inputs[i]])
        columns["folded"].append(folded[i])
        if k % _PROGRESS_EVERY == 0:
            bar.update(i - bar.n)  # counted in the walk's positions, partial sums folded away included
    bar.update(n - bar.n)
    bar.close()
    legend = [[fill, text] for _, fill, text in GRAD_BINS] + [[ZERO_FILL, "exactly 0"], [PENDING_FILL, "pending"]]
    return {
        "total": n,
        "partials": sum(absorbed),
        "ops": list(ops),
        "scopes": scope_rows,
        "fills": _FILLS,
        "legend": legend,
        "title": root.label or "the graph",
        **columns,
    }


def _crowds(order: list[Value], scopes: list[str], keep: list[int]) -> dict[int, str]:
    """Where the nodes of a crowded scope go: one box per op (`layers.0.[*]`, `[leaves]`), node → box.

    A scope can hold hundreds of nodes of its own (micrograd's 337 parameters and their 337 squares
    at the top level; nn's neuron applied to every sample); drawn one by one they would bury the
    summary. Boxed by op, they read as what they are: "337 leaves" feeding "337 × *" feeding Σ.
    """
    own = Counter(scopes[i] for i in keep)
    kinds = Counter((scopes[i], order[i].op) for i in keep if own[scopes[i]] > _CROWD)
    root = len(order) - 1  # the output always shows
    crowds = {}
    for i in keep:
        where, op = scopes[i], order[i].op
        if i != root and kinds[where, op] > _FEW:
            name = f"[{op.replace('.', '_') or 'leaves'}]"  # a dot would start a sub-scope
            crowds[i] = f"{where}.{name}" if where else name
    return crowds


def _color(g: float | None) -> int:
    """The number of g's fill in _FILLS: its |grad| bin, exactly zero, or pending."""
    if g is None:
        return _PENDING
    fill = grad_color(g)
    return _ZERO if fill == ZERO_FILL else next(k for k, (_, f, _) in enumerate(GRAD_BINS) if f == fill)


def _page(data: dict) -> str:
    script, style = (asset.read_text(encoding="utf-8") for asset in _ASSETS)
    # `</` inside a script element would end it early: JSON allows the escaped form `<\/`
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    title = html.escape(f"explore {data['title']} ({data['total']:,} nodes)")
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>\n'
        f"<style>{style}</style></head><body>\n"
        '<div id="bar"><input id="search" type="search" size="44" '
        'placeholder="search a label or name, e.g. layers.1.neurons.3.w0"> <span id="found"></span> '
        '<button id="fit">fit</button> <span id="note"></span></div>\n'
        '<svg id="view" xmlns="http://www.w3.org/2000/svg"><defs>'
        '<marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto">'
        '<path d="M0,0L8,4L0,8z" fill="#888"/></marker></defs>'
        '<g id="world"></g></svg>\n'
        '<div id="legend"></div><div id="tip" hidden></div>\n'
        f'<script id="graph" type="application/json">{payload}</script>\n'
        f"<script>{script}</script>\n</body></html>\n"
    )
