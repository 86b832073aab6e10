"""The package as people install it: one version, the `chainrule` facade, the shadowing guard, the wheel.

The wheel and clean-venv tests build and install the project the way a user would (no editable
install), so they check what ships, not what happens to sit in the work tree.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

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


def test_from_a_checkout_a_missing_matplotlib_is_fixed_with_the_editable_extra():
    hide = "import sys; sys.modules['matplotlib'] = None; import nn; nn.plot_grad_flow(nn.MLP(2, [2, 1]))"
    result = _run(hide, ROOT)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "ModuleNotFoundError: plot_grad_flow needs matplotlib, which is not installed: pip install -e '.[plot]'"
    )


# --- the wheel, as a user gets it -------------------------------------------------------------


def _fresh_copy(destination: Path) -> Path:
    """The files a fresh clone would hold (git's tracked files, as they are now in the work tree)."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True)
    for name in filter(None, listed.stdout.split("\0")):
        source, target = ROOT / name, destination / name
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("build", reason="building the wheel needs the 'build' package (in the [test] extra)")
    source = _fresh_copy(tmp_path_factory.mktemp("clone"))
    out = tmp_path_factory.mktemp("dist")
    built = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(source)], capture_output=True, text=True
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    # setuptools warns of a deprecated license table, a missing license file, ...: none of that here
    assert [line for line in (built.stdout + built.stderr).splitlines() if "Deprecat" in line] == []
    (path,) = out.glob("chainrule-*.whl")
    return path


def test_the_wheel_holds_exactly_the_packages_their_py_typed_and_the_license(wheel):
    import engine

    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(f"chainrule-{engine.__version__}.dist-info/METADATA").decode()
    packages = {name.rsplit("/", 1)[0] for name in names if name.endswith("/__init__.py")}
    assert packages == {"chainrule", "engine", "engine/draw", "engine/compiler", "nn", "nn/cli"}
    info = f"chainrule-{engine.__version__}.dist-info"
    assert {name for name in names if not name.endswith(".py")} == {
        "chainrule/py.typed",
        "engine/py.typed",
        "nn/py.typed",
        "engine/draw/explorer.js",  # the explorer page's script and styles, written into each page
        "engine/draw/explorer.css",
        "engine/draw/player.js",  # the step-through player's script
        *(f"{info}/{part}" for part in ["licenses/LICENSE", "METADATA", "WHEEL", "entry_points.txt", "top_level.txt"]),
        f"{info}/RECORD",
    }
    assert not [name for name in names if name.startswith(("tests/", "notebooks/", "bench/", "docs/"))]
    assert f"Version: {engine.__version__}" in metadata and "License-Expression: MIT" in metadata
    assert "License-File: LICENSE" in metadata and "Provides-Extra: plot" in metadata


# what a user types after `pip install chainrule[plot]`, in a folder of their own
DRAWINGS = """
import chainrule
from chainrule import Value, draw_dot, backward_animation, nn
x, w = Value(2.0, label="x"), Value(-3.0, label="w")
loss = (x * w).tanh()
loss.backward()
draw_dot(loss).render("graph", format="svg")
draw_dot(loss, step=1, check=True, expand=True, color_by="grad").render("step", format="png")
backward_animation(loss, "walk.html")
model = nn.MLP(2, [4, 1], seed=0)
X, y = nn.make_moons(20, seed=0)
history = nn.fit(model, X, y, steps=3, progress=False)
nn.draw_grad_flow(model).render("flow", format="svg")
nn.plot_grad_flow(history).figure.savefig("flow.png")
nn.plot_decision_boundary(model, X, y).figure.savefig("boundary.png")
print(chainrule.__version__, round(x.grad, 6))
"""


def test_a_clean_venv_with_the_wheel_runs_the_demo_the_cli_and_every_drawing(wheel, tmp_path):
    if shutil.which("dot") is None:
        pytest.skip("rendering needs the Graphviz 'dot' program (make graphviz installs it)")
    # nothing of this work tree on the path: only what the wheel installs
    env = {key: value for key, value in os.environ.items() if key not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env["MPLBACKEND"] = "Agg"
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env)
    bin_dir = venv / "bin"
    install = subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", f"{wheel}[plot]"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    work = tmp_path / "user"
    work.mkdir()

    def run(*command: str) -> str:
        done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True)
        assert done.returncode == 0, f"{command}: {done.stderr[-2000:]}"
        return done.stdout

    chainrule = str(bin_dir / "chainrule")
    # the demo of `make demo`, as the installed command
    trained = run(chainrule, "train", "--dataset", "moons", "--hidden", "8", "--steps", "20", "--seed", "0",
                  "--plot", "moons.png", "--save", "moons.json")  # fmt: skip
    assert "accuracy" in trained
    neuron = ["tanh(x1*w1 + x2*w2 + b)", "--at", "x1=2", "x2=0", "w1=-3", "w2=1", "b=6.8813735870195432"]
    for output in ["neuron.svg", "neuron.png", "neuron.html", "neuron.dot"]:
        run(chainrule, "draw", *neuron, "-o", output)
    run(chainrule, "gradflow", "--depth", "6", "--width", "4", "--activation", "sigmoid", "-o", "flow_cli.svg")
    printed = run(str(bin_dir / "python"), "-c", DRAWINGS).split()
    # the package imported is the installed one, not this work tree
    imported = run(str(bin_dir / "python"), "-c", "import engine; print(engine.__file__)").strip()
    assert imported.startswith(str(venv)) and printed[0] == _version()
    assert printed[1] == str(round(-3 * (1 - math.tanh(-6.0) ** 2), 6))
    made = ["moons.png", "moons.json", "neuron.svg", "neuron.png", "neuron.html", "neuron.dot", "flow_cli.svg"]
    made += ["graph.svg", "step.png", "walk.html", "flow.svg", "flow.png", "boundary.png"]
    assert [name for name in made if not (work / name).is_file() or (work / name).stat().st_size == 0] == []
    assert (work / "neuron.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
    assert (work / "neuron.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # installed from a wheel, a missing matplotlib is fixed with the extra by its package name
    hide = "import sys; sys.modules['matplotlib'] = None; from nn.cli import main; sys.exit(main())"
    refused = subprocess.run(
        [str(bin_dir / "python"), "-c", hide, "train", "--plot", "b.png"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 3
    assert (
        refused.stderr
        == "chainrule train: error: --plot needs matplotlib, which is not installed: pip install 'chainrule[plot]'\n"
    )


def _version() -> str:
    import engine

    return engine.__version__
