"""Every notebook in notebooks/ runs top to bottom in a fresh kernel, and each lesson prints what it teaches.

The notebooks are executed with nbclient (kernel 'python3', working directory notebooks/), all of
them at once in separate kernels so the suite stays quick. Any cell that raises fails the
notebook's test. Then the lessons' printed numbers are checked against oracles that do not come
from chainrule: hand-worked derivatives, numpy's polynomial roots, mpmath's numerical derivatives.
The committed files must carry their outputs, so they read well on a code-hosting site unrun,
and each has a plain-text twin (notebooks/NAME.py, jupytext's percent format) holding the same cells,
so a change to a lesson shows up as a readable diff.
"""

from __future__ import annotations

import itertools
import math
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
# the lessons draw their pictures with matplotlib (the [plot] extra)
pytest.importorskip("matplotlib")

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def _execute(path: Path):
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    try:
        client.execute()
    except Exception as error:  # reported by the notebook's own test, with the cell that failed
        return error
    return notebook


@pytest.fixture(scope="module")
def executed() -> dict:
    """{notebook name: the executed notebook, or the error it stopped with}, run in parallel kernels."""
    with ThreadPoolExecutor(max_workers=3) as pool:
        return dict(zip((p.name for p in NOTEBOOKS), pool.map(_execute, NOTEBOOKS)))


def printed(notebook) -> str:
    """Everything the notebook's code cells printed or returned as text, in order."""
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                parts.append(output["text"])
            elif "text/plain" in output.get("data", {}):
                parts.append(output["data"]["text/plain"] + "\n")
    return "".join(parts)


def pictures(notebook, kind: str) -> list[str]:
    return [o["data"][kind] for c in notebook.cells for o in c.get("outputs", []) if kind in o.get("data", {})]


def number(text: str, pattern: str) -> float:
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not found in the notebook's output"
    return float(match.group(1))


def test_there_are_at_least_the_five_lessons_and_lesson_7():
    names = [p.name for p in NOTEBOOKS]
    for prefix in ("01_", "02_", "03_", "04_", "05_", "07_"):
        assert any(name.startswith(prefix) for name in names), f"no lesson {prefix}*.ipynb in {names}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_the_notebook_runs_top_to_bottom_in_a_fresh_kernel(executed, path):
    result = executed[path.name]
    if isinstance(result, Exception):
        pytest.fail(f"{path.name} failed:\n{result}")
    for cell in result.cells:
        assert all(o.get("output_type") != "error" for o in cell.get("outputs", []))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_the_committed_notebook_carries_its_outputs_and_pictures(path):
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(cell.execution_count is not None for cell in code), "commit the notebook executed"
    assert not any(o.get("output_type") == "error" for cell in code for o in cell.outputs)
    assert pictures(notebook, "image/png") or pictures(notebook, "image/svg+xml"), "a lesson shows a picture"
    assert notebook.metadata.get("kernelspec", {}).get("name") == "python3"
    assert notebook.cells[0].cell_type == "markdown", "a lesson opens with prose"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_the_plain_text_twin_holds_the_same_cells_as_its_notebook(path):
    jupytext = pytest.importorskip("jupytext")
    twin = path.with_suffix(".py")
    if not twin.exists():
        pytest.fail(f"{path.name} has no plain-text twin {twin.name}: run `make twins`")
    # cell types and sources only: outputs and metadata live in the .ipynb alone
    cells = [(cell.cell_type, cell.source) for cell in nbformat.read(path, as_version=4).cells]
    twin_notebook = jupytext.reads(twin.read_text(encoding="utf-8"), fmt="py:percent")
    twin_cells = [(cell.cell_type, cell.source) for cell in twin_notebook.cells]
    if cells != twin_cells:
        same = len(list(itertools.takewhile(lambda pair: pair[0] == pair[1], zip(cells, twin_cells))))
        pytest.fail(f"{twin.name} is out of date with {path.name} (from cell {same + 1} on): run `make twins`")


def test_every_plain_text_twin_belongs_to_a_notebook():
    folder = Path(__file__).resolve().parent.parent / "notebooks"
    scripts = {"strip.py"}  # makes the exercises from the solutions (tests/test_exercises.py)
    twins = [twin for twin in sorted(folder.glob("*.py")) if twin.name not in scripts]
    orphans = [twin.name for twin in twins if not twin.with_suffix(".ipynb").exists()]
    assert not orphans, f"twins without a notebook (renamed or deleted lesson?): {orphans}; delete them"


