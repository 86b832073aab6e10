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
repeated call is checked against a fresh trace, so a graph that changed shape raises an error
instead of computing something else. Compiled code runs no hooks (compile refuses a graph that
has one) and no anomaly checks, and reads a rule's constants (a closure's or a module's number)
when it compiles.
"""

from __future__ import annotations

import ast
import builtins
import gc
import inspect
import keyword
import linecache
import math
import numbers
import random
import re
import sys
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext

from engine.modes import enable_grad, is_grad_enabled
from engine.ops import Primitive
from engine.value import _MANY, Value, _new, topological_order

__all__ = ["compile", "Compiled"]

_LIMIT = 40  # operations in one expression before a value gets its own line: keeps compile() fast
_FUNCTION = "forward_backward"
_RESERVED = {"params", "inputs", "values", "inf", "nan", _FUNCTION, "_params"} | set(keyword.kwlist)


def compile(fn: Callable, *, check: bool = True, fuse: bool = True, cache_size: int = 8) -> Compiled:
    """Trace `fn` on its first call and run its forward and backward pass as generated Python.

    `fn` takes floats (or leaf Values, or lists/tuples of them) and returns the Value to
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
        params[0].grad += v3_grad * (1 - v3 * v3) * x  # w
    """
    if not callable(fn):
        raise TypeError(f"compile needs a callable, got {type(fn).__name__}")
    if isinstance(cache_size, bool) or not isinstance(cache_size, int) or cache_size < 1:
        raise ValueError(f"cache_size must be a positive integer, got {cache_size!r}")
    return Compiled(fn, check=bool(check), fuse=bool(fuse), cache_size=cache_size)


class _Entry:
    """One traced shape: the generated function and what it needs, and nothing per node."""

    __slots__ = ("run", "params", "param_index", "signature", "unchecked", "source", "nodes", "lines")


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
        entry = self._cache.get(key)
        if entry is None:
            entry = self._compile(args, key)
        else:
            self._cache.move_to_end(key)
            if entry.unchecked:
                self._verify(entry, args, key)
        self._last = entry
        return entry.run(floats, values)

    @property
    def source(self) -> str:
        """The generated Python of the last call: forward, then backward, one line per step."""
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
        with _gc_paused():
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
        with _gc_paused():
            trace = _Trace(self.fn, args, self._arg_names)
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


@contextmanager
def _gc_paused() -> Iterator[None]:
    # Tracing and writing make hundreds of thousands of objects, none in a reference cycle
    # (Values hold no closures); the cyclic collector would scan them again and again for nothing.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


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
    if kind is float:
        key.append(_FLOAT)
        floats.append(x)
    elif kind is list or kind is tuple:
        if all(type(item) is float for item in x):  # the common case, a row of numbers
            key.append((kind is list, len(x), True))
            floats.extend(x)
            return
        key.append((kind is list, len(x), False))
        for item in x:
            _walk(item, key, floats, values, seen)
    elif kind is Value:
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

    def __init__(self, fn: Callable, args: tuple, arg_names: list[str]) -> None:
        self.arg_leaves: dict[int, tuple[str, int, str]] = {}  # id(leaf) -> ('inputs'|'values', slot, name)
        counters = [0, 0]
        traced = [
            self._lift(a, arg_names[i] if i < len(arg_names) else f"arg{i}", counters) for i, a in enumerate(args)
        ]
        with nullcontext() if is_grad_enabled() else enable_grad():
            out = fn(*traced)
        if type(out) is Value:
            root, extras = out, None
        elif isinstance(out, tuple) and len(out) == 2 and type(out[0]) is Value:
            root, extras = out
        else:
            raise TypeError(
                "compile: fn must return a Value (the number to differentiate) or a pair (Value, extras), "
                f"got {type(out).__name__}"
            )
        self.extras = extras
        outputs = [root] + _values_in(extras)
        if len(outputs) > 1:
            # one walk for all outputs: a node whose parents are the outputs, the root first, so
            # the root's part of the walk is exactly topological_order(root)
            top = _new(Value)
            top.data, top.grad, top._primitive, top._a, top._b, top._meta = (
                0.0,
                0.0,
                _OUTPUTS,
                tuple(outputs),
                _MANY,
                None,
            )
            order = topological_order(top)
            order.pop()
        else:
            top = None
            order = topological_order(root)
        counts = _reference_counts(order)  # first, before any bookkeeping of ours holds the leaves
        self.order = order
        self.pos = pos = {v: i for i, v in enumerate(order)}
        self.root = pos[root]
        # the graph as lists indexed by position in the walk: parents, and edges into each node
        self.parents = parents = []
        edges = [0] * len(order)
        for v in order:
            a = v._a
            if a is None:
                parents.append(())
                if v._meta is not None and v._meta.hooks:
                    raise ValueError(f"compile cannot run hooks: leaf {v!r} has one; remove it or use backward()")
                continue
            if v._meta is not None and v._meta.hooks:
                raise ValueError(f"compile cannot run hooks: a {v.op!r} node has one; remove it or use backward()")
            b = v._b
            if b is None:
                ia = pos[a]
                parents.append((ia,))
                edges[ia] += 1
            elif b is _MANY:
                idx = tuple([pos[p] for p in a])
                parents.append(idx)
                for j in idx:
                    edges[j] += 1
            else:
                ia, ib = pos[a], pos[b]
                parents.append((ia, ib))
                edges[ia] += 1
                edges[ib] += 1
        if top is not None:
            for p in top._a:
                edges[pos[p]] += 1
        # a parameter is a leaf with more references than the graph's edges into it: something
        # outside (a model, fn's closure) holds it. Not CPython: every such leaf counts as one.
        args = self.arg_leaves
        self.params = [
            v
            for i, v in enumerate(order)
            if v._a is None and id(v) not in args and (counts is None or counts[i] - edges[i] > counts[-1])
        ]

    def _lift(self, x: object, name: str, counters: list[int]) -> object:
        # mirrors _walk: floats become new leaves, numbered in the order _walk collects them
        kind = type(x)
        if kind is list or kind is tuple:
            return kind(self._lift(item, f"{name}_{i}", counters) for i, item in enumerate(x))
        if kind is Value:
            if id(x) not in self.arg_leaves:
                self.arg_leaves[id(x)] = ("values", counters[1], x.label or name)
                counters[1] += 1
            return x
        if kind is float or (isinstance(x, numbers.Real) and not isinstance(x, numbers.Integral)):
            leaf = Value(float(x))
            self.arg_leaves[id(leaf)] = ("inputs", counters[0], name)
            counters[0] += 1
            return leaf
        return x

    def signature(self, param_index: dict[int, int]) -> int:
        """A hash of the graph's shape and constants: equal for two traces the same code serves."""
        args = self.arg_leaves
        held = {id(p) for p in self.params}
        parts: list = []
        for v, idx in zip(self.order, self.parents):
            if idx:
                parts.append(id(v._primitive))
                parts.append(idx)
                continue
            slot = args.get(id(v))
            if slot is not None:
                parts.append(slot[:2])
            elif id(v) in held:
                parts.append(("p", param_index.get(id(v), -1)))
            else:
                parts.append(v.data.hex())
        parts.append(_shape_of(self.extras, self.pos))
        return hash(tuple(parts))


