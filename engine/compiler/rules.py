"""The compiler's rules: each primitive's forward and derivative as a formula with holes.

To write `n = x1 * w1 + b` rather than a call per operation, the writer needs each primitive
as a formula over its operands: `{0} * {1}` for a product, `1 - {0} * {0}` for the derivative
of tanh (a derivative's hole 0 is the node's own value, so this is 1 - tanh(x)^2). None of them
is written here: they are read from the primitive's own table entry, so every derivative is
still written exactly once. A primitive's `template` string is taken as it is; a rule written
as a lambda or a one-line function is inlined (its source is parsed, its arguments become holes
{0}, {1}, ... and the names it uses are bound into the generated code's namespace); a rule such
as `sum(map(mul, w, x), b)` is run on symbols that write down the arithmetic done to them.
A formula is used only if it gives the rule's own numbers, bit for bit; where none does (a
builtin such as math.tanh, several statements), the generated code calls the rule.

`_Rule` gathers what the writer needs of one primitive: the forward formula, the derivative
per operand, and how each operand's share of the gradient is spelled.
"""

from __future__ import annotations

import ast
import builtins
import keyword
import linecache
import math
import random
import re
from collections.abc import Callable
from types import CodeType

from engine.ops import Primitive
from engine.value import Value

__all__: list[str] = []  # private to the compiler: engine.compile is its public face

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


def _operands(node: ast.AST) -> list[tuple[ast.expr, int]]:
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

    def __init__(self, reserved: set[str]) -> None:
        self.globals: dict[str, object] = {"inf": math.inf, "nan": math.nan}
        # the names the generated function itself uses, its globals, and Python's keywords
        self.used: set[str] = set(reserved) | set(self.globals) | set(keyword.kwlist)

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


_Function = ast.Lambda | ast.FunctionDef  # what a rule can be written as

_files: dict[str, tuple[str, dict[int, list[_Function]]]] = {}  # filename -> (text, functions by first line)


def _definition(func: Callable) -> _Function | None:
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
        index: dict[int, list[_Function]] = {}
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


def _compiles_to(node: _Function, code: CodeType) -> bool:
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

    def __lt__(self, other: object) -> bool:
        raise _Unsupported

    # (defining __eq__ also makes a symbol unhashable, as it should be: it stands for no value yet)
    __le__ = __gt__ = __ge__ = __eq__ = __ne__ = __lt__

    def __neg__(self) -> _Symbol:
        return _Symbol(f"-{_operand(self, 12)}", 12)

    def __add__(self, other: object) -> _Symbol:
        return _infix(self, "+", 10, other)

    def __radd__(self, other: object) -> _Symbol:
        return _infix(other, "+", 10, self)

    def __sub__(self, other: object) -> _Symbol:
        return _infix(self, "-", 10, other)

    def __rsub__(self, other: object) -> _Symbol:
        return _infix(other, "-", 10, self)

    def __mul__(self, other: object) -> _Symbol:
        return _infix(self, "*", 11, other)

    def __rmul__(self, other: object) -> _Symbol:
        return _infix(other, "*", 11, self)

    def __truediv__(self, other: object) -> _Symbol:
        return _infix(self, "/", 11, other)

    def __rtruediv__(self, other: object) -> _Symbol:
        return _infix(other, "/", 11, self)


def _operand(x: object, need: int) -> str:
    if type(x) is _Symbol:
        return x.text if x.prec >= need else f"({x.text})"
    if (type(x) is int or type(x) is float) and math.isfinite(x):  # (not bool, not a float subclass)
        return f"({x!r})" if math.copysign(1, x) < 0 else repr(x)
    raise _Unsupported


def _infix(left: object, op: str, level: int, right: object) -> _Symbol:
    symbol = _Symbol(f"{_operand(left, level)} {op} {_operand(right, level + 1)}", level)
    if len(symbol.text) > 20_000:  # a neuron with thousands of inputs: call its rule instead
        raise _Unsupported
    return symbol


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
        derivative: list[_Template] | None = None  # one per operand, or (when None):
        self.together: _Template | None = None  # a derivative that gives all operands' numbers at once, as a tuple
        if k == 1:
            derivative = [_Template(expr, 2)]
        elif isinstance(expr, ast.Tuple) and len(expr.elts) == k:
            derivative = [_Template(e, k + 1) for e in expr.elts]
        self.derivative = derivative
        # the values each operand's contribution reads (hole 0 is the node itself): kept in variables
        per_operand: list[_Template | None]
        if derivative is not None:
            self.reads = [d.holes for d in derivative]
            per_operand = list(derivative)
        else:
            self.together = _Template(expr, k + 1)
            self.reads = [self.together.holes] * k
            per_operand = [None] * k
        # how the writer spells operand k's contribution: the gradient passed through unchanged
        # (d(a+b)/da = 1), times one of the values (d(a*b)/da = b), or times a general expression
        self.how: list[tuple[int, int | _Template | None]] = []
        for local in per_operand:
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