# --- what each lesson shows ------------------------------------------------------------------


def lesson(executed, prefix: str):
    names = [name for name in executed if name.startswith(prefix)]
    if not names:
        pytest.skip(f"no notebook {prefix}*")
    result = executed[names[0]]
    if isinstance(result, Exception):
        pytest.fail(f"{names[0]} did not run: {result}")
    return result


def test_lesson_1_finds_the_slope_and_the_chain_rule_numbers_worked_by_hand(executed):
    notebook = lesson(executed, "01_")
    text = printed(notebook)
    # f(x) = 3x^2 - 4x + 5: f'(3) = 6*3 - 4 = 14
    assert number(text, r"h = 1e-05\s+slope ≈ (\S+)") == pytest.approx(14.0, abs=1e-4)
    # the lecture's neuron: o = tanh(0.8814) = 0.7071, do/dn = 0.5, do/dw1 = 0.5 * x1, do/dx1 = 0.5 * w1
    assert number(text, r"do/dw1 = (\S+)\n") == pytest.approx(1.0, abs=1e-4)
    assert number(text, r"do/dx1 = (\S+)\n") == pytest.approx(-1.5, abs=1e-4)
    assert number(text, r"do/dw2 = (\S+)\n") == pytest.approx(0.0, abs=1e-4)
    assert number(text, r"numerical do/dw1 ≈ (\S+),") == pytest.approx(1.0, abs=1e-4)
    drawings = pictures(notebook, "image/svg+xml")
    assert any("grad &#45;1.500<" in svg or "grad -1.500<" in svg for svg in drawings)


def test_lesson_2_walks_backward_by_hand_to_the_same_gradients(executed):
    notebook = lesson(executed, "02_")
    text = printed(notebook)
    rows = re.findall(r"by hand\s+(\S+)\s+backward\(\)\s+(\S+)", text)
    assert len(rows) == 10 and all(float(a) == float(b) for a, b in rows)
    assert number(text, r"db/da = (\S+)") == 2.0
    assert number(text, r"dc/da = (\S+)") == 7.0  # d(a^2 + a)/da at 3 = 2*3 + 1
    assert number(text, r"after two:\s+(\S+)") == 12.0
    assert "GradcheckError: gradient mismatch" in text
    drawings = pictures(notebook, "image/svg+xml")
    assert any("grad pending" in svg for svg in drawings)
    assert any("disagrees" in svg for svg in drawings)  # check=True marks the wrong rule


def test_lesson_3_trains_the_moons_and_compares_learning_rates_and_optimizers(executed):
    text = printed(lesson(executed, "03_"))
    assert "41 parameters" in text
    steps = [float(x) for x in re.findall(r"step\s+\d+\s+loss (\S+)", text)]
    assert steps[-1] < 0.1 * steps[0]
    assert number(text, r"final loss \S+, accuracy (\S+)%") >= 90
    small, right, large = (number(text, rf"lr {lr}\s+final loss (\S+)") for lr in ("0.003", "0.5", "10.0"))
    assert right < small and right < large
    # lr 10: the second layer's ReLUs all die (the step-by-step table is checked below)
    assert number(text, r"lr 10\.0 .*dead ReLUs in layer 1: (\d+) of 8") == 8
    assert number(text, r"validation accuracy (\S+)%") >= 80
    assert number(text, r"Adam\s+lr \S+\s+final loss (\S+)") < number(text, r"SGD\s+lr \S+\s+final loss (\S+)")