def _reference_counts(order: list[Value]) -> list[int] | None:
    """sys.getrefcount of every leaf (0 for operations), then that of a probe leaf only the list holds."""
    if not hasattr(sys, "getrefcount"):
        return None
    order.append(Value(0.0))
    counts = [sys.getrefcount(v) if v._a is None else 0 for v in order]
    order.pop()
    return counts


_OUTPUTS = Primitive("outputs", lambda *xs: 0.0, lambda out, *xs: (), 1)  # the walk's temporary top


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


# --- rules: each primitive's forward and derivative as expressions ------------------------
#
# A rule written as a lambda or a one-line function is inlined: its source is parsed, its
# arguments become holes {0}, {1}, ... and the names it uses are bound into the generated
# code's namespace. A rule that cannot be inlined (a builtin, several statements) is called.

_HOLE = re.compile(r"_H(\d+)_")
_BINARY = {
    ast.Add: 10, ast.Sub: 10, ast.Mult: 11, ast.Div: 11, ast.FloorDiv: 11, ast.Mod: 11, ast.MatMult: 11,
    ast.Pow: 13, ast.LShift: 9, ast.RShift: 9, ast.BitAnd: 8, ast.BitXor: 7, ast.BitOr: 6,
}  # fmt: skip
_ALLOWED = (
    ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.Call, ast.Name, ast.Constant,
    ast.Attribute, ast.Subscript, ast.Tuple, ast.keyword, ast.Load, ast.operator, ast.unaryop,
    ast.boolop, ast.cmpop,
)  # fmt: skip
_ATOM = 15


