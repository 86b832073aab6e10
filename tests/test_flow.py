"""Layer-level gradient flow: draw_grad_flow (rendered with dot, read back) and plot_grad_flow (matplotlib)."""

from __future__ import annotations

import math
import random
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

import nn
from engine.draw.dot import GraphvizNotFoundError
from engine.format import format_number
from nn.flow import STATUS_COLORS, draw_grad_flow, plot_grad_flow
from nn.health import LayerStats

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="the Graphviz 'dot' program is not installed")
SVG = "{http://www.w3.org/2000/svg}"


def layer_boxes(dot) -> dict[str, ET.Element]:
    svg = ET.fromstring(dot.pipe(format="svg"))
    return {_texts(g)[0]: g for g in svg.iter(f"{SVG}g") if "layer" in g.get("class", "").split()}


def _texts(g: ET.Element) -> list[str]:
    return [t.text for t in g.iter(f"{SVG}text") if t.text]


def _fill(g: ET.Element) -> str:
    return next(p.get("fill") for p in g.iter(f"{SVG}polygon") if p.get("fill") not in (None, "none"))


def _x(g: ET.Element) -> float:
    return min(float(pt.split(",")[0]) for p in g.iter(f"{SVG}polygon") for pt in p.get("points").split())


def deep_sigmoid_net():
    """The issue's vanishing case: 13 sigmoid layers, one backward."""
    random.seed(0)
    model = nn.MLP(2, [8] * 12 + [1], activation="sigmoid")
    model([1.0, -1.0]).backward()
    return model


@needs_dot
def test_a_deep_sigmoid_net_shows_its_first_layer_vanishing_in_blue_and_its_last_layer_ok():
    model = deep_sigmoid_net()
    boxes = layer_boxes(draw_grad_flow(model))
    assert list(boxes) == [f"layers.{i}" for i in range(13)]
    first, last = boxes["layers.0"], boxes["layers.12"]
    assert "vanishing" in _texts(first) and "ok" in _texts(last)
    assert _fill(first) == STATUS_COLORS["vanishing"][0] and _fill(last) == STATUS_COLORS["ok"][0]
    # the numbers in the box are the layer's own: mean and max |grad| over its parameters
    grads = [abs(p.grad) for p in model.layers[0].parameters()]
    mean, biggest = math.fsum(grads) / len(grads), max(grads)
    assert f"mean |grad| {format_number(mean)}" in _texts(first)
    assert f"max |grad| {format_number(biggest)}" in _texts(first)


def test_a_gradient_flow_drawing_prints_as_its_number_of_layers():
    # what a notebook stores beside the picture, and all a console shows
    assert repr(draw_grad_flow(deep_sigmoid_net())) == "<Drawing of 13 layers: display it in Jupyter, or .render() it>"


def _y(g: ET.Element) -> float:
    return min(float(pt.split(",")[1]) for p in g.iter(f"{SVG}polygon") for pt in p.get("points").split())


@needs_dot
def test_layers_run_from_input_at_the_top_to_output_at_the_bottom_in_a_page_wide_drawing():
    drawing = draw_grad_flow(deep_sigmoid_net())
    boxes = layer_boxes(drawing)
    ys = [_y(boxes[f"layers.{i}"]) for i in range(13)]
    assert ys == sorted(ys) and len(set(ys)) == 13
    svg = ET.fromstring(drawing.pipe(format="svg"))
    assert float(svg.get("width").removesuffix("pt")) <= 620  # a README column, ~830 px, at full size
    assert svg.find(f"{SVG}g/{SVG}title").text == "gradient flow per layer"  # the browser tab, not '%3'


@needs_dot
def test_left_to_right_on_request_runs_from_input_on_the_left():
    boxes = layer_boxes(draw_grad_flow(deep_sigmoid_net(), rankdir="LR"))
    xs = [_x(boxes[f"layers.{i}"]) for i in range(13)]
    assert xs == sorted(xs) and len(set(xs)) == 13


@needs_dot
def test_the_text_in_a_layer_box_keeps_clear_of_its_edge():
    box = layer_boxes(draw_grad_flow(deep_sigmoid_net()))["layers.0"]
    frame = [float(pt.split(",")[0]) for p in box.iter(f"{SVG}polygon") for pt in p.get("points").split()]
    # the rows are centred in the box, so the widest row's gap on the left is its gap on the right too
    gap = min(float(t.get("x")) for t in box.iter(f"{SVG}text")) - min(frame)
    assert gap >= 5


@needs_dot
def test_exploding_vanishing_and_healthy_layers_get_three_distinct_colours():
    stats = [
        LayerStats("layers.0", 1e-9, 2e-9, 1e-8, 1.0, "vanishing"),
        LayerStats("layers.1", 0.1, 0.5, 0.7, 1.0, "ok"),
        LayerStats("layers.2", 1e5, 3e5, 4e5, 1.0, "exploding"),
    ]
    boxes = layer_boxes(draw_grad_flow(stats))
    assert len({_fill(g) for g in boxes.values()}) == 3
    assert _fill(boxes["layers.2"]) == STATUS_COLORS["exploding"][0]
    assert "mean |grad| 1.000e+05" in _texts(boxes["layers.2"])


@pytest.fixture(scope="module")
def history():
    random.seed(1)
    X, y = nn.make_moons(30, seed=0)
    return nn.fit(nn.MLP(2, [8, 8, 1]), X, y, steps=9, progress=False)