def test_lesson_4_shows_vanishing_exploding_clipping_and_the_first_nan(executed):
    text = printed(lesson(executed, "04_"))
    tables = re.findall(r"^(layers\.\d+)\s+mean \|grad\|\s+(\S+)\s+max \|grad\|\s+\S+\s+(\w+)$", text, flags=re.M)
    sigmoid, relu = tables[:13], tables[13:26]
    assert sigmoid[0][2] == "vanishing" and float(sigmoid[0][1]) < 1e-3 * float(sigmoid[-1][1])
    assert all(status == "ok" for _, _, status in relu)
    assert number(text, r"uniform\s+first layer mean \|grad\|\s+(\S+)") > 100
    # forward growth per layer for micrograd's uniform init: sqrt(24/3/2) = 2 from the variance sum
    assert 1.5 < number(text, r"uniform\s+first layer.*signal ×(\S+) per layer") < 2.2
    # section 4's dead sigmoid network: the verdict names the collapsed spread and the learning rate
    assert re.search(r"History\(25 steps: .*spread across samples collapsed.*the learning rate is too large\)", text)
    assert re.search(r"without clipping: the loss became (nan|inf) at step \d+", text)
    assert number(text, r"with clip=5\.0:.*accuracy \S+ -> (\S+)%") >= 90
    assert "log produced nan from input" in text and "raised at the line:    spread = (h - 1).log()" in text
    assert "backward of sqrt gave gradient inf" in text


