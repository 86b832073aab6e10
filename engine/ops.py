"""The table of primitives: each operation's forward on floats and its local derivative.

Backpropagation needs only two facts about each operation: how to compute it, and how its
output changes with each input (the local derivative). This file lists both, side by side,
once per primitive. Everything else is composed: `a - b` is `a + (-1 * b)`, `a / b` is
`a * b**-1`, exactly as micrograd builds them.

A derivative rule is written in plain arithmetic, so it serves two purposes: called with
floats it gives numbers for `backward()`; called with Values (under `grad(...,
create_graph=True)`) it builds a graph that can be differentiated again.

This file knows nothing of Values. A primitive called on numbers computes a number; called on
a Value it hands itself to the Value's class, which makes the node (value.py), much as Python
hands `a + b` to the class of `a`. So the node file reads this table, and the table never
imports the node.

In order: what one entry is (`Primitive`), the table, then what the rest of the engine asks of
it (the registry, `@primitive`, the local derivatives at a node). The IEEE-754 forwards (log 0 is
-inf, not an exception) and the rules' `strong_zero` and `ratio` live in floats.py.

The built-in ops use the same public mechanism users get for their own:

>>> from engine import Value, primitive
>>> @primitive('softsign', derivative=lambda out, x: 1 / (1 + abs(x)) ** 2)
... def softsign(x):
...     return x / (1 + abs(x))
>>> y = softsign(Value(1.0)); y.backward(); y.data, y.parents[0].grad
(0.5, 0.25)
"""

from __future__ import annotations

import builtins
import inspect
import math
import numbers
import operator
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache, partial, reduce
from typing import Any, TypeVar

from engine.checks import real_constant
from engine.floats import _exp, _log, _pow, _relu, _sigmoid, _sign, _softplus, _sqrt, _trig, ratio, strong_zero

__all__ = [
    # what one entry is
    "Primitive", "Family",
    # the table
    "add", "mul", "power", "pow", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "leaky_relu", "abs_", "sin",
    "cos", "softplus", "logsumexp", "linear", "weighted_sum",
    # what the rest of the engine asks of it: the registry, @primitive, the local derivatives at a node
    "primitive", "registered", "examples", "local_registry", "UserOp", "local_derivatives", "chain_rule",
    "closure_derivatives",
]  # fmt: skip

# A number in a rule or a primitive's input: a float, or (called on Values, and in a derivative rule
# under create_graph=True) a Value from value.py, which this file never imports. Both do arithmetic.
Scalar = Any


# --- what one entry of the table is ---------------------------------------------------------------


class Primitive:
    """An operation the graph records as one node: a name, a forward and local derivatives.

    `forward(*floats) -> float`. `derivative(out, *inputs)` gives d out / d input: a single
    number for a one-input op, a tuple with one entry per input otherwise. Calling a Primitive
    on numbers returns a float; on any Value it returns a new Value node. `arity` None means any
    number of inputs.

    `parts(*inputs) -> Value`, optional, builds the same value out of other primitives: a fused
    op keeps the speed of one node in backward, and drawings show it as its parts (the graph a
    learner would have written by hand).
    """

    __slots__ = ("name", "forward", "derivative", "arity", "template", "parts")

    def __init__(
        self,
        name: str,
        forward: Callable,
        derivative: Callable,
        arity: int | None = 1,
        template: str = "",
        *,
        parts: Callable | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"a primitive needs a non-empty str name, got {name!r}")
        if not callable(forward) or not callable(derivative):
            raise TypeError(f"primitive {name!r}: forward and derivative must be callables")
        if parts is not None and not callable(parts):
            raise TypeError(f"primitive {name!r}: parts must be None or a callable, got {type(parts).__name__}")
        if arity is not None and arity < 1:
            raise ValueError(f"primitive {name!r}: arity must be at least 1, got {arity}")
        if arity is not None:
            _check_takes(derivative, arity + 1, f"primitive {name!r}: derivative must take the output, then each input")
        self.name = name
        self.forward = forward
        self.derivative = derivative
        self.arity = arity
        self.template = template  # how the compiler writes it: '{0} * {1}'; '' means a call
        self.parts = parts

    def __call__(self, *inputs: Scalar) -> Scalar:
        if self.arity is not None and len(inputs) != self.arity:
            raise TypeError(f"{self.name} takes {self.arity} input(s), got {len(inputs)}")
        for x in inputs:
            apply = getattr(type(x), "_apply", None)
            if apply is not None:  # a Value: its class makes the node (value.py's Value._apply)
                return apply(self, inputs)
        for x in inputs:
            if not isinstance(x, numbers.Real):
                raise TypeError(f"{self.name}: inputs must be Values or real numbers, got {type(x).__name__}")
        return self.forward(*map(float, inputs))

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"


