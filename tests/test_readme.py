"""Every code block in README.md runs as written, prints what its comments say, and its pictures resolve.

Python blocks run in a fresh folder with this work tree's packages; where a `print(...)` line
ends with a comment, that comment is the output the reader is promised. Shell blocks of
`chainrule` commands run line by line (`make` and `pip` lines are what `make test` and
tests/test_packaging.py themselves do). A ```text block is output shown, not code.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"^```(\w*)\n(.*?)^```$", README, flags=re.S | re.M)
PYTHON_BLOCKS = [code for language, code in BLOCKS if language == "python"]
COMMANDS = [
    line.split("  #")[0].strip()
    for language, code in BLOCKS
    if language == "sh"
    for line in code.splitlines()
    if line.startswith("chainrule ")
]


def _environment() -> dict[str, str]:
    # this work tree's code, and the `chainrule` script installed beside this Python
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return {**os.environ, "PYTHONPATH": str(ROOT), "PATH": path, "MPLBACKEND": "Agg"}


def _skip_unless_it_can_run(code: str) -> None:
    if ("draw_dot" in code or "backward_animation" in code or "chainrule draw" in code) and not shutil.which("dot"):
        pytest.skip("needs the Graphviz 'dot' program (make graphviz installs it)")
    if "--plot" in code and importlib.util.find_spec("matplotlib") is None:
        pytest.skip("needs matplotlib: pip install -e '.[plot]'")


def test_the_readme_has_the_blocks_these_tests_run():
    assert len(PYTHON_BLOCKS) >= 6 and len(COMMANDS) >= 6


@pytest.mark.parametrize("code", PYTHON_BLOCKS, ids=[f"python-{i}" for i in range(len(PYTHON_BLOCKS))])
def test_each_python_block_runs_and_prints_what_its_comments_say(code, tmp_path):
    _skip_unless_it_can_run(code)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=_environment(), capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    promised = [
        line.split("#", 1)[1].strip() for line in code.splitlines() if line.startswith("print(") and "#" in line
    ]
    # the progress bar and other chatter go to stderr; stdout holds the prints, one line each
    printed = result.stdout.splitlines()
    assert [line for line in printed if line.strip()][: len(promised)] == promised


@pytest.mark.parametrize("command", COMMANDS)
def test_each_chainrule_command_in_the_readme_runs(command, tmp_path):
    _skip_unless_it_can_run(command)
    result = subprocess.run(
        shlex.split(command), cwd=tmp_path, env=_environment(), capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for output in re.findall(r"(?:-o|--plot|--save) (\S+)", command):
        assert (tmp_path / output).stat().st_size > 0


def test_the_pictures_are_absolute_links_to_the_repository_in_project_urls():
    source = re.search(r'^Source = "https://github\.com/([^"/]+/[^"/]+)"$', (ROOT / "pyproject.toml").read_text(), re.M)
    assert source, 'pyproject.toml\'s [project.urls] needs Source = "https://github.com/OWNER/REPO"'
    raw = f"https://raw.githubusercontent.com/{source.group(1)}/main/"
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README)
    assert images and [url for url in images if not url.startswith(raw)] == []
    assert [url for url in images if not (ROOT / url.removeprefix(raw)).is_file()] == []
