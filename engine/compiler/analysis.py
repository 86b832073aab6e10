"""What the compiler must know about a traced graph before it writes a line.

Backward gives each node a gradient: the sum, over the nodes that use it, of their gradient
times the local derivative. To write that out as plain code, the writer first needs to know,
for every node of the trace, what it is (an operation, a parameter, an argument, or a constant
the code can hold as a number), whether it needs a gradient at all (the output depends on it
and it depends on a parameter), which contributions arrive at it and in what order (the order
backward() adds them), and which values a derivative reads later, so they keep a variable.

It also finds the pieces of the graph that repeat with the same shape: the model run on each
sample of a batch is one piece per sample, all alike. The writer writes such a piece once, as
the body of a loop, so the code stays small however large the batch; a piece is kept only
where running it in a loop changes no number backward() would compute.
"""

from __future__ import annotations

from collections import Counter
from itertools import accumulate, chain, compress
from typing import TYPE_CHECKING

from engine.compiler.rules import _Namespace, _Rule
from engine.ops import Primitive

if TYPE_CHECKING:  # (trace.py imports this file)
    from engine.compiler.trace import _Trace

__all__: list[str] = []  # private to the compiler: engine.compile is its public face

_OP, _PARAM, _INPUT, _VALUE, _CONST = range(5)

_REPEAT_MIN = 8  # operations in a repeated piece of the graph before it gets a function of its own


class _Piece:
    """One occurrence of a repeated piece of the graph (say, the model on one sample)."""

    __slots__ = ("nodes", "inputs", "outputs", "graded", "template", "saved")

    def __init__(self, nodes: list[int]) -> None:
        self.nodes = nodes  # its operations, in the order of the walk
        self.inputs: list[int] = []  # the values it reads from outside (parameters aside)
        self.outputs: list[int] = []  # its values used outside it
        self.graded: list[int] = []  # the outputs whose gradient also comes from outside
        self.template = -1  # which shape it has, once kept (its branch in the writer's loop)
        self.saved = ""  # the writer's variable holding what its backward reads


