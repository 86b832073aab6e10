"""draw_dot: rendered with the real Graphviz `dot`, read back as SVG, checked for what a person sees."""

from __future__ import annotations

import random
import re
import shutil
import xml.etree.ElementTree as ET

import graphviz
import pytest

from engine import Primitive, Value, scope, topological_order
from engine.draw import GraphvizNotFoundError, draw_dot

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="the Graphviz 'dot' program is not installed")
SVG = "{http://www.w3.org/2000/svg}"


# --- reading an SVG the way a person reads the picture ---------------------------------------


def render(dot: graphviz.Digraph) -> ET.Element:
    return ET.fromstring(dot.pipe(format="svg"))


def groups(svg: ET.Element, kind: str) -> list[ET.Element]:
    return [g for g in svg.iter(f"{SVG}g") if kind in g.get("class", "").split()]


def texts(g: ET.Element) -> list[str]:
    return [t.text.replace("\xa0", " ") for t in g.iter(f"{SVG}text") if t.text]


def fills(g: ET.Element) -> set[str]:
    """The colours the shapes are filled with (not the text's colour)."""
    shapes = [e for e in g.iter() if e.tag in (f"{SVG}polygon", f"{SVG}ellipse", f"{SVG}path")]
    return {e.get("fill") for e in shapes if e.get("fill") not in (None, "none", "transparent")}


def title(g: ET.Element) -> str:
    return g.find(f"{SVG}title").text


def box_with(svg: ET.Element, text: str) -> ET.Element:
    found = [g for g in groups(svg, "node") if text in texts(g)]
    assert len(found) == 1, f"{len(found)} boxes show {text!r}"
    return found[0]


def center(g: ET.Element) -> tuple[float, float]:
    xs, ys = [], []
    for p in g.iter(f"{SVG}polygon"):
        for point in p.get("points").split():
            x, y = point.split(",")
            xs.append(float(x))
            ys.append(float(y))
    return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2


