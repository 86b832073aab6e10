"""Fitting a big graph into a drawing: fold long sums, then fold whole scopes into summary boxes.

micrograd's demo loss over 100 samples is a graph of about 65,000 scalars; nobody can read 65,000
boxes, and Graphviz would take minutes to lay them out. When a graph is bigger than the drawing's
budget (`max_nodes` boxes), this file decides what to show and what to fold away, in four moves:

1. Fold chains of the same associative op. `sum(terms)` builds `((t0 + t1) + t2) + ...`; the
   partial sums in between are only bookkeeping, so such a chain is drawn as one Σ node with all
   its terms as inputs (a product chain as one Π node).
2. Group nodes by scope. Every node remembers the dotted scope it was created in (`layers.1.neurons.3`,
   or `sample.7` when a loop wraps each sample in `scope(f"sample.{i}")`). Nodes created outside any
   scope join the scope of their inputs when those all agree, so a sample's share of the loss
   stays with the sample. A graph made outside every scope (micrograd's own code) is grouped by
   the terms of its wide sums instead: each term's own nodes (one sample's, say) are a scope.
3. Draw the nodes nearest the output. The root, then every node one step from it, then two
   steps, ... as long as a whole level fits (half a level would be an arbitrary half of, say, a
   sum's terms).
4. Summarize the rest by scope. What is hidden is grouped into boxes by scope; the biggest box is
   opened into its sub-scopes first, up to 30 boxes, so the drawing shows the model's structure
   (samples, layers, neurons), each box saying what it holds and how many nodes it hides.

Every hidden node is accounted for: shown + folded + hidden in summaries = all nodes.
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field

from engine.value import Value

__all__ = ["Plan", "Summary", "plan_drawing"]

_MAX_SUMMARIES_PER_LEVEL = 8  # more sub-scopes than this open as 7 boxes plus one box for the rest
_AS_SMALL_AS_A_BOX = 2  # a scope of one value and its op is drawn, not summarized
_MAX_BOXES = 30  # summary boxes in one drawing: beyond this they stop explaining anything
_FOLDABLE = ("+", "*")  # associative: a chain of them means the same as one n-ary op


@dataclass
class Summary:
    """A box standing for hidden nodes: what they are, where they sit, how many."""

    path: str  # the scope (cluster) the box is drawn in
    title: str
    members: list[int]  # positions (in topological order) of the hidden nodes it stands for
    hidden: int  # number of nodes it hides, partial sums folded inside included
    holds: list[str] = field(default_factory=list)  # the sub-scopes inside, by name
    ops: Counter = field(default_factory=Counter)  # op name ('' for leaves) → count


@dataclass
class Plan:
    """What to draw: which nodes show, what each shown node's inputs are, and the summaries."""

    shown: list[bool]
    inputs: list[list[int]]  # per node: its inputs (for a folded Σ node, all the chain's terms)
    folded: list[int]  # per node: how many partial results were folded into it
    absorbed: list[bool]  # per node: folded into a later node of its chain
    owner: dict[int, int]  # hidden node → position of its summary in `summaries`
    summaries: list[Summary]

    @property
    def complete(self) -> bool:
        return not self.summaries and not any(self.folded)


