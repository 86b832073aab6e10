"""The compiler: a traced graph written out as plain Python arithmetic, forward and backward.

Calling a model on Values builds a fresh graph every time, one object per operation, and
`backward()` walks it node by node. When the graph has the same shape on every call (the same
network on a batch of the same size), that bookkeeping repeats identically. `compile(fn)` does
it once: it calls `fn` with Values to record the graph, then writes out, as Python source, the
very arithmetic that forward and backward perform on that graph:

    n = x1 * w1 + x2 * w2 + b           # forward: what each node's .data would hold
    o = tanh(n)
    o_grad = 1.0                        # backward: a node's gradient is the sum, over the nodes
    n_grad = o_grad * (1 - o * o)       # that use it, of their gradient times the local
    params[0].grad += n_grad * x1       # derivative: this is what backpropagation computes

Python compiles that source once; every later call runs it on new numbers, the parameters'
current `.data` and new float arguments. No Value is made and no graph is walked, yet every
parameter's `.grad` receives exactly what `backward()` would add to it.

Nothing is traced that depends on data: a relu is written as its forward function
(`0.0 if n <= 0.0 else n`) and its derivative (`1.0 if n > 0 else 0.0`), evaluated per call.
Both come from the primitive's own table entry: the compiler reads a rule's source and inlines
it, or calls the rule where it cannot, so every derivative is still written exactly once.

When a piece of the graph repeats with the same shape (the model run on each sample of a
batch), it is written once, as the body of a loop over its occurrences, so the code stays small
however large the batch. Gradients are still added in exactly backward()'s order: the numbers
are backward()'s, bit for bit, not merely close.

The one rule: the graph's shape must not depend on data values. A Python `if v.data > 0:`
inside `fn` picks one branch while tracing and the compiled code keeps that branch forever.
A different number or nesting of arguments is noticed (it traces again), and the first
repeated call is checked against a fresh trace, so a graph whose shape has changed by then
raises an error instead of computing something else. A branch that flips only in a later call
is not caught: the code cannot see a branch it never took, which is why the rule matters.

Compiled code runs no hooks (compile refuses a graph that has one) and makes no anomaly checks:
under `detect_anomaly()` a compiled function runs `fn` as written and calls `backward()`, so the
checks happen. It reads a rule's constants (a closure's or a module's number) when it compiles.

The compiler is four files, each importing only the ones named after it, so they read in turn:
this one is the entry point (`compile`, the cache of traced shapes, tracing `fn` into a graph);
`writer.py` spells the graph out as source, node by node; `analysis.py` works
out what the writer must know first (which nodes need a gradient, which pieces repeat); and
`rules.py` turns each primitive's forward and derivative into a formula to paste in.
"""

from __future__ import annotations

import builtins
import inspect
import numbers
import operator
import sys
import zlib
from collections import OrderedDict
from collections.abc import Callable
from contextlib import nullcontext
from itertools import compress

from engine.checks import positive_integer
from engine.compiler.writer import _FUNCTION, _Writer
from engine.memory import gc_paused
from engine.modes import Meta, _mode, enable_grad, is_grad_enabled
from engine.ops import Primitive, UserOp
from engine.value import Value, topological_order

__all__ = ["compile", "Compiled"]


