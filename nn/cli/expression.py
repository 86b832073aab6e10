"""Arithmetic typed on the command line, turned into a graph of Values — parsed, never run.

`chainrule draw "tanh(x1*w1 + x2*w2 + b)" --at x1=2 ...` must build the same graph you would get by
typing that formula in Python with Values. Handing the text to `eval` would do that, and would
also run anything else someone types (`__import__('os').system(...)`). So the text goes through
Python's own parser (`ast.parse`, which only reads) and the resulting tree is walked here with an
allow-list: numbers, the given names, `+ - * / **`, unary minus, parentheses, and calls to the
engine's functions. Every other kind of node is refused with a one-line message naming it.

Each name becomes one leaf Value labelled with that name, however often it appears — so `x*x`
has one leaf `x` with two uses, and backward adds up both contributions (the `+=` of the chain
rule). Numbers stay plain numbers, so `x**2` is the '**2' node and `x/2` is `x * 0.5`, exactly as
micrograd builds them.

>>> out, leaves = build("tanh(x*w + b)", {"x": 2.0, "w": -3.0, "b": 6.8813735870195432})
>>> out.backward()
>>> round(out.data, 4), round(leaves["w"].grad, 4)
(0.7071, 1.0)
"""

from __future__ import annotations

import ast
import io
import keyword
import math
import operator
import re
import tokenize
from collections.abc import Callable, Mapping

from engine import Value
from engine.checks import is_real
from engine.ops import abs_, cos, exp, leaky_relu, log, power, relu, sigmoid, sin, softplus, sqrt, tanh
from nn.cli.status import shown

__all__ = ["build", "ExpressionError", "UnknownNamesError", "FUNCTIONS", "FINITE", "check_name"]

# name -> the engine function it calls (each works on a Value and on a plain number)
FUNCTIONS: dict[str, Callable] = {
    "tanh": tanh,
    "exp": exp,
    "log": log,
    "relu": relu,
    "sigmoid": sigmoid,
    "sin": sin,
    "cos": cos,
    "sqrt": sqrt,
    "abs": abs_,
    "softplus": softplus,
    "leaky_relu": leaky_relu,
}

_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_REFUSED_OPERATORS = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.BitXor: "^",
    ast.Not: "not",
    ast.Invert: "~",
}
# what a refused kind of node is called in the message
_REFUSED_NODES = {
    ast.Attribute: "attribute access (a.b)",
    ast.Lambda: "lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.Compare: "a comparison",
    ast.BoolOp: "'and'/'or'",
    ast.IfExp: "a conditional expression (a if c else b)",
    ast.Subscript: "indexing (a[i])",
    ast.Slice: "a slice",
    ast.List: "a list",
    ast.Tuple: "a tuple (a comma)",
    ast.Set: "a set",
    ast.Dict: "a dict",
    ast.NamedExpr: "assignment (:=)",
    ast.JoinedStr: "an f-string",
    ast.Starred: "unpacking (*)",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}


class ExpressionError(ValueError):
    """The text is not an expression of the allowed language; the message says what is not allowed."""


