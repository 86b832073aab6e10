"""draw_dot: rendered with the real Graphviz `dot`, read back as SVG, checked for what a person sees."""

from __future__ import annotations

import random
import re
import shutil
import xml.etree.ElementTree as ET

import graphviz
import pytest

from engine import Primitive, Value, grad, no_grad, scope, topological_order
from engine.draw.dot import GraphvizNotFoundError, draw_dot
from engine.format import format_number
from engine.ops import examples

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="the Graphviz 'dot' program is not installed")
SVG = "{http://www.w3.org/2000/svg}"
XLINK_TITLE = "{http://www.w3.org/1999/xlink}title"


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


# --- what a value box says ---------------------------------------------------------------------


@needs_dot
def test_lecture_neuron_boxes_show_label_data_and_grad_like_the_notebook(lecture_neuron):
    o, v = lecture_neuron()
    o.backward()
    svg = render(draw_dot(o))
    # by hand: do/dn = 1 - tanh(n)^2 = 0.5; do/dx1 = w1 * 0.5; do/dw1 = x1 * 0.5
    assert texts(box_with(svg, "o")) == ["o", "data 0.7071", "grad 1.000"]
    assert texts(box_with(svg, "n")) == ["n", "data 0.8814", "grad 0.5000"]
    assert texts(box_with(svg, "x1")) == ["x1", "data 2.000", "grad -1.500"]
    assert texts(box_with(svg, "w1")) == ["w1", "data -3.000", "grad 1.000"]
    assert texts(box_with(svg, "w2")) == ["w2", "data 1.000", "grad 0"]  # exactly zero reads 0, not 0.0000


@needs_dot
def test_each_op_is_a_node_between_its_operands_and_its_result(lecture_neuron):
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
def test_gradients_before_any_backward_show_as_pending_not_as_zero(lecture_neuron):
    o, _ = lecture_neuron()
    svg = render(draw_dot(o))
    grads = [t for g in groups(svg, "value") for t in texts(g) if t.startswith("grad")]
    assert grads == ["grad pending"] * 10
    o.backward()
    svg = render(draw_dot(o))
    assert not any("pending" in t for g in groups(svg, "value") for t in texts(g))


def test_node_ids_are_positions_in_the_walk_so_the_same_graph_built_twice_draws_the_same(lecture_neuron):
    first = draw_dot(lecture_neuron()[0]).source
    second = draw_dot(lecture_neuron()[0]).source
    assert first == second
    o, _ = lecture_neuron()
    source = draw_dot(o).source
    for i, v in enumerate(topological_order(o)):
        box = re.search(rf"^\s*n{i} \[label=(.*)$", source, re.M).group(1)
        assert f"data {format_number(v.data)}" in box
        assert (f"\to{i} [" in source) == bool(v.op)


@needs_dot
def test_a_drawing_prints_as_its_counts_not_a_memory_address(lecture_neuron):
    # what a notebook stores beside the picture: the same on every run
    o, _ = lecture_neuron()
    text = repr(draw_dot(o))
    svg = draw_dot(o).pipe(format="svg").decode()
    boxes, circles = svg.count('class="node value'), svg.count('class="node op')
    assert (boxes, circles) == (10, 5)  # x1 x2 w1 w2 b, x1w1 x2w2 their sum, n, o; * * + + tanh
    assert text == "<Drawing of 10 values and 5 ops: display it in Jupyter, or .render() it>"
    assert repr(draw_dot(o)) == text


@needs_dot
def test_rankdir_tb_draws_inputs_above_the_output_and_lr_draws_them_to_the_left(lecture_neuron):
    o, _ = lecture_neuron()
    lr = render(draw_dot(o, rankdir="LR"))
    assert center(box_with(lr, "x1"))[0] < center(box_with(lr, "o"))[0]
    tb = render(draw_dot(o, rankdir="TB"))
    assert center(box_with(tb, "x1"))[1] < center(box_with(tb, "o"))[1]


def test_options_outside_what_is_accepted_are_refused_with_what_was_given(lecture_neuron):
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
    # a string where a flag belongs would count as True: refused instead
    for flag in ("check", "clusters", "expand", "backward_done"):
        with pytest.raises(TypeError, match=f"{flag} must be True or False, got 'no'"):
            draw_dot(o, **{flag: "no"})
    with pytest.raises(TypeError, match="title must be a str, got int"):
        draw_dot(o, title=5)
    with pytest.raises(TypeError, match="parameters must be a list of Values, got int"):
        draw_dot(o, color_by="role", parameters=5)
    with pytest.raises(ValueError, match="for color_by='role'; pass that too"):
        draw_dot(o, parameters=[o])


