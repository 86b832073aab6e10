"""Every node named unambiguously (engine.names): in captions, drawings, anomaly messages and compiled source."""

from __future__ import annotations

import re

import pytest

from engine import Value, compile, detect_anomaly, draw_dot
from engine.draw.dot import _grad_text, _graph_to_draw
from engine.draw.walkthrough import replay_backward, step_caption
from engine.names import node_names
from engine.value import topological_order


def _mlp_loss():
    nn = pytest.importorskip("nn")
    model = nn.MLP(2, [4, 4, 1], seed=0)
    X, y = nn.make_moons(4, seed=0)
    loss = sum((model(x) - t) ** 2 for x, t in zip(X, y))
    loss.backward()
    return loss


def test_an_mlp_walks_captions_never_describe_two_different_nodes_with_the_same_words():
    loss = _mlp_loss()
    graph = _graph_to_draw(loss, True, False)
    order, parents = graph.order, graph.parents
    names = node_names(order)
    described: dict[str, set[int]] = {}  # the words a caption uses for a node -> the nodes they meant
    walk = replay_backward(order, parents, 0, _grad_text)
    for k in range(1, walk.total + 1):
        walk = replay_backward(order, parents, k, _grad_text)
        caption = step_caption(order, walk, names)
        head = re.match(r"step \d+ of \d+: (.*?) (has its complete grad|starts the walk)", caption).group(1)
        described.setdefault(head, set()).add(walk.current)
        rule = caption.partition("input.grad += local derivative × grad: ")[2]
        shares = re.findall(r"(?:^|; )(\S+)\.grad \+= ", rule)
        for (p, _, _), words in zip(walk.fed, shares):
            described.setdefault(words.strip("()"), set()).add(p)
    assert len(described) > 100
    ambiguous = {words: nodes for words, nodes in described.items() if len(nodes) > 1}
    assert ambiguous == {}


def test_names_are_labels_when_unique_then_scoped_then_placed_and_never_repeat():
    nn = pytest.importorskip("nn")
    model = nn.MLP(2, [2, 1], seed=0)
    out = model([1.0, -1.0]) + model([0.5, 2.0])
    order = topological_order(out)
    names = node_names(order)
    assert len(set(names)) == len(names)
    assert "layers.0.neurons.1.w0" in names  # as named_parameters() calls it
    assert names[-1] == f"n{len(order) - 1}"  # unlabelled: n and its place in the walk
    assert any(re.fullmatch(r"x0@n\d+", name) for name in names)  # the inputs x0 of two samples, one scope
    dup = Value(1.0, label="n1")  # a label that reads like another node's name
    assert len(set(node_names(topological_order(dup * Value(2.0) + 1)))) == 5


def test_an_unlabelled_box_shows_the_name_its_tooltip_and_the_captions_use():
    x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    y = (x * w).tanh()
    y.backward()
    source = draw_dot(y, step=2).source
    assert "<B>n2</B>" in source and "<B>n3</B>" in source
    assert 'tooltip="n2: data -6.000' in source
    assert "step 2 of 2: n2 (the * node, data -6.000) has its complete grad" in source


def test_an_anomaly_message_names_the_node_by_the_same_rule():
    x = Value(0.0, label="x")
    with detect_anomaly():
        y = (x * 1.0).sqrt()  # d sqrt(u)/du = 1/(2 sqrt(u)) = inf at 0
        with pytest.raises(FloatingPointError, match=r"backward of sqrt gave gradient inf to its input 0 of node n3 "):
            y.backward()
    assert node_names(topological_order(y))[3] == "n3"


def test_the_compilers_source_calls_an_unlabelled_node_by_its_name():
    w = Value(0.5, label="w")
    f = compile(lambda x: (w * x).tanh())
    f(2.0)
    assert "n3_grad" in f.source and "n3 = tanh(" in f.source.replace("math.tanh(", "tanh(")