class UnknownNamesError(ExpressionError):
    """The expression uses names that were given no value; `names` lists them in order of appearance."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        listed = ", ".join(shown(n) for n in names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        super().__init__(f"unknown name{'s' if len(names) > 1 else ''} {listed}")


def check_name(name: str) -> str:
    """`name` if it can be a variable of an expression; ExpressionError saying why not otherwise."""
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ExpressionError(
            f"{shown(name)} is not a valid name: use letters, digits and _, not starting with a digit"
        )
    if name.startswith("__"):
        raise ExpressionError(f"the name {shown(name)} is not allowed: names starting with __ are refused")
    if name in FUNCTIONS:
        raise ExpressionError(f"{name!r} is a function of the expression language, not a variable name")
    return name


def build(text: str, values: Mapping[str, float]) -> tuple[Value, dict[str, Value]]:
    """The graph of the expression `text` with `values` for its names: (output, {name: leaf}).

    Only the names the expression uses get a leaf. Raises ExpressionError (one line) for anything
    outside the language, UnknownNamesError for names missing from `values`.

    >>> out, leaves = build("x*x + 3", {"x": 2.0})
    >>> out.backward(); out.data, leaves["x"].grad
    (7.0, 4.0)
    """
    tree = _parse(text)
    used = _check(tree)
    missing = [name for name in used if name not in values]
    if missing:
        raise UnknownNamesError(missing)
    leaves = {name: Value(values[name], label=name) for name in used}
    out = _evaluate(tree, leaves)
    if not isinstance(out, Value):  # only numbers: still a graph, of one node
        out = Value(out)
    return out, leaves


def _parse(text: str) -> ast.Expression:
    if not isinstance(text, str):
        raise ExpressionError(f"the expression must be text, got {type(text).__name__}")
    text = text.strip()
    if not text or text.startswith("#") and "\n" not in text:
        raise ExpressionError("the formula is empty: give an expression such as x*w + b")
    try:
        return ast.parse(text, mode="eval")
    except SyntaxError as error:
        raise ExpressionError(_why_not_an_expression(text, error)) from None
    except (RecursionError, MemoryError):
        pass  # deeper than Python's parser goes: a long flat sum can still be read term by term
    except ValueError:  # a null byte, or a character the terminal could not encode
        raise ExpressionError("the expression holds characters that are not text: retype it") from None
    return _parse_long_sum(text)


# Python's parser and the ast module recurse once per operator of a chain like 1+1+...+1, so
# beyond a few thousand terms ast.parse gives up. A sum is the loosest-binding operation of the
# language, so it can be cut at its top-level + and - (found by the tokenizer, which does not
# recurse), each term parsed on its own and the terms chained here, without recursion.
# measured on CPython 3.11: ~2,990 factors in one product, 200 nested brackets or calls
DEEPEST_TERM = "more than about 2,900 factors in one product, or brackets or calls nested more than 200 deep"


def _parse_long_sum(text: str) -> ast.Expression:
    too_deep = ExpressionError(f"the expression is nested too deeply for Python's parser ({DEEPEST_TERM}): split it")
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError) as error:
        raise ExpressionError(f"the expression is not valid: {error.args[0]}") from None
    depth, cuts, previous = 0, [], None  # cuts: (offset in text, operator) of each top-level binary + or -
    lines = [0]
    for line in text.splitlines(keepends=True):
        lines.append(lines[-1] + len(line))
    for token in tokens:
        if token.type == tokenize.OP and token.string in "([{":
            depth += 1
        elif token.type == tokenize.OP and token.string in ")]}":
            depth -= 1
        elif token.type == tokenize.OP and token.string in "+-" and depth == 0 and _ends_an_operand(previous):
            cuts.append((lines[token.start[0] - 1] + token.start[1], token.string))
        if token.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.ENDMARKER):
            previous = token
    starts = [0] + [at + 1 for at, _ in cuts]
    ends = [at for at, _ in cuts] + [len(text)]
    body: ast.expr | None = None
    for i, (start, end) in enumerate(zip(starts, ends)):
        try:
            term = ast.parse(text[start:end].strip(), mode="eval").body
        except SyntaxError as error:
            raise ExpressionError(_why_not_an_expression(text, error)) from None
        except (RecursionError, MemoryError):
            raise too_deep from None
        ast.increment_lineno(term, i * 1_000_000)  # keeps names in order of appearance
        op = ast.Sub() if i and cuts[i - 1][1] == "-" else ast.Add()
        body = term if body is None else ast.BinOp(left=body, op=op, right=term)
    assert body is not None  # a long sum has at least one term: the caller counted them
    return ast.Expression(body=body)


def _ends_an_operand(token: tokenize.TokenInfo | None) -> bool:
    """Whether a + or - after `token` is binary (x - y) rather than a sign (x * -y)."""
    if token is None:
        return False
    if token.type in (tokenize.NAME, tokenize.NUMBER, tokenize.STRING):
        return not keyword.iskeyword(token.string) or token.string in ("True", "False", "None")
    return token.type == tokenize.OP and token.string in ")]}"


# a number written against a name or a bracket, as on paper: 2x, 0.5tanh(x), 3(x+1)
_IMPLICIT_PRODUCT = re.compile(r"(?<![\w.])(\d+(?:\.\d*)?)(?![eE][+-]?\d|[jJ]\b|[xXoObB][\da-fA-F])([A-Za-z_]\w*|\()")


def _why_not_an_expression(text: str, error: SyntaxError) -> str:
    """Say what the text is, when it is Python but not one expression (statements, imports)."""
    product = _IMPLICIT_PRODUCT.search(text)
    if product and "literal" in (error.msg or ""):
        number, after = product.groups()
        return f"{shown(number + after)}: multiplication needs *, write {number}*{after}"
    try:
        module = ast.parse(text, mode="exec")
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        where = f" at column {error.offset}" if error.offset else ""
        return f"the expression is not valid: {error.msg}{where}"
    if not module.body:  # only comments
        return "the formula is empty: give an expression such as x*w + b"
    if len(module.body) > 1:
        return f"several statements ({len(module.body)}) are not allowed: give one expression"
    statement = module.body[0]
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return "import is not allowed"
    if isinstance(statement, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
        return "assignment is not allowed: give the values of names with --at NAME=VALUE"
    return f"a statement ({type(statement).__name__.lower()}) is not allowed: give one expression"


def _check(tree: ast.Expression) -> list[str]:
    """Walk the whole tree against the allow-list; return the variable names used, in order."""
    used: dict[str, None] = {}
    stack: list[ast.AST] = [tree.body]
    order: list[ast.AST] = []
    while stack:  # iterative: a long chain like 1+1+...+1 is a deep tree
        node = stack.pop()
        order.append(node)
        if isinstance(node, ast.BinOp):
            _allowed_operator(node.op)
            stack += [node.right, node.left]
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                _allowed_operator(node.op)
            stack.append(node.operand)
        elif isinstance(node, ast.Call):
            _check_call(node)
            stack.append(node.args[0])  # a second argument (leaky_relu's slope) is a plain number
        elif isinstance(node, ast.Name):
            if node.id.startswith("__"):
                raise ExpressionError(f"the name {shown(node.id)} is not allowed: names starting with __ are refused")
            if node.id in FUNCTIONS:
                raise ExpressionError(f"{node.id!r} is a function: call it, as in {node.id}(x)")
            used.setdefault(node.id, None)
        elif isinstance(node, ast.Constant):
            _check_number(node.value)
        else:
            what = _REFUSED_NODES.get(type(node), type(node).__name__)
            raise ExpressionError(f"{what} is not allowed: use numbers, names, + - * / **, ( ) and {_functions()}")
    # names in order of first appearance reading left to right
    leftmost = sorted((n for n in order if isinstance(n, ast.Name)), key=lambda n: (n.lineno, n.col_offset))
    return list(dict.fromkeys(n.id for n in leftmost if n.id in used))


def _allowed_operator(op: ast.AST) -> None:
    if type(op) not in _OPERATORS:
        symbol = _REFUSED_OPERATORS.get(type(op), type(op).__name__)
        raise ExpressionError(f"the operator {symbol} is not allowed: use + - * / ** and unary -")


def _check_call(node: ast.Call) -> None:
    func = node.func
    if not isinstance(func, ast.Name):
        if isinstance(func, ast.Attribute):
            raise ExpressionError("attribute access (a.b) is not allowed: call the functions by name, as in tanh(x)")
        raise ExpressionError(f"calling the result of an expression is not allowed: call {_functions()} by name")
    name = func.id
    if name not in FUNCTIONS:
        why = " (names starting with __ are refused)" if name.startswith("__") else ""
        raise ExpressionError(f"calling {shown(name)} is not allowed{why}: the functions are {_functions()}")
    if node.keywords:
        raise ExpressionError(f"keyword arguments are not allowed: call {name}(x) with one argument")
    if any(isinstance(a, ast.Starred) for a in node.args):
        raise ExpressionError("unpacking (*) is not allowed")
    if name in _SECOND_ARGUMENT:
        if len(node.args) not in (1, 2):
            raise ExpressionError(f"{name} takes x and an optional {_SECOND_ARGUMENT[name]}, got {len(node.args)}")
        if len(node.args) == 2:
            _slope(node)
        return
    if len(node.args) != 1:
        raise ExpressionError(f"{name} takes exactly one argument, got {len(node.args)}")


# functions that take a number after x, as in the engine: leaky_relu(x, slope)
_SECOND_ARGUMENT = {"leaky_relu": "slope"}


def _slope(node: ast.Call) -> float:
    """The second argument of leaky_relu(x, 0.1): a plain number, since the engine takes a float there."""
    try:
        value = ast.literal_eval(node.args[1])
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        value = None
    assert isinstance(node.func, ast.Name)  # _check_call lets only named functions through
    name = node.func.id
    if not is_real(value) or isinstance(value, complex) or not math.isfinite(value):
        what = _SECOND_ARGUMENT[name]
        raise ExpressionError(f"the {what} of {name}(x, {what}) must be a finite number, as in {name}(x, 0.1)")
    return float(value)


# the one rule for numbers typed in the formula and in --at (nn/cli/draw.py uses it too)
FINITE = "give a finite number (nan and inf are refused, and so is anything beyond ±1.8e308)"


def _check_number(value: object) -> None:
    if not is_real(value):  # True, a string or 2j parse as constants too
        kind = {str: "a string", bytes: "bytes", complex: "a complex number"}.get(type(value), repr(value))
        raise ExpressionError(f"{kind} is not allowed: only real numbers")
    if isinstance(value, float) and not math.isfinite(value):  # 1e309 is read as inf
        raise ExpressionError(f"a number in the expression is beyond the float range: {FINITE}")
    if isinstance(value, int) and abs(value) > 2**53:
        try:
            float(value)
        except OverflowError:
            raise ExpressionError(f"a number in the expression is too large for a float: {FINITE}") from None


def _functions() -> str:
    return ", ".join(FUNCTIONS)


def _evaluate(tree: ast.Expression, leaves: dict[str, Value]) -> Value | float:
    """Compute the checked tree bottom-up (iteratively), building Values wherever a name is involved."""
    results: list[Value | float] = []
    stack: list[tuple[ast.AST, bool]] = [(tree.body, False)]
    while stack:
        node, operands_done = stack.pop()
        if isinstance(node, ast.Constant):
            assert isinstance(node.value, (int, float))  # _check_number refused every other constant
            results.append(_number(node.value))
        elif isinstance(node, ast.Name):
            results.append(leaves[node.id])
        elif not operands_done:
            stack.append((node, True))
            if isinstance(node, ast.BinOp):
                stack += [(node.right, False), (node.left, False)]  # left is computed first
            elif isinstance(node, ast.UnaryOp):
                stack.append((node.operand, False))
            elif isinstance(node, ast.Call):
                stack.append((node.args[0], False))
        elif isinstance(node, ast.BinOp):
            b = results.pop()
            a = results.pop()
            results.append(_binary(_OPERATORS[type(node.op)], a, b))
        elif isinstance(node, ast.UnaryOp):
            x = results.pop()
            results.append(-x if isinstance(node.op, ast.USub) else x)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):  # _check allowed nothing else
            extra = [_slope(node)] if len(node.args) == 2 else []
            results.append(FUNCTIONS[node.func.id](results.pop(), *extra))
    (out,) = results
    return out


def _number(value: int | float) -> int | float:
    # small integers stay integers, so x**2 draws as micrograd's '**2', not '**2.0'
    return value if isinstance(value, float) or abs(value) <= 2**53 else float(value)


_ARITHMETIC: dict[str, Callable[[Value | float, Value | float], Value | float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
}


def _binary(symbol: str, a: Value | float, b: Value | float) -> Value | float:
    if isinstance(a, Value) or isinstance(b, Value):
        return _ARITHMETIC[symbol](a, b)
    # two plain numbers: IEEE results (inf, nan) instead of Python's exceptions, as the engine does
    a, b = float(a), float(b)
    if symbol == "/" and b == 0:
        return a * _float_power(b, -1)  # x/0 is x * inf, as for a Value
    if symbol == "**":
        return _float_power(a, b)
    return _ARITHMETIC[symbol](a, b)


def _float_power(a: float, b: float) -> float:
    # engine.ops.power is typed for any operand (a Value or a number); given a float it gives one
    result = power(a, b)
    assert isinstance(result, (int, float))
    return float(result)