def compile(fn: Callable, *, check: bool = True, fuse: bool = True, cache_size: int = 8) -> Compiled:
    """Trace `fn` on its first call and run its forward and backward pass as generated Python.

    `fn` takes positional floats (or leaf Values, or lists/tuples of them) and returns the Value to
    differentiate, or a pair `(value, extras)` whose extras (Values in lists/tuples) are
    returned as floats alongside. Calling the result returns `value` as a float (or the pair
    `(float, extras as floats)`) and adds d value / d leaf to `.grad` of every parameter, as
    `value.backward()` would. Parameters are the leaf Values that `fn` reaches but does not
    create (a model's weights); numbers `fn` lifts into the graph (the 1 in `1 + x`) are
    constants written into the code.

    Integers, strings and other hashable arguments are settings: a new one traces again, like a
    new number or nesting of arguments. `check` compares the first repeated call with a fresh
    trace; `fuse=False` gives every operation its own line (for reading); `cache_size` bounds
    how many traced shapes are kept. `compiled.source` shows the code of the last call.

    >>> from engine import Value
    >>> w = Value(0.5, label='w')
    >>> f = compile(lambda x: (w * x).tanh())
    >>> round(f(2.0), 6), round(w.grad, 6)
    (0.761594, 0.839949)
    >>> print(f.source.splitlines()[-2])
        params[0].grad += n3_grad * (1 - n3 * n3) * x  # w
    """
    if not callable(fn):
        raise TypeError(f"compile needs a callable, got {type(fn).__name__}")
    cache_size = positive_integer(cache_size, "cache_size")
    return Compiled(fn, check=bool(check), fuse=bool(fuse), cache_size=cache_size)


class _Entry:
    """One traced shape: the generated function and what it needs, and nothing per node."""

    __slots__ = ("run", "params", "param_index", "signature", "unchecked", "source", "nodes", "lines")

    run: Callable[[list[float], list[Value]], object]  # the generated forward_backward
    params: tuple[Value, ...]
    param_index: dict[int, int]  # id(parameter) -> its place in params
    signature: int  # _Trace.signature of the trace the code was written from
    unchecked: int  # repeated calls still to compare with a fresh trace (check=True: the first)
    source: bytes  # the generated code, compressed: read only when someone looks
    nodes: int
    lines: int


class Compiled:
    """What `compile(fn)` returns: call it like `fn`; it traces each argument shape once.

    Attributes: `traces` (how many times `fn` was traced), `source` (the generated code of
    the last call), `parameters` (the leaf Values that code reads and gives gradients to).
    """

    def __init__(self, fn: Callable, check: bool = True, fuse: bool = True, cache_size: int = 8) -> None:
        self.fn = fn
        self.check = check
        self.fuse = fuse
        self.cache_size = cache_size
        self.traces = 0
        self._cache: OrderedDict[tuple, _Entry] = OrderedDict()
        self._last: _Entry | None = None
        self._arg_names = _argument_names(fn)

    def __call__(self, *args: object) -> object:
        key, floats, values = _flatten(args)
        if _mode.get().anomaly:
            # generated code has no checks to make: under detect_anomaly() fn runs as written,
            # and backward() checks every op and every gradient
            return _interpreted(self.fn, args)
        entry = self._cache.get(key)
        if entry is None:
            entry = self._compile(args, key)
        else:
            self._cache.move_to_end(key)
            if entry.unchecked:
                self._verify(entry, args, key)
        self._last = entry
        # the code adds a gradient to every parameter; a frozen one (requires_grad=False) keeps its own
        frozen = [(p, p.grad) for p in entry.params if p._meta is not None and p._meta.frozen]
        result = entry.run(floats, values)
        for p, grad in frozen:
            p.grad = grad
        return result

    @property
    def source(self) -> str:
        """The generated Python of the last call: forward, then backward (`fuse=False`: a line per op)."""
        return zlib.decompress(self._entry().source).decode()

    @property
    def parameters(self) -> list[Value]:
        """The leaf Values the last call's code reads `.data` from and adds `.grad` to."""
        return list(self._entry().params)

    def _entry(self) -> _Entry:
        if self._last is None:
            raise ValueError("this compiled function has not been called yet: call it once to trace fn")
        return self._last

    def __repr__(self) -> str:
        name = getattr(self.fn, "__name__", type(self.fn).__name__)
        if self._last is None:
            return f"<compiled {name}: not traced yet>"
        last = self._last
        return f"<compiled {name}: {self.traces} trace(s); last {last.nodes} nodes in {last.lines} lines>"

    def _compile(self, args: tuple, key: tuple) -> _Entry:
        with gc_paused():
            return self._compile_now(args, key)

    def _compile_now(self, args: tuple, key: tuple) -> _Entry:
        trace = _Trace(self.fn, args, self._arg_names)
        self.traces += 1
        source, namespace, params = _Writer(trace, self.fuse).write()
        entry = _Entry()
        entry.params = tuple(params)
        entry.param_index = {id(p): k for k, p in enumerate(params)}
        entry.signature = trace.signature(entry.param_index)
        entry.nodes = len(trace.order)
        del trace  # the graph goes now: only the code and the parameter list stay
        name = getattr(self.fn, "__name__", "fn")
        code = builtins.compile(source, f"<compiled {name}>", "exec")
        exec(code, namespace)
        entry.run = namespace[_FUNCTION]
        entry.unchecked = 1 if self.check else 0
        entry.source = zlib.compress(source.encode(), 1)
        entry.lines = source.count("\n")
        self._cache[key] = entry
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return entry

    def _verify(self, entry: _Entry, args: tuple, key: tuple) -> None:
        with gc_paused():
            trace = _Trace(self.fn, args, self._arg_names, verifying=True)
            self.traces += 1
            signature, nodes = trace.signature(entry.param_index), len(trace.order)
            del trace
        entry.unchecked -= 1
        if signature != entry.signature:
            del self._cache[key]  # never run that code again: the next call traces anew, and is checked
            size = f"{entry.nodes} nodes then, {nodes} now" if nodes != entry.nodes else "same size"
            raise ValueError(
                "compile: fn built a different graph for arguments of the same shape "
                f"({size}): the graph's shape or its constants depend on data values, e.g. an "
                "`if` on `.data` or a number computed from `.data`; compiled code cannot follow "
                "that, so keep the graph fixed or call fn without compile"
            )