class _Template:
    """An expression with holes: `fmt.format(*operands)` after wrapping each as `need` says."""

    __slots__ = ("fmt", "prec", "need", "holes", "repeated", "identity", "pick", "infix")

    def __init__(self, expr: ast.expr, holes: int) -> None:
        # for each hole it uses (a neuron's rule has thousands it does not): the precedence an
        # operand needs to go in without parentheses, and how often it appears
        self.need: dict[int, int] = {}
        count: dict[int, int] = {}
        stack: list[tuple[ast.AST, int]] = [(expr, _ATOM)]
        while stack:
            node, need = stack.pop()
            if isinstance(node, ast.Name):
                hole = _HOLE.fullmatch(node.id)
                if hole:
                    k = int(hole.group(1))
                    self.need[k] = max(self.need.get(k, 0), need)
                    count[k] = count.get(k, 0) + 1
                continue
            stack.extend(_operands(node))
        self.holes = tuple(sorted(count))
        self.repeated = tuple(k for k in self.holes if count[k] > 1)
        self.prec = _precedence(expr)
        text = ast.unparse(expr).replace("{", "{{").replace("}", "}}")
        self.fmt = _HOLE.sub(r"{\1}", text)
        self.identity = isinstance(expr, ast.Constant) and type(expr.value) in (int, float) and expr.value == 1
        # shortcuts for the writer's hot loops: a bare hole ('{1}'), a plain infix ('{0} * {1}')
        bare = re.fullmatch(r"\{(\d+)\}", self.fmt)
        self.pick = int(bare.group(1)) if bare else None
        infix = re.fullmatch(r"\{0\}( \S+ )\{1\}", self.fmt)
        self.infix = infix.group(1) if infix and holes == 2 else None

    def __call__(self, operands: list[tuple[str, int]]) -> str:
        need = self.need
        return self.fmt.format(
            *[text if prec >= need.get(k, 0) else f"({text})" for k, (text, prec) in enumerate(operands)]
        )


def _precedence(node: ast.AST) -> int:
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)]
    if isinstance(node, ast.UnaryOp):
        return 4 if isinstance(node.op, ast.Not) else 12
    if isinstance(node, ast.BoolOp):
        return 3 if isinstance(node.op, ast.And) else 2
    if isinstance(node, ast.Compare):
        return 5
    if isinstance(node, ast.IfExp):
        return 1
    if isinstance(node, ast.Tuple):
        return 0
    return _ATOM


def _operands(node: ast.AST) -> list[tuple[ast.AST, int]]:
    """Each sub-expression with the precedence it needs to stand there without parentheses."""
    if isinstance(node, ast.BinOp):
        level = _BINARY[type(node.op)]
        return [(node.left, level + 1 if isinstance(node.op, ast.Pow) else level), (node.right, level + 1)]
    if isinstance(node, ast.UnaryOp):
        return [(node.operand, 5 if isinstance(node.op, ast.Not) else 12)]
    if isinstance(node, ast.BoolOp):
        return [(v, _precedence(node) + 1) for v in node.values]
    if isinstance(node, ast.Compare):
        return [(v, 6) for v in [node.left, *node.comparators]]
    if isinstance(node, ast.IfExp):
        return [(node.test, 2), (node.body, 2), (node.orelse, 2)]
    if isinstance(node, ast.Call):
        return [(node.func, _ATOM)] + [(a, 1) for a in node.args] + [(k.value, 1) for k in node.keywords]
    if isinstance(node, ast.Attribute):
        return [(node.value, _ATOM)]
    if isinstance(node, ast.Subscript):
        return [(node.value, _ATOM), (node.slice, 1)]
    if isinstance(node, ast.Tuple):
        return [(e, 1) for e in node.elts]
    return []


class _Namespace:
    """The generated code's globals, and every name in use, so no local shadows a global."""

    def __init__(self) -> None:
        self.globals: dict[str, object] = {"inf": math.inf, "nan": math.nan}
        self.used: set[str] = set(_RESERVED)

    def fresh(self, base: str) -> str:
        name, k = base, 2
        while name in self.used:
            name, k = f"{base}_{k}", k + 1
        self.used.add(name)
        return name

    def bind(self, obj: object, base: str) -> str:
        for name, bound in self.globals.items():
            if bound is obj and name.startswith(base):
                return name
        name = self.fresh(base)
        self.globals[name] = obj
        return name


_files: dict[str, tuple[str, dict[int, list[ast.AST]]]] = {}  # filename -> (text, functions by first line)