@needs_dot
def test_labels_with_markup_characters_are_drawn_as_written():
    a = Value(1.0, label="a<b & c>")
    svg = render(draw_dot(a * 2))
    assert ["a<b & c>", "data 1.000", "grad pending"] in [texts(g) for g in groups(svg, "value")]


def test_numbers_outside_a_thousandth_to_ten_thousand_switch_to_scientific():
    tiny = Value(3e-9, label="tiny")
    source = draw_dot(tiny * 1e7, backward_done=True).source
    assert "data 3.000e-09" in source and "data 3.000e-02" not in source
    assert "data 0.03000" in source


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
    assert any("rule 4.500" in t and "slope 6.750" in t for t in texts(bad[0]))
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
    block = source[source.index('label="layers.1"') :]
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
def test_color_by_role_tells_inputs_parameters_intermediates_and_the_output_apart(lecture_neuron):
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
    graph = topological_order(loss)
    assert len(graph) > 8_000  # nn fuses each neuron's w·x + b into one node (the 65k-node plain graph: above)
    # drawn as their parts, a neuron of n inputs is 2n nodes (n products, n sums) instead of one
    fused = [v for v in graph if v.op == "w·x+b"]
    total = len(graph) + sum(len(v.parents) - 2 for v in fused)
    svg = render(draw_dot(loss, max_nodes=250))
    summaries = groups(svg, "summary")
    assert len(groups(svg, "value")) + len(groups(svg, "op")) + len(summaries) <= 250
    shown, said_total, hidden, _, folded = _caption_numbers(svg)
    assert said_total == total and shown + hidden + folded == total
    # the footer is one line; what the count counts is the drawing's tooltip
    footer = [t for t in texts(svg) if t.startswith("showing")]
    assert len(footer) == 1 and footer[0].startswith(f"showing {shown:,} of {total:,} nodes · {hidden:,} more in the ")
    note = f"{total:,} nodes counting fused nodes ({len(fused):,} w·x+b) as their parts; {len(graph):,} in the graph"
    assert any(a.get(XLINK_TITLE, "").startswith(note) for a in svg.iter(f"{SVG}a"))
    assert {"layers.0", "layers.1"} <= {texts(g)[0] for g in groups(svg, "cluster")}
    # drawn fused, the drawing counts the graph's own nodes
    svg = render(draw_dot(loss, max_nodes=250, expand=False))
    shown, said_total, hidden, _, folded = _caption_numbers(svg)
    assert said_total == len(graph) and shown + hidden + folded == len(graph)


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
def test_step_zero_is_before_the_walk_and_every_step_fills_more_gradients_until_all_are_final(lecture_neuron):
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
def test_the_current_node_and_the_edges_it_fed_are_highlighted(lecture_neuron):
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
    assert "grad 1.000 (so far)" in texts(box_with(svg, "a"))
    svg = render(draw_dot(c, step=99))
    c.backward()  # the engine's own backward, a different code path, agrees with the finished walk
    assert "grad 7.000" in texts(box_with(svg, "a")) and a.grad == pytest.approx(7.0)


@needs_dot
def test_every_frame_of_a_step_through_has_the_same_layout(lecture_neuron):
    o, _ = lecture_neuron()
    first, last = render(draw_dot(o, step=0, title="")), render(draw_dot(o, step=5, title=""))
    for name in ("x1", "w2", "n", "o"):
        assert center(box_with(first, name)) == center(box_with(last, name))


# --- fused nodes drawn as their parts ----------------------------------------------------------

# the lecture's neuron as nn builds it: w·x + b is one fused node, drawn as micrograd's * and + nodes
LECTURE_W, LECTURE_X, LECTURE_B = (-3.0, 1.0), (2.0, 0.0), 6.8813735870195432


def nn_lecture_neuron():
    nn = pytest.importorskip("nn")
    neuron = nn.Neuron(2, activation="tanh")
    for w, data in zip(neuron.w, LECTURE_W):
        w.data = data
    neuron.b.data = LECTURE_B
    x = [Value(data, label=f"x{i}") for i, data in enumerate(LECTURE_X)]
    return neuron(x), neuron, x


def plain_lecture_neuron():
    """The same neuron from plain Values, built the way micrograd's Neuron builds it: the oracle."""
    w = [Value(data, label=f"w{i}") for i, data in enumerate(LECTURE_W)]
    x = [Value(data, label=f"x{i}") for i, data in enumerate(LECTURE_X)]
    b = Value(LECTURE_B, label="b")
    return sum((wi * xi for wi, xi in zip(w, x)), b).tanh()


