"""How big a drawing will be, before Graphviz lays it out: enough to pick the direction that fits.

micrograd draws left to right, which suits a graph that is shallow and wide: a long chain of ops,
each box `label | data | grad` beside the next, soon runs off the screen (the lecture's neuron is
about 1,300 pt wide, and a README shows ~620 pt). Top to bottom, the same graph is as wide as its
widest rank instead. `pick_rankdir` estimates both from the boxes' sizes and the edges, the way
`dot` ranks nodes (each one rank after its inputs; a leaf just before the node that uses it), and
keeps left to right whenever that fits.

Top to bottom, one rank can still be wider than the screen: the inputs and weights of the
lecture's neuron side by side, or micrograd's loss, whose last `+` adds two products of a
constant and a sum. `wrap_rows` narrows such a rank: a leaf in it (an input, a weight, a
constant: nothing computes it) that feeds the same op as another box of the rank moves just above
that box, tied there by an invisible edge, so the op's operands stand in a column, not a row.

Text widths are estimates (Helvetica's average character, Courier's exact 0.6 em): the aim is
to tell a 600 pt drawing from a 1,300 pt one, not to predict Graphviz to the point.
"""

from __future__ import annotations

import re

__all__ = ["SCREEN_WIDTH", "pick_rankdir", "drawing_size", "wrap_rows"]

SCREEN_WIDTH = 620.0  # pt: a README column (~830 px) at full size; wider drawings are shrunk to fit

_RANKSEP, _NODESEP, _MARGIN = 25.0, 18.0, 16.0  # pt, as draw_dot sets them (0.35 in, 0.25 in) plus edges
_EDGE = re.compile(r"^\t(\w+) -> (\w+)")


