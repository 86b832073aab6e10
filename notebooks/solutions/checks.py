"""The checks the exercises run after each task: each says ✓, or what is wrong and a hint.

A check never raises: it prints one verdict line (and a hint when something is wrong) and returns
True or False, so a learner reads a sentence, not a traceback from inside this file. The
verdicts are built on the library's own tools: `gradcheck` (backward against central
differences), the per-op derivative check behind `draw_dot(check=True)`, `backward()` itself as
the reference for gradients, and numbers worked out by hand.

>>> check_close("f'(3)", 14.0, 14.0, hint="differentiate term by term")
✓ f'(3): 14.00
True
"""

from __future__ import annotations

import math
from collections.abc import Callable

from engine import GradcheckError, Value, gradcheck, topological_order
from engine.autodiff import mismatches
from engine.format import format_number

__all__ = [
    "report",
    "check_close",
    "check_topological_order",
    "check_gradcheck",
    "check_ops",
    "check_gradients_like_backward",
    "check_mini_value",
    "check_numbers",
    "show_diff",
]


def report(task: str, problems: list[str], hint: str, passed: str = "all checks pass") -> bool:
    """Print `✓ task: passed`, or `✗ task: problem` for each problem and the hint; True if none."""
    if not problems:
        print(f"✓ {task}: {passed}")
        return True
    for problem in problems:
        print(f"✗ {task}: {problem}")
    print(f"  hint: {hint}")
    return False


def check_close(task: str, got: object, want: float, hint: str, rel: float = 1e-6, abs_: float = 1e-9) -> bool:
    """`got` is a number within `rel` (relative) or `abs_` of `want`, the value worked out by hand."""
    if not isinstance(got, (int, float)) or isinstance(got, bool):
        return report(task, [f"expected a number, got {type(got).__name__}"], hint)
    if not math.isclose(got, want, rel_tol=rel, abs_tol=abs_):
        return report(task, [f"got {format_number(got)}, expected {format_number(want)}"], hint)
    return report(task, [], hint, passed=format_number(got))


def _order_problems(order: object, root: Value) -> list[str]:
    if not isinstance(order, list):
        return [f"build_topo should return a list of Values, got {type(order).__name__}"]
    reachable = topological_order(root)  # the library's walk: which nodes must appear
    problems = []
    seen: set[int] = set()
    for position, v in enumerate(order):
        if id(v) in seen:
            problems.append(f"a node appears twice (at position {position}, data {format_number(v.data)})")
            break
        for p in v._prev:
            if id(p) not in seen:
                problems.append(
                    f"the node at position {position} (op {v._op!r}) comes before its input "
                    f"(data {format_number(p.data)})"
                )
                break
        seen.add(id(v))
    missing = [v for v in reachable if id(v) not in seen]
    if missing:
        problems.append(f"{len(missing)} of the {len(reachable)} nodes are missing")
    if order and order[-1] is not root:
        problems.append("the root should come last")
    return problems


def check_topological_order(task: str, build_topo: Callable[[Value], list], roots: list[Value]) -> bool:
    """For each root: every node reachable from it exactly once, each after all of its inputs."""
    problems = []
    for root in roots:
        problems += _order_problems(build_topo(root), root)
    hint = (
        "visit a node's inputs (v._prev) before you append the node itself, and keep a set of "
        "visited nodes so a value used twice (a * a) is appended once"
    )
    return report(task, problems, hint, passed=f"a valid order for {len(roots)} graphs")


def check_gradcheck(task: str, f: Callable[..., Value], points: list[list[float]], hint: str) -> bool:
    """`gradcheck(f, point)` at every point: backward against central differences, closures named."""
    problems = []
    for point in points:
        try:
            gradcheck(f, point)
        except GradcheckError as error:
            problems.append(f"at {point}: {error}")
    return report(task, problems, hint, passed=f"gradcheck agrees at {len(points)} points")


def check_ops(task: str, root: Value, hint: str) -> bool:
    """Every op in root's graph has a derivative rule that agrees (what draw_dot(check=True) marks red)."""
    problems = []
    for node in topological_order(root):
        if not node.parents:
            continue  # a leaf has no derivative rule to check
        for j, rule, should in mismatches(node):
            problems.append(
                f"op {node.op!r}, input {j}: its rule gives {format_number(rule)}, "
                f"the slope is {format_number(should)} (red in draw_dot(root, check=True))"
            )
    return report(task, problems, hint, passed="every op's derivative rule agrees with its slope")