def op_results(svg: ET.Element) -> list[tuple[str, tuple[str, ...]]]:
    """Each op node with the texts of the box it makes, sorted: what a reader compares by eye."""
    # an unlabelled box's name (n12) is its place among the drawn nodes, which parts shift: not compared
    boxes = {title(g): [t for t in texts(g) if not re.fullmatch(r"n\d+", t)] for g in groups(svg, "value")}
    ops = {title(g): texts(g)[0] for g in groups(svg, "op")}
    made = [title(g).replace("&#45;&gt;", "->").split("->") for g in groups(svg, "edge")]
    return sorted((ops[tail], tuple(boxes[head])) for tail, head in made if tail in ops)


def grads_shown(svg: ET.Element) -> list[str]:
    return sorted(t for g in groups(svg, "value") for t in texts(g) if t.startswith("grad"))


@needs_dot
def test_an_nn_neuron_is_drawn_as_micrograds_products_and_sums_with_the_numbers_plain_values_give():
    o, neuron, x = nn_lecture_neuron()
    o.backward()
    assert [v.op for v in topological_order(o)].count("w·x+b") == 1  # fused in the graph itself
    plain = plain_lecture_neuron()
    plain.backward()
    drawn, oracle = render(draw_dot(o)), render(draw_dot(plain))
    assert sorted(texts(g)[0] for g in groups(drawn, "op")) == ["*", "*", "+", "+", "tanh"]
    assert op_results(drawn) == op_results(oracle)
    for name in ("w0", "w1", "x0", "x1", "b"):
        assert texts(box_with(drawn, name)) == texts(box_with(oracle, name))
    # by hand: w0*x0 = -6, b + w0*x0 = 0.8814 (= n, as w1*x1 = 0); every part's grad is
    # d o/d n = 1 - tanh(n)^2 = 0.5, and d o/d x0 = w0 * 0.5 = -1.5
    products = [box for op, box in op_results(drawn) if op == "*"]
    assert ("data -6.000", "grad 0.5000") in products and ("data 0", "grad 0.5000") in products
    sums = [box for op, box in op_results(drawn) if op == "+"]
    assert sums == [("data 0.8814", "grad 0.5000")] * 2
    assert texts(box_with(drawn, "x0")) == ["x0", "data 2.000", "grad -1.500"]
    assert len(groups(drawn, "part")) == 2 * 4  # four parts, each a box and an op node


@needs_dot
def test_the_parts_gradients_follow_the_chain_rule_from_the_fused_nodes_gradient_not_a_copy_of_it():
    o, neuron, x = nn_lecture_neuron()
    loss = o * o * 3.0  # d loss/d o = 6 o, so every part of the neuron carries 6 o (1 - o^2)
    loss.backward()
    plain = plain_lecture_neuron()
    plain_loss = plain * plain * 3.0
    plain_loss.backward()
    drawn, oracle = render(draw_dot(loss)), render(draw_dot(plain_loss))
    assert op_results(drawn) == op_results(oracle)
    share = 6 * o.data * (1 - o.data**2)
    assert sum(f"grad {format_number(share)}" in box for op, box in op_results(drawn) if op in "*+") == 4

    # a fused a*b*c: the part a*b gets d(abc)/d(ab) = c times the fused node's gradient
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(0.5, label="c")
    y = fused_product(a, b, c) * 4.0
    y.backward()
    pa, pb, pc = Value(2.0, label="a"), Value(-3.0, label="b"), Value(0.5, label="c")
    plain_y = pa * pb * pc * 4.0
    plain_y.backward()
    drawn, oracle = render(draw_dot(y)), render(draw_dot(plain_y))
    assert op_results(drawn) == op_results(oracle)
    assert ("*", ("data -6.000", "grad 2.000")) in op_results(drawn)  # c × 4, by hand


fused_product = Primitive(
    "abc", lambda a, b, c: a * b * c, lambda out, a, b, c: (b * c, a * c, a * b), 3, parts=lambda a, b, c: a * b * c
)


@needs_dot
def test_expand_false_draws_the_fused_neuron_as_one_box_with_all_its_inputs():
    o, _, _ = nn_lecture_neuron()
    o.backward()
    svg = render(draw_dot(o, expand=False))
    assert sorted(texts(g)[0] for g in groups(svg, "op")) == ["tanh", "w·x+b"]
    fused = next(title(g) for g in groups(svg, "op") if texts(g) == ["w·x+b"])
    into = [t for t in (title(g).replace("&#45;&gt;", "->") for g in groups(svg, "edge")) if t.endswith(f"->{fused}")]
    assert len(into) == 5  # w0, w1, x0, x1, b
    made = next(
        t.split("->")[1]
        for t in (title(g).replace("&#45;&gt;", "->") for g in groups(svg, "edge"))
        if t.startswith(f"{fused}->")
    )
    assert [texts(g) for g in groups(svg, "value") if title(g) == made] == [[made, "data 0.8814", "grad 0.5000"]]
    assert not groups(svg, "part")


