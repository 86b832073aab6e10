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


def test_there_are_exercises_for_lessons_1_2_5_6_and_7():
    for prefix in ("01_", "02_", "05_", "06_", "07_"):
        assert any(name.startswith(prefix) for name in NAMES), f"no solutions/{prefix}*.py in {NAMES}"


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