def _check_takes(function: Callable, n: int, what: str) -> None:
    """A TypeError now, at definition, if `function` cannot be called with n positional arguments."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # a builtin without a signature: it will say so when called
        return
    try:
        signature.bind(*[None] * n)
    except TypeError:
        names = ", ".join(["out"] + [f"x{i}" for i in range(n - 1)])
        raise TypeError(f"{what}: derivative({names}), got derivative{signature}") from None


class Family:
    """One primitive per value of a constant: `x ** k` for each k, `leaky_relu` for each slope.

    `family(constant)` is the member primitive (made once per constant); `examples` are the
    members the table's tests check on behalf of all.
    """

    __slots__ = ("name", "member", "examples")

    def __init__(self, name: str, member: Callable[[float], Primitive], examples: tuple) -> None:
        self.name = name
        self.member = lru_cache(maxsize=256, typed=True)(member)
        self.examples = examples

    def __call__(self, constant: float) -> Primitive:
        return self.member(constant)

    def __repr__(self) -> str:
        return f"<family of primitives {self.name}>"


# the registry: every primitive by name, so tests check each one (custom ones included); the
# table below registers each entry on the line that defines it
_registry: dict[str, Primitive | Family] = {}
_Entry = TypeVar("_Entry", Primitive, Family)


def _register(p: _Entry) -> _Entry:
    _registry[p.name] = p
    return p


# --- the table: each rule gives d out / d input; backward multiplies it by the gradient so far ----

# d(a + b)/da = 1, d(a + b)/db = 1
add = _register(Primitive("+", operator.add, lambda out, a, b: (1.0, 1.0), 2, "{0} + {1}"))

# d(a * b)/da = b, d(a * b)/db = a
mul = _register(Primitive("*", operator.mul, lambda out, a, b: (b, a), 2, "{0} * {1}"))


def _power_of(k: float) -> Primitive:
    # one primitive per constant exponent, named like micrograd's '**2'
    kf = real_constant(k, "the exponent k of x ** k")
    if kf == 0:
        # d x^0/dx = 0 for every x, even 0 and nan, and whatever gradient arrives (as in PyTorch)
        derivative = lambda out, x: strong_zero  # noqa: E731
    elif kf == -1:
        # d x^-1/dx = -x^-2 = -(1/x)/x, kept as a fraction: the gradient goes into its
        # numerator, so a / b stays right where 1/b² underflows (|b| > 1e154; see Ratio)
        derivative = lambda out, x: ratio(-out, x)  # noqa: E731
    else:
        derivative = lambda out, x: kf * power(x, kf - 1)  # noqa: E731  d x^k/dx = k x^(k-1)
    return Primitive(f"**{k}", lambda x: _pow(x, kf), derivative, 1)


powers = _register(Family("**k", _power_of, (2, -1)))


def power(x: Scalar, k: float) -> Scalar:
    """x ** k for a constant real exponent k."""
    return powers(k)(x)


def _pow_derivative(out: Scalar, a: Scalar, b: Scalar) -> tuple[Scalar, Scalar]:
    # d a^b/da = b a^(b-1);  d a^b/db = a^b log a (0 where a = 0 and b >= 0, as in PyTorch).
    # At b = 0 the slope in a is 0 for every a, even 0 and nan (where b a^(b-1) reads 0 * inf), and
    # PyTorch selects that 0 whatever gradient arrives: a strong 0. Under create_graph it stays the
    # Value b a^(b-1) where a is a number, since how it changes with b (1/a) is a second derivative.
    # (b >= 0 and b <= 0: b == 0 for a Value too, whose == is identity.)
    if b >= 0 and b <= 0 and (type(b) is float or not (a > 0 or a < 0)):
        d_base = strong_zero
    else:
        d_base = b * pow(a, b - 1)
    d_exponent = out * log(a) if not (a >= 0 and a <= 0 and b >= 0) else 0.0
    return d_base, d_exponent


# a ** b where both may vary
pow = _register(Primitive("**", _pow, _pow_derivative, 2))

# d e^x/dx = e^x
exp = _register(Primitive("exp", _exp, lambda out, x: out))

# d log x/dx = 1/x, kept as a fraction (g/x, not g·inf, at the smallest x; see Ratio)
log = _register(Primitive("log", _log, lambda out, x: ratio(1.0, x)))

# d sqrt(x)/dx = 1/(2 sqrt(x))
sqrt = _register(Primitive("sqrt", _sqrt, lambda out, x: 0.5 * power(out, -1)))

# d tanh(x)/dx = 1 - tanh(x)^2
tanh = _register(Primitive("tanh", math.tanh, lambda out, x: 1 - out * out))

# d sigmoid(x)/dx = sigmoid(x) (1 - sigmoid(x))
sigmoid = _register(Primitive("sigmoid", _sigmoid, lambda out, x: out * (1 - out)))

# d relu(x)/dx = 1 for x > 0, else 0 (0 at the kink, as in PyTorch); a strong 0, since PyTorch
# selects rather than multiplies (an inf or nan gradient stops here), and 1 at nan, as there
relu = _register(Primitive("relu", _relu, lambda out, x: strong_zero if x <= 0 else 1.0))

# d |x|/dx = sign(x) (0 at the kink)
abs_ = _register(Primitive("abs", builtins.abs, lambda out, x: _sign(x)))

# d sin(x)/dx = cos(x)
sin = _register(Primitive("sin", _trig(math.sin), lambda out, x: cos(x)))

# d cos(x)/dx = -sin(x)
cos: Primitive = _register(Primitive("cos", _trig(math.cos), lambda out, x: -sin(x)))

# d softplus(x)/dx = sigmoid(x)
softplus = _register(Primitive("softplus", _softplus, lambda out, x: sigmoid(x)))


def _leaky_relu_of(slope: float) -> Primitive:
    # d leaky_relu(x)/dx = 1 for x > 0, else slope
    slope = real_constant(slope, "leaky_relu's slope")
    return Primitive("leaky_relu", lambda x: x if x > 0 else x * slope, lambda out, x: 1.0 if x > 0 else slope, 1)


leaky_relus = _register(Family("leaky_relu", _leaky_relu_of, (0.01,)))


def leaky_relu(x: Scalar, slope: float = 0.01) -> Scalar:
    """max(x, slope * x) for a small positive slope."""
    return leaky_relus(real_constant(slope, "leaky_relu's slope"))(x)


# --- log-sum-exp: the normaliser of softmax and cross-entropy -------------------------------------
# One node for log(e^x0 + e^x1 + ...), computed stably: with m the largest input, it is
# m + log(sum e^(xi - m)), and no exponent is ever above 0. As a primitive the shift m is worked
# out on every call (a compiled step too), instead of being a number read from one call's data.


def _logsumexp(*xs: float) -> float:
    m = max(xs)
    if not math.isfinite(m):  # +inf: the sum is inf; -inf (every input): the sum is 0, its log -inf;
        # but any nan makes it nan, wherever it stands (max() skips a nan after the first input)
        return math.nan if any(x != x for x in xs) else m
    return m + math.log(math.fsum(math.exp(x - m) for x in xs))


# d logsumexp(x)/dxi = e^xi / sum e^xj = e^(xi - logsumexp(x)): the softmax
_logsumexp_primitive = _register(
    Primitive("logsumexp", _logsumexp, lambda out, *xs: tuple([exp(x - out) for x in xs]), None)
)


def logsumexp(*xs: Scalar) -> Scalar:
    """log(e^x0 + e^x1 + ...), stable for any size of input (`torch.logsumexp`).

    >>> round(logsumexp(800.0, 0.0), 6)
    800.0
    >>> from engine import Value
    >>> y = logsumexp(Value(0.0), Value(0.0)); y.backward(); round(y.data, 6), y.parents[0].grad
    (0.693147, 0.5)
    """
    if not xs:
        raise TypeError("logsumexp needs at least one input")
    return _logsumexp_primitive(*xs)


# --- a fused node for a neuron --------------------------------------------------------------------
# b + w0*x0 + w1*x1 + ... is 2n nodes when built from + and *; as one node it is the same
# arithmetic with a tenth of the objects, which is most of the speed of training through nn.
# Parents, in order: w0 .. w(n-1), x0 .. x(n-1), b.


def weighted_sum(ws: Sequence[float], xs: Sequence[float], b: float) -> float:
    """b + w0*x0 + w1*x1 + ..., summed in micrograd's order: the bias first, then each product
    in turn, each addition rounded as `+` rounds it (from Python 3.12 sum() alone compensates
    rounding, so its results differ from micrograd's and the unfused graph's in the last bits).

    >>> weighted_sum([2.0, 3.0], [1.0, -1.0], 0.5)
    -0.5
    """
    return _left_fold_sum(map(operator.mul, ws, xs), b)


# up to 3.11 sum() rounds each addition like `+` and is the faster one (440 ns against 740 for
# 16 terms); from 3.12 it compensates, so a left fold of `+` keeps micrograd's bits
_left_fold_sum = sum if sys.version_info < (3, 12) else partial(reduce, operator.add)


def _linear_forward(*inputs: float) -> float:
    n = len(inputs) // 2
    return weighted_sum(inputs[:n], inputs[n : 2 * n], inputs[-1])


def _linear_derivative(out: Scalar, *inputs: Scalar) -> tuple[Scalar, ...]:
    # d(b + sum w_i x_i)/dw_i = x_i,  d/dx_i = w_i,  d/db = 1
    n = len(inputs) // 2
    # joined tuples, not *-unpacking: 0.8% fewer instructions in micrograd's demo step (callgrind)
    return inputs[n:-1] + inputs[:n] + (1.0,)


def _linear_parts(*inputs: Scalar) -> Scalar:
    # micrograd's neuron node by node, for drawings: ((b + w0*x0) + w1*x1) + ...
    n = len(inputs) // 2
    out = inputs[-1]
    for w, x in zip(inputs[:n], inputs[n : 2 * n]):
        out = out + w * x
    return out


linear_primitive = _register(Primitive("w·x+b", _linear_forward, _linear_derivative, None, parts=_linear_parts))


def linear(w: Sequence[Scalar], x: Sequence[Scalar], b: Scalar) -> Scalar:
    """b + w0*x0 + w1*x1 + ... as one node: what a neuron computes before its activation.

    >>> from engine import Value
    >>> w, b = [Value(2.0), Value(-1.0)], Value(0.5)
    >>> y = linear(w, [3.0, 4.0], b)
    >>> y.data, y.op
    (2.5, 'w·x+b')
    >>> y.backward(); [wi.grad for wi in w], b.grad
    ([3.0, 4.0], 1.0)
    """
    if len(w) != len(x):
        raise ValueError(f"linear: {len(w)} weights but {len(x)} inputs")
    return linear_primitive(*w, *x, b)


# --- the registry, for tests and for ops of your own ----------------------------------------------


def registered() -> dict[str, Primitive | Family]:
    """Every named primitive or family: the built-in table and any defined with `@primitive`.

    Tests walk this table, so an op you add is gradient-checked like the built-ins.
    """
    return dict(_registry)


def examples(size: int = 5) -> dict[str, Primitive]:
    """Every registered primitive with a fixed number of inputs, by name, for the table's tests:
    a family by its example members (`**2`, `**-1`), an op of any arity at `size` inputs (five:
    a neuron's `w·x+b` with two weights)."""
    found: dict[str, Primitive] = {}
    for entry in _registry.values():
        if isinstance(entry, Family):
            for constant in entry.examples:
                member = entry(constant)
                found[member.name] = member
        elif entry.arity is None:
            found[entry.name] = Primitive(
                entry.name, entry.forward, entry.derivative, size, entry.template, parts=entry.parts
            )
        else:
            found[entry.name] = entry
    return found


@contextmanager
def local_registry() -> Iterator[None]:
    """Context in which ops defined with `@primitive` are registered only until the block ends.

    For a test or a notebook cell that defines a throwaway op (a wrong one, on purpose): the
    table other tests walk is left as it was.
    """
    saved = dict(_registry)
    try:
        yield
    finally:
        _registry.clear()
        _registry.update(saved)


def primitive(
    name: str, derivative: Callable, arity: int | None = None, template: str = ""
) -> Callable[[Callable], Primitive]:
    """Decorator: turn a float function into a primitive the graph can differentiate.

    `derivative(out, *inputs)` returns d out / d input (a tuple of them for several inputs),
    written in arithmetic so it also works on Values for higher derivatives. The arity is read
    from the function's signature unless given.

    >>> from engine import Value
    >>> @primitive('cube', derivative=lambda out, x: 3 * x**2)
    ... def cube(x):
    ...     return x ** 3
    >>> cube(2.0), cube(Value(2.0)).op
    (8.0, 'cube')
    """

    def define(forward: Callable) -> Primitive:
        n = arity
        if n is None:
            n = len(inspect.signature(forward).parameters)
        return _register(Primitive(name, forward, derivative, n, template))

    return define


# --- ops written micrograd's way ------------------------------------------------------------------


class UserOp:
    """What made a node built micrograd's way, `Value(data, (a, b), 'op')`: the op's name.

    Its step of backward is the closure the learner assigns to `node._backward`; the table holds
    no forward or derivative rule for it, so tools that need one (grad with create_graph=True,
    compile) refuse it by name, and the others measure what the closure does.
    """

    __slots__ = ("name",)
    forward = derivative = parts = arity = None
    template = ""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<op {self.name} written with a _backward closure>"


# --- the table read at a node: what backward multiplies by ----------------------------------------


def local_derivatives(node: Any, create_graph: bool = False) -> tuple:
    """d node / d parent for each parent, in operand order: what backward multiplies by.

    With `create_graph=True` the derivatives are Values built from the graph.

    >>> from engine import Value
    >>> a, b = Value(2.0), Value(5.0)
    >>> local_derivatives(a * b)
    (5.0, 2.0)
    """
    primitive, a, b = node._primitive, node._a, node._b
    if primitive is None:
        return ()
    if type(primitive) is UserOp:
        if create_graph:
            raise TypeError(
                f"create_graph=True cannot look inside op {primitive.name!r}, written as a _backward closure: "
                "define it with @engine.primitive (its forward and derivative rule) to differentiate it again"
            )
        return closure_derivatives(node)
    if create_graph:
        local = primitive.derivative(node, *node.parents)
    elif b is not None:  # two operands: the rule gives a pair
        return primitive.derivative(node.data, a.data, b.data)
    else:
        local = primitive.derivative(node.data, *[p.data for p in a])
    return (local,) if len(node.parents) == 1 else tuple(local)


def chain_rule(node: Any, grad: Scalar, create_graph: bool = False) -> list:
    """What backward hands each parent of `node`, in operand order, given `grad` = d root / d node:

        d root / d parent = d root / d node  ×  d node / d parent

    summed over every node that uses the parent (the caller adds the shares up). `grad`, the
    drawings' step-through and expanded nodes use it; `backward` takes the same step in place,
    over many nodes in one call (value.py's `_chain_rule_steps`: a call per node would cost it
    43% more instructions).

    >>> from engine import Value
    >>> a, b = Value(2.0), Value(5.0)
    >>> chain_rule(a * b, 10.0)
    [50.0, 20.0]
    """
    return [local * grad for local in local_derivatives(node, create_graph)]


def closure_derivatives(node: Any, upstream: float = 1.0, held: float = 0.0) -> tuple:
    """What a `_backward` closure adds to each parent's grad per unit of `upstream`, measured by
    running it once with `node.grad = upstream` and every parent's grad at `held` (then put back).

    A parent that appears twice gets the whole of its share at its first place (and 0 at the
    others), so the shares still add up to what backward gives it.
    """
    parents = node.parents
    distinct = list(dict.fromkeys(parents))
    saved, saved_own = [p.grad for p in distinct], node.grad
    try:
        for p in distinct:
            p.grad = held
        node.grad = upstream
        node._backward()
        added = {p: (p.grad - held) / upstream for p in distinct}
    finally:
        for p, grad in zip(distinct, saved):
            p.grad = grad
        node.grad = saved_own
    return tuple(added.pop(p, 0.0) for p in parents)