def lecture_neuron():
    """The neuron of the well-known backprop lecture: o = tanh(x1*w1 + x2*w2 + b)."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, n=n, o=o)


# --- what a value box says ---------------------------------------------------------------------


@needs_dot
def test_lecture_neuron_boxes_show_label_data_and_grad_like_the_notebook():
    o, v = lecture_neuron()
    o.backward()
    svg = render(draw_dot(o))
    # by hand: do/dn = 1 - tanh(n)^2 = 0.5; do/dx1 = w1 * 0.5; do/dw1 = x1 * 0.5
    assert texts(box_with(svg, "o")) == ["o", "data 0.7071", "grad 1.0000"]
    assert texts(box_with(svg, "n")) == ["n", "data 0.8814", "grad 0.5000"]
    assert texts(box_with(svg, "x1")) == ["x1", "data 2.0000", "grad -1.5000"]
    assert texts(box_with(svg, "w1")) == ["w1", "data -3.0000", "grad 1.0000"]
    assert texts(box_with(svg, "w2")) == ["w2", "data 1.0000", "grad 0.0000"]


@needs_dot
def test_each_op_is_a_node_between_its_operands_and_its_result():
    o, v = lecture_neuron()
    svg = render(draw_dot(o))
    ops = sorted(texts(g)[0] for g in groups(svg, "op"))
    assert ops == ["*", "*", "+", "+", "tanh"]
    edges = {title(g).replace("&#45;&gt;", "->") for g in groups(svg, "edge")}
    tanh = next(g for g in groups(svg, "op") if texts(g) == ["tanh"])
    n_box, o_box = box_with(svg, "n"), box_with(svg, "o")
    assert f"{title(n_box)}->{title(tanh)}" in edges
    assert f"{title(tanh)}->{title(o_box)}" in edges
    assert len(edges) == 2 * 5 + 4  # two operands into each binary op, one into tanh, one out of each op


@needs_dot
def test_gradients_before_any_backward_show_as_pending_not_as_zero():
    o, _ = lecture_neuron()
    svg = render(draw_dot(o))
    grads = [t for g in groups(svg, "value") for t in texts(g) if t.startswith("grad")]
    assert grads == ["grad pending"] * 10
    o.backward()
    svg = render(draw_dot(o))
    assert not any("pending" in t for g in groups(svg, "value") for t in texts(g))


def test_node_ids_are_positions_in_the_walk_so_the_same_graph_built_twice_draws_the_same():
    first = draw_dot(lecture_neuron()[0]).source
    second = draw_dot(lecture_neuron()[0]).source
    assert first == second
    o, _ = lecture_neuron()
    source = draw_dot(o).source
    for i, v in enumerate(topological_order(o)):
        box = re.search(rf"^\s*n{i} \[label=(.*)$", source, re.M).group(1)
        assert f"data {v.data:.4f}" in box
        assert (f"\to{i} [" in source) == bool(v.op)


@needs_dot
def test_rankdir_tb_draws_inputs_above_the_output_and_lr_draws_them_to_the_left():
    o, _ = lecture_neuron()
    lr = render(draw_dot(o, rankdir="LR"))
    assert center(box_with(lr, "x1"))[0] < center(box_with(lr, "o"))[0]
    tb = render(draw_dot(o, rankdir="TB"))
    assert center(box_with(tb, "x1"))[1] < center(box_with(tb, "o"))[1]


def test_options_outside_what_is_accepted_are_refused_with_what_was_given():
    o, _ = lecture_neuron()
    with pytest.raises(ValueError, match="rankdir must be one of .* got 'RL'"):
        draw_dot(o, rankdir="RL")
    with pytest.raises(ValueError, match="color_by .* got 'heat'"):
        draw_dot(o, color_by="heat")
    with pytest.raises(ValueError, match="max_nodes .* got 3"):
        draw_dot(o, max_nodes=3)
    with pytest.raises(ValueError, match="step .* got -1"):
        draw_dot(o, step=-1)
    with pytest.raises(TypeError, match="got float"):
        draw_dot(2.0)


@needs_dot
def test_labels_with_markup_characters_are_drawn_as_written():
    a = Value(1.0, label="a<b & c>")
    svg = render(draw_dot(a * 2))
    assert ["a<b & c>", "data 1.0000", "grad pending"] in [texts(g) for g in groups(svg, "value")]


def test_numbers_too_small_or_too_large_for_four_decimals_switch_to_scientific():
    tiny = Value(3e-9, label="tiny")
    source = draw_dot(tiny * 1e7, backward_done=True).source
    assert "data 3.000e-09" in source and "data 3.000e-02" not in source
    assert "data 0.0300" in source


# --- check=True ----------------------------------------------------------------------------


# a custom op with the bug a learner might write: d x^3/dx should be 3 x^2. Built as a Primitive
# directly, not with @primitive, so it stays out of the registry other tests walk.
cube_wrong = Primitive("cube_wrong", lambda x: x**3, lambda out, x: 2 * x**2)


@needs_dot
def test_check_marks_in_red_the_op_whose_derivative_rule_is_wrong_and_only_that_one():
    x = Value(1.5, label="x")
    y = (cube_wrong(x) + x.tanh()).relu()
    svg = render(draw_dot(y, check=True))
    bad = groups(svg, "mismatch")
    assert [texts(g)[0] for g in bad] == ["cube_wrong"]
    assert "#cb181d" in {shape.get("stroke") for shape in bad[0].iter()}
    # the box says what disagrees: the rule gives 2 * 1.5^2 = 4.5, the slope is 3 * 1.5^2 = 6.75
    assert any("rule 4.5000" in t and "slope 6.7500" in t for t in texts(bad[0]))
    assert "1 of 4 ops" in " ".join(texts(svg))


def test_check_accepts_a_one_sided_derivative_at_a_kink():
    x = Value(0.0)
    y = x.relu() + abs(x)
    source = draw_dot(y, check=True).source
    assert "mismatch" not in source and "all 3 derivative rules agree" in source


# --- scopes as clusters ------------------------------------------------------------------------


def _layered_graph():
    xs = [Value(0.5, label="x0"), Value(-1.0, label="x1")]
    with scope("layers"):
        outs = []
        for j in (1, 2):
            with scope(str(j)):
                w = [Value(0.1 * j, label="w0"), Value(-0.2, label="w1")]
                b = Value(0.3, label="b")
                outs.append((w[0] * xs[0] + w[1] * xs[1] + b).tanh())
        total = outs[0] + outs[1]  # made in 'layers' itself
    return total * 2.0


@needs_dot
def test_values_made_in_nested_scopes_are_drawn_in_nested_clusters_titled_with_the_path():
    svg = render(draw_dot(_layered_graph()))
    clusters = {texts(g)[0]: g for g in groups(svg, "cluster")}
    assert set(clusters) == {"layers", "layers.1", "layers.2"}
    # the inner box lies inside the outer one, and the parameters show their names inside it
    (ox0, oy0, ox1, oy1), (ix0, iy0, ix1, iy1) = _bbox(clusters["layers"]), _bbox(clusters["layers.1"])
    assert ox0 <= ix0 and ix1 <= ox1 and oy0 <= iy0 and iy1 <= oy1
    source = draw_dot(_layered_graph()).source
    block = source[source.index('subgraph "cluster_layers.1"') :]
    assert "<B>w0</B>" in block and "<B>b</B>" in block


def _bbox(g):
    # a rounded cluster is drawn as a path: its corners are the pairs of numbers in `d`
    frame = g.find(f"{SVG}path")
    numbers = [float(x) for x in re.findall(r"-?[\d.]+", frame.get("d"))]
    xs, ys = numbers[0::2], numbers[1::2]
    return min(xs), min(ys), max(xs), max(ys)


@needs_dot
def test_a_scope_holding_only_one_sub_scope_is_one_box_titled_with_the_module_path():
    with scope("layers"), scope("1"):
        y = Value(1.0, label="w0") * 3
    svg = render(draw_dot(y + 1))
    assert [texts(g)[0] for g in groups(svg, "cluster")] == ["layers.1"]


def test_clusters_false_draws_no_clusters():
    assert "cluster" not in draw_dot(_layered_graph(), clusters=False).source


# --- colours -------------------------------------------------------------------------------


@needs_dot
def test_color_by_grad_gives_tiny_and_huge_gradients_distinct_colours_matching_the_legend():
    tiny, huge, mid = Value(1.0, label="tiny"), Value(1.0, label="huge"), Value(1.0, label="mid")
    loss = tiny * 1e-9 + huge * 1e6 + mid * 0.5
    loss.backward()
    svg = render(draw_dot(loss, color_by="grad"))
    fill = {name: fills(box_with(svg, name)) for name in ("tiny", "huge", "mid")}
    assert len({frozenset(f) for f in fill.values()}) == 3
    legend = groups(svg, "legend")[0]
    legend_text = texts(legend)
    assert any("vanishing" in t for t in legend_text) and any("exploding" in t for t in legend_text)
    assert fill["tiny"] <= fills(legend) and fill["huge"] <= fills(legend)


@needs_dot
def test_color_by_role_tells_inputs_parameters_intermediates_and_the_output_apart():
    o, v = lecture_neuron()
    o.backward()
    svg = render(draw_dot(o, color_by="role", parameters=[v["w1"], v["w2"], v["b"]]))
    x1, w1, n, out = (fills(box_with(svg, k)) for k in ("x1", "w1", "n", "o"))
    assert x1 == fills(box_with(svg, "x2")) and w1 == fills(box_with(svg, "b"))
    assert len({frozenset(f) for f in (x1, w1, n, out)}) == 4
    assert {"input", "parameter", "intermediate", "output"} <= set(texts(groups(svg, "legend")[0]))


# --- big graphs ----------------------------------------------------------------------------


def moons_loss(n_samples: int = 100, sizes=(2, 16, 16, 1)):
    """micrograd's demo loss (hinge + L2) through MLP(2, [16, 16, 1]), from plain Values in scopes."""
    rng = random.Random(0)
    layers, params = [], []
    for li, (nin, nout) in enumerate(zip(sizes, sizes[1:])):
        neurons = []
        for j in range(nout):
            with scope(f"layers.{li}"), scope(f"neurons.{j}"):
                w = [Value(rng.uniform(-1, 1), label=f"w{k}") for k in range(nin)]
                b = Value(0.0, label="b")
            neurons.append((w, b))
            params += w + [b]
        layers.append(neurons)
    losses = []
    for i in range(n_samples):
        h, y = [rng.uniform(-1, 2), rng.uniform(-1, 1)], rng.choice([-1, 1])
        with scope(f"sample.{i}"):
            for li, neurons in enumerate(layers):
                with scope(f"layers.{li}"):
                    out = []
                    for j, (w, b) in enumerate(neurons):
                        with scope(f"neurons.{j}"):
                            act = sum((wi * xi for wi, xi in zip(w, h)), b)
                            out.append(act.relu() if li < len(layers) - 1 else act)
                    h = out
        losses.append((1 + -y * h[0]).relu())
    return sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in params)


