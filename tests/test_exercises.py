"""The exercises: the teacher's solutions pass every check, and the learners' files stop at every task.

notebooks/solutions/ holds each exercise notebook with its solutions between `### BEGIN SOLUTION`
and `### END SOLUTION`; notebooks/strip.py makes the learners' files in notebooks/exercises/ by
replacing each block with `raise NotImplementedError`. Run in fresh kernels: every check in a
solution prints ✓ (so the checks accept right answers), and in a stripped file every task cell
stops at NotImplementedError and no check prints ✓ (so no check passes without the learner's
code: none is vacuous). The committed exercises must be what strip.py makes from the solutions.
"""

from __future__ import annotations

import importlib.util
import math
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
jupytext = pytest.importorskip("jupytext")
pytest.importorskip("ipykernel")

FOLDER = Path(__file__).resolve().parent.parent / "notebooks"
SOLUTIONS = sorted(p for p in (FOLDER / "solutions").glob("*.py") if p.read_text(encoding="utf-8").startswith("# %%"))
NAMES = [p.name for p in SOLUTIONS]

_spec = importlib.util.spec_from_file_location("strip", FOLDER / "strip.py")
strip = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(strip)


def _run(path: Path):
    """The notebook from a percent file, executed in its own folder; cells that raise are kept."""
    notebook = jupytext.read(path, fmt="py:percent")
    client = nbclient.NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    return notebook


@pytest.fixture(scope="module")
def runs() -> dict:
    """{(folder, name): executed notebook} for every solution and its exercise, in parallel kernels."""
    paths = SOLUTIONS + [FOLDER / "exercises" / name for name in NAMES]
    with ThreadPoolExecutor(max_workers=3) as pool:
        return {(p.parent.name, p.name): nb for p, nb in zip(paths, pool.map(_run, paths))}


def _text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def _errors(cell) -> list[str]:
    return [o["ename"] for o in cell.get("outputs", []) if o.get("output_type") == "error"]


def test_every_lesson_has_exercises():
    lessons = sorted(p.name[:3] for p in FOLDER.glob("[0-9][0-9]_*.ipynb"))
    assert len(lessons) >= 8, f"expected the eight lessons in notebooks/, found {lessons}"
    for prefix in lessons:
        assert any(name.startswith(prefix) for name in NAMES), f"lesson {prefix}* has no solutions/{prefix}*.py"


@pytest.mark.parametrize("name", NAMES)
def test_every_check_in_the_solution_passes(runs, name):
    notebook = runs[("solutions", name)]
    for cell in notebook.cells:
        assert not _errors(cell), f"{name}: a cell raised {_errors(cell)}:\n{cell.source}"
    verdicts = [line for c in notebook.cells for line in _text(c).splitlines() if line[:1] in ("✓", "✗")]
    failed = [line for line in verdicts if line.startswith("✗")]
    assert not failed, f"{name}: checks failed on the solution: {failed}"
    tasks = sum("### BEGIN SOLUTION" in c.source for c in notebook.cells)
    assert len(verdicts) >= tasks, f"{name}: {tasks} tasks but only {len(verdicts)} checks"


@pytest.mark.parametrize("name", NAMES)
def test_every_task_in_the_learners_file_stops_at_not_implemented_and_no_check_passes(runs, name):
    notebook = runs[("exercises", name)]
    code = [c for c in notebook.cells if c.cell_type == "code"]
    tasks = [i for i, c in enumerate(code) if "raise NotImplementedError" in c.source]
    assert tasks, f"exercises/{name} has no task"
    for i in tasks:
        # a task that defines a function stops when its check cell calls it
        stopped = _errors(code[i]) + (_errors(code[i + 1]) if i + 1 < len(code) else [])
        assert "NotImplementedError" in stopped, f"exercises/{name}: this task did not stop:\n{code[i].source}"
    passed = [line for c in notebook.cells for line in _text(c).splitlines() if line.startswith("✓")]
    assert not passed, f"exercises/{name}: checks passed with no solution written (vacuous): {passed}"