def test_lesson_4_checks_the_variance_of_a_sum_per_layer_statistics_symmetry_and_residual_blocks(executed):
    text = printed(lesson(executed, "04_"))
    # one layer of U(-1, 1) weights reading U(-1, 1) inputs: both variances (b - a)^2 / 12 = 1/3
    var_w, var_x = number(text, r"Var\(w\) = (\S+),"), number(text, r"Var\(x\) = (\S+)\n")
    assert var_w == pytest.approx(1 / 3, rel=0.03) and var_x == pytest.approx(1 / 3, rel=0.03)
    assert number(text, r"predicted Var\(z\) = .*, measured (\S+)\n") == pytest.approx(24 * var_w * var_x, rel=0.03)
    assert number(text, r"E\[relu\(z\)²\] = \S+, (\S+) of Var\(z\)") == pytest.approx(0.5, abs=0.03)
    # each hidden layer's mean and std, 8 layers of 24: relu uniform, relu xavier, relu he, tanh xavier
    rows = re.findall(r"^[0-7]((?:\s+-?\d\S*){8})$", text, flags=re.M)
    assert len(rows) == 8
    stats = [[float(v) for v in row.split()] for row in rows]
    uniform, xavier, he, tanh = ([row[k] for row in stats] for k in (1, 3, 5, 7))
    # per layer: uniform sqrt(24 * 1/3 / 2) = 2, xavier sqrt(24 * 1/24 / 2) = 0.71, he sqrt(24 * 2/24 / 2) = 1
    assert 1.5**7 < uniform[7] / uniform[0] < 2.2**7
    assert 0.5**7 < xavier[7] / xavier[0] < 0.85**7
    assert all(1 / 3 < s / he[0] < 3 for s in he) and all(0.15 < s < 0.35 for s in tanh)
    assert all(abs(row[6]) < 0.1 for row in stats)  # tanh's outputs stay centred
    # symmetry: from all 0.5 the hidden neurons stay copies; from all 0 layer 0 gets no gradient
    equal = re.search(r"every parameter 0\.5 .*\n\s+neuron 0: (.*)\n\s+neuron 1: (.*)\n.*neurons: (\S+)\n", text)
    assert equal and equal[1] == equal[2] and float(equal[3]) == 0
    assert number(text, r"random start .*\n.*\n.*\n.*hidden neurons: (\S+)\n") > 0.1
    assert re.search(r"every parameter 0\.0 History\(.*gradients: layers\.0 vanishing\)", text)
    # residual blocks h + f(h) on section 1's weights: no hidden layer starves
    rows = re.findall(r"^layers\.\d+\s+mean \|grad\|\s+(\S+) (\w+)\s+(\S+) (\w+)$", text, flags=re.M)
    assert len(rows) == 13
    plain, residual = [float(r[0]) for r in rows], [float(r[2]) for r in rows]
    assert rows[0][1] == "vanishing" and plain[0] < 1e-5 and residual[0] > 1e5 * plain[0]
    assert all(r[3] == "ok" for r in rows[:-1]) and max(residual[:-1]) < 10 * min(residual[:-1])
    # section 7: steps of a tenth of the weights or more and a loss that climbs, then nothing moves
    assert number(text, r"last two layers, steps 0-3: (\S+) to") > -1
    losses = [float(v) for v in re.search(r"loss at steps 0 to 5: (.*)\n", text)[1].split()]
    assert max(losses) > 10 * losses[0] and losses[-1] < losses[0]
    assert number(text, r"from step 8 on, every layer: update ratios \S+ to (\S+),") < -5
    assert number(text, r"from step 8 on, .*mean \|grad\| \S+ to (\S+)\n") < 1e-5
    # the weights of two neurons after 30 steps from all 0.5, as PyTorch trains the same 2-4-1 net
    torch = pytest.importorskip("torch")
    import nn  # the lesson's data set only: the training below is PyTorch's

    points, labels = nn.make_moons(32, noise=0.1, seed=0)
    X, y = torch.tensor(points, dtype=torch.float64), torch.tensor(labels, dtype=torch.float64)
    params = [torch.full(shape, 0.5, dtype=torch.float64, requires_grad=True) for shape in ((4, 2), (4,), (1, 4), (1,))]
    w1, b1, w2, b2 = params
    optimizer = torch.optim.SGD(params, lr=0.1)
    for _ in range(30):
        out = (torch.tanh(X @ w1.T + b1) @ w2.T + b2).squeeze(1)
        loss = ((out - y) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert equal[1] == f"w = ({w1[0, 0].item():+.6f}, {w1[0, 1].item():+.6f}), b = {b1[0].item():+.6f}"


def test_lesson_5_second_derivatives_newton_and_the_hessian_match_independent_oracles(executed):
    mpmath = pytest.importorskip("mpmath")
    numpy = pytest.importorskip("numpy")
    text = printed(lesson(executed, "05_"))
    f = lambda x: x**3 - 2 * x + mpmath.tanh(x)  # noqa: E731
    assert number(text, r"f''\(0\.7\) = (\S+)") == pytest.approx(float(mpmath.diff(f, 0.7, 2)), abs=1e-9)
    # Newton from x = 2 on g(x) = x^4 - 3x^2 + x stops where g'(x) = 4x^3 - 6x + 1 = 0
    roots = [r.real for r in numpy.roots([4, 0, -6, 1]) if abs(r.imag) < 1e-12]
    assert number(text, r"a minimum at x = (\S+),") == pytest.approx(max(roots), abs=1e-10)
    assert number(text, r"\nlargest difference: (\S+)") < 1e-12
    if "PyTorch is not installed" not in text:
        assert number(text, r"largest difference from chainrule's: (\S+)") < 1e-12


def test_lesson_5_without_torch_says_it_skips_the_comparison(monkeypatch, capsys):
    source = next((p for p in NOTEBOOKS if p.name.startswith("05_")), None)
    if source is None:
        pytest.skip("no lesson 5")
    notebook = nbformat.read(source, as_version=4)
    cell = next(c for c in notebook.cells if c.cell_type == "code" and "import torch" in c.source)
    # the comparison cell's import guard, run where `import torch` fails (as on a machine without it)
    guard = cell.source.split("if torch is not None:")[0]
    monkeypatch.setitem(sys.modules, "torch", None)
    namespace: dict = {}
    exec(guard, namespace)
    assert namespace["torch"] is None and "skipping the comparison" in capsys.readouterr().out


def test_lesson_7_writes_ops_with_closures_names_the_three_classic_bugs_and_shows_what_primitive_gains(executed):
    notebook = lesson(executed, "07_")
    text = printed(notebook)
    assert number(text, r"dy/dx = (\S+)") == pytest.approx(math.e, rel=1e-3)  # d e^x/dx at 1 = e
    # the lecture's neuron through the closure tanh: o = tanh(0.8814) = 0.7071, do/dx1 = 0.5 * w1
    assert number(text, r"our tanh\s+o = (\S+)") == pytest.approx(math.sqrt(0.5), abs=1e-4)
    assert number(text, r"our tanh.*x1\.grad (\S+)") == pytest.approx(-1.5, abs=1e-3)
    assert number(text, r"our tanh.*w1\.grad (\S+)") == pytest.approx(1.0, abs=1e-3)
    assert number(text, r"db/da = (\S+)") == 1.0  # the = bug: the right answer is 2
    assert "sets input 0's grad instead of adding to it" in text
    assert "the table's rule for tanh" in text
    assert "op 'exp': its _backward does not multiply by out.grad" in text
    assert re.search(r"input 1 \(value 2\.0\): backward gave 0\.25, central difference gave -0\.2499", text)
    assert "create_graph=True cannot look inside op '/'" in text and "compile cannot look inside op '/'" in text
    # the primitive's second derivative: d^2(a/b)/db^2 = 2a/b^3 = 0.375 at a = 1.5, b = 2
    assert number(text, r"d²/db² = (\S+)\n") == pytest.approx(2 * 1.5 / 2**3, rel=1e-3)
    assert number(text, r"primitive: a/b = \S+\s+a\.grad = (\S+)") == pytest.approx(1 / 2, rel=1e-3)
    assert number(text, r"primitive: a/b = \S+\s+a\.grad = \S+\s+b\.grad = (\S+)") == pytest.approx(-1.5 / 4, rel=1e-3)
    drawings = pictures(notebook, "image/svg+xml")
    red = [svg for svg in drawings if "#cb181d" in svg]  # the red border of a wrong derivative rule
    assert len(drawings) == 4 and len(red) == 3
    assert "all 4 derivative rules agree" in drawings[0]
    assert "3 of 4 ops have a derivative rule that disagrees" in drawings[2]


def test_lesson_1_compares_forward_and_central_differences_and_counts_forward_mode_passes(executed):
    text = printed(lesson(executed, "01_"))
    # rounding ~1e-16/h against truncation ~h (forward) or ~h^2 (central): the best h differ
    best_forward = number(text, r"best h: forward (\S+) \(error (?:\S+)\)")
    best_central = number(text, r"central (\S+) \(error \S+\)\n")
    assert 1e-10 <= best_forward <= 1e-6 and 1e-7 <= best_central <= 1e-3
    assert number(text, r"central \S+ \(error (\S+)\)\n") < 1e-2 * number(text, r"forward \S+ \(error (\S+)\)")
    # dual numbers, one pass per input: the same derivatives as worked by hand in section 3
    assert number(text, r"do/dx1 = (\S+)\n") == pytest.approx(-1.5, abs=1e-4)
    assert number(text, r"forward pass 2: do/dw1 = (\S+)") == pytest.approx(1.0, abs=1e-4)
    assert number(text, r"forward mode: (\d+) passes for 5 derivatives") == 5


def test_lesson_2_steps_through_a_graph_with_reuse_and_backprops_a_2_2_1_net_like_pytorch(executed):
    torch = pytest.importorskip("torch")
    notebook = lesson(executed, "02_")
    text = printed(notebook)
    drawings = pictures(notebook, "image/svg+xml")
    assert any("(so far)" in svg for svg in drawings), "a step frame shows a gradient still waiting for a use"
    assert any("<iframe" in html for html in pictures(notebook, "text/html")), "backward_widget is called"
    rows = dict(re.findall(r"dL/d(\w+)\s+worked out\s+(\S+)\s+backward\(\)\s+\S+", text))
    assert len(rows) == 9
    p = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in
         dict(w11=0.3, w12=-0.6, b1=0.1, w21=0.8, w22=0.2, b2=-0.1, v1=1.5, v2=-0.7, c=0.2).items()}  # fmt: skip
    h1 = torch.tanh(p["w11"] * 1.0 + p["w12"] * -2.0 + p["b1"])
    h2 = torch.tanh(p["w21"] * 1.0 + p["w22"] * -2.0 + p["b2"])
    ((p["v1"] * h1 + p["v2"] * h2 + p["c"] - 0.5) ** 2).backward()
    for name, value in rows.items():
        assert float(value) == pytest.approx(p[name].grad.item(), abs=1e-6), name
    # section 6 explains the two numbers: the whole function's slope and the op's local one
    assert "backward gave 5.5, central difference gave 7.7499" in text