# --- arguments ------------------------------------------------------------------------------

_FLOAT = "f"


def _flatten(args: object) -> tuple[tuple, list[float], list[Value]]:
    """The shape of the arguments (a hashable key), their floats and their Values, in order."""
    key: list = []
    floats: list[float] = []
    values: list[Value] = []
    _walk(args, key, floats, values, {})
    return tuple(key), floats, values


def _walk(x: object, key: list, floats: list, values: list, seen: dict) -> None:
    kind = type(x)
    if type(x) is float:
        key.append(_FLOAT)
        floats.append(x)
    elif type(x) is list or type(x) is tuple:
        if all(type(item) is float for item in x):  # the common case, a row of numbers
            key.append((kind is list, len(x), True))
            floats.extend(x)
            return
        key.append((kind is list, len(x), False))
        for item in x:
            _walk(item, key, floats, values, seen)
    elif type(x) is Value:
        if x._primitive is not None:
            raise TypeError(
                f"compile: arguments may be leaf Values, got one computed by {x.op!r}; pass its .data, "
                "or compute it inside fn"
            )
        # the same Value twice is one leaf, so where it first appeared is part of the shape
        first = seen.setdefault(id(x), len(values))
        key.append(("V", first))
        if first == len(values):
            values.append(x)
    elif isinstance(x, numbers.Real) and not isinstance(x, numbers.Integral):
        key.append(_FLOAT)
        floats.append(float(x))
    else:
        try:
            hash(x)
        except TypeError:
            raise TypeError(
                f"compile: arguments must be floats, Values, lists or tuples of them, or hashable settings "
                f"(ints, strings); got a {kind.__name__}"
            ) from None
        key.append(("=", kind, x))  # a setting: part of the shape (1 and True are told apart)


def _argument_names(fn: Callable) -> list[str]:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


# --- tracing --------------------------------------------------------------------------------