@pytest.mark.parametrize("name", NAMES)
def test_the_committed_exercise_is_what_strip_makes_from_the_solution(name):
    made = strip.learner_files()
    committed = FOLDER / "exercises" / name
    assert committed.exists(), f"exercises/{name} is missing: run `make exercises`"
    assert committed.read_text(encoding="utf-8") == made[name], f"exercises/{name} is out of date: run `make exercises`"
    notebook = committed.with_suffix(".ipynb")
    assert notebook.exists(), f"exercises/{notebook.name} is missing: run `make exercises`"
    cells = [(c.cell_type, c.source) for c in nbformat.read(notebook, as_version=4).cells]
    twin = [(c.cell_type, c.source) for c in jupytext.reads(made[name], fmt="py:percent").cells]
    assert cells == twin, f"exercises/{notebook.name} is out of date: run `make exercises`"
    assert "### BEGIN SOLUTION" not in committed.read_text(encoding="utf-8")


def test_the_exercises_folder_holds_only_what_strip_makes():
    made = set(strip.learner_files())
    expected = made | {Path(n).with_suffix(".ipynb").name for n in made if n in NAMES}
    present = {p.name for p in (FOLDER / "exercises").iterdir() if not p.name.startswith(".")}
    assert present == expected, f"run `make exercises`: extra {present - expected}, missing {expected - present}"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("x = 1\n### BEGIN SOLUTION\ny = 2\n", r"t\.py:2: ### BEGIN SOLUTION is never closed"),
        ("### END SOLUTION\n", r"t\.py:1: ### END SOLUTION without a ### BEGIN SOLUTION"),
        (
            "### BEGIN SOLUTION\n  ### BEGIN SOLUTION\n",
            r"t\.py:2: ### BEGIN SOLUTION inside the block opened at line 1",
        ),
    ],
)
def test_markers_that_do_not_pair_up_are_refused_with_file_and_line(source, message):
    with pytest.raises(strip.MarkerError, match=message):
        strip.strip(source, "t.py")


def test_a_block_becomes_a_stub_at_its_markers_indentation_and_the_rest_is_kept():
    source = "def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n\nf\n"
    assert strip.strip(source) == "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError\n\nf\n"


def test_a_solution_notebook_without_any_task_is_refused(tmp_path):
    (tmp_path / "99_empty.py").write_text("# %%\nx = 1\n", encoding="utf-8")
    (tmp_path / "helpers.py").write_text("y = 2\n", encoding="utf-8")  # a module: copied as it is
    with pytest.raises(strip.MarkerError, match="99_empty.py: no ### BEGIN SOLUTION block"):
        strip.learner_files(tmp_path)
    (tmp_path / "99_empty.py").write_text("# %%\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n", encoding="utf-8")
    assert strip.learner_files(tmp_path) == {
        "99_empty.py": "# %%\n# YOUR CODE HERE\nraise NotImplementedError\n",
        "helpers.py": "y = 2\n",
    }


def test_the_examples_in_strip_and_checks_docstrings_hold():
    import doctest

    spec = importlib.util.spec_from_file_location("checks", FOLDER / "solutions" / "checks.py")
    checks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(checks)
    for module in (strip, checks):
        failures, tried = doctest.testmod(module)
        assert tried and not failures, f"{module.__name__}: {failures} of {tried} docstring examples failed"


def test_making_the_learners_notebook_twice_gives_the_same_file():
    text = "# %% [markdown]\n# Task\n\n# %%\nx = 1\n"
    assert strip.as_notebook(text) == strip.as_notebook(text)  # no random cell ids: no churn in git


# --- a wrong answer makes its check fail, saying what is wrong -----------------------------------


def _printed_with(name: str, wrong: dict[str, str], monkeypatch, capsys) -> str:
    """What solutions/NAME prints when run cell by cell in this process with a learner's mistakes:
    each key of `wrong` (a piece of the teacher's solution) replaced by its value."""
    source = (FOLDER / "solutions" / name).read_text(encoding="utf-8")
    for right, mistake in wrong.items():
        assert source.count(right) == 1, f"solutions/{name} no longer holds the piece this test replaces:\n{right}"
        source = source.replace(right, mistake)
    monkeypatch.syspath_prepend(str(FOLDER / "solutions"))  # the check cells import checks.py from there
    namespace: dict = {"__name__": "__main__"}
    try:
        for cell in jupytext.reads(source, fmt="py:percent").cells:
            if cell.cell_type == "code":
                exec(compile(cell.source, f"solutions/{name}", "exec"), namespace)
    finally:
        for module in ("checks", "checks_training"):
            sys.modules.pop(module, None)
    return capsys.readouterr().out


