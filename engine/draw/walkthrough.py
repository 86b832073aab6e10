"""The backward pass one step at a time, replayed on copies of the numbers.

`backward()` visits the nodes in reverse topological order. At each node it knows the node's
complete gradient (every node that uses it has already passed its share back) and applies the
chain rule once per input:

    input.grad += local derivative × node.grad

Replaying that walk step by step shows *why* the order matters: a node's gradient is a sum over
its uses, and it is only complete once every use has been visited. This file replays it without
touching anyone's `.grad`: the numbers live in a list here, so drawing a step of a graph never
changes the graph.

Step k means "after k nodes have applied the chain rule". The walk's nodes are the root and every
node made by an op (a leaf has nobody to pass its gradient to). Step 0 is before the walk: every
gradient is pending. The root's step seeds d root / d root = 1. Hooks (`register_hook`) are not
called: a replay must not run anyone's side effects; the numbers are those of a plain backward.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.format import format_number as number  # the one number format (style.number is gone)
from engine.names import node_names
from engine.ops import chain_rule, local_derivatives
from engine.value import Value

__all__ = ["Walk", "replay_backward", "walk_through", "step_caption"]

PENDING, PARTIAL, FINAL = "pending", "partial", "final"


@dataclass
class Walk:
    """The state of the backward walk after `step` of `total` steps."""

    step: int
    total: int
    grads: list[float | None]  # per node, None while no gradient has reached it
    status: list[str]  # per node: 'pending', 'partial' (some uses still to come) or 'final'
    current: int | None  # the node that applied the chain rule in this step
    fed: list[tuple[int, float, float]]  # (input, local derivative, contribution) of that step
    widest: int  # the longest gradient text any step of this walk shows, for steady layouts


def replay_backward(order: list[Value], parents: list[list[int]], step: int, text) -> Walk:
    """The walk after `step` steps (clamped to the end); `text(grad, status)` is what a node shows.

    walk_through's steps, kept at `step`; the walk runs to its end anyway, to find `widest`.
    """
    n = len(order)
    kept = Walk(0, 0, [None] * n, [PENDING] * n, None, [], 0)  # step 0: every gradient pending
    widest = len(text(None, PENDING))
    total = 0
    for walk in walk_through(order, parents):
        total = walk.step
        if walk.current == n - 1:
            widest = max(widest, len(text(1.0, FINAL)))  # d root / d root
        for p, _, _ in walk.fed:
            widest = max(widest, len(text(walk.grads[p], walk.status[p])))
        if walk.step == step:  # the walk's lists change in place: keep copies
            kept = Walk(step, 0, list(walk.grads), list(walk.status), walk.current, list(walk.fed), 0)
    if step > total:  # past the end: every gradient final, no step current
        kept = Walk(total, 0, list(walk.grads), list(walk.status), None, [], 0) if total else kept
    kept.total, kept.widest = total, widest
    return kept


def walk_through(order: list[Value], parents: list[list[int]]):
    """Every step of the walk, step 1 to the end, in one pass (the animation's way: replaying each
    step from the start would cost steps × nodes). Yields one Walk per step whose lists are updated
    in place, so read each before asking for the next; `fed` holds that step's (input, local, share).
    The numbers are replay_backward's: the same chain rule, in the same order."""
    n = len(order)
    root = n - 1
    steps = [i for i in range(root, -1, -1) if i == root or order[i]._primitive is not None]
    uses_left = [0] * n
    for ps in parents:
        for p in ps:
            uses_left[p] += 1
    grads: list[float | None] = [None] * n
    status = [PENDING] * n
    for j, i in enumerate(steps):
        if i == root:
            grads[i], status[i] = 1.0, FINAL  # d root / d root; nothing uses the root
        g = grads[i]
        fed = []
        for p, local, share in zip(parents[i], local_derivatives(order[i]), chain_rule(order[i], g)):
            # this use's share of d root / d p
            before = grads[p]
            grads[p] = share if before is None else before + share
            uses_left[p] -= 1
            status[p] = FINAL if uses_left[p] == 0 else PARTIAL
            fed.append((p, local, share))
        yield Walk(j + 1, len(steps), grads, status, i, fed, 0)


def _attribute_of(name: str) -> str:
    # a label such as 'x1*w1 + x2*w2' in brackets, so that '.grad' reads as the whole node's
    return name if name.isidentifier() else f"({name})"


def step_caption(order: list[Value], walk: Walk, names: list[str] | None = None) -> str:
    """One line saying what the walk did in its latest step (the animation shows it too).

    Nodes are called by engine.names (`names`, else computed from `order`): never two alike.
    """
    if names is None:
        names = node_names(order)
    if walk.step == 0:
        return f"step 0 of {walk.total}: before backward, every gradient is pending"
    if walk.current is None:
        return f"backward finished after {walk.total} step{'s' if walk.total != 1 else ''}: every gradient is final"
    c = walk.current
    current_grad = walk.grads[c]
    assert current_grad is not None  # the node being stepped through has its complete gradient
    g = number(current_grad)
    if c == len(order) - 1:
        head = f"step {walk.step} of {walk.total}: {_what(order, names, c)} starts the walk with grad 1 (d out / d out)"
    else:
        head = f"step {walk.step} of {walk.total}: {_what(order, names, c)} has its complete grad {g}"
    if not walk.fed:
        return head + "; a leaf passes nothing on"
    shares = [f"{_attribute_of(names[p])}.grad += {number(local)} × {g}" for p, local, _ in walk.fed[:4]]
    more = f" and {len(walk.fed) - 4} more" if len(walk.fed) > 4 else ""
    return head + "; chain rule, input.grad += local derivative × grad: " + "; ".join(shares) + more


def _what(order: list[Value], names: list[str], i: int) -> str:
    # the node by its name, and for an unlabelled one what it is: `n12 (the + node, data -0.2771)`
    v = order[i]
    if v.label:
        return names[i]
    return f"{names[i]} (the {v.op} node, data {number(v.data)})" if v.op else f"{names[i]} (a leaf)"