def _caption_numbers(svg):
    caption = next(t for t in texts(svg) if t.startswith("showing"))
    shown, total, hidden, boxes = (int(x.replace(",", "")) for x in re.findall(r"[\d,]+", caption)[:4])
    folded = re.search(r"([\d,]+) partial sums", caption)
    return shown, total, hidden, boxes, int(folded.group(1).replace(",", "")) if folded else 0


@needs_dot
def test_the_65k_node_demo_loss_renders_within_the_budget_and_accounts_for_every_hidden_node():
    loss = moons_loss()
    loss.backward()
    total = len(topological_order(loss))
    assert total > 65_000
    svg = render(draw_dot(loss, color_by="grad"))
    values, ops, summaries = groups(svg, "value"), groups(svg, "op"), groups(svg, "summary")
    assert len(values) + len(ops) + len(summaries) <= 300
    shown, said_total, hidden, boxes, folded = _caption_numbers(svg)
    assert (shown, said_total, boxes) == (len(values), total, len(summaries))
    said_hidden = [
        int(t.split()[0].replace(",", "")) for g in summaries for t in texts(g) if t.endswith("nodes hidden")
    ]
    assert len(said_hidden) == len(summaries) and sum(said_hidden) == hidden
    assert shown + hidden + folded == total  # nothing vanished without a note
    titles = {texts(g)[0] for g in summaries}
    assert any(t.startswith("sample.") for t in titles) and any(t.startswith("layers.") for t in titles)
    # a box holding only one sub-scope's boxes is titled by the module path (sample.0), not sample.0.layers
    clusters = [texts(g)[0] for g in groups(svg, "cluster")]
    assert "sample.0" in clusters and not any(c.endswith(".layers") for c in clusters)