_BUILD_TOPO = """    order, visited = [], set()

    def visit(v):
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                visit(child)
            order.append(v)
"""


@pytest.mark.parametrize(
    ("mistake", "said"),
    [
        # no visited set: a node used twice (a in a * a + a) is appended twice
        (
            "    order = []\n\n    def visit(v):\n        for child in v._prev:\n            visit(child)\n"
            "        order.append(v)\n",
            "a node appears twice",
        ),
        # the node appended before its inputs: the order the walk needs, upside down
        (
            "    order, visited = [], set()\n\n    def visit(v):\n        if v not in visited:\n"
            "            visited.add(v)\n            order.append(v)\n            for child in v._prev:\n"
            "                visit(child)\n",
            "comes before its input",
        ),
    ],
    ids=["appended-twice", "node-before-its-inputs"],
)
def test_a_wrong_build_topo_fails_its_check_naming_the_fault_and_the_fix(mistake, said, monkeypatch, capsys):
    out = _printed_with("02_backward_pass.py", {_BUILD_TOPO: mistake}, monkeypatch, capsys)
    lines = out.splitlines()
    verdict = next(line for line in lines if line.startswith(("✓ build_topo", "✗ build_topo")))
    assert verdict.startswith("✗ build_topo:") and said in verdict, verdict
    hint = next(line for line in lines[lines.index(verdict) :] if line.startswith("  hint:"))
    assert "visit a node's inputs (v._prev) before you append the node itself" in hint and "visited" in hint


def test_a_mini_value_that_sets_grads_instead_of_adding_fails_its_check_at_b_equals_a_plus_a(monkeypatch, capsys):
    right = "            self.grad += out.grad  # d(a + b)/da = 1\n            other.grad += out.grad\n"
    mistake = "            self.grad = out.grad  # the classic bug: = for +=\n            other.grad = out.grad\n"
    out = _printed_with("02_backward_pass.py", {right: mistake}, monkeypatch, capsys)
    assert "✓ Mini" not in out
    # b = a + a at a = 3: the second share overwrites the first, so db/da = 1 where 2 is right
    assert re.search(r"^✗ Mini: b = a \+ a: leaf 0's grad is 1(\.0+)?, expected 2(\.0+)?$", out, flags=re.M), out
    assert "ADD to its inputs' grads (+=), not set them (=)" in out


def test_a_softmax_gradient_without_the_onehot_and_a_cross_entropy_that_overflows_fail_their_checks(
    monkeypatch, capsys
):
    wrong = {
        # the learner forgot to subtract the one-hot answer: p alone
        "    return [e / total - (1.0 if j == target else 0.0) for j, e in enumerate(exps)]\n": (
            "    return [e / total for e in exps]\n"
        ),
        # the naive loss: exp(800) overflows
        "    m = max(logits)\n    log_sum_exp = m + math.log(math.fsum(math.exp(z - m) for z in logits))\n": (
            "    log_sum_exp = math.log(math.fsum(math.exp(z) for z in logits))\n"
        ),
    }
    out = _printed_with("08_softmax.py", wrong, monkeypatch, capsys)
    assert "✓" not in out
    # the by-hand oracle for the first row: p = softmax(2, 1, -1), the right gradient p - [1, 0, 0]
    exps = [math.exp(z) for z in (2.0, 1.0, -1.0)]
    p = [e / sum(exps) for e in exps]
    assert re.search(
        rf"✗ softmax-cross-entropy gradient: logits \[2\.0, 1\.0, -1\.0\], target 0: got \[{p[0]:.4f}, .*"
        rf"backward gives \[{p[0] - 1:.4f}, ",
        out,
    ), out
    assert "p[target] -= 1" in out
    # the overflow is reported as a verdict on the row that causes it, not a traceback from checks_training.py
    assert "✗ cross-entropy: logits [800.0, 0.0], target 1: raised OverflowError: math range error" in out
    assert "m = max(z)" in out


def test_the_readme_lists_every_exercise_by_its_file_name():
    readme = (FOLDER.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Exercises", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^- `([\w]+)`:", section, flags=re.M)
    assert sorted(listed) == sorted(Path(n).stem for n in NAMES), f"README lists {listed}, solutions are {NAMES}"
    assert "make exercises" in section, "the README says how a teacher makes the learners' files"