def plan_drawing(order: list[Value], parents: list[list[int]], max_nodes: int) -> Plan:
    """Decide what a drawing of at most `max_nodes` boxes shows (a value and its op are 2 boxes)."""
    n = len(order)
    cost = [1 if v._primitive is None else 2 for v in order]
    if sum(cost) <= max_nodes:
        return Plan([True] * n, parents, [0] * n, [False] * n, {}, [])
    inputs, folded, absorbed = _fold_chains(order, parents)
    depth = _distance_from_root(inputs, absorbed)
    scopes = _effective_scopes(order, inputs, absorbed)
    if not any(scopes):  # made outside every scope (micrograd's own code): let the big sums make the boxes
        scopes = _scopes_from_sums(inputs, absorbed, folded, depth)
    # room is kept for the first boxes: the top level opens into at most one box per sub-scope shown
    shown, budget = _show_nearest_levels(absorbed, cost, depth, max_nodes - _MAX_SUMMARIES_PER_LEVEL - 1)
    budget += _MAX_SUMMARIES_PER_LEVEL + 1
    tree = _ScopeTree(scopes, [a or s for a, s in zip(absorbed, shown)], cost, folded, depth)
    _open_boxes(tree, shown, budget)
    # boxes in the order of their module index (layers.0.neurons.2 before layers.0.neurons.10),
    # the order they are written in, so a reader finds neuron 3 between neurons 2 and 4
    summaries, owner = sorted(tree.summaries, key=_index_order), {}
    for k, summary in enumerate(summaries):
        for i in summary.members:
            owner[i] = k
            summary.ops[order[i].op] += 1 + folded[i]
    return Plan(shown, inputs, folded, absorbed, owner, summaries)


def _index_order(summary: Summary) -> list[tuple[int, int, str]]:
    """Sort key of a box: its scope path with the numbers compared as numbers ('the rest' of a scope first)."""
    path = summary.title.split(" ", 1)[0].removesuffix(":")  # 'layers.0.neurons.7 … (9 scopes)' → its first
    return [(1, int(part), "") if part.isdigit() else (0, 0, part) for part in path.split(".")]


def _fold_chains(order: list[Value], parents: list[list[int]]) -> tuple[list[list[int]], list[int], list[bool]]:
    # A partial result is folded into its consumer when it is the same associative op, used once,
    # unnamed and made in the same scope: then nobody can see it anywhere else in the graph.
    n = len(order)
    uses = [0] * n
    for ps in parents:
        for p in ps:
            uses[p] += 1
    inputs: list[list[int]] = [list(ps) for ps in parents]
    folded, absorbed = [0] * n, [False] * n
    for i, v in enumerate(order):
        op = v.op
        if op not in _FOLDABLE:
            continue
        terms: list[int] = []
        for p in parents[i]:
            u = order[p]
            if uses[p] == 1 and u.op == op and not u.label and u.scope == v.scope:
                absorbed[p] = True
                if terms:
                    terms.extend(inputs[p])
                else:  # take the chain's list over: copying it at every link would make a long sum quadratic
                    terms, inputs[p] = inputs[p], []
                folded[i] += 1 + folded[p]
            else:
                terms.append(p)
        inputs[i] = terms
    return inputs, folded, absorbed


def _distance_from_root(inputs: list[list[int]], absorbed: list[bool]) -> list[int]:
    # reverse topological order visits every consumer before its inputs: shortest path, no queue
    n = len(inputs)
    far = n + 1
    depth = [far] * n
    depth[n - 1] = 0
    for i in range(n - 1, -1, -1):
        if absorbed[i]:
            continue
        d = depth[i] + 1
        for p in inputs[i]:
            if d < depth[p]:
                depth[p] = d
    return depth


def _effective_scopes(order: list[Value], inputs: list[list[int]], absorbed: list[bool]) -> list[str]:
    scopes = [v.scope for v in order]
    leaf = [v._primitive is None for v in order]
    for i in range(len(order)):
        if scopes[i] or leaf[i] or absorbed[i]:
            continue
        # an unscoped op joins its inputs' scope when they agree (unscoped constants don't vote)
        votes = set()
        for p in inputs[i]:
            if scopes[p]:
                votes.add(scopes[p])
            elif not leaf[p]:
                votes.add("")
        if len(votes) == 1:
            scopes[i] = votes.pop()
    consumers: dict[int, set[str]] = {}
    for i in range(len(order)):
        if not absorbed[i]:
            for p in inputs[i]:
                if leaf[p] and not order[p].scope:
                    consumers.setdefault(p, set()).add(scopes[i])
    for p, where in consumers.items():
        if len(where) == 1:
            scopes[p] = where.pop()  # a constant used in one scope belongs to it
    return scopes


