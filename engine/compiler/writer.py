"""The compiler's writer: a traced graph spelled out as one Python function, forward then backward.

The function it writes, `forward_backward(inputs, values, params)`, first reads the leaves (the
parameters' current `.data` and this call's numbers), then computes every operation in the order
the graph was built: what each node's `.data` would hold. Then it goes back from the output, as
backward() does: each node's gradient is the sum, over the nodes that use it, of their gradient
times the local derivative (the chain rule), and each parameter's `.grad` receives its share in
exactly the order backward() adds them, so the numbers agree bit for bit.

A value used once gets no variable of its own: its formula goes straight into the line that uses
it (`tanh(x1 * w1 + b)`), so the code reads like the math (`fuse=False` gives every operation its
own line). The repeated pieces the analysis found are written once each, as the branches of a
loop over their occurrences: one loop forward, one backward.
"""

from __future__ import annotations

import math
import numbers
import re
from typing import TYPE_CHECKING, NamedTuple

from engine.compiler.analysis import _CONST, _INPUT, _OP, _PARAM, _VALUE, _Analysis, _Piece
from engine.compiler.rules import _ATOM, _GENERAL, _IDENTITY, _PICK, _identifier, _Namespace, _Template
from engine.names import auto_name
from engine.value import Value

__all__: list[str] = []  # private to the compiler: engine.compile is its public face

_LIMIT = 40  # operations in one expression before a value gets its own line: keeps compile() fast
_FUNCTION = "forward_backward"
_RESERVED = {"params", "inputs", "values", _FUNCTION, "_params"}  # the names the function itself uses
_NAME = re.compile(r"[A-Za-z_]\w*")

if TYPE_CHECKING:  # (trace.py imports this file)
    from engine.compiler.trace import _Trace


class _Loops(NamedTuple):
    """The two functions `_loops` wrote, and what calling them needs."""

    forward: str
    backward: str
    templates: dict[int, dict[str, list[str]]]
    accumulators: list[str]