def _cell_text(notebook, marker: str) -> str:
    """What the code cell whose source contains `marker` printed."""
    cell = next(c for c in notebook.cells if c.cell_type == "code" and marker in c.source)
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def test_lesson_2_reads_its_topological_order_as_printed_and_shows_the_table_driven_step(executed):
    notebook = lesson(executed, "02_")
    rows = _cell_text(notebook, "made_by = ").splitlines()
    walk = [re.split(r"\s{2,}", row.strip())[0] for row in reversed(rows)]
    # the prose: o, n, the sum, then each product just before its two leaves, b at the very end
    assert walk[:3] == ["o", "n", "x1*w1 + x2*w2"] and walk[-1] == "b"
    for product in ("x1*w1", "x2*w2"):
        i = walk.index(product)
        assert set(walk[i + 1 : i + 3]) == set(product.split("*")), walk
    # the chain-rule step backward() runs: the table's rule, added into each parent's grad
    step = _cell_text(notebook, "getsource")
    assert "primitive.derivative(" in step and "a.grad += da * g" in step
    # section 6's two numbers for the wrong cube rule: the op's own rule 2x² = 4.5 against its slope 3x² = 6.75
    assert any("rule 4.500, slope 6.750" in svg for svg in pictures(notebook, "image/svg+xml"))


