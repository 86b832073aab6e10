"""The package as people install it: one version, the `chainrule` facade, the shadowing guard, the wheel.

The wheel and clean-venv tests build and install the project the way a user would (no editable
install), so they check what ships, not what happens to sit in the work tree.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # this work tree first on the path, as an installed package would be, but run from `cwd`
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True)


def test_engine_nn_and_chainrule_share_one_version_string():
    import chainrule
    import engine
    import nn

    assert engine.__version__ == nn.__version__ == chainrule.__version__ == chainrule.nn.__version__
    assert all(part.isdigit() for part in engine.__version__.split("."))


def test_chainrule_reexports_the_public_api_of_engine_and_nn():
    import chainrule
    import engine
    import nn

    assert chainrule.Value is engine.Value and chainrule.draw_dot is engine.draw_dot
    assert chainrule.nn.MLP is nn.MLP and chainrule.nn.fit is nn.fit
    # every name chainrule promises exists, and so does every public name of nn under chainrule.nn
    assert [name for name in chainrule.__all__ if not hasattr(chainrule, name)] == []
    assert [name for name in nn.__all__ if not hasattr(chainrule.nn, name)] == []
    x = chainrule.Value(3.0)
    (x * x + x).backward()
    assert x.grad == 7.0


def test_a_micrograd_engine_py_in_the_folder_makes_import_chainrule_say_so_in_one_line(tmp_path):
    # a micrograd checkout run from its top folder: its engine.py comes first on sys.path
    (tmp_path / "engine.py").write_text("class Value:\n    pass\n")
    result = _run("import sys; sys.path.insert(0, ''); import chainrule", tmp_path)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: 'import engine' finds ")
    assert str(tmp_path / "engine.py") in last and "rename it" in last