@needs_dot
def test_micrograd_demo_loss_built_with_nn_draws_as_module_boxes_within_the_budget():
    nn = pytest.importorskip("nn")
    random.seed(1337)
    X, y = nn.make_moons(100, noise=0.1, seed=0)
    model = nn.MLP(2, [16, 16, 1])
    scores = [model(x) for x in X]
    loss = nn.losses.hinge(scores, [1 if c == 1 else -1 for c in y])
    loss = loss + 1e-4 * sum(p * p for p in model.parameters())
    loss.backward()
    total = len(topological_order(loss))
    assert total > 8_000  # nn fuses each neuron's w·x + b into one node (the 65k-node plain graph: above)
    svg = render(draw_dot(loss, max_nodes=250))
    summaries = groups(svg, "summary")
    assert len(groups(svg, "value")) + len(groups(svg, "op")) + len(summaries) <= 250
    shown, said_total, hidden, _, folded = _caption_numbers(svg)
    assert said_total == total and shown + hidden + folded == total
    assert {"layers.0", "layers.1"} <= {texts(g)[0] for g in groups(svg, "cluster")}


@needs_dot
@pytest.mark.parametrize("budget", [20, 60, 150])
def test_any_budget_bounds_the_number_of_boxes(budget):
    loss = moons_loss(n_samples=3, sizes=(2, 8, 1))
    svg = render(draw_dot(loss, max_nodes=budget))
    drawn = len(groups(svg, "value")) + len(groups(svg, "op")) + len(groups(svg, "summary"))
    assert drawn <= budget
    shown, total, hidden, _, folded = _caption_numbers(svg)
    assert shown + hidden + folded == total