def test_lesson_6_counts_the_nodes_backward_walks_against_the_lines_compile_writes(executed):
    text = printed(lesson(executed, "06_"))
    lines = number(text, r"(\d+) lines of code for a graph of")
    nodes = number(text, r"lines of code for a graph of (\d+) nodes \(337 parameters, 100 samples\)")
    # the prose: thousands of nodes for backward(); the repeated piece written once, so fewer lines
    assert nodes >= 1000 and lines < nodes


def test_lesson_8_says_its_accuracy_is_on_the_training_points_and_quotes_it(executed):
    notebook = lesson(executed, "08_")
    before, after = re.search(r"History\(40 steps: .*accuracy (\S+)% -> (\S+)%", printed(notebook)).groups()
    prose = "".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    assert f"from {before}% to {after}% of the 60 points" in " ".join(prose.split())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name[:3])
def test_the_lesson_ends_by_pointing_the_learner_to_its_exercises_not_the_solutions(path):
    last = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"][-1]
    links = re.findall(r"\]\((exercises/[\w.]+)\)", last)
    assert links, f"{path.name}'s last cell has no link to its exercises"
    for link in links:
        assert (path.parent / link).exists(), f"{path.name} links {link}, which does not exist"
    assert "solutions/" not in last, "point learners to exercises/, not to the solutions"


def test_lesson_5_newton_converges_quadratically_to_the_stationary_points_its_prose_names(executed):
    numpy = pytest.importorskip("numpy")
    notebook = lesson(executed, "05_")
    # "the number of correct digits roughly doubles every step": log10 |g'| about doubles
    slopes = [abs(float(s)) for s in re.findall(r"g'\(x\) =\s+(\S+)", printed(notebook))]
    digits = [math.log10(s) for s in slopes[-4:]]
    assert all(later / earlier >= 1.7 for earlier, later in zip(digits, digits[1:])), digits
    # the minimum near -1.3 and the maximum near 0.17 the prose names: roots of g'(x) = 4x^3 - 6x + 1
    prose = " ".join("".join(c.source for c in notebook.cells if c.cell_type == "markdown").replace("#", "").split())
    deeper = float(re.search(r"a deeper one near \$x = (\S+)\$", prose).group(1))
    top = float(re.search(r"a maximum near \$x = (\S+)\$", prose).group(1))
    roots = sorted(r.real for r in numpy.roots([4, 0, -6, 1]))
    assert deeper == pytest.approx(roots[0], abs=0.01) and 12 * roots[0] ** 2 - 6 > 0
    assert top == pytest.approx(roots[1], abs=0.01) and 12 * roots[1] ** 2 - 6 < 0


def test_lessons_with_sliders_also_show_a_static_picture_before_them(executed):
    for prefix in ("01_", "03_", "04_", "05_"):
        cells = [c for c in lesson(executed, prefix).cells if c.cell_type == "code"]
        sliders = [i for i, c in enumerate(cells) if "interact(" in c.source]
        assert sliders, f"lesson {prefix} has no slider"
        for i in sliders:
            before = [o for c in cells[i - 3 : i] for o in c.get("outputs", [])]
            assert any("image/png" in o.get("data", {}) for o in before), "a static picture for readers not running it"