class _Writer(_Analysis):
    """Turns a trace into the source of one function `forward_backward(inputs, values, params)`.

    The trace is engine/compiler/trace.py's `_Trace`. The writer first analyses it (`_Analysis`), then
    spells each node with what that found.
    """

    def __init__(self, trace: _Trace, fuse: bool) -> None:
        super().__init__(trace, fuse, _Namespace(_RESERVED))

    def write(self) -> tuple[str, dict, list[Value]]:
        trace, ns = self.trace, self.ns
        self._analyse()
        self._start()
        n, kind, slot, names = self.n, self.kind, self.slot, self.names
        pieces = self._repeats() if self.fuse else []
        # with repeated pieces run in a loop of their own, a leaf's gradient is added at each use,
        # in the order backward() adds them, instead of in one sum when the walk reaches the leaf
        self.push = bool(pieces)
        lines = [f"def {_FUNCTION}(inputs, values, params=_params):"]
        lines.append("    # the leaves: parameters as they are now, and this call's arguments")
        for i in range(n):
            if kind[i] == _PARAM:
                lines.append(f"    {names[i]} = params[{slot[i]}].data")
            elif kind[i] == _INPUT:  # (in the walk: an operation reads it, or fn returns it)
                lines.append(f"    {names[i]} = inputs[{slot[i]}]")
            elif kind[i] == _VALUE:
                lines.append(f"    {names[i]} = values[{slot[i]}].data")
        self.acc: dict[int, str] = {}  # leaf -> the variable its gradient accumulates in (push mode)
        if self.push:
            for i in range(n):
                if kind[i] in (_PARAM, _VALUE) and self.needed[i]:
                    self.acc[i] = ns.fresh(f"{names[i]}_grad")
        self.pushed: set[str] = set()  # the accumulators the repeated pieces add to
        loops = self._loops(pieces, lines) if pieces else None

        lines.append("    # forward pass: the value of every operation, in the order the graph was built")
        after = self.after_pieces
        for i in range(n):
            if self.piece_of[i] < 0 and self.rule_of[i] is not None and not after[i]:
                self._forward_node(i, lines, "    ")
        if loops is not None:  # (there are pieces)
            self._run_forward(pieces, loops, lines)
            for i in range(n):
                if self.piece_of[i] < 0 and self.rule_of[i] is not None and after[i]:
                    self._forward_node(i, lines, "    ")

        lines.append("    # backward pass: each node's gradient is the sum, over the nodes that use it, of their")
        lines.append("    # gradient times the local derivative (the chain rule), from the output back to the leaves")
        for i, name in self.acc.items():
            lines.append(f"    {name} = {_target(kind[i], slot[i])}")
        self._backward_root(lines)
        start = pieces[0].nodes[0] if pieces else n
        for i in range(n - 1, start - 1, -1):
            if self.piece_of[i] < 0 and i != self.root:
                self._backward_node(i, lines, "    ", -1)
        if loops is not None:
            self._run_backward(pieces, loops, lines)
        for i in range(start - 1, -1, -1):
            if i != self.root:
                self._backward_node(i, lines, "    ", -1)
        for i, name in self.acc.items():
            lines.append(f"    {_target(kind[i], slot[i])} = {name}  # {names[i]}")
        lines.append(f"    return {self._returned(trace.extras, self.text[self.root], trace.pos, self.text)}")
        ns.globals["_params"] = tuple(trace.params)
        return "\n".join(lines) + "\n", ns.globals, trace.params

    def _start(self) -> None:
        """Each node's spelling so far: the leaves by name, constants as numbers, operations to come."""
        n, kind, order = self.n, self.kind, self.trace.order
        self.names: list[str] = self._leaf_names(self.labels, kind, self.slot)
        self.text: list[str] = [_literal(order[i].data) if kind[i] == _CONST else self.names[i] for i in range(n)]
        self.prec = [_ATOM] * n
        self.size = [0] * n
        self.grad = [""] * n
        self.gprec = [_ATOM] * n
        self.gsize = [0] * n
        self.together: dict[int, str] = {}  # node -> the variable holding its tuple of local derivatives

    # --- writing: one node at a time -------------------------------------------------------

    def _forward_node(self, i: int, lines: list[str], indent: str) -> None:
        text, prec, size = self.text, self.prec, self.size
        idx = self.trace.parents[i]
        rule = self.rule_of[i]
        assert rule is not None  # only operations are written
        forward = rule.forward
        if forward.infix:
            a, b = idx
            left = text[a] if prec[a] >= forward.need[0] else f"({text[a]})"
            right = text[b] if prec[b] >= forward.need[1] else f"({text[b]})"
            expr = f"{left}{forward.infix}{right}"
            grown = 1 + size[a] + size[b]
        else:
            expr = forward([(text[j], prec[j]) for j in idx])
            grown = 1 + sum([size[j] for j in idx])
        label = self.labels[i]
        if self.keep[i] or label or grown > _LIMIT:
            name = self.names[i] = self.ns.fresh(_name_for(label, i))
            lines.append(f"{indent}{name} = {expr}")
            text[i], prec[i], size[i] = name, _ATOM, 0
        else:
            text[i], prec[i], size[i] = expr, forward.prec, grown

    def _term(self, c: int, k: int) -> tuple[str, int, int]:
        """Node c's contribution to its operand k: its gradient times the local derivative."""
        rule = self.rule_of[c]
        assert rule is not None  # only operations pass a gradient on
        how, what = rule.how[k]
        g, gprec, gsize = self.grad[c], self.gprec[c], self.gsize[c]
        if how == _IDENTITY:  # d/d operand = 1: the gradient passes through unchanged
            return g, gprec, gsize
        g = g if gprec >= 11 else f"({g})"
        if how == _PICK:  # the local derivative is one of the values, as d(a*b)/da = b
            assert type(what) is int
            text = self.text
            return f"{g} * {text[c] if what == 0 else text[self.trace.parents[c][what - 1]]}", 11, gsize + 1
        if how == _GENERAL:
            assert type(what) is _Template
            text = self.text
            local = what([(text[j], _ATOM) for j in (c, *self.trace.parents[c])])
            return f"{g} * {local if what.prec >= 12 else f'({local})'}", 11, gsize + 1
        return f"{g} * {self.together[c]}[{k}]", 11, gsize + 1

    def _backward_root(self, lines: list[str]) -> None:
        root, kind = self.root, self.kind
        if kind[root] == _OP and self.spread[root]:
            name = self.ns.fresh(f"{self.names[root]}_grad")
            lines.append(f"    {name} = 1.0  # d output / d output")
            self.grad[root] = name
            self._after_grad(root, lines, "    ")
        elif kind[root] in (_PARAM, _VALUE):
            target = self.acc.get(root) or _target(kind[root], self.slot[root])
            lines.append(f"    {target} += 1.0  # {self.names[root]}")

    def _backward_node(self, i: int, lines: list[str], indent: str, piece: int, given: str = "") -> None:
        """Node i's gradient: from users in `piece` only (-1: everywhere), after `given`."""
        kind = self.kind
        arrive = self.arriving[i]
        if kind[i] != _OP:
            if arrive is not None and not self.push:
                terms = [self._term(c, k)[:2] for c, k in arrive]
                self._accumulate(lines, _target(kind[i], self.slot[i]), terms, self.names[i])
            return
        if arrive is None and not given:
            return
        terms = [(given, _ATOM)] if given else []
        grown = 0
        piece_of = self.piece_of
        for c, k in arrive or ():
            if piece >= 0 and piece_of[c] != piece:
                continue
            text, prec, size = self._term(c, k)
            terms.append((text, prec))
            grown += size
        label = self.labels[i]
        if (
            len(terms) == 1
            and self.fuse
            and not label
            and (terms[0][1] == _ATOM or self.spread[i] == 1 and grown <= _LIMIT)
        ):
            self.grad[i], self.gprec[i] = terms[0]  # used once, or already a name: no line of its own
            self.gsize[i] = grown
        elif self.fuse and not label and self.spread[i] == 1 and grown + len(terms) <= _LIMIT:
            self.grad[i], self.gprec[i] = _sum(terms)
            self.gsize[i] = grown + len(terms) - 1
        else:
            self.names[i] = self.names[i] or self.ns.fresh(_name_for(label, i))
            name = self.ns.fresh(f"{self.names[i]}_grad")
            self._accumulate(lines, name, terms, None, fresh=True, indent=indent)
            self.grad[i], self.gprec[i], self.gsize[i] = name, _ATOM, 0
        self._after_grad(i, lines, indent)

    def _after_grad(self, i: int, lines: list[str], indent: str) -> None:
        rule = self.rule_of[i]
        parents = self.trace.parents[i]
        if rule is not None and rule.together is not None:
            # a derivative rule that gives all operands' numbers at once: called once, kept in a tuple
            name = self.ns.fresh(f"{self.names[i] or _name_for('', i)}_local")
            call = rule.together([(self.text[j], _ATOM) for j in (i, *parents)])
            lines.append(f"{indent}{name} = {call}  # d {self.names[i] or 'node'} / d each operand")
            self.together[i] = name
        if self.push:  # leaves take their contribution now, in backward()'s order
            for k, j in enumerate(parents):
                if j in self.acc:
                    lines.append(f"{indent}{self.acc[j]} += {self._term(i, k)[0]}")
                    self.pushed.add(self.acc[j])

    # --- repeated pieces as functions ------------------------------------------------------

    def _template(self, piece: _Piece) -> dict[str, list[str]]:
        """One piece written as the body of a loop: its forward, and its backward."""
        ns, text, prec, size = self.ns, self.text, self.prec, self.size
        number = self.piece_of[piece.nodes[0]]
        arguments = [ns.fresh(f"in{k}") for k in range(len(piece.inputs))]
        before = [(text[j], prec[j], size[j]) for j in piece.inputs]
        for j, name in zip(piece.inputs, arguments):
            text[j], prec[j], size[j] = name, _ATOM, 0
        forward: list[str] = []
        for i in piece.nodes:
            self._forward_node(i, forward, " " * 16)
        made = [line.split(" = ", 1)[0].strip() for line in forward] + arguments
        outputs = [text[o] for o in piece.outputs]
        given = [ns.fresh(f"{text[o]}_grad_from_outside") for o in piece.graded]
        given_of = dict(zip(piece.graded, given))
        backward: list[str] = []
        for i in reversed(piece.nodes):
            self._backward_node(i, backward, " " * 16, number, given_of.get(i, ""))
        read = set(_NAME.findall("\n".join(backward)))
        saved = [name for name in dict.fromkeys(made) if name in read]
        for j, old in zip(piece.inputs, before):
            text[j], prec[j], size[j] = old
        return {
            "arguments": arguments, "forward": forward, "outputs": outputs,
            "given": given, "backward": backward, "saved": saved,
        }  # fmt: skip

    def _loops(self, pieces: list[_Piece], lines: list[str]) -> _Loops:
        """The two functions that run every occurrence of every repeated piece, in a loop."""
        times: dict[int, int] = {}
        for piece in pieces:
            times[piece.template] = times.get(piece.template, 0) + 1
        templates: dict[int, dict[str, list[str]]] = {}
        for piece in pieces:
            if piece.template not in templates:
                templates[piece.template] = self._template(piece)
        leaves = {self.names[i] for i in range(self.n) if self.kind[i] == _PARAM}
        shown = ", ".join(f"{t} ({k} times)" for t, k in times.items())
        lines.append(f"    # pieces of the graph that repeat with the same shape (once per sample, say): {shown};")
        lines.append("    # each is written once, as a branch of a loop over its occurrences")
        forward, backward = self.ns.fresh("pieces_forward"), self.ns.fresh("pieces_backward")
        body: list[str] = []
        for number, (t, template) in enumerate(templates.items()):
            body.append(f"            {'if' if number == 0 else 'elif'} piece == {t}:")
            if template["arguments"]:
                body.append(f"                {', '.join(template['arguments'])}, = arguments")
            body.extend(template["forward"])
            results = template["outputs"] + [_tuple(template["saved"])]
            body.append(f"                done.append(({', '.join(results)}))")
        reads = [f"{p}={p}" for p in dict.fromkeys(_NAME.findall("\n".join(body))) if p in leaves]
        lines.append(f"    def {forward}(work, {', '.join(reads)}):".replace(", )", ")"))
        lines.append("        done = []")
        lines.append("        for piece, arguments in work:")
        lines.extend(body)
        lines.append("        return done")
        body = []
        for number, (t, template) in enumerate(templates.items()):
            body.append(f"            {'if' if number == 0 else 'elif'} piece == {t}:")
            if template["saved"]:
                body.append(f"                {', '.join(template['saved'])}, = saved")
            if template["given"]:
                body.append(f"                {', '.join(template['given'])}, = given")
            body.extend(template["backward"] or [" " * 16 + "pass"])
        accumulators = sorted(self.pushed)
        reads = [f"{p}={p}" for p in dict.fromkeys(_NAME.findall("\n".join(body))) if p in leaves]
        lines.append(f"    def {backward}(work, {', '.join(accumulators + reads)}):".replace(", )", ")"))
        lines.append("        for piece, saved, given in work:")
        lines.extend(body)
        lines.append(f"        return {_tuple(accumulators)}")
        return _Loops(forward, backward, templates, accumulators)

    def _run_forward(self, pieces: list[_Piece], loops: _Loops, lines: list[str]) -> None:
        ns, text = self.ns, self.text
        work = ", ".join(f"({p.template}, {_tuple([text[j] for j in p.inputs])})" for p in pieces)
        done = ns.fresh("done")
        lines.append(f"    {done} = {loops.forward}([{work}])")
        for k, piece in enumerate(pieces):
            for o in piece.outputs:
                text[o], self.prec[o], self.size[o] = ns.fresh(f"v{o}"), _ATOM, 0
            piece.saved = ns.fresh(f"saved{piece.nodes[0]}")
            lines.append(f"    {', '.join([text[o] for o in piece.outputs] + [piece.saved])} = {done}[{k}]")

    def _run_backward(self, pieces: list[_Piece], loops: _Loops, lines: list[str]) -> None:
        work = []
        for piece in sorted(pieces, key=lambda p: p.nodes[-1], reverse=True):  # backward()'s order
            given = []
            for o in piece.graded:
                terms = [
                    self._term(c, k)[:2] for c, k in self.arriving[o] or () if self.piece_of[c] != self.piece_of[o]
                ]
                given.append(_sum(terms)[0])
            work.append(f"({piece.template}, {piece.saved}, {_tuple(given)})")
        accumulators = loops.accumulators
        call = f"{loops.backward}([{', '.join(work)}], {', '.join(accumulators)})".replace(", )", ")")
        lines.append(f"    {', '.join(accumulators) + ',' if accumulators else '_'} = {call}")

    def _leaf_names(self, labels: list[str], kind: list[int], slot: list[int]) -> list[str]:
        """Variable names for the parameters and arguments (operations get theirs as needed)."""
        trace, ns = self.trace, self.ns
        names = [""] * len(labels)
        arg_names = {info[:2]: info[2] for info in trace.arg_leaves.values()}
        clashes: dict[str, int] = {}
        leaves = [i for i, idx in enumerate(trace.parents) if not idx]
        for i in leaves:
            if labels[i] and kind[i] == _PARAM:
                clashes[labels[i]] = clashes.get(labels[i], 0) + 1
        for i in leaves:
            v = trace.order[i]
            if kind[i] == _PARAM:
                label, where = labels[i], v._meta.scope if v._meta is not None else ""
                base = f"{where}.{label}" if label and clashes[label] > 1 and where else label or f"p{slot[i]}"
                names[i] = ns.fresh(_identifier(base, "p"))
            elif kind[i] in (_INPUT, _VALUE):
                source = "inputs" if kind[i] == _INPUT else "values"
                names[i] = ns.fresh(_identifier(arg_names[source, slot[i]], "x"))
        return names

    @staticmethod
    def _accumulate(
        lines: list[str], target: str, terms: list, comment: str | None, fresh: bool = False, indent: str = "    "
    ) -> None:
        # contributions are added one after another, left to right, exactly as backward() adds them
        for start in range(0, len(terms), _LIMIT):
            chunk = terms[start : start + _LIMIT]
            note = f"  # {comment}" if comment and start == 0 else ""
            if start == 0 and fresh:
                lines.append(f"{indent}{target} = {_sum(chunk)[0]}{note}")
            elif len(chunk) == 1:
                lines.append(f"{indent}{target} += {chunk[0][0]}{note}")
            else:
                lines.append(f"{indent}{target} = {_sum([(target, _ATOM)] + chunk)[0]}{note}")

    def _returned(self, extras: object, root: str, pos: dict, text: list) -> str:
        if extras is None:
            return root

        def spell(x: object) -> str:
            if type(x) is Value:
                return text[pos[x]]
            if isinstance(x, tuple):
                inner = ", ".join(spell(e) for e in x)
                return f"({inner},)" if len(x) == 1 else f"({inner})"
            if isinstance(x, list):
                return "[" + ", ".join(spell(e) for e in x) + "]"
            if x is None:
                return "None"
            assert isinstance(x, numbers.Real)  # the trace refused any other extras (_values_in)
            return _literal(float(x))

        return f"{root}, {spell(extras)}"


def _tuple(names: list[str]) -> str:
    return f"({names[0]},)" if len(names) == 1 else f"({', '.join(names)})"  # () when empty


def _target(kind: int, slot: int) -> str:
    return f"params[{slot}].grad" if kind == _PARAM else f"values[{slot}].grad"


def _name_for(label: str, i: int) -> str:
    return _identifier(label, "v") if label else auto_name(i)  # as drawings and captions call it (engine.names)


def _sum(terms: list[tuple[str, int]]) -> tuple[str, int]:
    """t0 + t1 + ... added left to right, the order backward() adds them in."""
    if len(terms) == 1:
        return terms[0]
    parts = [terms[0][0] if terms[0][1] >= 10 else f"({terms[0][0]})"]
    parts += [t if p > 10 else f"({t})" for t, p in terms[1:]]
    return " + ".join(parts), 10


def _literal(x: float) -> str:
    """A float as source text that reads back as exactly the same float."""
    if x != x:
        return "nan"
    if x in (math.inf, -math.inf):
        return "inf" if x > 0 else "(-inf)"
    text = repr(x)
    return f"({text})" if math.copysign(1.0, x) < 0 else text
