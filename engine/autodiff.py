"""Tools around backward: gradients as return values, higher derivatives, checks, anomalies.

`Value.backward()` stores d root / d node in every node's `.grad`. The tools here ask the same
question in other ways:

- `grad(output, inputs)` returns the gradients instead of storing them, and with
  `create_graph=True` returns them as Values built from the graph, so a derivative can be
  differentiated again (second derivatives, Hessians, Newton's method);
- `gradcheck(f, inputs)` compares backward's answer with the slope of a secant line
  (central differences), the way to trust a derivative rule you wrote yourself;
- `mismatches(node)` compares one op's derivative rule with the measured slope of its forward
  (what `draw_dot(check=True)` marks in red);
- `detect_anomaly()` (in modes.py) stops at the first nan or inf; the checks live here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Literal, cast, overload

from engine.checks import real_number
from engine.format import format_number
from engine.modes import _complain_if_not_finite, _mode, _without_forward_checks, enable_grad, no_grad
from engine.operators import _data
from engine.ops import Primitive, UserOp, chain_rule, closure_derivatives, local_derivatives, powers, registered
from engine.value import Value, topological_order

__all__ = ["grad", "gradcheck", "GradcheckError", "local_derivatives", "mismatches", "closure_problems"]


@overload
def grad(output: Value, inputs: Sequence[Value], create_graph: Literal[False] = False) -> list[float]: ...
@overload
def grad(output: Value, inputs: Sequence[Value], create_graph: bool) -> list[Value | float]: ...


# without create_graph every gradient is a float; with it, a Value (or a float a hook returned)
def grad(output: Value, inputs: Sequence[Value], create_graph: bool = False) -> list[Value | float] | list[float]:
    """d output / d input for each input, as a list; no `.grad` is changed.

    Inputs the output does not depend on get 0.0. With `create_graph=True` the results are
    Values connected to the graph, so they can be differentiated again.

    >>> x = Value(3.0)
    >>> y = x ** 3
    >>> (dy,) = grad(y, [x], create_graph=True)
    >>> dy.data, grad(dy, [x])[0]
    (27.0, 18.0)
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad: output must be a Value, got {type(output).__name__}")
    if isinstance(inputs, Value):
        inputs = [inputs]
    inputs = _check_iterable_of_values(inputs, "grad: inputs")
    order = topological_order(output)
    if not create_graph and any(type(v._primitive) is UserOp for v in order):
        return _grad_by_backward(output, order, inputs)
    grads: dict[Value, Value | float] = {output: Value(1.0) if create_graph else 1.0}
    anomaly = _mode.get().anomaly
    # under detect_anomaly() the rules' own arithmetic is checked as gradients, not as forward ops
    graph_mode = _without_forward_checks() if anomaly else enable_grad()
    with graph_mode if create_graph else no_grad():
        for v in reversed(order):
            g = grads.get(v)
            if g is None:
                continue
            if v._meta is not None and v._meta.hooks:
                for hook in v._meta.hooks:
                    replaced = hook(g)
                    if replaced is not None:
                        g = grads[v] = (
                            replaced if create_graph and isinstance(replaced, Value) else real_number(replaced)
                        )
            if v._primitive is None:
                continue
            contributions = chain_rule(v, g, create_graph)
            if anomaly:
                _complain_if_not_finite(v, _data(g), [_data(c) for c in contributions])
            for parent, contribution in zip(v.parents, contributions):
                grads[parent] = grads[parent] + contribution if parent in grads else contribution
    zero = Value(0.0) if create_graph else 0.0
    return [grads.get(x, zero) for x in inputs]


def _grad_by_backward(output: Value, order: list[Value], inputs: list[Value]) -> list[float]:
    # A graph holding an op written micrograd's way: its closure can only be run, on `.grad`
    # itself, so backward() runs on the graph with every gradient set aside and then put back
    # (grad() gives exactly backward()'s numbers, and changes no .grad).
    in_graph = set(order)
    saved = {v: v.grad for v in order}
    try:
        for v in order:
            v.grad = 0.0
        output.backward()
        return [x.grad if x in in_graph else 0.0 for x in inputs]
    finally:
        for v, g in saved.items():
            v.grad = g


