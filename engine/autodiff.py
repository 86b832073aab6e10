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
from collections.abc import Callable, Sequence

from engine.checks import real_number
from engine.modes import _complain_if_not_finite, _mode, _without_forward_checks, enable_grad, no_grad
from engine.ops import chain_rule, local_derivatives
from engine.value import Value, _check_iterable_of_values, _data, topological_order

__all__ = ["grad", "gradcheck", "GradcheckError", "local_derivatives", "mismatches"]


def grad(output: Value, inputs: Sequence[Value], create_graph: bool = False) -> list:
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
    grads: dict[Value, object] = {output: Value(1.0) if create_graph else 1.0}
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
    if problems:
        raise GradcheckError("gradient mismatch: " + "; ".join(problems))
    return True


def mismatches(node: Value) -> list[tuple[int, float, float]]:
    """(input, rule's derivative, numerical slope) for each input whose derivative rule looks wrong.

    The slope of the op's float forward is measured by central differences, and also one-sided
    (left and right), so a rule that picks one side at a kink (relu at 0) is not flagged. Inputs
    where no slope can be measured (non-finite values, or a forward that fails nearby) are skipped.
    """
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


def _slopes(forward, xs: list[float], j: int) -> tuple[float, float, float]:
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