def _definition(func: Callable) -> ast.AST | None:
    """The Lambda or FunctionDef node `func` was made from, if its source is at hand and unambiguous."""
    code = func.__code__
    lines = linecache.getlines(code.co_filename, func.__globals__)
    if not lines:
        return None
    text = "".join(lines)
    cached = _files.get(code.co_filename)
    if cached is None or cached[0] != text:
        try:
            tree = ast.parse(text)
        except SyntaxError:
            return None
        index: dict[int, list[ast.AST]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Lambda):
                index.setdefault(node.lineno, []).append(node)
            elif isinstance(node, ast.FunctionDef):
                first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                index.setdefault(first, []).append(node)
        if len(_files) > 64:
            _files.clear()
        cached = _files[code.co_filename] = (text, index)
    names = list(code.co_varnames[: code.co_argcount])
    found = [
        node
        for node in cached[1].get(code.co_firstlineno, [])
        if [a.arg for a in node.args.args] == names
        and (isinstance(node, ast.Lambda) if code.co_name == "<lambda>" else getattr(node, "name", "") == code.co_name)
    ]
    # the source may have been edited since it was imported: only the node whose compiled
    # bytecode is the function's own is the function
    found = [node for node in found if _compiles_to(node, code)]
    return found[0] if len(found) == 1 else None


def _compiles_to(node: ast.AST, code: object) -> bool:
    """Does `node` (a Lambda or FunctionDef), compiled with the same free variables, give `code`?"""
    inner = node if isinstance(node, ast.Lambda) else ast.FunctionDef(**{**vars(node), "decorator_list": []})
    cells = [ast.Assign([ast.Name(name, ast.Store())], ast.Constant(None)) for name in code.co_freevars]
    statement = ast.Return(inner) if isinstance(inner, ast.Lambda) else inner
    outer = ast.FunctionDef("_outer", ast.arguments([], [], None, [], [], None, []), [*cells, statement], [])
    module = ast.fix_missing_locations(ast.Module([outer], []))
    try:
        compiled = builtins.compile(module, code.co_filename, "exec")
    except (SyntaxError, ValueError, TypeError):
        return False
    made = [c for c in compiled.co_consts if hasattr(c, "co_code")][0]
    made = [c for c in made.co_consts if hasattr(c, "co_code")]
    return any(
        c.co_code == code.co_code and c.co_names == code.co_names and c.co_varnames == code.co_varnames for c in made
    )


def _inline(func: Callable, holes: int, ns: _Namespace) -> ast.expr | None:
    """`func`'s body as an expression over holes _H0_, _H1_, ..., or None if it cannot be inlined."""
    code = getattr(func, "__code__", None)
    if code is None or code.co_argcount != holes or code.co_kwonlyargcount or code.co_flags & 0x0C:
        return None
    node = _definition(func)
    if node is None:
        return None
    if isinstance(node, ast.Lambda):
        body = node.body
    else:
        statements = node.body
        if statements and isinstance(statements[0], ast.Expr) and isinstance(statements[0].value, ast.Constant):
            statements = statements[1:]  # a docstring
        if len(statements) != 1 or not isinstance(statements[0], ast.Return) or statements[0].value is None:
            return None
        body = statements[0].value
    args = {a.arg: k for k, a in enumerate(node.args.args)}
    closure = dict(zip(code.co_freevars, [c.cell_contents for c in func.__closure__ or ()]))
    return _resolve(body, args, closure, func.__globals__, ns)