def test_a_graph_within_the_budget_is_drawn_whole_without_a_caption():
    source = draw_dot(moons_loss(n_samples=1, sizes=(2, 3, 1)), max_nodes=10_000).source
    assert "summary" not in source and "showing" not in source


# --- step-through of backward --------------------------------------------------------------


@needs_dot
def test_step_zero_is_before_the_walk_and_every_step_fills_more_gradients_until_all_are_final():
    o, v = lecture_neuron()
    grads_before = {k: x.grad for k, x in v.items()}
    filled = []
    for k in range(0, 7):
        svg = render(draw_dot(o, step=k))
        grad_texts = [t for g in groups(svg, "value") for t in texts(g) if t.startswith("grad")]
        filled.append(sum(t != "grad pending" for t in grad_texts))
    assert filled[0] == 0 and filled == sorted(filled) and filled[-1] == 10
    assert filled[1] == 2  # the root's step: o is seeded with 1 and passes 0.5 to n
    assert {k: x.grad for k, x in v.items()} == grads_before  # drawing never touches .grad


@needs_dot
def test_the_current_node_and_the_edges_it_fed_are_highlighted():
    o, v = lecture_neuron()
    svg = render(draw_dot(o, step=2))  # step 2: the '+' that made n hands 0.5 to its two inputs
    current = [g for g in groups(svg, "current") if "value" in g.get("class")]
    assert [texts(g)[0] for g in current] == ["n"]
    fed = groups(svg, "fed")
    assert len(fed) == 3  # two operands in, one result out
    assert "grad 0.5000" in texts(box_with(svg, "b"))
    assert "step 2 of 5" in " ".join(texts(svg))


@needs_dot
def test_a_gradient_that_still_waits_for_other_uses_shows_as_a_partial_sum():
    a = Value(3.0, label="a")
    b = a * a
    b.label = "b"
    c = b + a  # a is used twice: by the * (as both operands) and by the +
    c.label = "c"
    svg = render(draw_dot(c, step=1))
    assert "grad 1.0000 (so far)" in texts(box_with(svg, "a"))
    svg = render(draw_dot(c, step=99))
    c.backward()  # the engine's own backward, a different code path, agrees with the finished walk
    assert f"grad {a.grad:.4f}" in texts(box_with(svg, "a")) and a.grad == pytest.approx(7.0)


@needs_dot
def test_every_frame_of_a_step_through_has_the_same_layout():
    o, _ = lecture_neuron()
    first, last = render(draw_dot(o, step=0, title="")), render(draw_dot(o, step=5, title=""))
    for name in ("x1", "w2", "n", "o"):
        assert center(box_with(first, name)) == center(box_with(last, name))


# --- rendering without Graphviz ------------------------------------------------------------


def test_building_needs_no_graphviz_but_rendering_without_it_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no `dot` anywhere
    dot = draw_dot(lecture_neuron()[0])
    assert "digraph" in dot.source
    with pytest.raises(GraphvizNotFoundError) as caught:
        dot.pipe(format="svg")
    message = str(caught.value)
    assert "Graphviz" in message and "apt" in message and "brew" in message and "conda" in message
    assert isinstance(caught.value, graphviz.ExecutableNotFound)  # old `except` clauses still catch it
    with pytest.raises(GraphvizNotFoundError):
        dot.render(tmp_path / "graph")
    with pytest.raises(GraphvizNotFoundError):
        dot._repr_mimebundle_()  # what Jupyter calls to show it inline