class _Analysis:
    """The facts about every node of a trace, as lists indexed by its position in the walk.

    `trace` is engine/compiler/trace.py's `_Trace`.
    """

    def __init__(self, trace: _Trace, fuse: bool, ns: _Namespace) -> None:
        self.trace = trace
        self.fuse = fuse
        self.ns = ns

    def _analyse(self) -> None:
        """Every node's kind and rule (walking forward), then who needs a gradient (walking back)."""
        trace, ns, fuse = self.trace, self.ns, self.fuse
        order, parents = trace.order, trace.parents
        self.n = n = len(order)
        param_slot = {id(p): k for k, p in enumerate(trace.params)}

        # 1. what each node is (an operation, a parameter, an argument, a constant), whether it
        #    depends on a parameter, and how each primitive is spelled
        kind = self.kind = [_OP] * n
        slot = self.slot = [0] * n
        depends = [False] * n
        keep = self.keep = [not fuse] * n  # values that need a variable of their own
        rule_of: list[_Rule | None] = [None] * n
        self.rule_of = rule_of
        rules: dict[object, _Rule] = {}  # by primitive; a variadic one by (primitive, operand count)
        arg_leaves, const = trace.arg_leaves.get, _CONST
        # `alike`: two nodes are alike when they apply the same primitive to alike operands, where
        # every argument is alike every other and a parameter or constant only itself (so the
        # model on sample 3 is alike the model on sample 7); what repeats is written only once
        alike = self.alike = [0] * n
        classes: dict[object, int] = {}
        key: object
        for i, idx in enumerate(parents):
            if not idx:
                v = order[i]
                arg = arg_leaves(id(v))
                if arg is not None:
                    kind[i], slot[i] = (_INPUT if arg[0] == "inputs" else _VALUE), arg[1]
                    depends[i] = kind[i] == _VALUE
                    key = "x" if kind[i] == _INPUT else ("v", slot[i])
                elif id(v) in param_slot:
                    kind[i], slot[i], depends[i] = _PARAM, param_slot[id(v)], True
                    key = ("p", slot[i])
                else:
                    kind[i] = const
                    key = v.data.hex()
                alike[i] = classes.setdefault(key, len(classes))
                continue
            if kind[idx[0]] == const and (len(idx) == 1 or all([kind[j] == const for j in idx])):
                kind[i] = const  # computed from constants only: a constant too
                alike[i] = classes.setdefault(order[i].data.hex(), len(classes))
                continue
            # (the trace refused closures, so this is a Primitive; value.py, not annotated yet, lets
            # mypy type the slot from compat.py's UserOp)
            prim: Primitive = order[i]._primitive  # type: ignore[assignment]
            if len(idx) == 2:
                a, b = idx
                key = (prim, alike[a], alike[b])
                depends[i] = depends[a] or depends[b]
            else:
                key = (prim, *[alike[j] for j in idx])
                for j in idx:
                    if depends[j]:
                        depends[i] = True
            alike[i] = classes.setdefault(key, len(classes))
            rule = rules.get(prim)
            if rule is None:
                rule = rules.get((prim, len(idx)))  # a variadic primitive: one rule per operand count
                if rule is None:
                    rule = _Rule(prim, order[i], [order[j] for j in idx], ns)
                    rules[prim if prim.arity is not None else (prim, len(idx))] = rule
            rule_of[i] = rule
            if rule.repeated:  # an operand written twice in the formula: compute it once
                for k in rule.repeated:
                    keep[idx[k]] = True
        self.count = count = [0] * len(classes)
        # how many operations each class has, counted in C (a loop over the nodes costs ~4 ms)
        for c, k in Counter(compress(alike, rule_of)).items():
            count[c] = k

        # 2. backwards: which nodes need a gradient (they depend on a parameter and the output
        #    depends on them), the contributions arriving at each in the order backward() adds
        #    them (latest user first, then operand by operand), and the values derivatives read
        root = self.root = trace.root
        needed = self.needed = [False] * n
        needed[root] = depends[root]
        spread = self.spread = [0] * n  # how many of its operands need a gradient from it
        arriving: list[list[tuple[int, int]] | None] = [None] * n
        self.arriving = arriving
        for i in range(n - 1, -1, -1):
            if not needed[i]:
                continue
            rule = rule_of[i]
            if rule is None:
                continue
            idx = parents[i]
            reads = rule.reads
            given = 0  # (counted here, stored once: ~9M instructions fewer than spread[i] += 1)
            for k, j in enumerate(idx):
                if depends[j]:
                    needed[j] = True
                    given += 1
                    got = arriving[j]
                    if got is None:
                        arriving[j] = [(i, k)]
                    else:
                        got.append((i, k))
                    for hole in reads[k]:
                        keep[i if hole == 0 else idx[hole - 1]] = True
            spread[i] = given
        self.outputs = trace.outputs
        for i in self.outputs:
            keep[i] = True
        self.labels = [v._meta.label if v._meta is not None else "" for v in order]
        self.piece_of = [-1] * n
        self.after_pieces = [False] * n  # computed from a repeated piece's output (forward after the loop)

    def _repeats(self) -> list[_Piece]:
        """Pieces of the graph that repeat with the same shape, each to be written once.

        A piece is a connected group of operations whose kind repeats (see `alike`). It is kept
        only if running it as one function changes nothing: it reads no value that needs a
        gradient but parameters, nothing outside uses it before it is over, and nothing that
        needs a gradient runs in the middle of it in the walk.
        """
        n, kind, parents, alike, count = self.n, self.kind, self.trace.parents, self.alike, self.count
        needed, keep, piece_of = self.needed, self.keep, self.piece_of
        owner: list[int] = []  # union-find over piece numbers, for the rare operation joining two
        members: list[list[int]] = []
        merged = False
        for i in range(n):
            if kind[i] != _OP or count[alike[i]] < 2:
                continue
            mine = -1
            for j in parents[i]:
                other = piece_of[j]
                if other >= 0:
                    while owner[other] != other:
                        other = owner[other]
                    if mine < 0:
                        mine = other
                    elif other != mine:
                        owner[other] = mine
                        merged = True
            if mine < 0:
                mine = len(owner)
                owner.append(mine)
                members.append([])
            piece_of[i] = mine
            members[mine].append(i)
        if merged:
            for c in range(len(owner)):
                root = c
                while owner[root] != root:
                    root = owner[root]
                if root != c and members[c]:
                    members[root].extend(members[c])
                    members[c] = []
            for c, nodes in enumerate(members):
                nodes.sort()
                for i in nodes:
                    piece_of[i] = c
        pieces: list[_Piece | None] = [_Piece(nodes) if len(nodes) >= _REPEAT_MIN else None for nodes in members]
        refused = set()
        # what each piece reads and gives, in one scan of the edges
        for i in range(n):
            if kind[i] != _OP:
                continue
            mine = piece_of[i]
            for j in parents[i]:
                c = piece_of[j]
                if c == mine:
                    continue
                if c >= 0 and (piece := pieces[c]) is not None:  # j leaves its piece: an output
                    if j not in piece.outputs:
                        piece.outputs.append(j)
                    if i < piece.nodes[-1]:
                        refused.add(c)  # used before the piece is over
                if mine >= 0 and (piece := pieces[mine]) is not None and kind[j] != _PARAM and kind[j] != _CONST:
                    if j not in piece.inputs:
                        piece.inputs.append(j)
                        if needed[j] or kind[j] == _VALUE or (kind[j] == _OP and j > piece.nodes[0]):
                            refused.add(mine)
        for i in self.outputs:
            c = piece_of[i]
            if c >= 0 and (piece := pieces[c]) is not None:
                if i == self.root:
                    refused.add(c)
                elif i not in piece.outputs:
                    piece.outputs.append(i)
        # nothing else that needs a gradient may run in between: count the operations that do
        # needing[i]: how many of the first i nodes are such operations (a running sum, in C)
        needing = [0, *accumulate([need and k == _OP for need, k in zip(needed, kind)])]
        shapes: dict[tuple, list[_Piece]] = {}
        for c, piece in enumerate(pieces):
            if piece is None or c in refused:
                continue
            first, last = piece.nodes[0], piece.nodes[-1]
            if needing[last + 1] - needing[first] != sum([needed[i] for i in piece.nodes]):
                continue
            piece.outputs.sort()
            for o in piece.outputs:
                keep[o] = True
            piece.graded = [o for o in piece.outputs if any(piece_of[u] != c for u, _ in self.arriving[o] or ())]
            # the shape: each operation's kind and where its operands come from (inside the piece,
            # which input, or a parameter or constant, named by `alike`), and what is kept
            nodes = piece.nodes
            local = dict(zip(nodes, range(len(nodes))))
            local.update(zip(piece.inputs, range(-1, -1 - len(piece.inputs), -1)))
            get = local.get
            # (the operands in one flat run: an operation's class fixes how many it has, and a
            # tuple per operation cost ~7 ms of a 100-sample batch's compile)
            shape = (
                tuple([alike[i] for i in nodes]),
                tuple(map(get, chain.from_iterable([parents[i] for i in nodes]))),
                tuple([needed[i] + 2 * keep[i] for i in nodes]),
                tuple(map(get, piece.outputs)),
                tuple(map(get, piece.graded)),
            )
            shapes.setdefault(shape, []).append(piece)
        kept = []
        for number, group in enumerate(shapes.values()):
            if len(group) > 1 and not any(self.labels[i] for i in group[0].nodes):
                for piece in group:
                    piece.template = number
                kept.extend(group)
        piece_of[:] = [-1] * n  # (in place: the writer holds the list)
        kept.sort(key=lambda piece: piece.nodes[0])
        for number, piece in enumerate(kept):
            for i in piece.nodes:
                piece_of[i] = number
        if kept and not self._loopable(kept):
            piece_of[:] = [-1] * n
            return []
        return kept

    def _loopable(self, pieces: list[_Piece]) -> bool:
        """Can all pieces run in one loop, forward and backward, with the same numbers?

        Forward: no piece may read a value computed from another piece's output (the other
        operations are computed before or after the loop, as they need). Backward: between the
        first and the last piece in the walk, nothing else may add to a leaf's gradient, so the
        leaves receive their contributions in backward()'s order.
        """
        n, kind, parents, needed, piece_of = self.n, self.kind, self.trace.parents, self.needed, self.piece_of
        after = [False] * n
        for i in range(n):
            if piece_of[i] >= 0:
                after[i] = True
            elif self.rule_of[i] is not None:
                for j in parents[i]:
                    if after[j]:
                        after[i] = True
                        break
        if any(after[j] for piece in pieces for j in piece.inputs):
            return False
        first, last = pieces[0].nodes[0], max(piece.nodes[-1] for piece in pieces)
        for i in range(first, last + 1):
            if piece_of[i] < 0 and needed[i] and self.rule_of[i] is not None:
                if any(kind[j] in (_PARAM, _VALUE) and needed[j] for j in parents[i]):
                    return False
        self.after_pieces = after
        return True