class _Trace:
    """`fn` run once on Values: the graph in topological order, its leaves sorted out.

    A leaf is an argument (made here from a float, or a Value passed in), a parameter (a leaf
    something outside the graph still holds when fn returns, such as a model's weight), or a
    constant (a leaf only the graph holds: a number fn lifted into the graph).
    """

    def __init__(self, fn: Callable, args: tuple, arg_names: list[str], verifying: bool = False) -> None:
        # verifying: only to compare signatures with a trace whose parameters are known, so the
        # parameters are not worked out again (signature() looks them up)
        self.arg_leaves: dict[int, tuple[str, int, str]] = {}  # id(leaf) -> ('inputs'|'values', slot, name)
        counters = [0, 0]
        traced = [
            self._lift(a, arg_names[i] if i < len(arg_names) else f"arg{i}", counters) for i, a in enumerate(args)
        ]
        with nullcontext() if is_grad_enabled() else enable_grad():
            root, extras = _split(fn(*traced))
        self.extras = extras
        outputs = [root] + _values_in(extras)
        top: Value | None = None
        if len(outputs) > 1:
            # one walk for all outputs: a node whose parents are the outputs, the root first, so
            # the root's part of the walk is exactly topological_order(root)
            top = joined = Value(0.0)
            joined._primitive, joined._a = _OUTPUTS, tuple(outputs)
            order = topological_order(joined)
            order.pop()
        else:
            order = topological_order(root)
        # first, before any bookkeeping of ours holds the leaves
        counts = None if verifying else _reference_counts(order)
        self.order: list[Value] = order
        self.pos: dict[Value, int] = dict(zip(order, range(len(order))))  # (in C: ~7M instructions fewer a trace)
        pos = self.pos
        self.root: int = pos[root]
        self.outputs: list[int] = [pos[v] for v in outputs]  # the root, then the Values among the extras
        # the graph as lists indexed by position in the walk: parents, and edges into each node
        # (which only finding the parameters needs: a verifying trace does not count them)
        self.parents: list[tuple[int, ...]] = []
        append = self.parents.append
        counting = not verifying
        edges = [0] * len(order)
        for v in order:
            if v._meta is not None:  # (a closure or a hook is kept in a node's meta)
                _refuse_what_code_cannot_do(v, v._meta)
            # the operands read from their slots, not through `parents` (which builds a pair for
            # most nodes): this loop runs once per node of every trace, twice per compile
            b = v._b
            if b is not None:
                j, k = pos[v._a], pos[b]
                append((j, k))
                if counting:
                    edges[j] += 1
                    edges[k] += 1
            else:
                idx = tuple([pos[p] for p in v._a])
                append(idx)
                if counting:
                    for j in idx:
                        edges[j] += 1
        self.verifying = verifying
        self.params: list[Value] = []
        if verifying:
            return
        if top is not None:
            for p in outputs:  # top's parents
                edges[pos[p]] += 1
        # a parameter is a leaf with more references than the graph's edges into it: something
        # outside (a model, fn's closure) holds it. Not CPython: every such leaf counts as one.
        arg_leaves = self.arg_leaves
        self.params = [
            v
            for i, v in enumerate(order)
            if v._primitive is None
            and id(v) not in arg_leaves
            and (counts is None or counts[i] - edges[i] > counts[-1])
        ]

    def _lift(self, x: object, name: str, counters: list[int]) -> object:
        # mirrors _walk: floats become new leaves, numbered in the order _walk collects them
        if type(x) is list or type(x) is tuple:
            return type(x)(self._lift(item, f"{name}_{i}", counters) for i, item in enumerate(x))
        if type(x) is Value:
            if id(x) not in self.arg_leaves:
                self.arg_leaves[id(x)] = ("values", counters[1], x.label or name)
                counters[1] += 1
            return x
        if isinstance(x, numbers.Real) and not isinstance(x, numbers.Integral):  # a float, or numpy's
            leaf = Value(float(x))
            self.arg_leaves[id(leaf)] = ("inputs", counters[0], name)
            counters[0] += 1
            return leaf
        return x

    def signature(self, param_index: dict[int, int]) -> int:
        """A hash of the graph's shape and constants: equal for two traces the same code serves."""
        args = self.arg_leaves
        held = param_index if self.verifying else {id(p) for p in self.params}
        leaves: list = []
        for v in compress(self.order, map(operator.not_, self.parents)):
            slot = args.get(id(v))
            if slot is not None:
                leaves.append(slot[:2])
            elif id(v) in held:
                leaves.append(("p", param_index.get(id(v), -1)))
            else:
                leaves.append(v.data.hex())
        # every node's primitive (hashed by identity) and operands as two runs hashed in C, then
        # what each leaf is (a loop appending both per node cost ~8 ms a trace, twice per compile)
        primitives = tuple(map(_PRIMITIVE, self.order))
        return hash((primitives, tuple(self.parents), tuple(leaves), _shape_of(self.extras, self.pos)))


