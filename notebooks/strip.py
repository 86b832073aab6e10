"""Make the learners' exercise files from the teacher's solutions: `python notebooks/strip.py`.

The solutions in notebooks/solutions/ are jupytext percent files (`# %%` cells) in which every
piece of code a learner should write sits between two marker lines:

    ### BEGIN SOLUTION
    ...the teacher's code...
    ### END SOLUTION

Each such block becomes `# YOUR CODE HERE` and `raise NotImplementedError` (at the marker's
indentation), so the learner's file runs up to the first task and stops there, and every check
cell after a task has something real to check. For each solution NAME.py the script writes
notebooks/exercises/NAME.py and NAME.ipynb (no outputs, to open in Jupyter); any other module in
solutions/ (checks.py, which the check cells import) is copied as it is, so the exercises folder
can be handed out on its own. `make exercises` runs this; the tests check the files are current.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOLUTIONS, EXERCISES = HERE / "solutions", HERE / "exercises"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
_MARKER = re.compile(r"^(\s*)(### (?:BEGIN|END) SOLUTION)\s*$")


class MarkerError(ValueError):
    """A solution file whose markers do not pair up; says which file and line."""


def strip(source: str, name: str = "<solution>") -> str:
    """The learner's version of a solution's text: each marked block replaced by a stub.

    >>> print(strip("def f(x):\\n    ### BEGIN SOLUTION\\n    return 2 * x\\n    ### END SOLUTION\\n"))
    def f(x):
        # YOUR CODE HERE
        raise NotImplementedError
    <BLANKLINE>
    """
    out: list[str] = []
    opened: tuple[int, str] | None = None  # (line number, indentation) of the open BEGIN
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        match = _MARKER.match(line)
        if match is None:
            if opened is None:
                out.append(line)
            continue
        indent, marker = match.groups()
        if marker == BEGIN:
            if opened is not None:
                raise MarkerError(f"{name}:{number}: {BEGIN} inside the block opened at line {opened[0]}")
            opened = (number, indent)
        else:
            if opened is None:
                raise MarkerError(f"{name}:{number}: {END} without a {BEGIN} before it")
            out.append(f"{opened[1]}# YOUR CODE HERE\n{opened[1]}raise NotImplementedError\n")
            opened = None
    if opened is not None:
        raise MarkerError(f"{name}:{opened[0]}: {BEGIN} is never closed: add {END}")
    return "".join(out)


def is_notebook(path: Path) -> bool:
    """A jupytext percent file (its first line opens a cell), as opposed to a helper module."""
    return path.read_text(encoding="utf-8").startswith("# %%")


def learner_files(solutions: Path = SOLUTIONS) -> dict[str, str]:
    """{file name in exercises/: its text} for every file the solutions folder yields."""
    files: dict[str, str] = {}
    for path in sorted(solutions.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        if is_notebook(path):
            stripped = strip(text, path.name)
            if stripped == text:
                raise MarkerError(f"{path.name}: no {BEGIN} block, so the learner would have nothing to write")
            files[path.name] = stripped
        else:
            files[path.name] = text
    return files


def as_notebook(percent_text: str) -> str:
    """A percent file as .ipynb text with no outputs, kernel python3."""
    import jupytext
    import nbformat

    notebook = jupytext.reads(percent_text, fmt="py:percent")
    notebook.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}}
    return nbformat.writes(notebook) + "\n"


def main() -> int:
    try:
        files = learner_files()
    except MarkerError as error:
        print(f"strip.py: {error}", file=sys.stderr)
        return 2
    # the whole folder is written beside the old one and then swapped in, so it is never half
    # written, and a solution deleted or renamed leaves no stale exercise behind
    fresh = EXERCISES.with_name(".exercises-new")
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir()
    for name, text in files.items():
        (fresh / name).write_text(text, encoding="utf-8")
        if text.startswith("# %%"):
            (fresh / name).with_suffix(".ipynb").write_text(as_notebook(text), encoding="utf-8")
    shutil.rmtree(EXERCISES, ignore_errors=True)
    fresh.rename(EXERCISES)
    print(f"wrote {len(files)} files (and their notebooks) to {EXERCISES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
