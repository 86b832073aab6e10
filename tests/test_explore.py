"""The big-graph explorer (engine.explore): one offline page, opened, expanded, searched and hovered in Chromium."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine import Value, explore, scope, topological_order
from engine.format import format_number

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[1]


def moons_loss():
    """micrograd's demo loss in scopes, as test_draw.py builds it (tests import each other by path here)."""
    spec = importlib.util.spec_from_file_location("_test_draw", Path(__file__).with_name("test_draw.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.moons_loss()


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip("no chromium at /usr/bin/chromium")
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            yield chromium
        finally:
            chromium.close()


def opened(browser, path: Path):
    """The page at `path`, offline, after its first picture; any script error fails the test."""
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_function("window.exploreFirstPaint !== undefined")
    page.errors = errors
    return page


def tip(page, selector: str) -> dict[str, str]:
    page.hover(selector)
    rows = page.eval_on_selector_all(
        "#tip tr", "rows => rows.map(r => [r.cells[0].textContent, r.cells[1].textContent])"
    )
    return dict(rows)


@pytest.fixture(scope="module")
def demo_loss(tmp_path_factory):
    loss = moons_loss()
    loss.backward()
    path = tmp_path_factory.mktemp("explore") / "demo.explore.html"
    explore(loss, path, progress=False)
    return loss, path


def test_the_demo_loss_page_is_under_10_MB_and_opens_on_the_summary(browser, demo_loss):
    loss, path = demo_loss
    assert len(topological_order(loss)) > 65_000
    assert path.stat().st_size <= 10_000_000
    page = opened(browser, path)
    print(
        f"first paint {page.evaluate('window.exploreFirstPaint'):.0f} ms"
    )  # measured (bench/explore.py), not asserted
    assert page.eval_on_selector_all(".box.closed", "bs => bs.map(b => b.dataset.path)") == ["sample", "layers"]
    root = page.locator(".node").filter(has_text=f"data {format_number(loss.data)}").first
    assert root.is_visible()
    assert f"{len(topological_order(loss)):,} nodes" in page.inner_text("#note")
    assert "below 1e-6: vanishing" in page.inner_text("#legend")
    assert page.errors == []


def test_clicking_a_box_draws_its_inside_in_place_in_module_order(browser, demo_loss):
    page = opened(browser, demo_loss[1])
    page.click('.box.closed[data-path="sample"]')
    inside = page.eval_on_selector_all(".box.closed", "bs => bs.map(b => b.dataset.path)")
    assert inside[:100] == [f"sample.{i}" for i in range(100)] and inside[100:] == ["layers"]
    page.click('.box.closed[data-path="sample.7"]')
    assert page.locator('.box.open[data-path="sample.7"]').count() == 1
    # sample.7 holds nothing but its layers: opening it opens through to them
    inside = page.eval_on_selector_all(
        '.box.open[data-path="sample.7.layers"] ~ .box.closed', "bs => bs.map(b => b.dataset.path)"
    )
    assert inside[:3] == ["sample.7.layers.0", "sample.7.layers.1", "sample.7.layers.2"]
    page.click('.box.open[data-path="sample"] .title')  # the title bar closes it again, and all inside
    assert page.eval_on_selector_all(".box.closed", "bs => bs.map(b => b.dataset.path)") == ["sample", "layers"]
    assert page.errors == []


def test_searching_a_parameter_name_opens_its_boxes_and_hover_shows_its_numbers(browser, demo_loss):
    loss, path = demo_loss
    w0 = next(v for v in topological_order(loss) if v.scope == "layers.1.neurons.3" and v.label == "w0")
    page = opened(browser, path)
    page.fill("#search", "layers.1.neurons.3.w0")
    page.press("#search", "Enter")
    found = page.locator(".node.found")
    assert found.count() == 1 and found.get_attribute("data-name") == "layers.1.neurons.3.w0"
    assert page.inner_text("#found").startswith("1 of 1")
    box = found.bounding_box()
    assert 0 < box["x"] < 1280 and 38 < box["y"] < 800  # jumped to: it is on screen
    shown = tip(page, ".node.found")
    assert shown["data"] == format_number(w0.data) and shown["grad"] == format_number(w0.grad)
    assert shown["scope"] == "layers.1.neurons.3" and shown["op"] == "none (a leaf)"
    page.fill("#search", "sample.42")  # a scope: its box, opened around, on screen
    page.press("#search", "Enter")
    assert page.locator('.box.found[data-path="sample.42"]').count() == 1
    page.fill("#search", "no.such.name")
    page.press("#search", "Enter")
    assert "nothing is called" in page.inner_text("#found")
    assert page.errors == []


def test_hover_shows_label_op_data_grad_and_scope_of_every_node_of_a_small_graph(browser, tmp_path):
    with scope("neuron"):
        x, w = Value(2.0, label="x"), Value(-3.0, label="w")
        out = (x * w).tanh()
        out.label = "out"
    out.backward()
    page = opened(browser, explore(out, tmp_path / "n.explore.html", progress=False).path)
    page.click('.box.closed[data-path="neuron"]')
    for v in topological_order(out):
        name = f"neuron.{v.label}" if v.label else None
        selector = f'.node[data-name="{name}"]' if name else ".node:not([data-name^='neuron.'])"
        shown = tip(page, selector)
        if v.label:
            assert shown["label"] == v.label
        assert (shown["data"], shown["grad"], shown["scope"]) == (
            format_number(v.data),
            format_number(v.grad),
            "neuron",
        )
        assert shown["op"] == (v.op or "none (a leaf)")
    assert page.errors == []


def test_before_backward_every_gradient_is_pending():
    a = Value(2.0, label="a")
    page = explore(a * a, progress=False).html
    assert '"grad":["pending","pending"]' in page


def test_in_a_notebook_the_page_shows_inline_in_its_own_frame(browser, tmp_path):
    a = Value(2.0, label="a")
    out = a * 3
    out.backward()
    notebook = tmp_path / "cell.html"  # what Jupyter does with _repr_html_: put it in the output cell
    notebook.write_text(f"<html><body>{explore(out, progress=False)._repr_html_()}</body></html>", encoding="utf-8")
    page = browser.new_context(offline=True).new_page()
    page.goto(notebook.as_uri())
    frame = page.frame_locator("iframe")
    texts = frame.locator('.node[data-name="a"] text').all_text_contents()
    assert texts == ["a", f"data {format_number(2.0)}", f"grad {format_number(3.0)}"]


@pytest.mark.parametrize(
    ("root", "path", "error", "says"),
    [
        (3.0, None, TypeError, "needs a Value as root, got float"),
        (Value(1.0), "graph.svg", ValueError, "give a path ending in .html"),
        (Value(1.0), "no/such/folder/graph.explore.html", FileNotFoundError, "does not exist"),
    ],
)
def test_bad_input_is_refused_with_what_to_do(root, path, error, says, tmp_path):
    with pytest.raises(error, match=says):
        explore(root, None if path is None else tmp_path / path)


def test_the_command_line_writes_the_explorer_for_an_explore_html_name(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONIOENCODING="utf-8")
    command = [
        sys.executable,
        "-m",
        "nn",
        "draw",
        "tanh(x*w + b)",
        "--at",
        "x=2",
        "w=-3",
        "b=1",
        "-o",
        "g.explore.html",
    ]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "g.explore.html").read_text(encoding="utf-8")
    assert 'id="graph"' in page and format_number(-3.0) in page and "http" not in page.replace("http://www.w3.org", "")


def test_a_crowded_scope_shows_its_nodes_in_one_box_per_op_and_search_still_finds_them(browser, tmp_path):
    xs = [Value(float(k)) for k in range(30)]
    xs[7].label = "x7"
    loss = sum(x * x for x in xs)
    loss.backward()
    page = opened(browser, explore(loss, tmp_path / "crowd.explore.html", progress=False).path)
    boxes = page.eval_on_selector_all(".box.closed", "bs => bs.map(b => b.textContent)")
    assert boxes == ["▸ leaves31 nodesin top level", "▸ * nodes30 nodesin top level"]
    assert page.locator(".node").count() == 1  # the Σ of 31 terms: the root
    page.fill("#search", "x7")
    page.press("#search", "Enter")
    shown = tip(page, ".node.found")
    assert (shown["label"], shown["data"], shown["grad"]) == ("x7", format_number(7.0), format_number(14.0))
    assert shown["scope"] == "top level"
    assert page.errors == []


def test_a_box_takes_the_colour_of_its_largest_gradient_inf_included(browser, tmp_path):
    from engine.draw.style import GRAD_BINS, grad_color

    with scope("small"):
        x = Value(1e-8, label="x")
        y = (x * x) * Value(1e-6)
    with scope("huge"):
        z = Value(0.0, label="z")
        w = z.sqrt()  # d sqrt(z)/dz = 1 / (2 sqrt(z)) is inf at 0: the only gradient beyond 1e4
    out = y + w
    out.backward()
    page = opened(browser, explore(out, tmp_path / "inf.explore.html", progress=False).path)
    script = "bs => bs.map(b => [b.dataset.path, b.querySelector('rect').getAttribute('fill')])"
    fills = dict(page.eval_on_selector_all(".box.closed", script))
    graph = topological_order(out)
    largest = max(abs(v.grad) for v in graph if v.scope == "small")
    assert fills == {"small": grad_color(largest), "huge": GRAD_BINS[-1][1]}
    assert z.grad == float("inf") and page.errors == []


def test_an_unlabelled_node_is_called_by_its_id_in_draw_dot_even_after_partial_sums_are_folded(browser, tmp_path):
    from engine import draw_dot

    leaves = [Value(float(k), label=f"x{k}") for k in range(3)]
    out = leaves[0] + leaves[1] + leaves[2]  # the partial sum x0 + x1 is folded into one Σ node
    out.backward()
    root_id = f"n{len(topological_order(out)) - 1}"
    assert f"id={root_id} " in draw_dot(out).source
    page = opened(browser, explore(out, tmp_path / "sum.explore.html", progress=False).path)
    shown = tip(page, f'.node[data-name="{root_id}"]')
    assert shown["label"] == f"(none: {root_id})" and shown["op"] == "Σ 3 terms"
    assert shown["folded"] == "1 partial sum drawn as this one node"


def test_every_w0_is_told_apart_by_its_scope_in_search_and_hover(browser, demo_loss):
    # MLP(2, [16, 16, 1]) has a w0 in each of its 33 neurons: a bare `w0` finds all of them, each
    # named by its own scope, and Enter steps through them to the node whose numbers are its own
    loss, path = demo_loss
    w0s = {v.scope + ".w0": v for v in topological_order(loss) if v.label == "w0"}
    assert len(w0s) == 33
    page = opened(browser, path)
    page.fill("#search", "w0")
    seen = []
    for _ in range(len(w0s)):
        page.press("#search", "Enter")
        found = page.locator(".node.found")
        assert found.count() == 1
        name = found.get_attribute("data-name")
        shown = tip(page, ".node.found")
        assert shown["name"] == name and shown["scope"] == name.removesuffix(".w0")
        assert shown["data"] == format_number(w0s[name].data) and shown["grad"] == format_number(w0s[name].grad)
        seen.append(name)
    assert sorted(seen) == sorted(w0s)  # 33 different nodes, none twice
    assert page.inner_text("#found").startswith("33 of 33")
    assert page.errors == []