def check_gradients_like_backward(
    task: str,
    got: list[float],
    build: Callable[[], tuple[Value, list[Value]]],
    hint: str,
    names: list[str] | None = None,
) -> bool:
    """`got` (gradients a learner computed) against engine's backward() on a fresh copy of the graph.

    `names` (one per leaf) label each wrong number; without them it is called by its position.
    """
    root, leaves = build()
    root.backward()
    want = [v.grad for v in leaves]
    if not isinstance(got, (list, tuple)) or len(got) != len(want):
        return report(task, [f"expected a list of {len(want)} gradients, got {got!r}"], hint)
    labels = names if names is not None else [f"gradient {i}" for i in range(len(want))]
    problems = [
        f"{label}: got {format_number(g)}, backward() gives {format_number(w)}"
        for label, g, w in zip(labels, got, want)
        if not (isinstance(g, (int, float)) and math.isclose(g, w, rel_tol=1e-9, abs_tol=1e-12))
    ]
    return report(task, problems, hint, passed=f"all {len(want)} gradients match backward()")


# graphs built the same way from chainrule's Value and from a learner's class: (name, leaves, build)
_MINI_GRAPHS = [
    ("b = a + a", [3.0], lambda a: a + a),
    ("c = a * a + a", [3.0], lambda a: a * a + a),
    ("d = (a + b) * (a * b)", [2.0, -3.0], lambda a, b: (a + b) * (a * b)),
    ("the neuron tanh(x1*w1 + x2*w2 + b)", [2.0, -3.0, 0.0, 1.0, 6.8813735870195432],
     lambda x1, w1, x2, w2, b: (x1 * w1 + x2 * w2 + b).tanh()),
]  # fmt: skip


def check_mini_value(task: str, cls: type) -> bool:
    """A learner's Value class against chainrule's on a few graphs: the data and every leaf's grad."""
    problems = []
    for name, numbers, build in _MINI_GRAPHS:
        reference = [Value(x) for x in numbers]
        want = build(*reference)
        want.backward()
        leaves = [cls(x) for x in numbers]
        try:
            got = build(*leaves)
            got.backward()
        except NotImplementedError:
            raise  # a task not written yet stops the notebook there
        except Exception as error:  # the learner's code: say where it broke, never a traceback
            problems.append(f"{name}: raised {type(error).__name__}: {error}")
            continue
        if not math.isclose(got.data, want.data, rel_tol=1e-9, abs_tol=1e-12):
            problems.append(f"{name}: data {format_number(got.data)}, expected {format_number(want.data)}")
        for i, (leaf, ref) in enumerate(zip(leaves, reference)):
            if not math.isclose(leaf.grad, ref.grad, rel_tol=1e-9, abs_tol=1e-12):
                problems.append(
                    f"{name}: leaf {i}'s grad is {format_number(leaf.grad)}, expected {format_number(ref.grad)}"
                )
    hint = (
        "each _backward must ADD to its inputs' grads (+=), not set them (=): with b = a + a, "
        "both inputs are the same a, so an = keeps one share and da comes out 1 instead of 2; "
        "and backward() must seed self.grad = 1.0, then call _backward in reverse topological order"
    )
    return report(task, problems, hint, passed=f"same data and gradients as chainrule on {len(_MINI_GRAPHS)} graphs")


def check_numbers(task: str, got: object, want: list[float], hint: str, what: str = "entry", rel: float = 1e-6) -> bool:
    """A list of numbers a learner computed against `want`, from an independent method, entry by entry.

    >>> check_numbers("Hv", [1.0, 2.0], [1.0, 2.5], hint="one row of H at a time", rel=1e-3)
    ✗ Hv: entry 1: got 2.000, expected 2.500
      hint: one row of H at a time
    False
    """
    if not isinstance(got, (list, tuple)) or len(got) != len(want):
        return report(task, [f"expected a list of {len(want)} numbers, got {got!r}"], hint)
    problems = []
    for i, (g, w) in enumerate(zip(got, want)):
        if not isinstance(g, (int, float)) or isinstance(g, bool):
            problems.append(f"{what} {i}: expected a float, got {type(g).__name__}")
        elif not math.isclose(g, w, rel_tol=rel, abs_tol=rel):
            problems.append(f"{what} {i}: got {format_number(g)}, expected {format_number(w)}")
    return report(task, problems, hint, passed=f"all {len(want)} agree")


def show_diff(mine: str, theirs: str, mine_name: str = "yours", theirs_name: str = "compile") -> None:
    """Print a unified diff of two pieces of code (comment lines left out), or say they are the same.

    >>> show_diff("a = 1\\nb = 2\\n", "a = 1\\nb = 3\\n")
    --- yours
    +++ compile
    @@ -1,2 +1,2 @@
     a = 1
    -b = 2
    +b = 3
    """
    import difflib

    def code(text: str) -> list[str]:  # the comments differ by design: compare what runs
        return [line for line in text.splitlines() if not line.lstrip().startswith("#")]

    lines = difflib.unified_diff(code(mine), code(theirs), fromfile=mine_name, tofile=theirs_name, lineterm="")
    text = "\n".join(lines)
    print(text if text else f"{mine_name} and {theirs_name} are the same, line for line")