def _resolve(body: ast.expr, args: dict[str, int], closure: dict, globals_: dict, ns: _Namespace) -> ast.expr | None:
    """A copy of `body` with arguments turned into holes and free names bound into the namespace."""
    body = ast.parse(ast.unparse(body), mode="eval").body  # a fresh copy to rewrite
    for node in ast.walk(body):
        if not isinstance(node, _ALLOWED):
            return None
    missing = object()

    class Rename(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            if node.id in args:
                return ast.Name(f"_H{args[node.id]}_", ast.Load())
            value = closure.get(node.id, missing)
            if value is missing:
                value = globals_.get(node.id, missing)
            if value is missing:
                value = getattr(builtins, node.id, missing)
            if value is missing:
                raise LookupError(node.id)
            if type(value) in (int, float) and math.isfinite(value):
                constant = ast.Constant(abs(value))
                return ast.UnaryOp(ast.USub(), constant) if math.copysign(1, value) < 0 else constant
            return ast.Name(ns.bind(value, node.id), ast.Load())

    try:
        return Rename().visit(body)
    except LookupError:
        return None


def _parse_template(template: str, holes: int, forward: Callable, ns: _Namespace) -> ast.expr | None:
    """A primitive's `template` string ('{0} * {1}') as an expression over holes."""
    try:
        body = ast.parse(re.sub(r"\{(\d+)\}", r"_H\1_", template), mode="eval").body
    except SyntaxError:
        return None
    used = {int(h) for h in re.findall(r"\{(\d+)\}", template)}
    if not used <= set(range(holes)):
        return None
    globals_ = getattr(forward, "__globals__", {})
    return _resolve(body, {f"_H{k}_": k for k in range(holes)}, {}, globals_, ns)


def _agrees(expr: ast.expr, holes: int, ns: _Namespace, func: Callable, args: list[float]) -> bool:
    """Does the inlined expression give what calling the rule gives, bit for bit?

    Checked on this node's numbers and on 16 more points of every size and sign (the same ones
    every time): a rule can behave differently on floats than on symbols (Python 3.12's `sum`
    of floats is compensated, for one), and one point could agree by chance.
    """
    names = [f"_a{k}" for k in range(holes)]
    try:
        fmt = _Template(expr, holes).fmt
        inlined = eval(f"lambda {', '.join(names)}: {fmt.format(*names)}", ns.globals)
    except Exception:
        return False
    rng = random.Random(holes)
    points = [args] + [[(x or 1.0) * rng.choice([-1, 1]) * 10 ** rng.uniform(-6, 6) for x in args] for _ in range(16)]
    for point in points:
        try:
            want = func(*point)
        except Exception as error:
            try:
                inlined(*point)
            except type(error):
                continue  # both raise: the call would have raised too
            except Exception:
                pass
            return False
        try:
            got = inlined(*point)
        except Exception:
            return False
        if not _same(got, want):
            return False
    return True


def _same(got: object, want: object) -> bool:
    if isinstance(want, tuple):
        return isinstance(got, tuple) and len(got) == len(want) and all(map(_same, got, want))
    return got == want or (got != got and want != want)


def _expression(func: Callable, holes: int, sample: list[float], ns: _Namespace, template: str = "") -> ast.expr | None:
    """`func` as an expression over holes, checked on this node's numbers; None: call it instead.

    Three ways, tried in turn: the primitive's `template` string, the rule's own source inlined
    (a lambda or a one-line function), and running the rule on symbols that write down the
    arithmetic done to them (which handles rules such as `sum(map(mul, w, x), b)`).
    """
    attempts = [
        lambda: _parse_template(template, holes, func, ns) if template else None,
        lambda: _inline(func, holes, ns),
        lambda: _symbolic(func, holes),
    ]
    for attempt in attempts:
        expr = attempt()
        if expr is not None and _depth(expr) <= _DEEPEST and _agrees(expr, holes, ns, func, sample):
            return expr
    return None


_DEEPEST = 200  # nesting deeper than this (a neuron with thousands of inputs) is called, not inlined


def _depth(expr: ast.AST) -> int:
    deepest, stack = 0, [(expr, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


class _Unsupported(Exception):
    """A rule did something a symbol cannot stand in for (compare it, branch on it, ...)."""


class _Symbol:
    """Stands in for a float and writes down, as source text, the arithmetic done to it."""

    __slots__ = ("text", "prec")

    def __init__(self, text: str, prec: int) -> None:
        self.text, self.prec = text, prec

    def __bool__(self) -> bool:
        raise _Unsupported

    __float__ = __index__ = __int__ = __bool__
    __lt__ = __le__ = __gt__ = __ge__ = __eq__ = __ne__ = lambda self, other: _Symbol.__bool__(self)
    __hash__ = None

    def __neg__(self) -> _Symbol:
        return _Symbol(f"-{_operand(self, 12)}", 12)


def _operand(x: object, need: int) -> str:
    if type(x) is _Symbol:
        return x.text if x.prec >= need else f"({x.text})"
    if type(x) in (int, float) and math.isfinite(x):
        return f"({x!r})" if math.copysign(1, x) < 0 else repr(x)
    raise _Unsupported


def _infix(op: str, level: int) -> tuple[Callable, Callable]:
    def forward(self: _Symbol, other: object) -> _Symbol:
        return _long(_Symbol(f"{_operand(self, level)} {op} {_operand(other, level + 1)}", level))

    def reflected(self: _Symbol, other: object) -> _Symbol:
        return _long(_Symbol(f"{_operand(other, level)} {op} {_operand(self, level + 1)}", level))

    return forward, reflected


def _long(symbol: _Symbol) -> _Symbol:
    if len(symbol.text) > 20_000:  # a neuron with thousands of inputs: call its rule instead
        raise _Unsupported
    return symbol


_Symbol.__add__, _Symbol.__radd__ = _infix("+", 10)
_Symbol.__sub__, _Symbol.__rsub__ = _infix("-", 10)
_Symbol.__mul__, _Symbol.__rmul__ = _infix("*", 11)
_Symbol.__truediv__, _Symbol.__rtruediv__ = _infix("/", 11)


def _symbolic(func: Callable, holes: int) -> ast.expr | None:
    try:
        result = func(*[_Symbol(f"_H{k}_", _ATOM) for k in range(holes)])
        parts = result if isinstance(result, tuple) else (result,)
        texts = [_operand(part, 1) for part in parts]
    except Exception:  # any failure just means: this rule is called, not inlined
        return None
    text = f"({', '.join(texts)},)" if isinstance(result, tuple) else texts[0]
    try:
        return ast.parse(text, mode="eval").body
    except (RecursionError, SyntaxError):  # too deep to parse: too deep to inline
        return None


_IDENTITY, _PICK, _GENERAL, _TOGETHER = range(4)


class _Rule:
    """How the writer spells one primitive: forward template, and derivative per operand."""

    __slots__ = ("forward", "derivative", "together", "reads", "how", "operands", "repeated")

    def __init__(self, prim: Primitive, node: Value, parents: list[Value], ns: _Namespace) -> None:
        k = self.operands = len(parents)
        data = [p.data for p in parents]
        name = _identifier(prim.name, "op")
        template = prim.template if isinstance(prim.template, str) else ""
        expr = _expression(prim.forward, k, data, ns, template)
        self.forward = _Template(expr or _call(ns.bind(prim.forward, name), k), k)
        self.repeated = self.forward.repeated
        # derivative(out, *inputs): hole 0 is the node's own value, hole j its operand j - 1
        expr = _expression(prim.derivative, k + 1, [node.data, *data], ns)
        expr = expr or _call(ns.bind(prim.derivative, f"{name}_derivative"), k + 1)
        self.together = None  # a derivative that gives all operands' numbers at once, as a tuple
        if k == 1:
            self.derivative = [_Template(expr, 2)]
        elif isinstance(expr, ast.Tuple) and len(expr.elts) == k:
            self.derivative = [_Template(e, k + 1) for e in expr.elts]
        else:
            self.together = _Template(expr, k + 1)
            self.derivative = None
        # the values each operand's contribution reads (hole 0 is the node itself): kept in variables
        self.reads = [(self.together if self.derivative is None else d).holes for d in self.derivative or [None] * k]
        # how the writer spells operand k's contribution: the gradient passed through unchanged
        # (d(a+b)/da = 1), times one of the values (d(a*b)/da = b), or times a general expression
        self.how = []
        for local in self.derivative or [None] * k:
            if local is None:
                self.how.append((_TOGETHER, None))
            elif local.identity:
                self.how.append((_IDENTITY, None))
            elif local.pick is not None:
                self.how.append((_PICK, local.pick))
            else:
                self.how.append((_GENERAL, local))


def _call(name: str, holes: int) -> ast.expr:
    return ast.Call(ast.Name(name, ast.Load()), [ast.Name(f"_H{k}_", ast.Load()) for k in range(holes)], [])


def _identifier(text: str, default: str) -> str:
    text = text.replace("**", "pow_").replace("-", "m").replace(".", "_")
    text = re.sub(r"\W+", "_", text).strip("_")
    if not text:
        return default
    if text[0].isdigit():
        text = f"{default}_{text}"
    return text + "_" if keyword.iskeyword(text) else text


def _literal(x: float) -> str:
    """A float as source text that reads back as exactly the same float."""
    if x != x:
        return "nan"
    if x in (math.inf, -math.inf):
        return "inf" if x > 0 else "(-inf)"
    text = repr(x)
    return f"({text})" if math.copysign(1.0, x) < 0 else text


# --- writing the code -----------------------------------------------------------------------

_OP, _PARAM, _INPUT, _VALUE, _CONST = range(5)


_NAME = re.compile(r"[A-Za-z_]\w*")
_REPEAT_MIN = 8  # operations in a repeated piece of the graph before it gets a function of its own


class _Piece:
    """One occurrence of a repeated piece of the graph (say, the model on one sample)."""

    __slots__ = ("nodes", "inputs", "outputs", "graded", "template", "saved")

    def __init__(self, nodes: list[int]) -> None:
        self.nodes = nodes  # its operations, in the order of the walk
        self.inputs: list[int] = []  # the values it reads from outside (parameters aside)
        self.outputs: list[int] = []  # its values used outside it
        self.graded: list[int] = []  # the outputs whose gradient also comes from outside


class _Writer:
    """Turns a trace into the source of one function `forward_backward(inputs, values, params)`."""

    def __init__(self, trace: _Trace, fuse: bool) -> None:
        self.trace = trace
        self.fuse = fuse
        self.ns = _Namespace()

    def write(self) -> tuple[str, dict, list[Value]]:
        trace, ns = self.trace, self.ns
        self._analyse()
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
            elif kind[i] == _INPUT and self.uses[i]:
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
        if pieces:
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
        if pieces:
            self._run_backward(pieces, loops, lines)
        for i in range(start - 1, -1, -1):
            if i != self.root:
                self._backward_node(i, lines, "    ", -1)
        for i, name in self.acc.items():
            lines.append(f"    {_target(kind[i], slot[i])} = {name}  # {names[i]}")
        lines.append(f"    return {self._returned(trace.extras, self.text[self.root], trace.pos, self.text)}")
        ns.globals["_params"] = tuple(trace.params)
        return "\n".join(lines) + "\n", ns.globals, trace.params

    # --- the analysis -----------------------------------------------------------------------

    def _analyse(self) -> None:
        trace, ns, fuse = self.trace, self.ns, self.fuse
        order, parents = trace.order, trace.parents
        self.n = n = len(order)
        param_slot = {id(p): k for k, p in enumerate(trace.params)}

        # 1. what each node is (an operation, a parameter, an argument, a constant), whether it
        #    depends on a parameter, how often it is used, and how each primitive is spelled
        kind = self.kind = [_OP] * n
        slot = self.slot = [0] * n
        depends = [False] * n
        uses = self.uses = [0] * n
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
            prim = order[i]._primitive
            if len(idx) == 2:
                a, b = idx
                key = (prim, alike[a], alike[b])
                uses[a] += 1
                uses[b] += 1
                depends[i] = depends[a] or depends[b]
            else:
                key = (prim, *[alike[j] for j in idx])
                for j in idx:
                    uses[j] += 1
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
        for i in range(n):
            if rule_of[i] is not None:
                count[alike[i]] += 1

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
            for k, j in enumerate(idx):
                if depends[j]:
                    needed[j] = True
                    spread[i] += 1
                    if arriving[j] is None:
                        arriving[j] = [(i, k)]
                    else:
                        arriving[j].append((i, k))
                    for hole in reads[k]:
                        keep[i if hole == 0 else idx[hole - 1]] = True
        self.outputs = [root] + [trace.pos[v] for v in _values_in(trace.extras)]
        for i in self.outputs:
            keep[i] = True
        self.labels = [v._meta.label if v._meta is not None else "" for v in order]
        self.names = self._leaf_names(self.labels, kind, slot)
        self.text = [_literal(order[i].data) if kind[i] == _CONST else self.names[i] for i in range(n)]
        self.prec = [_ATOM] * n
        self.size = [0] * n
        self.grad = [""] * n
        self.gprec = [_ATOM] * n
        self.gsize = [0] * n
        self.together: dict[int, str] = {}  # node -> the variable holding its tuple of local derivatives
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
                if c >= 0 and pieces[c] is not None:  # j leaves its piece: an output
                    piece = pieces[c]
                    if j not in piece.outputs:
                        piece.outputs.append(j)
                    if i < piece.nodes[-1]:
                        refused.add(c)  # used before the piece is over
                if mine >= 0 and pieces[mine] is not None and kind[j] != _PARAM and kind[j] != _CONST:
                    piece = pieces[mine]
                    if j not in piece.inputs:
                        piece.inputs.append(j)
                        if needed[j] or kind[j] == _VALUE or (kind[j] == _OP and j > piece.nodes[0]):
                            refused.add(mine)
        for i in self.outputs:
            c = piece_of[i]
            if c >= 0 and pieces[c] is not None:
                if i == self.root:
                    refused.add(c)
                elif i not in pieces[c].outputs:
                    pieces[c].outputs.append(i)
        # nothing else that needs a gradient may run in between: count the operations that do
        needing = [0] * (n + 1)  # needing[i]: how many of the first i nodes are such operations
        for i in range(n):
            needing[i + 1] = needing[i] + (needed[i] and kind[i] == _OP)
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
            shape = (
                tuple([alike[i] for i in nodes]),
                tuple([tuple(map(get, parents[i])) for i in nodes]),
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
        for i in range(n):
            piece_of[i] = -1
        kept.sort(key=lambda piece: piece.nodes[0])
        for number, piece in enumerate(kept):
            for i in piece.nodes:
                piece_of[i] = number
        if kept and not self._loopable(kept):
            for i in range(n):
                piece_of[i] = -1
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

    # --- writing: one node at a time -------------------------------------------------------

    def _forward_node(self, i: int, lines: list[str], indent: str) -> None:
        text, prec, size = self.text, self.prec, self.size
        idx = self.trace.parents[i]
        forward = self.rule_of[i].forward
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
        how, what = self.rule_of[c].how[k]
        g, gprec, gsize = self.grad[c], self.gprec[c], self.gsize[c]
        if how == _IDENTITY:  # d/d operand = 1: the gradient passes through unchanged
            return g, gprec, gsize
        g = g if gprec >= 11 else f"({g})"
        if how == _PICK:  # the local derivative is one of the values, as d(a*b)/da = b
            text = self.text
            return f"{g} * {text[c] if what == 0 else text[self.trace.parents[c][what - 1]]}", 11, gsize + 1
        if how == _GENERAL:
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
        if rule.together is not None:
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

    def _template(self, piece: _Piece) -> dict:
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

    def _loops(self, pieces: list[_Piece], lines: list[str]) -> dict:
        """The two functions that run every occurrence of every repeated piece, in a loop."""
        times: dict[int, int] = {}
        for piece in pieces:
            times[piece.template] = times.get(piece.template, 0) + 1
        templates = {}
        for piece in pieces:
            if piece.template not in templates:
                templates[piece.template] = self._template(piece)
        leaves = {self.names[i] for i in range(self.n) if self.kind[i] == _PARAM}
        shown = ", ".join(f"{t} ({k} times)" for t, k in times.items())
        lines.append(f"    # pieces of the graph that repeat with the same shape (once per sample, say): {shown};")
        lines.append("    # each is written once, as a branch of a loop over its occurrences")
        forward, backward = self.ns.fresh("pieces_forward"), self.ns.fresh("pieces_backward")
        body, reads = [], []
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
        return {"forward": forward, "backward": backward, "templates": templates, "accumulators": accumulators}

    def _run_forward(self, pieces: list[_Piece], loops: dict, lines: list[str]) -> None:
        ns, text = self.ns, self.text
        work = ", ".join(f"({p.template}, {_tuple([text[j] for j in p.inputs])})" for p in pieces)
        done = ns.fresh("done")
        lines.append(f"    {done} = {loops['forward']}([{work}])")
        for k, piece in enumerate(pieces):
            for o in piece.outputs:
                text[o], self.prec[o], self.size[o] = ns.fresh(f"v{o}"), _ATOM, 0
            piece.saved = ns.fresh(f"saved{piece.nodes[0]}")
            lines.append(f"    {', '.join([text[o] for o in piece.outputs] + [piece.saved])} = {done}[{k}]")

    def _run_backward(self, pieces: list[_Piece], loops: dict, lines: list[str]) -> None:
        work = []
        for piece in sorted(pieces, key=lambda p: p.nodes[-1], reverse=True):  # backward()'s order
            given = []
            for o in piece.graded:
                terms = [self._term(c, k)[:2] for c, k in self.arriving[o] if self.piece_of[c] != self.piece_of[o]]
                given.append(_sum(terms)[0])
            work.append(f"({piece.template}, {piece.saved}, {_tuple(given)})")
        accumulators = loops["accumulators"]
        call = f"{loops['backward']}([{', '.join(work)}], {', '.join(accumulators)})".replace(", )", ")")
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
            return "None" if x is None else _literal(float(x))

        return f"{root}, {spell(extras)}"


def _tuple(names: list[str]) -> str:
    return f"({names[0]},)" if len(names) == 1 else f"({', '.join(names)})"  # () when empty


def _target(kind: int, slot: int) -> str:
    return f"params[{slot}].grad" if kind == _PARAM else f"values[{slot}].grad"


def _name_for(label: str, i: int) -> str:
    return _identifier(label, "v") if label else f"v{i}"


def _sum(terms: list[tuple[str, int]]) -> tuple[str, int]:
    """t0 + t1 + ... added left to right, the order backward() adds them in."""
    if len(terms) == 1:
        return terms[0]
    parts = [terms[0][0] if terms[0][1] >= 10 else f"({terms[0][0]})"]
    parts += [t if p > 10 else f"({t})" for t, p in terms[1:]]
    return " + ".join(parts), 10