def test_drawing_the_parts_changes_no_number_in_the_users_graph_and_ids_stay_the_same_run_to_run():
    o, _, _ = nn_lecture_neuron()
    loss = o * 2.0
    loss.backward()
    before = [(v.data, v.grad, v.op, len(v.parents)) for v in topological_order(loss)]
    first = draw_dot(loss).source
    draw_dot(loss, step=3)
    draw_dot(loss, check=True, color_by="grad")
    assert [(v.data, v.grad, v.op, len(v.parents)) for v in topological_order(loss)] == before
    again, _, _ = nn_lecture_neuron()
    again_loss = again * 2.0
    again_loss.backward()
    assert draw_dot(again_loss).source == first


def test_parts_drawn_inside_no_grad_or_another_scope_still_show_and_keep_the_neurons_own_scope():
    nn = pytest.importorskip("nn")
    model = nn.MLP(2, [2, 1], seed=0)
    y = model([0.5, -1.0])
    y.backward()
    expected = draw_dot(y).source
    with no_grad(), scope("elsewhere"):
        assert draw_dot(y).source == expected
    assert "elsewhere" not in expected and 'label="layers.0.neurons.1"' in expected


@needs_dot
def test_the_parts_sit_in_the_box_of_the_neuron_that_made_them():
    nn = pytest.importorskip("nn")
    model = nn.MLP(2, [2, 1], seed=0)
    y = model([0.5, -1.0])
    y.backward()
    svg = render(draw_dot(y))
    clusters = {texts(g)[0]: _bbox(g) for g in groups(svg, "cluster")}
    parts = [g for g in groups(svg, "part") if "value" in g.get("class").split()]
    assert len(parts) == 3 * 2 * 2  # three neurons of two inputs: two products and two sums each
    seen = set()
    for g in parts:
        tooltip = next(a.get(XLINK_TITLE) for a in g.iter(f"{SVG}a"))
        where = re.search(r"scope (\S+), part of w·x\+b", tooltip).group(1)
        seen.add(where)
        x, y_ = center(g)
        x0, y0, x1, y1 = clusters[where]
        assert x0 <= x <= x1 and y0 <= y_ <= y1
    assert seen == {"layers.0.neurons.0", "layers.0.neurons.1", "layers.1.neurons.0"}


@needs_dot
def test_check_verifies_the_parts_and_keeps_a_fused_node_whose_own_rule_is_wrong_whole_and_red():
    o, _, _ = nn_lecture_neuron()
    source = draw_dot(o, check=True).source
    assert "mismatch" not in source and "all 5 derivative rules agree" in source  # tanh, 2 *, 2 +

    # a fused a*b + c whose rule says d/da = b (right) but d/db = b (wrong: it is a)
    fma_wrong = Primitive("fma_wrong", lambda a, b, c: a * b + c, lambda out, a, b, c: (b, b, 1.0), 3, parts=_fma_parts)
    a, b, c = Value(2.0, label="a"), Value(5.0, label="b"), Value(1.0, label="c")
    y = fma_wrong(a, b, c)
    assert sorted(texts(g)[0] for g in groups(render(draw_dot(y)), "op")) == ["*", "+"]
    svg = render(draw_dot(y, check=True))
    bad = groups(svg, "mismatch")
    assert [texts(g)[0] for g in bad] == ["fma_wrong"]
    assert any("input 1" in t and "rule 5.000" in t and "slope 2.000" in t for t in texts(bad[0]))


def _fma_parts(a, b, c):
    return a * b + c


def test_parts_that_compute_something_else_than_the_forward_are_refused_with_the_way_out():
    says_add_builds_mul = Primitive("add_or_mul", lambda a, b: a + b, lambda out, a, b: (1.0, 1.0), 2, parts=_mul_parts)
    y = says_add_builds_mul(Value(2.0), Value(5.0))
    with pytest.raises(
        ValueError, match=r"'add_or_mul': its parts give 10.0 where its forward gives 7.0.*expand=False"
    ):
        draw_dot(y)
    assert "add_or_mul" in draw_dot(y, expand=False).source
    with pytest.raises(TypeError, match="expand must be True or False, got 'yes'"):
        draw_dot(y, expand="yes")


def _mul_parts(a, b):
    return a * b


def test_every_primitive_with_parts_builds_its_forward_value_and_its_derivative_rule_from_them():
    # the parts' backward runs through + and * only: an oracle independent of the fused rule
    rng = random.Random(7)
    with_parts = [p for p in examples().values() if p.parts is not None]
    assert "w·x+b" in {p.name for p in with_parts}
    for p in with_parts:
        for _ in range(5):
            xs = [rng.uniform(-3, 3) for _ in range(p.arity)]
            inputs = [Value(x) for x in xs]
            out = p.parts(*inputs)
            assert out.data == pytest.approx(p.forward(*xs), rel=1e-12, abs=1e-12)
            rule = p.derivative(p.forward(*xs), *xs)
            assert grad(out, inputs) == pytest.approx(list(rule), rel=1e-12, abs=1e-12)