@pytest.mark.parametrize("prefix", ["01_", "02_", "03_", "04_", "05_", "06_", "07_", "08_"])
def test_every_drawing_is_legible_in_a_900_px_notebook_column(executed, prefix):
    # an SVG wider than the column is scaled down to it: its smallest text must stay >= 10 px
    column = 884  # px: 900 minus the page's margins
    for svg in pictures(lesson(executed, prefix), "image/svg+xml"):
        width_pt = float(re.search(r'width="([\d.]+)pt"', svg).group(1))
        view_width = float(re.search(r'viewBox="[\d.-]+ [\d.-]+ ([\d.]+)', svg).group(1))
        shown = min(width_pt * 4 / 3, column)
        smallest = min(float(f) for f in re.findall(r'font-size="([\d.]+)"', svg)) * shown / view_width
        assert smallest >= 10, f"text {smallest:.1f} px in a drawing {width_pt:.0f} pt wide: draw it narrower"


def test_lesson_8_checks_p_minus_onehot_against_backward_and_torch(executed):
    text = printed(lesson(executed, "08_"))
    assert number(text, r"largest difference: (\S+)") < 1e-12
    printed_grads = [float(g) for g in re.findall(r"z\d: backward (\S+)", text)]
    torch = pytest.importorskip("torch")
    z = torch.tensor([2.0, 1.0, -1.0], dtype=torch.float64, requires_grad=True)
    torch.nn.functional.cross_entropy(z[None], torch.tensor([0])).backward()
    assert printed_grads == pytest.approx(z.grad.tolist(), abs=1e-6)
    assert number(text, r"History\(40 steps: .*accuracy \S+ -> (\S+)%") >= 85


def _tiny_net_in_torch(torch, seed: int) -> list:
    """Lesson 3's MLP(3, [4, 4, 1], tanh, linear output) as float64 torch leaves, same weights, per layer."""
    import nn

    def leaf(values: list) -> object:
        return torch.tensor(values, dtype=torch.float64).requires_grad_()

    model = nn.MLP(3, [4, 4, 1], activation="tanh", seed=seed)
    return [
        (leaf([[w.data for w in n.w] for n in layer.neurons]), leaf([n.b.data for n in layer.neurons]))
        for layer in model.layers
    ]


def test_lesson_3_forgetting_zero_grad_makes_the_tiny_net_oscillate_as_pytorch_does(executed):
    text = printed(lesson(executed, "03_"))
    rows = re.findall(r"^\s*(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)$", text, flags=re.M)
    table = {int(step): [float(v) for v in values] for step, *values in rows}
    assert {0, 3, 6, 12, 39} <= set(table), "the zero_grad table prints steps 0 to 39"
    # the oracle: the same loop in PyTorch, which also accumulates .grad until it is zeroed
    torch = pytest.importorskip("torch")
    xs = torch.tensor([[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]], dtype=torch.float64)
    ys = torch.tensor([1.0, -1.0, -1.0, 1.0], dtype=torch.float64)
    for column, zero_grad in ((0, True), (2, False)):
        layers = _tiny_net_in_torch(torch, seed=0)
        params = [t for layer in layers for t in layer]
        for step in range(40):
            h = xs
            for i, (w, b) in enumerate(layers):
                h = h @ w.T + b
                h = torch.tanh(h) if i < len(layers) - 1 else h
            loss = ((h[:, 0] - ys) ** 2).sum()
            if zero_grad:
                for p in params:
                    p.grad = None
            loss.backward()
            with torch.no_grad():
                for p in params:
                    p -= 0.05 * p.grad
            if step in table:
                loss_printed, grad_printed = table[step][column : column + 2]
                assert loss_printed == pytest.approx(loss.item(), abs=1e-4), (step, zero_grad)
                assert grad_printed == pytest.approx(params[-1].grad.item(), abs=1e-3), (step, zero_grad)
    # what the prose says: ahead at first, then it never settles while the zeroed run does
    assert table[3][2] < table[3][0] and table[6][2] < table[6][0]
    zeroed = re.search(r"steps 20-39 with zero_grad: loss \S+ to (\S+), \|grad\| up to (\S+)", text)
    summed = re.search(r"steps 20-39 without\s*: loss (\S+) to (\S+), \|grad\| up to (\S+)", text)
    assert zeroed and summed
    assert float(zeroed.group(1)) < 1e-3 and float(zeroed.group(2)) < 0.01
    assert float(summed.group(1)) > 0.1 and float(summed.group(2)) > 1 and float(summed.group(3)) > 5
    # with section 2's tanh output: ahead at step 10, stuck far behind by the end
    tanh = {
        name: [float(v) for v in values.split()]
        for name, values in re.findall(r"^  (with zero_grad|without)\s+((?:\d+\.\d+ ?)+)$", text, flags=re.M)
    }
    assert len(tanh["with zero_grad"]) == len(tanh["without"]) == 9, "steps 0, 5, ..., 35, 39"
    assert tanh["without"][2] < tanh["with zero_grad"][2]
    assert tanh["without"][-1] > 100 * tanh["with zero_grad"][-1]