def _scopes_from_sums(inputs: list[list[int]], absorbed: list[bool], folded: list[int], depth: list[int]) -> list[str]:
    # A wide Σ near the output (a loss summed over samples, a penalty summed over parameters)
    # is where a graph without scopes has its structure: each term's own subgraph, the nodes
    # only that term reaches, becomes a scope 'sum1.term0', 'sum1.term1', ... Nodes that terms
    # share, of one sum or of two (the weights), stay at the top level, and so do terms of just
    # a node or two.
    n = len(inputs)
    sums = sorted(
        (i for i in range(n) if folded[i] and not absorbed[i] and len(inputs[i]) >= _MAX_SUMMARIES_PER_LEVEL),
        key=lambda i: (depth[i], -i),
    )
    owner: dict[int, tuple[int, int] | None] = {}  # node → (sum, term) reaching it; None: several
    for number, i in enumerate(sums, start=1):
        if i in owner:
            continue  # inside a term of a sum nearer the output: it belongs to that term
        for k, term in enumerate(inputs[i]):
            mine = (number, k)
            stack = [term]
            while stack:
                j = stack.pop()
                if j not in owner:
                    owner[j] = mine
                    stack.extend(inputs[j])
                elif owner[j] is not None and owner[j] != mine:
                    owner[j] = None  # a second term reaches it: shared, and so is all it reaches
                    _share(j, inputs, owner)
    size = Counter(who for who in owner.values() if who is not None)
    scopes = [""] * n
    for j, who in owner.items():
        if who is not None and size[who] > _AS_SMALL_AS_A_BOX:  # a term of a leaf or two is no structure
            scopes[j] = f"sum{who[0]}.term{who[1]}"
    return scopes


def _share(start: int, inputs: list[list[int]], owner: dict) -> None:
    # everything a shared node reaches is shared too
    stack = list(inputs[start])
    while stack:
        j = stack.pop()
        if owner.get(j, 0) is None:
            continue
        owner[j] = None
        stack.extend(inputs[j])


class _Scope:
    __slots__ = ("path", "name", "children", "direct", "cost", "hidden", "depth", "first")

    def __init__(self, path: str, name: str) -> None:
        self.path, self.name = path, name
        self.children: dict[str, _Scope] = {}
        self.direct: list[int] = []
        self.cost = self.hidden = 0
        self.depth = self.first = 1 << 62

    def inner(self) -> _Scope:
        # a scope holding nothing but one sub-scope is the same box: look through it
        s = self
        while not s.direct and len(s.children) == 1:
            s = next(iter(s.children.values()))
        return s

    def members(self) -> list[int]:
        found, stack = [], [self]
        while stack:
            s = stack.pop()
            found.extend(s.direct)
            stack.extend(s.children.values())
        return found


class _ScopeTree:
    def __init__(self, scopes: list[str], skip: list[bool], cost: list[int], folded: list[int], depth: list[int]):
        n = len(scopes)
        self.top = _Scope("", "")
        made = [self.top]
        for i in range(n):
            if skip[i]:
                continue
            s = self.top
            if scopes[i]:
                for name in scopes[i].split("."):
                    child = s.children.get(name)
                    if child is None:
                        child = s.children[name] = _Scope(f"{s.path}.{name}" if s.path else name, name)
                        made.append(child)
                    s = child
            s.direct.append(i)
            s.cost += cost[i]
            s.hidden += 1 + folded[i]
            s.depth = min(s.depth, depth[i])
            s.first = min(s.first, i)
        for s in reversed(made):  # children were made after their parents: sums flow upward
            for c in s.children.values():
                s.cost += c.cost
                s.hidden += c.hidden
                s.depth = min(s.depth, c.depth)
                s.first = min(s.first, c.first)
        self.folded, self.cost = folded, cost
        self.summaries: list[Summary] = []

    def summarize(self, scope: _Scope, where: str) -> None:
        inner = scope.inner()
        prefix = f"{scope.path}." if scope.path else ""
        holds = sorted(c.path[len(prefix) :] for c in inner.children.values())
        holds.sort(key=lambda name: [int(part) if part.isdigit() else -1 for part in name.split(".")])
        self.summaries.append(Summary(where, scope.path or "top level", scope.members(), scope.hidden, holds))

    def summarize_group(self, scopes: list[_Scope], where: str) -> None:
        members = [i for s in scopes for i in s.members()]
        last = scopes[-1].path.rpartition(".")
        same_parent = last[0] == scopes[0].path.rpartition(".")[0]  # layers.0.neurons.7 … 15, not … layers.0.neurons.15
        title = f"{scopes[0].path} … {last[2] if same_parent else scopes[-1].path} ({len(scopes)} scopes)"
        self.summaries.append(Summary(where, title, members, sum(s.hidden for s in scopes), []))

    def summarize_rest(self, scope: _Scope, rest: list[int]) -> None:
        hidden = sum(1 + self.folded[i] for i in rest)
        title = f"{scope.path or 'top level'}: the rest"  # how many it hides is the box's next line
        self.summaries.append(Summary(scope.path, title, rest, hidden, []))