def _refuse_what_code_cannot_do(v: Value, meta: Meta) -> None:
    """A node whose step is a Python closure, or that has a hook: compiled code cannot run it."""
    if type(v._primitive) is UserOp:
        raise ValueError(
            f"compile cannot look inside op {v.op!r}, written as a _backward closure: define it with "
            "@engine.primitive (its forward and derivative rule), or use backward()"
        )
    if meta.hooks:
        what = f"leaf {v!r}" if v._primitive is None else f"a {v.op!r} node"
        raise ValueError(f"compile cannot run hooks: {what} has one; remove it or use backward()")


def _reference_counts(order: list[Value]) -> list[int] | None:
    """sys.getrefcount of every leaf (0 for operations), then that of a probe leaf only the list holds."""
    if not hasattr(sys, "getrefcount"):
        return None
    order.append(Value(0.0))
    counts = [sys.getrefcount(v) if v._primitive is None else 0 for v in order]
    order.pop()
    return counts


_PRIMITIVE = operator.attrgetter("_primitive")
_OUTPUTS = Primitive("outputs", lambda *xs: 0.0, lambda out, *xs: (), 1)  # the walk's temporary top


def _split(out: object) -> tuple[Value, object]:
    """fn's result as (the Value to differentiate, extras or None)."""
    if type(out) is Value:
        return out, None
    if isinstance(out, tuple) and len(out) == 2 and type(out[0]) is Value:
        return out
    raise TypeError(
        "compile: fn must return a Value (the number to differentiate) or a pair (Value, extras), "
        f"got {type(out).__name__}"
    )


def _interpreted(fn: Callable, args: tuple) -> object:
    """What the generated code computes, done the slow way: fn on Values, then backward()."""

    def leaves(x: object) -> object:  # the arguments as _Trace._lift makes them, without the bookkeeping
        if type(x) is list or type(x) is tuple:
            return type(x)(leaves(item) for item in x)
        if isinstance(x, numbers.Real) and not isinstance(x, numbers.Integral):
            return Value(float(x))
        return x

    def floats(x: object) -> object:  # extras as the generated code returns them
        if type(x) is Value:
            return x.data
        if isinstance(x, (list, tuple)):
            return type(x)(floats(item) for item in x)
        if x is None:
            return None
        assert isinstance(x, numbers.Real)  # _values_in refuses anything else
        return float(x)

    with nullcontext() if is_grad_enabled() else enable_grad():
        root, extras = _split(fn(*[leaves(a) for a in args]))
    _values_in(extras)  # the same refusal of extras that are not Values or numbers
    root.backward()
    return root.data if extras is None else (root.data, floats(extras))


def _values_in(extras: object) -> list[Value]:
    found: list[Value] = []
    stack = [extras]
    while stack:
        x = stack.pop()
        if type(x) is Value:
            found.append(x)
        elif isinstance(x, (list, tuple)):
            stack.extend(reversed(x))
        elif x is not None and not isinstance(x, numbers.Real):
            raise TypeError(f"compile: extras returned by fn must be Values, numbers or lists of them, got {x!r}")
    return found


def _shape_of(extras: object, pos: dict) -> object:
    if type(extras) is Value:
        return pos[extras]
    if isinstance(extras, (list, tuple)):
        return (type(extras).__name__, *[_shape_of(x, pos) for x in extras])
    return extras