@needs_dot
def test_a_history_draws_its_first_middle_and_last_step_with_their_losses(history):
    svg = ET.fromstring(draw_grad_flow(history).pipe(format="svg"))
    clusters = [g for g in svg.iter(f"{SVG}g") if g.get("class") == "cluster"]
    clusters.sort(key=lambda g: float(g.find(f"{SVG}text").get("x")))  # left to right, as a person reads
    titles = [_texts(g)[0] for g in clusters]
    assert titles == [f"step {k} (loss {format_number(history.loss[k])})" for k in (0, 4, 8)]
    boxes = [g for g in svg.iter(f"{SVG}g") if "layer" in g.get("class", "").split()]
    assert len(boxes) == 3 * 3


def test_a_history_draws_the_steps_asked_for_and_refuses_steps_it_does_not_have(history):
    source = draw_grad_flow(history, steps=[2, 7]).source
    assert "step 2 (" in source and "step 7 (" in source and "step 0 (" not in source
    with pytest.raises(ValueError, match=r"steps must be ints in \[0, 9\) \(or -9..-1, from the end\), got 9"):
        draw_grad_flow(history, steps=[9])
    assert "step 8 (" in draw_grad_flow(history, steps=[0, -1]).source
    with pytest.raises(ValueError, match="steps is empty"):
        draw_grad_flow(history, steps=[])


def test_a_model_before_any_backward_is_refused_rather_than_drawn_all_ok():
    with pytest.raises(ValueError, match=r"every gradient of the model is 0; run loss.backward\(\) first"):
        draw_grad_flow(nn.MLP(2, [2, 1], seed=0))


def test_anything_but_a_model_stats_or_history_is_refused():
    with pytest.raises(TypeError, match="got str"):
        draw_grad_flow("layers")
    with pytest.raises(ValueError, match="rankdir"):
        draw_grad_flow(deep_sigmoid_net(), rankdir="sideways")


def test_rendering_the_flow_without_graphviz_says_how_to_install_it(monkeypatch, tmp_path):
    dot = draw_grad_flow(deep_sigmoid_net())
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz"):
        dot.pipe()


# --- matplotlib ------------------------------------------------------------------------------


def test_importing_the_flow_module_does_not_import_matplotlib():
    code = "import sys, nn, nn.flow; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.fixture
def axes():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def test_plot_over_training_draws_mean_and_max_per_layer_on_a_log_scale(history, axes):
    ax = plot_grad_flow(history, ax=axes)
    lines = {line.get_label(): list(line.get_ydata()) for line in ax.get_lines()}
    assert set(lines) == {f"layers.{i} {kind}" for i in range(3) for kind in ("mean", "max")}
    assert lines["layers.0 mean"] == [row[0].mean_abs_grad for row in history.grad_stats]
    assert lines["layers.2 max"] == [row[2].max_abs_grad for row in history.grad_stats]
    assert ax.get_yscale() == "log"
    # each layer its own colour (mean and max share it), the legend names each layer once
    colours = {line.get_label(): tuple(line.get_color()) for line in ax.get_lines()}
    assert len({colours[f"layers.{i} mean"] for i in range(3)}) == 3
    assert all(colours[f"layers.{i} mean"] == colours[f"layers.{i} max"] for i in range(3))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["layers.0", "layers.1", "layers.2"]


def test_a_dozen_layers_over_training_get_a_dozen_colours(axes):
    random.seed(0)
    X, y = nn.make_moons(12, seed=0)
    model = nn.MLP(2, [4] * 11 + [1], activation="sigmoid", seed=0)
    ax = plot_grad_flow(nn.fit(model, X, y, steps=2, progress=False), ax=axes)
    means = [line for line in ax.get_lines() if line.get_label().endswith(" mean")]
    assert len(means) == 12 and len({tuple(line.get_color()) for line in means}) == 12


def test_plot_of_update_ratios_marks_the_healthy_minus_three(history, axes):
    ax = plot_grad_flow(history, ax=axes, what="update_ratio")
    lines = {line.get_label(): list(line.get_ydata()) for line in ax.get_lines()}
    assert lines["layers.1"] == [row[1] for row in history.update_ratio]
    assert lines["healthy ≈ -3"] == [-3, -3]


def test_plot_of_a_model_draws_mean_and_max_bars_per_layer(axes):
    model = deep_sigmoid_net()
    ax = plot_grad_flow(model, ax=axes)
    heights = [bar.get_height() for bar in ax.patches]
    stats = nn.grad_stats(model)
    assert heights == [s.max_abs_grad for s in stats] + [s.mean_abs_grad for s in stats]
    assert [t.get_text() for t in ax.get_xticklabels()] == [s.name for s in stats]


def test_every_plot_names_both_axes(history, axes):
    # a learner reading a plot first asks "what is across, what is up?"
    matplotlib = pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    plots = [
        plot_grad_flow(history, ax=axes),
        plot_grad_flow(history, ax=plt.subplots()[1], what="update_ratio"),
        plot_grad_flow(deep_sigmoid_net(), ax=plt.subplots()[1]),
    ]
    X, y = nn.make_moons(40, noise=0.1, seed=0)
    plots.append(nn.plot_decision_boundary(nn.MLP(2, [4, 1], seed=0), X, y, ax=plt.subplots()[1], resolution=10))
    for ax in plots:
        assert ax.get_xlabel() and ax.get_ylabel(), ax.get_title()
    assert (plots[-1].get_xlabel(), plots[-1].get_ylabel()) == ("x[0], the first input", "x[1], the second input")
    plt.close("all")
    assert matplotlib