@needs_dot
def test_stepping_through_an_nn_neuron_walks_its_parts_like_micrograds_neuron():
    o, _, _ = nn_lecture_neuron()
    plain = plain_lecture_neuron()
    for k in range(7):
        drawn, oracle = render(draw_dot(o, step=k)), render(draw_dot(plain, step=k))
        assert grads_shown(drawn) == grads_shown(oracle)
        assert [texts(g)[0] for g in groups(drawn, "current") if "op" in g.get("class").split()] == [
            texts(g)[0] for g in groups(oracle, "current") if "op" in g.get("class").split()
        ]
    assert "step 2 of 5" in " ".join(texts(render(draw_dot(o, step=2))))
    # drawn fused, the whole w·x+b is one step
    fused = render(draw_dot(o, step=2, expand=False))
    assert "step 2 of 2" in " ".join(texts(fused))
    assert [texts(g)[0] for g in groups(fused, "current") if "op" in g.get("class").split()] == ["w·x+b"]


@needs_dot
def test_colour_modes_fill_the_parts_like_any_other_node():
    o, neuron, x = nn_lecture_neuron()
    o.backward()
    svg = render(draw_dot(o, color_by="role", parameters=neuron.parameters()))
    parts = [g for g in groups(svg, "part") if "value" in g.get("class").split()]
    assert parts and all(fills(g) == fills(parts[0]) for g in parts)
    assert fills(parts[0]) != fills(box_with(svg, "w0")) and fills(box_with(svg, "w0")) == fills(box_with(svg, "b"))
    svg = render(draw_dot(o, color_by="grad"))
    legend = fills(groups(svg, "legend")[0])
    assert all(fills(g) <= legend for g in groups(svg, "part") if "value" in g.get("class").split())


# --- rendering without Graphviz ------------------------------------------------------------


def test_building_needs_no_graphviz_but_rendering_without_it_says_how_to_install_it(
    monkeypatch, tmp_path, lecture_neuron
):
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


def test_two_boxes_that_both_read_one_share_a_colour():
    from engine.draw.style import grad_color

    # 1 - 4e-16 prints as 1.000 like 1.0 itself, so it is coloured like it
    assert grad_color(0.9999999999999996) == grad_color(1.0) == grad_color(-1.0)
    assert grad_color(0.5) != grad_color(2.0)


def test_a_step_caption_brackets_a_label_that_is_a_formula(lecture_neuron):
    from engine.draw.animation import backward_frames

    o, nodes = lecture_neuron()
    nodes["n"].parents[0].label = "x1*w1 + x2*w2"
    _, captions = backward_frames(o)
    assert any("(x1*w1 + x2*w2).grad += " in caption for caption in captions), captions


def test_a_summarised_drawing_prints_its_summary_box_and_says_once_how_much_it_hides():
    total = sum(Value(float(i)) for i in range(3000))
    drawing = draw_dot(total)
    assert repr(drawing) == (
        "<Drawing of 1 values and 1 ops (and 1 summary box for the rest): display it in Jupyter, or .render() it>"
    )
    summary = next(line for line in drawing.body if "class=summary" in line)
    assert "top level: the rest" in summary and "3,001 nodes hidden" in summary


@needs_dot
def test_a_big_graph_built_without_scopes_is_boxed_by_the_terms_of_its_sums():
    # micrograd's own code makes no scopes: the loss's sum over samples gives the boxes instead
    rng = random.Random(0)
    weights = [
        [[Value(rng.uniform(-1, 1)) for _ in range(nin)] + [Value(0.0)] for _ in range(nout)]
        for nin, nout in ((2, 8), (8, 1))
    ]
    losses = []
    for _ in range(20):
        h = [Value(rng.uniform(-1, 1)), Value(rng.uniform(-1, 1))]
        for li, layer in enumerate(weights):
            h = [sum((w * x for w, x in zip(row, h)), row[-1]) for row in layer]
            h = [v.relu() for v in h] if li == 0 else h
        losses.append((1 + -h[0]).relu())
    loss = sum(losses) * (1.0 / len(losses))
    loss.backward()
    total = len(topological_order(loss))
    svg = render(draw_dot(loss, max_nodes=60))
    values, ops, summaries = groups(svg, "value"), groups(svg, "op"), groups(svg, "summary")
    assert len(values) + len(ops) + len(summaries) <= 60
    shown, _, hidden, _, folded = _caption_numbers(svg)
    assert shown + hidden + folded == total
    titles = [texts(g)[0] for g in summaries]
    assert sum(t.startswith("sum1.term") for t in titles) >= 5, titles  # one box per sample's own nodes
    assert any("scopes)" in t for t in titles)  # the rest of the samples grouped in one box