def _show_nearest_levels(absorbed: list[bool], cost: list[int], depth: list[int], budget: int) -> tuple[list, int]:
    """Show the root and then whole levels (all nodes at distance 1, 2, ...) while they fit."""
    n = len(cost)
    levels: dict[int, list[int]] = {}
    for i in range(n - 1):
        if not absorbed[i]:
            levels.setdefault(depth[i], []).append(i)
    shown = [False] * n
    shown[n - 1] = True
    budget -= cost[n - 1]
    for d in sorted(levels):
        level_cost = sum(cost[i] for i in levels[d])
        if level_cost > budget:
            break
        budget -= level_cost
        for i in levels[d]:
            shown[i] = True
    return shown, budget


def _open_boxes(tree: _ScopeTree, shown: list[bool], budget: int) -> None:
    """Group what is hidden into scope boxes, opening the biggest boxes first while the budget lasts."""
    closed: list[tuple[int, int, int, _Scope, str]] = []  # heap: the biggest box opens first
    tick = 0
    boxes_left = min(_MAX_BOXES, budget)

    def open_scope(s: _Scope) -> None:
        nonlocal tick, budget, boxes_left
        s = s.inner()
        kids = sorted(s.children.values(), key=lambda c: (c.depth, c.first))
        if len(kids) > _MAX_SUMMARIES_PER_LEVEL:
            alone, grouped = kids[: _MAX_SUMMARIES_PER_LEVEL - 1], kids[_MAX_SUMMARIES_PER_LEVEL - 1 :]
            tree.summarize_group(grouped, s.path)
            boxes_left -= 1
            budget -= 1
        else:
            alone = kids
        direct_cost = sum(tree.cost[i] for i in s.direct)
        if s.direct and direct_cost <= min(_AS_SMALL_AS_A_BOX, budget - len(alone)):
            for i in s.direct:
                shown[i] = True
            budget -= direct_cost
        elif s.direct:
            tree.summarize_rest(s, s.direct)
            boxes_left -= 1
            budget -= 1
        for c in alone:
            tick += 1
            heapq.heappush(closed, (-c.hidden, c.depth, tick, c, s.path))
            boxes_left -= 1
            budget -= 1

    open_scope(tree.top)
    while closed:
        _, _, _, s, where = heapq.heappop(closed)
        inner = s.inner()
        if inner.cost <= min(_AS_SMALL_AS_A_BOX, budget + 1):
            budget -= inner.cost - 1
            boxes_left += 1
            for i in inner.members():
                shown[i] = True
            continue
        opens_into = min(len(inner.children), _MAX_SUMMARIES_PER_LEVEL) + (1 if inner.direct else 0)
        if opens_into >= 2 and opens_into - 1 <= min(boxes_left, budget):
            boxes_left += 1
            budget += 1
            open_scope(s)
        else:
            tree.summarize(s, where)
