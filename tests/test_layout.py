"""The layout a reader sees: layers that import downwards only, a light core, folders that show the parts.

A learner opens `engine/` and should meet the core (the node, the table of primitives, modes,
autodiff) before the drawing and the compiler, which live in subpackages of their own. The core
must import without graphviz or the compiler, so `from engine import Value` works where only the
standard library is installed. And no module may import itself through others: in an import
cycle, whichever module Python reaches first sees the other half-initialised, which is why such
code needs late imports (and a `noqa` comment to silence the linter about each).

The import graph is read from the source with `ast`, without importing anything: every `import`
and `from ... import` statement, at module level or inside a function (a function's import runs
when it is called, and is a cycle all the same), except those under `if TYPE_CHECKING:`, which
never run.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("engine", "nn")  # imported by their dotted names
SCRIPT_DIRS = ("bench",)  # run as `python bench/run.py`: their files import each other by bare name

# A cycle may be kept on purpose, named and explained in a comment where it is imported: it
# goes here, spelled as the walk prints it (starting and ending at its smallest name).
KEPT_CYCLES: set[tuple[str, ...]] = set()


def _modules(root: Path, packages=PACKAGES, script_dirs=SCRIPT_DIRS) -> dict[str, Path]:
    """Dotted name -> file, for every module of the project (a package is its __init__.py)."""
    found = {}
    for top in packages:
        for path in sorted((root / top).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    for top in script_dirs:
        for path in sorted((root / top).glob("*.py")):
            found[f"{top}.{path.stem}"] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_statements(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement that can run, however deeply nested (iteratively, no recursion)."""
    statements, pending = [], [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            statements.append(node)
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            pending.extend(node.orelse)  # the body only runs under a type checker
        else:
            pending.extend(ast.iter_child_nodes(node))
    return sorted(statements, key=lambda s: s.lineno)


def _targets(
    importer: str, is_package: bool, statement, modules: dict[str, Path], script_dirs=SCRIPT_DIRS
) -> list[str]:
    """The project modules one statement makes Python run, as the importer sees them.

    `import a.b.c` runs a.b.c; `from a.b import c` runs a.b.c if that is a module file, and a.b
    otherwise (c is then a name defined in a.b). Both also run the packages on the way (a, a.b),
    except those that contain the importer: a submodule only runs inside its own parents, so
    one of them is a target only when the code names it (`from engine import Value`).
    """
    script_dir = importer.split(".")[0] if importer.split(".")[0] in script_dirs else None
    own = importer if is_package else importer.rpartition(".")[0]

    def resolve(name: str) -> str | None:
        if script_dir and f"{script_dir}.{name}" in modules:
            return f"{script_dir}.{name}"  # the script's directory comes first on sys.path
        while name and name not in modules:  # `import engine.value.x`: the longest module prefix
            name = name.rpartition(".")[0]
        return name or None

    if isinstance(statement, ast.Import):
        named = [resolve(alias.name) for alias in statement.names]
    else:
        base = statement.module or ""
        if statement.level:  # relative: `from . import x` inside package `own`
            parent = own.split(".")[: len(own.split(".")) - statement.level + 1]
            base = ".".join(parent + ([statement.module] if statement.module else []))
        named = [
            resolve(f"{base}.{alias.name}") if f"{base}.{alias.name}" in modules else resolve(base)
            for alias in statement.names
        ]
    targets = []
    for name in filter(None, named):
        parts = name.split(".")
        passed = [".".join(parts[:i]) for i in range(1, len(parts))]
        targets += [p for p in passed if p in modules and not (own == p or own.startswith(p + "."))]
        targets.append(name)
    return [t for t in dict.fromkeys(targets) if t != importer]  # `from engine import x` in engine/__init__.py


def import_graph(root: Path = ROOT, packages=PACKAGES, script_dirs=SCRIPT_DIRS) -> dict[tuple[str, str], list[str]]:
    """(importer, imported) -> where it happens, e.g. `engine/value.py:3  from engine.ops import ...`."""
    modules = _modules(root, packages, script_dirs)
    edges: dict[tuple[str, str], list[str]] = {}
    for name, path in modules.items():
        source = path.read_text(encoding="utf-8")
        for statement in _import_statements(ast.parse(source, filename=str(path))):
            for target in _targets(name, path.name == "__init__.py", statement, modules, script_dirs):
                text = " ".join(ast.get_source_segment(source, statement).split())
                text = text if len(text) <= 100 else text[:97] + "..."
                edges.setdefault((name, target), []).append(f"{path.relative_to(root)}:{statement.lineno}  {text}")
    return edges


def cycles(edges) -> list[tuple[str, ...]]:
    """Every simple cycle of the graph, each once, starting (and ending) at its smallest name."""
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())

    def reachable(start: str) -> set[str]:
        seen, pending = set(), [start]
        while pending:
            for nxt in graph[pending.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    pending.append(nxt)
        return seen

    reach = {node: reachable(node) for node in graph}
    found = []
    for start in sorted(graph):
        # a cycle through `start` stays among the nodes that reach it and that it reaches (its
        # strongly connected component); the larger names only, so each cycle is found once
        allowed = {n for n in reach[start] if start in reach[n] and n >= start}
        pending = [[start]]
        while pending:
            path = pending.pop()
            for nxt in sorted(graph[path[-1]], reverse=True):
                if nxt == start:
                    found.append((*path, start))
                elif nxt in allowed and nxt not in path:
                    pending.append([*path, nxt])
    return sorted(found)


def _describe(found, edges) -> str:
    lines = [f"{len(found)} import cycle(s): each module below imports itself through the others"]
    for cycle in found:
        lines.append("  " + " → ".join(cycle))
        for a, b in zip(cycle, cycle[1:]):
            lines += [f"      {where}" for where in edges[a, b]]
    return "\n".join(lines)


def test_the_project_s_modules_import_each_other_without_cycles():
    edges = import_graph()
    found = [c for c in cycles(edges) if c not in KEPT_CYCLES]
    assert not found, _describe(found, edges)


def test_the_import_walk_finds_exactly_the_cycles_a_small_project_has(tmp_path):
    files = {
        # a package importing its submodules is normal, and a submodule runs inside its parent
        "pkg/__init__.py": "from pkg.a import f\nfrom pkg import d\n",
        "pkg/a.py": "from pkg import b\nfrom pkg.c import g\n\ndef f():\n    return b\n",
        "pkg/b.py": "import os\n\ndef late():\n    from . import a\n    return a\n",  # a cycle, in a function
        "pkg/c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.a import f\ng = 1\n",
        "pkg/d.py": "from pkg import f\n",  # names its parent package: pkg -> pkg.d -> pkg
        "pkg/sub/__init__.py": "",
        "pkg/sub/e.py": "from ..c import g\nimport other.x\n",  # nothing comes back to it
        "other/__init__.py": "",
        "other/x.py": "from pkg.sub.e import g\n",  # runs pkg (on the way to pkg.sub.e) too
        "scripts/one.py": "import two\nimport json\n",
        "scripts/two.py": "def main():\n    from one import thing\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    edges = import_graph(tmp_path, packages=("pkg", "other"), script_dirs=("scripts",))
    assert ("other.x", "pkg") in edges and ("pkg.c", "pkg.a") not in edges
    assert cycles(edges) == [
        ("other.x", "pkg.sub.e", "other.x"),
        ("pkg", "pkg.d", "pkg"),
        ("pkg.a", "pkg.b", "pkg.a"),
        ("scripts.one", "scripts.two", "scripts.one"),
    ]


def _run(code: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_from_engine_import_value_needs_only_the_standard_library():
    # every import outside the standard library and `engine` fails, as on a bare Python
    seen = _run(
        """
import json, sys
attempted = []
class OnlyTheStandardLibrary:
    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top not in sys.stdlib_module_names and top != "engine":
            attempted.append(name)
            raise ModuleNotFoundError(f"No module named {name!r} (only the standard library here)")
sys.meta_path.insert(0, OnlyTheStandardLibrary())
before = set(sys.modules)
from engine import Value
y = Value(2.0) * 3
y.backward()
loaded = sorted(set(sys.modules) - before)
print(json.dumps({"data": y.data, "grad": y.grad, "loaded": loaded, "attempted": attempted}))
"""
    )
    assert (seen["data"], seen["grad"]) == (6.0, 1.0)
    heavy = [m for m in seen["loaded"] if m.startswith(("engine.draw", "engine.compiler", "graphviz"))]
    outside = [m for m in seen["loaded"] if m.partition(".")[0] not in sys.stdlib_module_names | {"engine"}]
    # an import that was tried and failed here would have loaded it wherever it is installed
    assert heavy == [] and outside == [] and seen["attempted"] == [], (
        f"loaded {heavy + outside}; tried to import {seen['attempted']}"
    )


def test_draw_dot_and_compile_are_still_imported_from_engine_when_asked_for():
    seen = _run(
        """
import json, sys
from engine import Value, draw_dot, compile
f = compile(lambda x: x * x)
print(json.dumps({"draw_dot": draw_dot.__module__, "compile": compile.__module__, "f": f(Value(3.0)),
                  "loaded": sorted(m for m in sys.modules if m in ("engine.draw", "engine.compiler"))}))
"""
    )
    assert seen["draw_dot"].startswith("engine.draw.") and seen["compile"].startswith("engine.compiler.")
    assert seen["f"] == 9.0 and seen["loaded"] == ["engine.compiler", "engine.draw"]


def test_no_file_silences_the_linter_about_a_late_import():
    late = re.compile(r"noqa\s*:[^\n]*\bE402\b")
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for top in ("engine", "nn", "bench", "tests")
        for path in sorted((ROOT / top).rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if late.search(line)
    ]
    assert found == []


def _listing(folder: str) -> list[str]:
    return sorted(name for name in os.listdir(ROOT / folder) if name != "__pycache__")


DRAWING = ["animation.py", "collapse.py", "dot.py", "expand.py", "style.py", "walkthrough.py"]
COMPILER = ["analysis.py", "rules.py", "trace.py", "writer.py"]


def test_a_reader_listing_engine_meets_the_core_at_its_top_level():
    top = _listing("engine")
    assert {"value.py", "ops.py", "modes.py", "autodiff.py"} <= set(top)
    assert [name for name in top if (ROOT / "engine" / name).is_dir()] == ["compiler", "draw"]


def test_the_drawing_and_the_compiler_live_only_in_their_subpackages():
    assert set(DRAWING) <= set(_listing("engine/draw")) and set(COMPILER) <= set(_listing("engine/compiler"))
    strays = [
        name
        for name in _listing("engine")
        if name.endswith(".py")
        and (name in DRAWING + COMPILER or name.startswith(("draw", "compile", "animation", "collapse", "walkthrough")))
    ]
    assert strays == []


def test_the_command_line_lives_in_its_own_subpackage_of_nn():
    assert {"command.py", "expression.py", "draw.py", "train.py", "gradflow.py"} <= set(_listing("nn/cli"))
    assert [name for name in _listing("nn") if name.startswith("cli") or name == "expression.py"] == ["cli"]


def test_property_tests_run_the_same_examples_every_time_under_ci():
    import os

    from hypothesis import settings

    ci = settings.get_profile("ci")  # registered by tests/conftest.py
    assert ci.derandomize is True and ci.database is None
    if os.environ.get("CI") == "true":  # and in force in CI
        assert settings.default.derandomize is True and settings.default.database is None


def _table_opening(path: Path) -> tuple[int, list[str], int]:
    """Where a file's first `_register(...)` line is, the functions and classes above it, its length."""
    source = path.read_text(encoding="utf-8")
    body = ast.parse(source).body
    registers = [
        i
        for i, s in enumerate(body)
        if isinstance(s, ast.Assign)
        and isinstance(s.value, ast.Call)
        and isinstance(s.value.func, ast.Name)
        and s.value.func.id == "_register"
    ]
    above = [s.name for s in body[: registers[0]] if isinstance(s, (ast.FunctionDef, ast.ClassDef))]
    return body[registers[0]].lineno, above, len(source.splitlines())


def test_a_reader_opening_ops_py_meets_the_table_of_primitives_right_after_what_one_entry_is():
    first, above, length = _table_opening(ROOT / "engine" / "ops.py")
    # above the table only what it needs to run: what one entry is, and how an entry is registered;
    # the registry's tools and the local derivatives at a node come after it, the IEEE-754 float
    # helpers live in floats.py
    assert above == ["Primitive", "_check_takes", "Family", "_register"]
    # bounds from the layout reached (issue 12): the first entry (`add`) at line 172, not 491, and
    # 522 lines, not 688 (the rest is the table itself and what the engine asks of it)
    assert first <= 180 and length <= 530, f"the table starts at line {first} of {length}"