def drawing_size(
    sizes: dict[str, tuple[float, float]],
    edges: list[tuple[str, str]],
    rankdir: str,
    boxes_per_row: int = 0,
    beside: tuple[str, str] | None = None,
):
    """(width, height) in points of the drawing of boxes `sizes` (name -> (width, height)) joined by `edges`.

    With `boxes_per_row`, summary boxes (named s0, s1, ...) of one rank wrap into rows of that many
    top to bottom, as draw_dot lays them out; `beside` = (box, other): box is drawn in other's rank.

    >>> drawing_size({"a": (100, 20), "b": (100, 20)}, [("a", "b")], "LR")
    (241.0, 36.0)
    """
    ranks = _ranks(list(sizes), edges, beside)
    by_rank: dict[tuple[int, int], list[str]] = {}
    for name, r in ranks.items():
        by_rank.setdefault((r, 0), []).append(name)
    if boxes_per_row and rankdir == "TB":
        for key in [key for key, names in by_rank.items() if len(names) > boxes_per_row]:
            boxes = [n for n in by_rank[key] if n[:1] == "s" and n[1:].isdigit()]
            for k in range(boxes_per_row, len(boxes)):  # the boxes past the first row: rows of their own
                by_rank[key].remove(boxes[k])
                by_rank.setdefault((key[0], k // boxes_per_row), []).append(boxes[k])
    across, along = (1, 0) if rankdir == "LR" else (0, 1)  # a rank is a column in LR, a row in TB
    rank_depth = [max(sizes[n][along] for n in names) for names in by_rank.values()]
    rank_span = [sum(sizes[n][across] for n in names) + _NODESEP * (len(names) - 1) for names in by_rank.values()]
    depth = sum(rank_depth) + _RANKSEP * (len(rank_depth) - 1) + _MARGIN
    span = max(rank_span, default=0.0) + _MARGIN
    return (depth, span) if rankdir == "LR" else (span, depth)


def pick_rankdir(
    sizes: dict[str, tuple[float, float]],
    body: list[str],
    caption_width: float = 0.0,
    boxes_per_row: int = 0,
    beside: tuple[str, str] | None = None,
) -> str:
    """'LR' when the drawing fits SCREEN_WIDTH that way, else the narrower of 'LR' and 'TB' (wrapped).

    `body` is a graphviz Digraph's body (its edges are read from it); `boxes_per_row` as for
    drawing_size; `beside` is a box drawn in the rank of another (the legend beside the root).
    """
    edges = edges_of(body)
    lr = max(drawing_size(sizes, edges, "LR", beside=beside)[0], caption_width)
    if lr <= SCREEN_WIDTH:
        return "LR"
    wrapped = edges + wrap_rows(sizes, edges, beside=beside)
    tb = max(drawing_size(sizes, wrapped, "TB", boxes_per_row, beside)[0], caption_width)
    return "TB" if tb < lr else "LR"


def edges_of(body: list[str]) -> list[tuple[str, str]]:
    """The (tail, head) pairs of the edges in a graphviz Digraph's body."""
    return [(m.group(1), m.group(2)) for line in body for m in [_EDGE.match(line)] if m]


def wrap_rows(
    sizes: dict[str, tuple[float, float]],
    edges: list[tuple[str, str]],
    width: float = SCREEN_WIDTH,
    beside: tuple[str, str] | None = None,
) -> list[tuple[str, str]]:
    """Invisible edges (leaf, box below it) that narrow, top to bottom, each rank wider than `width`.

    In such a rank, a leaf (a value box `n..` that no edge enters) that feeds the same op as another
    box of the rank is drawn just above that box, one leaf after another (the walk's last first: in
    micrograd's loss, the L2 penalty's coefficient before the mean's) until the rank fits: the op's
    operands stand in a column instead of a row, and the edges stay as short as they were.

    >>> sizes = {"n0": (600, 20), "n1": (600, 20), "o2": (25, 25)}
    >>> wrap_rows(sizes, [("n0", "o2"), ("n1", "o2")])
    [('n1', 'n0')]
    """
    ranks = _ranks(list(sizes), edges, beside)
    inputs: dict[str, list[str]] = {}
    uses: dict[str, list[str]] = {}
    for a, b in edges:
        inputs.setdefault(b, []).append(a)
        uses.setdefault(a, []).append(b)
    by_rank: dict[int, list[str]] = {}
    for name, r in ranks.items():
        by_rank.setdefault(r, []).append(name)
    extra = []
    for r, names in sorted(by_rank.items()):
        span = _span(sizes, names)
        stacked: set[str] = set()  # boxes already in a column
        for leaf in reversed(names):
            if span <= width:
                break
            if leaf in inputs or leaf in stacked or not (leaf[:1] == "n" and leaf[1:].isdigit()):
                continue
            partners = [
                n
                for op in uses.get(leaf, [])[:1]
                for n in inputs[op]
                if n != leaf and ranks[n] == r and n not in stacked
            ]
            if partners:
                extra.append((leaf, partners[0]))
                stacked |= {leaf, partners[0]}
                span -= sizes[leaf][0] + _NODESEP  # the leaf moves up a rank
    return extra


def _span(sizes: dict[str, tuple[float, float]], names: list[str]) -> float:
    # how wide a rank of these boxes is, top to bottom
    return sum(sizes[n][0] for n in names) + _NODESEP * (len(names) - 1)


def _ranks(names: list[str], edges: list[tuple[str, str]], beside: tuple[str, str] | None = None) -> dict[str, int]:
    # longest path from the sources, in topological order (Kahn's algorithm: no recursion); then
    # each source moves down to just before its first consumer, as dot's ranking pulls it
    known = set(names)
    edges = [(a, b) for a, b in edges if a in known and b in known]
    heads: dict[str, list[str]] = {n: [] for n in names}
    waiting = dict.fromkeys(names, 0)
    for a, b in edges:
        heads[a].append(b)
        waiting[b] += 1
    rank = dict.fromkeys(names, 0)
    ready = [n for n in names if waiting[n] == 0]
    sources = set(ready)
    while ready:
        n = ready.pop()
        for h in heads[n]:
            rank[h] = max(rank[h], rank[n] + 1)
            waiting[h] -= 1
            if waiting[h] == 0:
                ready.append(h)
    for n in sources:
        if heads[n]:
            rank[n] = min(rank[h] for h in heads[n]) - 1
    if beside is not None and beside[0] in known and beside[1] in known:
        rank[beside[0]] = rank[beside[1]]
    return rank