# --- hostile strings: whatever a label, scope or title holds, dot draws it as written ------------

# Each has broken (or could break) a DOT file or an HTML-like label: escString backslashes, a quote,
# a string shaped like an HTML label, markup, characters XML refuses, terminal escapes, DOT syntax.
HOSTILE = [
    "\\",
    "ends in \\",
    "two \\\\",
    "\\l left",
    "\\N and \\G",
    'quote \\" after a backslash',
    '"',
    'say "hi"',
    "<b>bold</b>",
    "<>",
    "<",
    "a > b",
    "<<TABLE><TR><TD>x</TD></TR></TABLE>>",
    "&amp; & &#0;",
    "nul\x00byte",
    "esc\x1b[31mred",
    "\x1b]0;title\x07",
    "tab\tand\nnewline\r",
    "del\x7f and \x85",
    "]]> --> /* */ //",
    "{a|b} | <port>",
    "a; b -> c [label=x]",
    "lone \ud800 surrogate",
    "not a char \ufffe\uffff",
    "right-to-left \u202e override",
    "%3",
    "é ünïcödé 中文 😀",
    "x" * 300,
]


def shown_as(s: str) -> str:
    """What a person should read: the string itself, with each unprintable character as Python
    writes it in a repr (\\x1b, \\n, \\ud800), so nothing invisible or terminal-controlling is drawn."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in s)


def all_text(svg: ET.Element) -> str:
    return "\n".join(t.text.replace("\xa0", " ") for t in svg.iter(f"{SVG}text") if t.text)


@needs_dot
@pytest.mark.parametrize("hostile", HOSTILE, ids=[repr(s)[:24] for s in HOSTILE])
def test_a_hostile_label_scope_or_title_is_drawn_as_written(hostile):
    with scope(hostile):
        a = Value(2.0, label=hostile)
        y = a * 3.0
    y.label = hostile
    y.backward()
    svg = render(draw_dot(y, title=hostile))
    boxes = [texts(g) for g in groups(svg, "value")]
    assert [shown_as(hostile), "data 2.000", "grad 3.000"] in boxes
    assert [texts(g)[0] for g in groups(svg, "cluster")] == [shown_as(hostile)]
    assert shown_as(hostile) in all_text(svg).splitlines()  # the caption
    # the browser tab names the drawing by its title
    assert svg.find(f"{SVG}g/{SVG}title").text == shown_as(hostile)


@needs_dot
@pytest.mark.parametrize("hostile", HOSTILE, ids=[repr(s)[:24] for s in HOSTILE])
def test_a_hostile_scope_folded_into_a_summary_box_is_drawn_as_written(hostile):
    terms = []
    for k in range(40):
        with scope(hostile), scope(f"{k}"):
            terms.append(Value(float(k)) * Value(2.0) + 1.0)
    svg = render(draw_dot(sum(terms), max_nodes=20))
    summaries = [texts(g) for g in groups(svg, "summary")]
    assert summaries and all(shown_as(hostile) in "\n".join(t) for t in summaries)


@needs_dot
def test_hostile_layer_names_in_a_gradient_flow_drawing_are_drawn_as_written():
    nn = pytest.importorskip("nn")
    stats = [nn.LayerStats(name, 0.1 * (k + 1), 0.2, 0.3, 1.0, "ok") for k, name in enumerate(HOSTILE)]
    svg = render(nn.draw_grad_flow(stats))
    assert [texts(g)[0] for g in groups(svg, "layer")] == [shown_as(name) for name in HOSTILE]


# --- legible by default ------------------------------------------------------------------------------


def _width(svg: ET.Element) -> float:
    return float(svg.get("width").removesuffix("pt"))


README_COLUMN = 830  # px: what GitHub gives a README's images


def _smallest_text_px(svg: ET.Element, column: float = README_COLUMN) -> float:
    """How tall the smallest text is, in screen px, with the picture shown at most `column` px wide.

    An SVG is `width` pt (4/3 px each) at full size; wider than the column it is shrunk to it.
    Its text sizes are in the units of its viewBox.
    """
    shown = min(_width(svg) * 4 / 3, column)
    view_width = float(svg.get("viewBox").split()[2])
    sizes = [float(t.get("font-size")) for t in svg.iter(f"{SVG}text") if t.get("font-size")]
    return min(sizes) * shown / view_width


def test_the_smallest_text_is_measured_as_a_reader_sees_it():
    # independent arithmetic: 12 pt text in a 996 pt drawing shrunk to 830 px is 12 * 830 / 996 = 10 px;
    # a 300 pt drawing is shown at its own size, 400 px, so 12 pt text is 16 px
    wide = ET.fromstring(
        '<svg xmlns="http://www.w3.org/2000/svg" width="996pt" viewBox="0 0 996 50">'
        '<text font-size="12.00">a</text><text font-size="14.00">b</text></svg>'
    )
    narrow = ET.fromstring(
        '<svg xmlns="http://www.w3.org/2000/svg" width="300pt" viewBox="0 0 300 50">'
        '<text font-size="12.00">a</text></svg>'
    )
    assert _smallest_text_px(wide) == pytest.approx(10.0) and _smallest_text_px(narrow) == pytest.approx(16.0)


@needs_dot
@pytest.mark.parametrize("step", [None, 0, 3, 5])
def test_the_lecture_neuron_reads_at_10_px_in_a_readme_column(lecture_neuron, step):
    # `make demo`'s out/neuron.svg and the README's step picture: every text at least 10 px at 830 px
    o, _ = lecture_neuron()
    if step is None:
        o.backward()
    svg = render(draw_dot(o, step=step))
    assert _smallest_text_px(svg) >= 10, f"{_width(svg):.0f} pt wide"


@needs_dot
@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_the_legend_is_drawn_beside_the_output_not_above_the_graph(rankdir):
    # in the first rank it would sit beside the widest row of boxes and widen the drawing
    svg = render(draw_dot(_scoped_sum(1.0), color_by="grad", max_nodes=20, rankdir=rankdir))
    output = max(groups(svg, "value"), key=lambda g: int(title(g)[1:]))  # n<i>: the root is last in the walk
    legend, output = center(groups(svg, "legend")[0]), center(output)
    along = 1 if rankdir == "TB" else 0  # the axis the ranks follow each other on
    assert legend[along] == pytest.approx(output[along], abs=2)


@needs_dot
def test_the_direction_picked_is_the_narrower_for_a_whole_mlp_sample():
    # one moons sample through MLP(2, [3, 3, 1]) drawn whole: neither way fits, the narrower is chosen
    loss = moons_loss(n_samples=1, sizes=(2, 3, 3, 1))
    lr, tb = (_width(render(draw_dot(loss, rankdir=r, max_nodes=10_000))) for r in ("LR", "TB"))
    assert _width(render(draw_dot(loss, max_nodes=10_000))) == min(lr, tb)


def _wide_product():
    # two leaves whose boxes side by side are wider than a shrunk README column can keep legible
    a, b = Value(2.0, label="a" * 45), Value(-3.0, label="b" * 45)
    c = a * b
    c.label = "c"
    c.backward()
    return c


@needs_dot
def test_a_rank_too_wide_top_to_bottom_stacks_a_leaf_above_the_other_operand_of_its_op():
    svg = render(draw_dot(_wide_product(), rankdir="TB"))
    a, b = (center(box_with(svg, name * 45)) for name in "ab")
    assert a[1] != b[1]  # one above the other, not side by side (which is 1,148 pt wide)
    assert _smallest_text_px(svg) >= 10
    # left to right a rank is a column: nothing is stacked, both leaves stay one rank before c
    lr = render(draw_dot(_wide_product(), rankdir="LR"))
    a, b = (center(box_with(lr, name * 45)) for name in "ab")
    assert a[0] == pytest.approx(b[0])


@needs_dot
def test_a_drawing_too_wide_for_a_screen_left_to_right_is_drawn_the_narrower_way(lecture_neuron):
    o, _ = lecture_neuron()
    o.backward()
    lr, tb = render(draw_dot(o, rankdir="LR")), render(draw_dot(o, rankdir="TB"))
    assert _width(lr) > 620  # the lecture's neuron left to right: wider than a README column
    assert _width(render(draw_dot(o))) == min(_width(lr), _width(tb)) == _width(tb)


@needs_dot
def test_a_drawing_that_fits_stays_left_to_right_like_micrograds():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    svg = render(draw_dot(c))
    assert _width(svg) <= 620 and "rankdir=LR" in draw_dot(c).source


@needs_dot
def test_a_long_step_caption_wraps_instead_of_widening_the_drawing(lecture_neuron):
    o, _ = lecture_neuron()
    svg = render(draw_dot(o, step=3))
    caption = [t for t in texts(svg) if t.startswith("step 3 of")]
    assert caption and max(len(t) for t in texts(svg)) <= 100


@needs_dot
def test_the_browser_tab_shows_the_roots_label_or_the_expression_it_computes(lecture_neuron):
    o, v = lecture_neuron()
    assert render(draw_dot(o)).find(f"{SVG}g/{SVG}title").text == "o"
    n = v["x1"] * v["w1"] + v["x2"] * v["w2"] + v["b"]
    assert render(draw_dot(n.tanh())).find(f"{SVG}g/{SVG}title").text == "tanh(x1*w1 + x2*w2 + b)"
    assert render(draw_dot((v["x1"] + v["w1"]) * v["b"])).find(f"{SVG}g/{SVG}title").text == "(x1 + w1)*b"
    quotient = (v["x1"] - v["w1"]) / (v["x2"] ** 2 + v["b"])  # built as a + b*(-1) and a * b**-1
    assert render(draw_dot(quotient)).find(f"{SVG}g/{SVG}title").text == "(x1 - w1)/(x2**2 + b)"


def _scoped_sum(scale: float, n: int = 12) -> Value:
    # n modules whose every node gets the same gradient: 1 × scale (d loss / d each term)
    terms = []
    for k in range(n):
        with scope("layers"), scope(f"{k}"):
            terms.append(Value(float(k)) + Value(1.0) + Value(2.0))
    loss = sum(terms) * scale
    loss.backward()
    return loss


@needs_dot
@pytest.mark.parametrize(("scale", "fill"), [(1.0, "#fdae61"), (1e-5, "#4575b4")])
def test_summary_boxes_are_coloured_on_the_nodes_grad_scale_and_the_legend_says_how(scale, fill):
    svg = render(draw_dot(_scoped_sum(scale), color_by="grad", max_nodes=20))
    boxes = groups(svg, "summary")
    assert boxes and all(fills(g) == {fill} for g in boxes)  # every node inside has |grad| = scale
    assert all(f"mean |grad| {format_number(scale)}" in texts(g) for g in boxes)
    assert "dashed boxes: mean |grad| inside" in texts(groups(svg, "legend")[0])


@needs_dot
@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_summary_boxes_are_laid_out_in_the_order_of_their_module_index(rankdir):
    svg = render(draw_dot(_scoped_sum(1.0), max_nodes=20, rankdir=rankdir))
    boxes = groups(svg, "summary")
    where = {texts(g)[0]: (float(g.find(f"{SVG}text").get("x")), float(g.find(f"{SVG}text").get("y"))) for g in boxes}
    singles = sorted((int(t[7:]), xy) for t, xy in where.items() if t[7:].isdigit())  # layers.k
    assert len(singles) >= 5  # the first boxes stand alone, the rest share one box after them
    # in reading order: rows of boxes left to right, then the next row down, in TB; top-down in LR
    along = [(xy[1], xy[0]) if rankdir == "TB" else xy[1] for _, xy in singles]
    assert along == sorted(along)


# --- the README's pictures: made by docs/images.py, readable at a README's width ----------------------


def _docs_pictures():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "docs" / "images.py"
    spec = importlib.util.spec_from_file_location("docs_images", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@needs_dot
def test_the_readme_pictures_render_titled_ordered_and_as_wide_as_a_readme_allows():
    pytest.importorskip("nn")
    images = _docs_pictures()
    svgs = {name: render(make()) for name, make in images.PICTURES.items()}
    titles = {name: svg.find(f"{SVG}g/{SVG}title").text for name, svg in svgs.items()}
    assert titles == {"neuron_step": "o", "demo_loss": "loss", "grad_flow": "gradient flow per layer"}
    # shown in a README's 830 px column, every text is at least 10 px tall
    assert _width(svgs["grad_flow"]) <= 620
    assert {name: _smallest_text_px(svg) >= 10 for name, svg in svgs.items()} == dict.fromkeys(svgs, True)
    demo = svgs["demo_loss"]
    footer = [t for t in texts(demo) if t.startswith("showing")]
    assert len(footer) == 1 and "dashed boxes" in footer[0]
    for cluster in ("layers.0", "layers.1"):  # neurons 0, 1, 2, ... in reading order in each layer's box
        x0, y0, x1, y1 = _bbox(next(g for g in groups(demo, "cluster") if texts(g)[0] == cluster))
        at = [
            (float(g.find(f"{SVG}text").get("x")), float(g.find(f"{SVG}text").get("y")), g)
            for g in groups(demo, "summary")
        ]
        inside = [((y, x), texts(g)[0]) for x, y, g in at if x0 <= x <= x1 and y0 <= y <= y1]  # reading order
        singles = [int(t.removeprefix("neurons.")) for _, t in sorted(inside) if t.removeprefix("neurons.").isdigit()]
        assert singles == sorted(singles) and len(singles) >= 5


def test_every_committed_docs_picture_reads_at_10_px_in_a_readme_column():
    # the files the README links to, as committed (python docs/images.py remakes them)
    from pathlib import Path

    pictures = sorted((Path(__file__).resolve().parent.parent / "docs" / "img").glob("*.svg"))
    assert {p.stem for p in pictures} >= {"neuron_step", "demo_loss", "grad_flow"}
    small = {p.name: round(_smallest_text_px(ET.parse(p).getroot()), 1) for p in pictures}
    assert all(px >= 10 for px in small.values()), f"text px at 830 px: {small}; draw them narrower"