class GradcheckError(AssertionError):
    """Backward's gradient and the numerical slope disagree for at least one input."""


def gradcheck(
    f: Callable[..., Value],
    inputs: Sequence[float],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Check backward's gradients of `f` against central differences; True or GradcheckError.

    `f` takes one Value per number in `inputs` and returns a Value. The numerical slope of
    input i is (f(.., x_i + eps, ..) - f(.., x_i - eps, ..)) / (2 eps).

    >>> gradcheck(lambda x, y: x * y.tanh(), [0.5, -1.2])
    True
    """
    point = [real_number(x) for x in inputs]
    leaves = [Value(x) for x in point]
    out = f(*leaves)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__}")
    analytic = grad(out, leaves)

    def f_at(xs: list[float]) -> float:
        with no_grad():
            return f(*[Value(x) for x in xs]).data

    problems = []
    for i, x in enumerate(point):
        up, down = list(point), list(point)
        up[i], down[i] = x + eps, x - eps
        numeric = (f_at(up) - f_at(down)) / (2 * eps)
        if not abs(analytic[i] - numeric) <= atol + rtol * abs(numeric):
            problems.append(
                f"input {i} (value {x!r}): backward gave {analytic[i]!r}, central difference gave {numeric!r}"
            )
    # an op written micrograd's way is checked on its own too: its closure may be wrong in a way
    # this graph does not show (an `=` for `+=` on an input used once), and naming it says where
    for node in topological_order(out):
        problems.extend(closure_problems(node))
    if problems:
        raise GradcheckError("gradient mismatch: " + "; ".join(problems))
    return True


def mismatches(node: Value) -> list[tuple[int, float, float]]:
    """(input, rule's derivative, numerical slope) for each input whose derivative rule looks wrong.

    The slope of the op's float forward is measured by central differences, and also one-sided
    (left and right), so a rule that picks one side at a kink (relu at 0) is not flagged. Inputs
    where no slope can be measured (non-finite values, or a forward that fails nearby) are skipped.
    For an op written micrograd's way (a `_backward` closure, no forward to measure), the pairs
    are what the closure gives against what it should give: see `closure_problems`.
    """
    if type(node._primitive) is UserOp:
        return _closure_mismatches(node)
    assert isinstance(node._primitive, Primitive), "mismatches: a leaf has no derivative rule; pass a node an op made"
    forward = node._primitive.forward
    xs = [p.data for p in node.parents]
    if not all(math.isfinite(x) for x in xs):
        return []
    wrong = []
    for j, rule in enumerate(local_derivatives(node)):
        slopes = [s for s in _slopes(forward, xs, j) if math.isfinite(s)]
        if slopes and not any(abs(rule - s) <= 1e-4 + 1e-3 * abs(s) for s in slopes):
            wrong.append((j, rule, slopes[0]))
    return wrong


def _slopes(forward: Callable[..., float], xs: list[float], j: int) -> tuple[float, float, float]:
    h = 1e-5 * max(1.0, abs(xs[j]))

    def at(x: float) -> float:
        moved = list(xs)
        moved[j] = x
        try:
            return float(forward(*moved))
        except (ArithmeticError, ValueError):
            return math.nan  # outside the forward's domain: no slope from this side

    up, mid, down = at(xs[j] + h), at(xs[j]), at(xs[j] - h)
    return (up - down) / (2 * h), (up - mid) / h, (mid - down) / h


# --- ops written micrograd's way: checking a learner's `_backward` closure -----------------------


def closure_problems(node: Value) -> list[str]:
    """What is wrong with the `_backward` closure of an op written micrograd's way, one line each.

    A closure has no forward to take a slope of, so it is run (grads put back afterwards) and
    asked three things: does it add to its inputs' grads (`+=`) rather than set them (`=`); does
    what it hands on grow with `out.grad`; and, when the op's name is one the table knows
    (`tanh`, `exp`, `**2`, `ReLU`, `+`, `*`, ...), does it give the table's local derivative.

    >>> x = Value(0.5)
    >>> y = Value(math.tanh(x.data), (x,), 'tanh')
    >>> def _backward():
    ...     x.grad += (1 - y.data**2)  # forgot * y.grad
    >>> y._backward = _backward
    >>> closure_problems(y)
    ["op 'tanh': its _backward does not multiply by out.grad (input 0 gets the same whatever gradient arrives)"]
    """
    if type(node._primitive) is not UserOp:
        return []
    problems = []
    op = node.op
    once, twice, held = _closure_measurements(node)
    expected = _table_derivatives(node)
    for j in _first_places(node):
        if not _close(held[j], once[j]):
            problems.append(
                f"op {op!r}: its _backward sets input {j}'s grad instead of adding to it (write +=, not =): "
                "an input used twice would keep only one share"
            )
        elif not _close(twice[j], once[j]):
            problems.append(
                f"op {op!r}: its _backward does not multiply by out.grad "
                f"(input {j} gets the same whatever gradient arrives)"
            )
        elif expected is not None and not _close(once[j], expected[j]):
            problems.append(
                # six digits: the two differ by more than _close's 1e-6, which four could hide
                f"op {op!r}: its _backward gives d out / d input {j} = {format_number(once[j], digits=6)}, "
                f"the table's rule for {op} gives {format_number(expected[j], digits=6)}"
            )
    return problems


def _closure_mismatches(node: Value) -> list[tuple[int, float, float]]:
    # (input, what the closure gives, what it should give), for the drawing's red marks
    once, twice, held = _closure_measurements(node)
    expected = _table_derivatives(node)
    wrong = []
    for j in _first_places(node):
        should = expected[j] if expected is not None else once[j]
        for measured in (held[j], twice[j], once[j]):
            if not _close(measured, should):
                wrong.append((j, measured, should))
                break
    return wrong


def _closure_measurements(node: Value) -> tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]]:
    """What the closure hands each input per unit of upstream gradient: as measured from zero
    with out.grad 1, with out.grad 2, and with every input's grad already holding 0.5."""
    return closure_derivatives(node), closure_derivatives(node, upstream=2.0), closure_derivatives(node, held=0.5)


def _first_places(node: Value) -> list[int]:
    """The position of each distinct input (an input used twice is measured at its first place)."""
    first: dict[Value, int] = {}
    for j, p in enumerate(node.parents):
        first.setdefault(p, j)
    return list(first.values())


def _table_derivatives(node: Value) -> list[float] | None:
    """The table's local derivatives for the op `node` names (micrograd's 'ReLU', '**2' too), each
    input's total at its first place; None when the table has no such op for these inputs."""
    name = {"ReLU": "relu"}.get(node.op, node.op)
    entry = registered().get(name)
    if name.startswith("**") and name != "**":
        try:
            entry = powers(float(name[2:]))
        except ValueError:
            return None
    parents = node.parents
    if not isinstance(entry, Primitive) or entry.arity not in (None, len(parents)):
        return None
    xs = [p.data for p in parents]
    local = entry.derivative(node.data, *xs)
    local = (local,) if len(parents) == 1 else tuple(local)
    totals: dict[Value, float] = {}
    for p, d in zip(parents, local):
        totals[p] = totals.get(p, 0.0) + d
    places = set(_first_places(node))
    return [totals[p] if j in places else 0.0 for j, p in enumerate(parents)]


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 + 1e-6 * abs(b) or (math.isnan(a) and math.isnan(b))


def _check_iterable_of_values(values: Iterable[object], what: str) -> list[Value]:
    """`values` as a list, or a TypeError naming the first item that is not a Value."""
    values = list(values)
    for i, v in enumerate(values):
        if not isinstance(v, Value):
            raise TypeError(f"{what}[{i}] must be a Value, got {type(v).__name__}")
    return cast("list[Value]", values)  # every item was checked just above