def test_lesson_3_minibatches_are_noisier_per_step_and_ahead_per_sample_seen(executed):
    text = printed(lesson(executed, "03_"))
    runs = {
        int(size): [float(v) for v in values]
        for size, *values in re.findall(
            r"batch (\d+): \d+ steps; loss on all 60 at step 59 (\S+), at the last step (\S+) "
            r"\(accuracy (\S+)%\); it rose on (\d+) of (\d+) steps, by at most (\S+)",
            text,
        )
    }
    assert set(runs) == {60, 16}
    full, mini = runs[60], runs[16]
    assert full[4] == 59 and mini[4] == 225 - 1, "the same 3,600 samples: 60 steps of 60, 225 of 16"
    assert mini[0] > full[0], "per step, the minibatch run is behind at step 59"
    assert mini[5] > 5 * full[5], "and noisier: its loss on all 60 points jumps up by far more"
    assert mini[1] < full[1] and mini[2] >= full[2], "per sample seen it ends ahead"
    beaten = re.search(r"batch 16 first beats full batch's final (\S+) at step (\d+), after (\d+) samples", text)
    assert beaten and float(beaten.group(1)) == full[1]
    assert int(beaten.group(3)) == 16 * int(beaten.group(2)) < 3600 / 2


def test_lesson_3_at_lr_10_the_relus_die_then_only_the_output_bias_bounces(executed):
    text = printed(lesson(executed, "03_"))
    rows = re.findall(r"^\s*(\d+)\s+(\S+)\s+(\S+)%\s+(\S+)\s+(\d) of 8\s+(\S+)$", text, flags=re.M)
    steps = [(int(k), float(loss), float(acc), float(g), int(dead), float(b)) for k, loss, acc, g, dead, b in rows]
    assert [row[0] for row in steps] == list(range(17)), "the lr = 10 table prints steps 0 to 16"
    loss, accuracy, first_layer, dead, bias = (list(column) for column in list(zip(*steps))[1:])
    assert loss[1] > 10 * loss[0], "the first update overshoots"
    assert all(a == 50.0 for a in accuracy[4:]), "at chance"
    assert dead[0] < dead[1] < 8 and dead[-1] == 8 and dead == sorted(dead), "ReLUs die and stay dead"
    last = dead.index(8)  # the update that kills the last one
    assert all(g > 0 for g in first_layer[: last + 1]), "the first layer learns while one ReLU lives"
    assert all(g == 0 for g in first_layer[last + 1 :]) and last + 1 < 16, "then it gets exactly nothing"
    # after that the net outputs its bias b for every point: by hand, the hinge loss of 30 points of
    # each class is (max(0, 1 - b) + max(0, 1 + b)) / 2, and its slope in b is 1/2 (|b| > 1): steps of lr / 2
    for k in range(last + 1, 16):
        b = bias[k]
        assert loss[k + 1] == pytest.approx((max(0, 1 - b) + max(0, 1 + b)) / 2, abs=1e-3)  # b to 3 places
        assert abs(bias[k + 1] - b) == pytest.approx(10 / 2, abs=2e-3)
    # the prose tells this run's story with this run's numbers
    prose = "\n".join(c.source for c in lesson(executed, "03_").cells if c.cell_type == "markdown")
    bounce = f"{loss[-1]:.4f} and {loss[-2]:.4f}"
    claims = (f"loss {loss[1]:.4f}", f"8 of 8 after step {last}", f"From step {last + 1}", bounce)
    for claim in claims:
        assert claim in prose, claim
