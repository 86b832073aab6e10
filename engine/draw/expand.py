"""Fused nodes drawn as their parts: nn's one `w·x+b` node becomes micrograd's `*` and `+` nodes.

A neuron computes b + w0*x0 + w1*x1 + ... Built from `+` and `*` that is 2n nodes; `nn` records
it as one fused node instead, which makes training about twice as fast. Backward gets the same
numbers either way, but a picture of one box with 2n+1 inputs hides what a learner came to see:
each product and each partial sum, with its own gradient.

A primitive with `parts` says how to build its value from other primitives. The drawing rebuilds
each such node from its parts and draws the parts in its place:

- the parts are built on stand-in copies of the node's inputs, so the user's graph is never
  touched (no `.grad` or `.data` changes) and finding the new nodes walks only the few nodes just
  made, never the big graph around them;
- each part shows its own data, and its gradient by the chain rule:
      d root / d part = d node / d part  ×  d root / d node
  where d node / d part comes from a backward through the parts alone, and
  d root / d node is the gradient backward left in the fused node;
- the last part *is* the fused node: it shows that node's label, data and gradient;
- every part carries the fused node's scope, so it is drawn in the same module box.

The big graph is walked once, by the engine's `topological_order`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from engine.modes import Meta, _Mode, _ModeChange
from engine.ops import chain_rule
from engine.value import Value, topological_order

__all__ = ["DrawnGraph", "drawn_graph"]


@dataclass
class DrawnGraph:
    """The graph a drawing shows: every node after its inputs (root last), inputs by position."""

    order: list[Value]
    parents: list[list[int]]  # per node: the positions of its inputs, in operand order
    grads: list[float]  # what backward left in each node; for a part, its share by the chain rule
    part_of: dict[int, str] = field(default_factory=dict)  # position of a part → the fused op it belongs to
    expanded: Counter = field(default_factory=Counter)  # fused op name → how many such nodes are drawn as parts
    size: int = 0  # nodes in the user's graph (fewer than `order` holds when fused nodes are expanded)


def drawn_graph(root: Value, expand: bool = True, keep_whole: Callable[[Value], bool] | None = None) -> DrawnGraph:
    """The nodes to draw for `root`: with `expand`, each node whose primitive has parts becomes its parts.

    `keep_whole(node)` True keeps that fused node as one node (the drawing does so for a node whose
    derivative rule `check=True` finds wrong, so the red mark lands on the rule that is wrong).
    """
    if expand is not True and expand is not False:
        raise TypeError(f"expand must be True or False, got {expand!r}")
    order = topological_order(root)
    if not expand or not any(v._primitive is not None and v._primitive.parts is not None for v in order):
        index = {v: i for i, v in enumerate(order)}
        parents = [[index[p] for p in v.parents] for v in order]
        return DrawnGraph(order, parents, [v.grad for v in order], size=len(order))
    nodes: list[Value] = []
    parents = []
    grads: list[float] = []
    part_of: dict[int, str] = {}
    expanded: Counter = Counter()
    where: dict[Value, int] = {}  # a node of the user's graph → its position in the drawing
    # grad mode on, no anomaly checks and no scope of the caller's: parts are recorded plainly
    with _ModeChange(lambda mode, _: _Mode(True, False, None)):
        for v in order:
            primitive = v._primitive
            rebuilt = None
            if primitive is not None and primitive.parts is not None and not (keep_whole and keep_whole(v)):
                rebuilt = _rebuild(v)
            if rebuilt is None:
                where[v] = len(nodes)
                nodes.append(v)
                parents.append([where[p] for p in v.parents])
                grads.append(v.grad)
                continue
            pieces, input_of, shares = rebuilt
            assert primitive is not None  # (only a fused node is rebuilt)
            inputs = v.parents
            made: dict[Value, int] = {}
            for piece, share in zip(pieces, shares):
                made[piece] = len(nodes)
                part_of[len(nodes)] = primitive.name
                nodes.append(piece)
                parents.append([made[p] if p in made else where[inputs[input_of[p]]] for p in piece.parents])
                grads.append(share * v.grad)  # the chain rule: d root/d part = d node/d part × d root/d node
            where[v] = len(nodes) - 1  # the last part stands for the fused node
            expanded[primitive.name] += 1
    return DrawnGraph(nodes, parents, grads, part_of, expanded, len(order))


def _rebuild(node: Value) -> tuple[list[Value], dict[Value, int], list[float]] | None:
    """The parts of `node` (new Values, each after its inputs, the last one standing for `node`),
    which stand-in is which input, and d node / d part for each; None when there is nothing to draw
    between the inputs and the result."""
    primitive = node._primitive
    assert primitive is not None and primitive.parts is not None  # only fused nodes are opened
    inputs = node.parents
    stand_ins = [Value(p.data) for p in inputs]
    out = primitive.parts(*stand_ins)
    if not isinstance(out, Value):
        raise TypeError(f"primitive {primitive.name!r}: parts must return a Value, got {type(out).__name__}")
    input_of = {s: k for k, s in enumerate(stand_ins)}
    if out in input_of or out._primitive is None:
        return None  # e.g. w·x+b with no weights is just b
    # the stand-ins are leaves, so this walk stays within the parts
    pieces = [u for u in topological_order(out) if u not in input_of]
    if not _agree(out.data, node.data, [u.data for u in stand_ins + pieces]):
        raise ValueError(
            f"primitive {primitive.name!r}: its parts give {out.data!r} where its forward gives {node.data!r}; "
            "fix the parts, or draw with expand=False"
        )
    # d node / d part, by a backward through the parts alone (a stand-in's share is the fused
    # node's own local derivative, which the drawing does not need)
    shares = dict.fromkeys(pieces, 0.0)
    shares[out] = 1.0
    for piece in reversed(pieces):
        g = shares[piece]
        for p, share in zip(piece.parents, chain_rule(piece, g)):
            if p in shares:
                shares[p] += share
    scoped = Meta(scope=node.scope) if node.scope else None
    for piece in pieces:
        piece._meta = scoped
    out._meta = node._meta  # the fused node's label and scope
    out.data = node.data  # its very number, even where the parts round differently in the last digit
    return pieces, input_of, list(shares.values())


def _agree(a: float, b: float, numbers: list[float]) -> bool:
    """Do the parts and the forward compute the same number, up to rounding? Rounding errors scale
    with the biggest number in between (a forward may sum in another order, or compensated, as
    Python 3.12's sum() does), so that is the yardstick; with an inf or nan around there is none."""
    if a == b:
        return True
    scale = max(map(abs, numbers), default=0.0)
    if not math.isfinite(scale) or not (math.isfinite(a) and math.isfinite(b)):
        return True
    return abs(a - b) <= 1e-9 * scale + 1e-12
