"""The `chainrule` command end to end: run as a separate process, read what a user would see.

Every case runs `python -m nn ...` (the same entry point as the console script) in a fresh temporary
folder, then checks the exit status, the one line on stderr for every mistake, the printed numbers
against independent oracles (the lecture's hand-worked neuron, HIPS autograd, mpmath), and the files
written — or, after a failure, that nothing was written at all.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.draw.dot import COLOR_MODES, RANKDIRS
from nn.data import DATASETS
from nn.module import ACTIVATIONS, INITS
from nn.optim import OPTIMIZERS
from nn.tasks import TASKS

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="the Graphviz 'dot' program is not installed")
SVG = "{http://www.w3.org/2000/svg}"
NEURON = ["tanh(x1*w1 + x2*w2 + b)", "--at", "x1=2", "x2=0", "w1=-3", "w2=1", "b=6.8813735870195432"]


def chainrule(*args: str, cwd: Path, path: str | None = None, python: list[str] | None = None):
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    if path is not None:
        env["PATH"] = path
    command = (python or [sys.executable, "-m", "nn"]) + list(args)
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def svg_texts(path: Path) -> list[str]:
    root = ET.parse(path).getroot()
    return [t.text.replace("\xa0", " ") for t in root.iter(f"{SVG}text") if t.text]


def printed(stdout: str, pattern: str) -> float:
    match = re.search(pattern, stdout)
    assert match, f"{pattern!r} not in output:\n{stdout}"
    return float(match.group(1))


def refused(result, tmp_path: Path) -> str:
    """The checks every refusal shares: status 2, one line on stderr, no traceback, no file."""
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("chainrule"), result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []
    return result.stderr


# --- draw ------------------------------------------------------------------------------------


@needs_dot
def test_draw_writes_the_lectures_neuron_with_its_hand_worked_gradients(tmp_path):
    result = chainrule("draw", *NEURON, "-o", "neuron.svg", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # by hand: o = tanh(0.8814) = 0.7071, do/dn = 1 - o^2 = 0.5, do/dx1 = 0.5 * w1, do/dw1 = 0.5 * x1
    texts = svg_texts(tmp_path / "neuron.svg")
    # (4 significant digits; an exact zero reads 0)
    shown = [("x1", "2.000", "-1.500"), ("w1", "-3.000", "1.000"), ("x2", "0", "0.5000"), ("w2", "1.000", "0")]
    for label, data, grad in shown + [("b", "6.881", "0.5000")]:
        i = texts.index(label)
        assert texts[i + 1 : i + 3] == [f"data {data}", f"grad {grad}"]
    assert "data 0.7071" in texts and "tanh" in texts
    assert "tanh(x1*w1 + x2*w2 + b) = 0.7071" in result.stdout
    assert printed(result.stdout, r"d/dx1 = (\S+)") == pytest.approx(-1.5, abs=1e-4)
    assert printed(result.stdout, r"d/dw1 = (\S+)") == pytest.approx(1.0, abs=1e-4)
    assert "wrote neuron.svg" in result.stdout
    assert [p.name for p in tmp_path.iterdir()] == ["neuron.svg"]  # no temporary file left behind


@needs_dot
@pytest.mark.parametrize("name, magic", [("graph.png", b"\x89PNG"), ("graph.pdf", b"%PDF")])
def test_draw_renders_png_and_pdf_with_graphviz(tmp_path, name, magic):
    result = chainrule("draw", "x*y + exp(x)", "--at", "x=1", "y=2", "-o", name, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / name).read_bytes().startswith(magic)


def test_draw_writes_dot_source_even_without_graphviz_on_the_path(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    result = chainrule("draw", *NEURON, "-o", "neuron.dot", "--rankdir", "TB", cwd=work, path=str(empty))
    assert result.returncode == 0, result.stderr
    source = (work / "neuron.dot").read_text()
    assert source.startswith("digraph") and "rankdir=TB" in source
    assert "grad -1.500" in source and "data 0.7071" in source


def test_draw_without_graphviz_says_how_to_install_it_and_writes_nothing(tmp_path):
    empty = tmp_path / "bin"  # a PATH with no `dot` on it (python itself is started by full path)
    empty.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    result = chainrule("draw", *NEURON, "-o", "neuron.svg", cwd=work, path=str(empty))
    assert result.returncode == 3
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "Graphviz" in result.stderr and "apt-get install graphviz" in result.stderr
    assert "brew install graphviz" in result.stderr and "-o neuron.dot" in result.stderr
    assert list(work.iterdir()) == []


def test_the_html_player_without_graphviz_also_says_how_to_install_it(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    result = chainrule("draw", "tanh(x)", "--at", "x=1", "-o", "walk.html", cwd=work, path=str(empty))
    assert result.returncode == 3 and result.stderr.count("\n") == 1 and "install Graphviz" in result.stderr
    assert list(work.iterdir()) == []


@needs_dot
def test_a_name_used_twice_is_one_leaf_whose_gradient_adds_both_uses(tmp_path):
    result = chainrule("draw", "x*x + x", "--at", "x=3", "-o", "g.svg", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert printed(result.stdout, r"d/dx = (\S+)") == pytest.approx(7.0)  # d(x^2 + x)/dx = 2x + 1
    assert svg_texts(tmp_path / "g.svg").count("x") == 1


@needs_dot
def test_draw_options_step_color_by_and_check_reach_the_picture(tmp_path):
    args = ["draw", *NEURON, "--step", "1", "--color-by", "grad", "--check", "-o", "step.svg"]
    result = chainrule(*args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    texts = svg_texts(tmp_path / "step.svg")
    # one chain-rule step done (at the root): the inputs' gradients have not arrived yet
    assert texts[texts.index("x1") + 2] == "grad pending"
    assert "|grad|, log scale" in texts  # the colour legend
    assert "every op's derivative agrees" in result.stdout


@needs_dot
def test_draw_to_html_writes_an_offline_step_through_player(tmp_path):
    result = chainrule("draw", "tanh(x*w)", "--at", "x=1", "w=2", "-o", "walk.html", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "walk.html").read_text()
    # frames: before the walk, after the tanh node, after the * node
    assert page.count("<svg") == 1 and page.count('"caption":') == 3  # one drawing, three steps as changes
    assert "<script src=" not in page and 'type="range"' in page


def test_draw_prints_gradients_that_match_hips_autograd(tmp_path):
    autograd = pytest.importorskip("autograd")
    import autograd.numpy as anp

    text = "sigmoid(a) * log(b**2 + 1) / (a - sqrt(b)) + softplus(-a)*cos(b)"
    a, b = 0.7, 2.5

    def f(a, b):
        sigmoid = 1 / (1 + anp.exp(-a))
        return sigmoid * anp.log(b**2 + 1) / (a - anp.sqrt(b)) + anp.log1p(anp.exp(-a)) * anp.cos(b)

    result = chainrule("draw", text, "--at", f"a={a}", f"b={b}", "-o", "f.dot", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    da, db = autograd.grad(f, 0)(a, b), autograd.grad(f, 1)(a, b)
    # printed to 4 significant digits: equal to within half a unit of the 4th
    assert printed(result.stdout, r"= (\S+)\n") == pytest.approx(f(a, b), rel=5e-4)
    assert printed(result.stdout, r"d/da = (\S+)") == pytest.approx(da, rel=5e-4)
    assert printed(result.stdout, r"d/db = (\S+)") == pytest.approx(db, rel=5e-4)


def test_an_existing_file_is_left_untouched_when_the_command_fails(tmp_path):
    (tmp_path / "out.svg").write_text("yesterday's picture")
    result = chainrule("draw", "x + y", "--at", "x=1", "-o", "out.svg", cwd=tmp_path)
    assert result.returncode == 2
    assert (tmp_path / "out.svg").read_text() == "yesterday's picture"
    assert [p.name for p in tmp_path.iterdir()] == ["out.svg"]


REFUSALS = [
    # (what the user typed after `chainrule draw`, what the one line must say)
    (["x.real", "--at", "x=1"], "attribute access"),
    (["__import__('os').system('ls')"], "not allowed"),
    (["__import__('os')"], "'__import__' is not allowed"),
    (["__builtins__", "--at", "x=1"], "'__builtins__' is not allowed"),
    (["print(x)", "--at", "x=1"], "calling 'print' is not allowed"),
    (["open('f')"], "calling 'open' is not allowed"),
    (["lambda: 1"], "lambda is not allowed"),
    (["[t for t in x]", "--at", "x=1"], "comprehension is not allowed"),
    (["sum(t for t in x)", "--at", "x=1"], "calling 'sum' is not allowed"),
    (["import os"], "import is not allowed"),
    (["x; x", "--at", "x=1"], "several statements"),
    (["x = 1"], "assignment is not allowed"),
    (["(y := 2)"], "assignment (:=) is not allowed"),
    (["x if x else 1", "--at", "x=1"], "conditional expression"),
    (["x < 1", "--at", "x=1"], "comparison is not allowed"),
    (["x[0]", "--at", "x=1"], "indexing"),
    (["x, x", "--at", "x=1"], "tuple"),
    (["'text'"], "string is not allowed"),
    (["f'{x}'", "--at", "x=1"], "f-string is not allowed"),
    (["True + 1"], "True is not allowed"),
    (["x // 2", "--at", "x=1"], "operator // is not allowed"),
    (["x % 2", "--at", "x=1"], "operator % is not allowed"),
    (["~x", "--at", "x=1"], "operator ~ is not allowed"),
    (["tanh(x, x)", "--at", "x=1"], "tanh takes exactly one argument, got 2"),
    (["tanh(x=1)"], "keyword arguments are not allowed"),
    (["tanh + 1"], "'tanh' is a function"),
    (["x * z", "--at", "x=1"], "unknown name 'z' in the expression: give its value with --at z=..."),
    (["y * z"], "unknown names 'y', 'z'"),
    (["(x"], "not valid"),
    (["  "], "the formula is empty"),
    (["x", "--at", "x"], "write NAME=VALUE"),
    (["x", "--at", "x=two"], "'two' is not a number"),
    (["x", "--at", "x=1", "x=2"], "--at gives 'x' twice"),
    (["x", "--at", "exp=1"], "'exp' is a function"),
    (["x", "--at", "__class__=1"], "names starting with __ are refused"),
    (["x", "--at", "x=1", "--rankdir", "RL"], "invalid choice"),
    (["x", "--at", "x=1", "--step", "-1"], "not an integer >= 0"),
    (["x", "--at", "x=1", "--max-nodes", "5"], "not an integer from 20 to 5,000"),
    (["x", "--at", "x=1", "--bogus"], "unrecognized arguments"),
    (["x", "--at", "x=1", "-o", "out.txt"], "must end in .svg, .png, .pdf, .dot, .gv, .html"),
    (["x", "--at", "x=1", "-o", "missing/out.svg"], "does not exist"),
    (["x", "--at", "x=1", "-o", "walk.html", "--step", "1"], "already holds every step"),
    (["--at", "x=1", "x*2"], 'give the formula before --at, e.g. chainrule draw "x*w + b"'),
    (["x\udcff", "--at", "x=1"], "characters that are not text"),
]


# The kinds of refusal, each run as a real process (several at a time, to stay quick).
IN_A_PROCESS = [
    "x.real --at x=1",
    "__import__('os').system('ls')",
    "__builtins__ --at x=1",
    "open('f')",
    "lambda: 1",
    "[t for t in x] --at x=1",
    "import os",
    "x; x --at x=1",
    "x * z --at x=1",
    "x --at x=1 --bogus",
]


def _draw_args(args: list[str]) -> list[str]:
    return ["draw", *args] if "-o" in args else ["draw", *args, "-o", "out.svg"]


@pytest.fixture(scope="module")
def draw_refusals(tmp_path_factory) -> dict:
    cases = [args for args, _ in REFUSALS if " ".join(args) in IN_A_PROCESS]
    assert len(cases) == len(IN_A_PROCESS)
    folders = [tmp_path_factory.mktemp("refused") for _ in cases]
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = [pool.submit(chainrule, *_draw_args(args), cwd=folder) for args, folder in zip(cases, folders)]
        return {" ".join(args): (run.result(), folder) for args, run, folder in zip(cases, runs, folders)}


@pytest.mark.parametrize("case", IN_A_PROCESS)
def test_the_command_refuses_with_one_line_and_status_2(draw_refusals, case):
    result, folder = draw_refusals[case]
    message = next(m for args, m in REFUSALS if " ".join(args) == case)
    assert message in refused(result, folder)


@pytest.mark.parametrize("args, message", REFUSALS, ids=[" ".join(a) for a, _ in REFUSALS])
def test_draw_refuses_with_one_line_naming_what_is_not_allowed(tmp_path, monkeypatch, capsys, args, message):
    # every case through main() itself, in this process: the same code as the command, minus Python's start-up
    from nn.cli import main

    monkeypatch.chdir(tmp_path)
    status = main(_draw_args(args))
    out, err = capsys.readouterr()
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("chainrule") and message in err
    assert list(tmp_path.iterdir()) == []


def test_draw_without_an_output_prints_the_gradients_and_writes_nothing(tmp_path, monkeypatch, capsys):
    from nn.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["draw", "x*w", "--at", "x=2", "w=-3"]) == 0
    out = capsys.readouterr().out
    assert "d/dx = -3.000" in out and "d/dw = 2.000" in out and "wrote" not in out
    assert list(tmp_path.iterdir()) == []


def test_no_command_is_refused_and_help_and_version_work(tmp_path):
    assert "choose a command" in refused(chainrule(cwd=tmp_path), tmp_path)
    helped = chainrule("--help", cwd=tmp_path)
    assert helped.returncode == 0 and all(c in helped.stdout for c in ("draw", "train", "gradflow"))
    assert chainrule("--version", cwd=tmp_path).stdout.startswith("chainrule ")


def test_the_console_script_runs_the_same_command(tmp_path):
    script = Path(sys.executable).with_name("chainrule")
    if not script.exists():
        pytest.skip("the chainrule console script is not installed next to this Python")
    result = chainrule("draw", "x*x", "--at", "x=2", "-o", "g.gv", cwd=tmp_path, python=[str(script)])
    assert result.returncode == 0 and "d/dx = 4.000" in result.stdout


# --- the expression language in-process: the same numbers as an independent evaluator ---------

_LEAVES = {"a": 0.8, "b": -1.3, "c": 2.1}


@st.composite
def formulas(draw, depth=3):
    """Random well-formed formulas of the language, with their value written for HIPS autograd."""
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        if draw(st.booleans()):
            name = draw(st.sampled_from(sorted(_LEAVES)))
            return name, name
        k = draw(st.sampled_from(["2", "0.5", "3"]))
        return k, k
    kind = draw(st.sampled_from(["+", "-", "*", "/", "**", "neg", "tanh", "exp", "sin", "sigmoid", "softplus"]))
    left, left_np = draw(formulas(depth - 1))
    if kind == "neg":
        return f"-({left})", f"-({left_np})"
    if kind in ("tanh", "sin"):
        return f"{kind}({left})", f"anp.{kind}({left_np})"
    if kind == "exp":
        return f"exp(tanh({left}))", f"anp.exp(anp.tanh({left_np}))"  # bounded: no overflow
    if kind == "sigmoid":
        return f"sigmoid({left})", f"(1 / (1 + anp.exp(-({left_np}))))"
    if kind == "softplus":
        return f"softplus(tanh({left}))", f"anp.log1p(anp.exp(anp.tanh({left_np})))"
    right, right_np = draw(formulas(depth - 1))
    if kind == "/":
        return f"({left}) / (1 + ({right})**2)", f"({left_np}) / (1 + ({right_np})**2)"
    if kind == "**":
        return f"(1 + tanh({left})**2) ** tanh({right})", f"(1 + anp.tanh({left_np})**2) ** anp.tanh({right_np})"
    return f"({left}) {kind} ({right})", f"({left_np}) {kind} ({right_np})"


@settings(max_examples=60, deadline=None)
@given(formulas())
def test_built_graphs_have_the_value_and_gradients_hips_autograd_computes(formula):
    autograd = pytest.importorskip("autograd")
    import autograd.numpy as anp

    from nn.cli.expression import build

    text, numpy_text = formula
    out, leaves = build(text, _LEAVES)
    out.backward()

    def f(a, b, c):
        return eval(numpy_text, {"anp": anp}, {"a": a, "b": b, "c": c})  # our own generated text: a test oracle

    point = [_LEAVES[n] for n in ("a", "b", "c")]
    assert out.data == pytest.approx(float(f(*point)), rel=1e-9, abs=1e-12)
    for i, name in enumerate(("a", "b", "c")):
        if name in leaves:
            assert leaves[name].grad == pytest.approx(float(autograd.grad(f, i)(*point)), rel=1e-7, abs=1e-10)


def test_numbers_stay_numbers_so_the_graph_is_micrographs():
    from nn.cli.expression import build

    square, _ = build("x**2", {"x": 3.0})
    half, _ = build("x/2", {"x": 3.0})
    assert square.op == "**2" and half.op == "*" and half.parents[1].data == 0.5
    assert build("1/0", {})[0].data == math.inf and math.isnan(build("0/0", {})[0].data)
    assert build("2**10000", {})[0].data == math.inf


def test_a_very_long_chain_is_refused_cleanly_rather_than_crashing():
    from nn.cli.expression import ExpressionError, build

    assert build("+".join(["x"] * 1500), {"x": 1.0})[0].data == 1500.0
    product = "*".join(["x"] * 50_000)
    if sys.version_info < (3, 11):  # CPython 3.10's parser takes a flat chain of any length
        assert build(product, {"x": 1.0})[0].data == 1.0
        return
    with pytest.raises(ExpressionError, match="nested too deeply.*2,900 factors"):
        build(product, {"x": 1.0})


# --- train -----------------------------------------------------------------------------------


def _accuracy_of_saved_model(path: Path, sizes: list[int], X, y) -> float:
    import nn

    model = nn.load(nn.MLP(2, sizes), path)
    right = sum((model(x).data > 0) == (t == 1) for x, t in zip(X, y))
    return right / len(y)


def test_train_reports_loss_and_accuracy_and_writes_the_plot_and_the_weights(tmp_path):
    pytest.importorskip("matplotlib")
    import nn

    args = ["train", "--samples", "60", "--steps", "40", "--hidden", "8,8", "--seed", "3", "--no-progress"]
    result = chainrule(*args, "--plot", "b.png", "--save", "m.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    loss = printed(result.stdout, r"final loss (\S+)")
    accuracy = printed(result.stdout, r"accuracy (\S+)%") / 100
    assert 0 <= loss < 0.5 and accuracy >= 0.85
    X, y = nn.make_moons(60, seed=3)
    # the printed accuracy is that of the weights written to disk, scored here by the sign of the score
    assert accuracy == pytest.approx(_accuracy_of_saved_model(tmp_path / "m.json", [8, 8, 1], X, y), abs=0.006)
    png = (tmp_path / "b.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 5000
    assert "wrote decision boundary: b.png" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.png", "m.json"]


def test_train_in_a_terminal_shows_a_live_progress_bar_with_loss_and_accuracy(tmp_path):
    pty = pytest.importorskip("pty")
    import fcntl
    import struct
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))  # a 120-column terminal
    command = [sys.executable, "-m", "nn", "train", "--steps", "12", "--samples", "20"]
    process = subprocess.Popen(command, cwd=tmp_path, stdin=follower, stdout=follower, stderr=follower)
    os.close(follower)
    screen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the command has finished
            break
        if not chunk:
            break
        screen += chunk
    os.close(leader)
    assert process.wait(timeout=60) == 0
    frames = screen.decode("utf-8").replace("\r\n", "\n").split("\r")
    final = next(frame for frame in reversed(frames) if frame.startswith("fit: 100%"))
    assert "12/12" in final and "loss=" in final and "accuracy=" in final
    assert sum(frame.startswith("fit:") for frame in frames) >= 2  # redrawn as training goes


def test_train_with_adam_and_cross_entropy_separates_three_blobs(tmp_path):
    args = ["--dataset", "blobs", "--classes", "3", "--loss", "cross_entropy", "--optimizer", "adam"]
    result = chainrule("train", *args, "--samples", "45", "--steps", "30", "--hidden", "8", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "2-8-3 MLP" in result.stdout
    assert printed(result.stdout, r"accuracy (\S+)%") >= 95


def test_train_with_and_without_compile_prints_the_same_numbers(tmp_path):
    args = ["train", "--samples", "30", "--steps", "15", "--hidden", "6", "--seed", "1", "--no-progress"]
    compiled, plain = chainrule(*args, cwd=tmp_path), chainrule(*args, "--no-compile", cwd=tmp_path)
    assert compiled.returncode == plain.returncode == 0, compiled.stderr + plain.stderr
    for pattern in (r"final loss (\S+)", r"accuracy (\S+)%"):
        assert printed(compiled.stdout, pattern) == pytest.approx(printed(plain.stdout, pattern), abs=1e-4)


def test_a_diverging_run_fails_with_advice_and_writes_nothing(tmp_path):
    pytest.importorskip("matplotlib")  # --plot is checked before training
    args = ["--loss", "mse", "--optimizer", "sgd", "--lr", "50", "--activation", "linear"]
    args += ["--samples", "40", "--steps", "30"]
    result = chainrule("train", *args, "--plot", "b.png", "--save", "m.json", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "diverged" in result.stderr and "--lr" in result.stderr and "--clip 1.0" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args",
    [
        ["--dataset", "circles", "--loss", "bce"],
        ["--dataset", "spirals", "--classes", "3", "--loss", "cross_entropy", "--noise", "0"],
        ["--dataset", "blobs", "--loss", "mse", "--optimizer", "adam", "--lr", "0.01", "--batch-size", "8"],
        ["--hidden", "", "--clip", "1.0"],
    ],
    ids=["circles bce", "spirals cross_entropy", "blobs mse adam batches", "linear model clipped"],
)
def test_train_runs_every_dataset_loss_and_optimizer(tmp_path, monkeypatch, capsys, args):
    from nn.cli import main

    monkeypatch.chdir(tmp_path)
    status = main(["train", "--steps", "3", "--samples", "24", "--no-progress", *args])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "trained" in out and 0 <= printed(out, r"accuracy (\S+)%") <= 100


TRAIN_REFUSALS = [
    (["--dataset", "spirals", "--classes", "3"], "--loss hinge separates two classes, the data has 3"),
    (["--classes", "3"], "--classes applies to blobs and spirals"),
    (["--hidden", "16,x"], "not a list of layer sizes"),
    (["--lr", "0"], "not a number > 0"),
    (["--steps", "0"], "not an integer from 1 to 1,000,000"),
    (["--batch-size", "500"], "--batch-size 500 is more than the 20 samples"),
    (["--dataset", "blobs", "--classes", "1"], "not an integer >= 2"),
    (["--dataset", "iris"], "invalid choice"),
    (["--plot", "b.gif"], "must end in .png, .svg, .pdf"),
    (["--save", "nowhere/m.json"], "does not exist"),
]


@pytest.mark.parametrize("args, message", TRAIN_REFUSALS, ids=[" ".join(a) for a, _ in TRAIN_REFUSALS])
def test_train_refuses_bad_settings_before_training(tmp_path, monkeypatch, capsys, args, message):
    from nn.cli import main

    monkeypatch.chdir(tmp_path)
    status = main(["train", "--steps", "1", "--samples", "20", *args])
    out, err = capsys.readouterr()
    assert status == 2 and "trained" not in out
    assert err.count("\n") == 1 and message in err
    assert list(tmp_path.iterdir()) == []


def test_train_plot_without_matplotlib_says_how_to_install_it_before_training(tmp_path):
    # a Python where `import matplotlib` fails, running the same command
    hide = "import sys; sys.modules['matplotlib'] = None; from nn.cli import main; sys.exit(main())"
    result = chainrule("train", "--plot", "b.png", cwd=tmp_path, python=[sys.executable, "-c", hide])
    assert result.returncode == 3
    assert result.stderr.count("\n") == 1 and "needs matplotlib" in result.stderr and "[plot]'" in result.stderr
    assert "trained" not in result.stdout and list(tmp_path.iterdir()) == []


def test_a_formula_that_starts_with_unary_minus_is_the_formula_not_an_option(tmp_path):
    result = chainrule("draw", "-x*w", "--at", "x=1", "w=2", "-o", "g.dot", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert printed(result.stdout, r"d/dx = (\S+)") == -2.0 and printed(result.stdout, r"d/dw = (\S+)") == -1.0


def test_an_unwritable_folder_is_refused_before_training(tmp_path, monkeypatch, capsys):
    import nn.cli.files
    from nn.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "ro").mkdir()
    monkeypatch.setattr(nn.cli.files.os, "access", lambda path, mode: Path(path).name != "ro")
    status = main(["train", "--steps", "1", "--samples", "20", "--save", "ro/m.json"])
    out, err = capsys.readouterr()
    assert status == 2 and "trained" not in out and "the folder 'ro' is not writable" in err


def test_when_the_plot_cannot_be_written_the_saved_weights_are_taken_back(tmp_path, monkeypatch, capsys):
    import nn.cli.train
    from nn.cli import main
    from nn.cli.status import FAILED, Stop

    pytest.importorskip("matplotlib")

    def disk_full(path, write):
        raise Stop(f"cannot write {path}: No space left on device", FAILED)

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(nn.cli.train, "write_atomically", disk_full)
    status = main(["train", "--steps", "2", "--samples", "20", "--no-progress", "--save", "m.json", "--plot", "b.png"])
    out, err = capsys.readouterr()
    assert status == 1 and "No space left on device" in err and "wrote" not in out
    assert list(tmp_path.iterdir()) == []


def test_the_final_loss_and_accuracy_are_those_of_the_saved_weights(tmp_path):
    import nn

    result = chainrule("train", "--samples", "30", "--steps", "3", "--hidden", "4", "--save", "m.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    X, y = nn.make_moons(30, seed=0)
    model = nn.load(nn.MLP(2, [4, 1]), tmp_path / "m.json")
    scores = [model(x) for x in X]
    loss = nn.losses.hinge(scores, [1 if t == 1 else -1 for t in y]).data
    assert printed(result.stdout, r"final loss (\S+)") == pytest.approx(loss, abs=5e-5)


def test_mse_and_cross_entropy_train_with_adam_unless_told_otherwise(tmp_path, monkeypatch, capsys):
    from nn.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["train", "--loss", "mse", "--steps", "30", "--no-progress"]) == 0
    assert printed(capsys.readouterr().out, r"final loss (\S+)") < 1.0  # SGD at micrograd's rate 1.0 diverged


@pytest.mark.parametrize(
    ("command", "option", "allowed"),
    [
        ("train", "--loss", list(TASKS)),
        ("train", "--optimizer", list(OPTIMIZERS)),
        ("train", "--activation", ACTIVATIONS),
        ("train", "--init", INITS),
        ("train", "--dataset", list(DATASETS)),
        ("gradflow", "--activation", ACTIVATIONS),
        ("gradflow", "--init", INITS),
        ("gradflow", "--rankdir", RANKDIRS),
        ("draw", "--rankdir", RANKDIRS),
        ("draw", "--color-by", COLOR_MODES),
    ],
)
def test_the_commands_choices_are_exactly_the_librarys_own_lists(command, option, allowed, capsys):
    from nn.cli import main

    with pytest.raises(SystemExit):
        main([command, "--help"])
    assert f"  {option} {{{','.join(allowed)}}}" in capsys.readouterr().out


@pytest.mark.parametrize("name", list(TASKS))
def test_train_uses_the_optimizer_its_task_suggests(name, tmp_path, monkeypatch):
    import nn
    from nn.cli import main

    used = []
    real_fit = nn.fit

    def fit(*args, optimizer, **options):
        used.append(optimizer)
        return real_fit(*args, optimizer=optimizer, **options)

    monkeypatch.setattr(nn, "fit", fit)
    monkeypatch.chdir(tmp_path)
    data = [] if TASKS[name].two_classes else ["--dataset", "blobs", "--classes", "3"]
    assert main(["train", "--loss", name, "--steps", "2", "--samples", "20", "--no-progress", *data]) == 0
    kind = TASKS[name].optimizer
    if kind == "sgd":
        assert used == [None]  # fit's own default: micrograd's SGD, its learning rate falling from 1.0
    else:
        assert type(used[0]) is OPTIMIZERS[kind]


def test_output_cut_short_by_the_reader_ends_quietly(tmp_path):
    command = f"{sys.executable} -m nn gradflow --depth 2 | head -1"
    result = subprocess.run(command, shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.stdout.startswith("one backward") and result.stderr == ""


def test_gradflow_without_graphviz_says_so_before_the_table(tmp_path):
    python = str(Path(sys.executable).parent)
    result = chainrule("gradflow", "--depth", "2", "-o", "flow.svg", cwd=tmp_path, path=python)
    assert result.returncode == 3 and "apt-get install graphviz" in result.stderr
    assert result.stdout == "" and list(tmp_path.iterdir()) == []


# --- gradflow --------------------------------------------------------------------------------


def _layer_means(stdout: str) -> list[float]:
    return [float(m) for m in re.findall(r"^layers\.\d+\s+(\S+)", stdout, flags=re.M)]


@needs_dot
def test_gradflow_shows_vanishing_gradients_in_a_deep_sigmoid_net(tmp_path):
    args = ["--depth", "12", "--width", "8", "--activation", "sigmoid", "--init", "uniform"]
    result = chainrule("gradflow", *args, "-o", "flow.svg", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    means = _layer_means(result.stdout)
    assert len(means) == 13 and means[0] < 1e-3 * means[-1]
    assert re.search(r"^layers\.0 .* vanishing$", result.stdout, flags=re.M)
    assert "vanishing:" in result.stdout and "--activation relu --init he" in result.stdout
    texts = svg_texts(tmp_path / "flow.svg")
    assert texts.count("vanishing") >= 1 and "layers.12" in texts


def test_gradflow_shows_exploding_gradients_with_large_init_and_health_with_he(tmp_path):
    wide = ["--activation", "relu", "--width", "24", "--depth", "8"]
    exploding = chainrule("gradflow", *wide, "--init", "uniform", cwd=tmp_path)
    healthy = chainrule("gradflow", *wide, "--init", "he", cwd=tmp_path)
    assert "exploding:" in exploding.stdout and _layer_means(exploding.stdout)[0] > 100
    assert "healthy:" in healthy.stdout and max(_layer_means(healthy.stdout)) < 100
    assert "vanishing" not in healthy.stdout and "exploding" not in healthy.stdout


def test_gradflow_refuses_a_depth_of_zero(tmp_path):
    assert "not an integer from 1 to 100" in refused(chainrule("gradflow", "--depth", "0", cwd=tmp_path), tmp_path)
