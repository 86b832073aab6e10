"""Code written for micrograd and for the "spelled-out intro to backprop" lecture runs unchanged.

micrograd's own two tests compare it with PyTorch; they are rewritten here with the import
changed (and PyTorch in float64). The lecture's code uses the node's private-looking names
(`_prev`, `_op`, `_backward`) and labels; those are part of the API for exactly this reason.
"""

from __future__ import annotations

import html
import math
import re

import pytest

from engine import Value, topological_order
from engine.ops import UserOp

# --- micrograd's test suite, against PyTorch ---------------------------------------------------


def _sanity_check(x):
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    return y


def _more_ops(a, b):
    # micrograd's test_more_ops, the same expression as the example in its README
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return g


@pytest.mark.torch
def test_micrograds_sanity_check_matches_pytorch():
    torch = pytest.importorskip("torch")
    x = Value(-4.0)
    y = _sanity_check(x)
    y.backward()
    tx = torch.tensor([-4.0], dtype=torch.float64, requires_grad=True)
    ty = _sanity_check(tx)
    ty.backward()
    # micrograd asserts exact equality here; every step is exact in float64, so it holds
    assert y.data == ty.data.item()
    assert x.grad == tx.grad.item()


@pytest.mark.torch
def test_micrograds_more_ops_match_pytorch():
    torch = pytest.importorskip("torch")
    a, b = Value(-4.0), Value(2.0)
    g = _more_ops(a, b)
    g.backward()
    ta = torch.tensor([-4.0], dtype=torch.float64, requires_grad=True)
    tb = torch.tensor([2.0], dtype=torch.float64, requires_grad=True)
    tg = _more_ops(ta, tb)
    tg.backward()
    tol = 1e-6  # micrograd's tolerance
    assert abs(g.data - tg.data.item()) < tol
    assert abs(a.grad - ta.grad.item()) < tol
    assert abs(b.grad - tb.grad.item()) < tol
    # and in fact to float64 rounding
    assert g.data == pytest.approx(tg.data.item(), rel=1e-14)
    assert a.grad == pytest.approx(ta.grad.item(), rel=1e-14)
    assert b.grad == pytest.approx(tb.grad.item(), rel=1e-14)


def test_micrograd_readme_example_prints_its_documented_numbers():
    a, b = Value(-4.0), Value(2.0)
    g = _more_ops(a, b)
    g.backward()
    assert f"{g.data:.4f}" == "24.7041"
    assert f"{a.grad:.4f}" == "138.8338"
    assert f"{b.grad:.4f}" == "645.5773"


def test_micrograds_sanity_check_gives_its_hand_derivable_numbers():
    # z = 3x + 2 = -10, q = relu(z) + zx = 40, h = relu(z^2) = 100, y = h + q + qx = -20;
    # dy/dx = dh/dx + (1 + x) dq/dx + q with dq/dx = 6x + 2 (relu(z) is off), dh/dx = 2z·3
    x = Value(-4.0)
    y = _sanity_check(x)
    y.backward()
    assert y.data == -20.0
    assert x.grad == 2 * -10 * 3 + (1 - 4) * (6 * -4 + 2) + 40


# --- the lecture: labels, a hand-written graph drawing, the by-hand backward walk ------------------


def _lecture_neuron(tanh):
    x1 = Value(2.0, label="x1")
    x2 = Value(0.0, label="x2")
    w1 = Value(-3.0, label="w1")
    w2 = Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.label = "x1*w1 + x2*w2"
    n = x1w1x2w2 + b
    n.label = "n"
    o = tanh(n)
    o.label = "o"
    return o, dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, x1w1=x1w1, x2w2=x2w2, x1w1x2w2=x1w1x2w2, n=n)


def _tanh_as_exp(n):
    e = (2 * n).exp()
    return (e - 1) / (e + 1)


LECTURE_GRADS = {"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0}


def _trace(root):
    # the lecture's style: collect nodes and edges by following _prev
    nodes, edges = set(), set()

    def visit(v):
        if v in nodes:
            return
        nodes.add(v)
        for parent in v._prev:
            edges.add((parent, v))
            visit(parent)

    visit(root)
    return nodes, edges


def _draw_dot(root):
    from graphviz import Digraph

    graph = Digraph(format="svg", graph_attr={"rankdir": "LR"})
    nodes, edges = _trace(root)
    for n in nodes:
        uid = str(id(n))
        record = "{ %s | data %.4f | grad %.4f }" % (n.label, n.data, n.grad)  # noqa: UP031 (as the lecture writes it)
        graph.node(name=uid, label=record, shape="record")
        if n._op:
            graph.node(name=uid + n._op, label=n._op)
            graph.edge(uid + n._op, uid)
    for parent, child in edges:
        graph.edge(str(id(parent)), str(id(child)) + child._op)
    return graph


def test_the_lectures_by_hand_backward_walk_gives_its_numbers():
    o, v = _lecture_neuron(Value.tanh)
    assert o.data == pytest.approx(math.sqrt(0.5), rel=1e-12)
    o.grad = 1.0
    o._backward()
    assert v["n"].grad == pytest.approx(0.5, rel=1e-12)  # 1 - o^2
    v["n"]._backward()
    v["b"]._backward()  # a leaf: nothing to do, and no error
    v["x1w1x2w2"]._backward()
    v["x2w2"]._backward()
    v["x1w1"]._backward()
    for name, expected in LECTURE_GRADS.items():
        assert v[name].grad == pytest.approx(expected, rel=1e-12, abs=1e-15), name


def test_the_lectures_topological_sort_then_backward_walk_gives_its_numbers():
    o, v = _lecture_neuron(Value.tanh)
    topo, visited = [], set()

    def build_topo(node):
        if node not in visited:
            visited.add(node)
            for child in node._prev:
                build_topo(child)
            topo.append(node)

    build_topo(o)
    o.grad = 1.0
    for node in reversed(topo):
        node._backward()
    for name, expected in LECTURE_GRADS.items():
        assert v[name].grad == pytest.approx(expected, rel=1e-12, abs=1e-15), name


@pytest.mark.parametrize("tanh", [Value.tanh, _tanh_as_exp], ids=["tanh", "(e - 1)/(e + 1)"])
def test_the_lectures_neuron_backward_gives_its_numbers_with_either_tanh(tanh):
    o, v = _lecture_neuron(tanh)
    o.backward()
    assert o.data == pytest.approx(math.sqrt(0.5), rel=1e-12)
    for name, expected in LECTURE_GRADS.items():
        assert v[name].grad == pytest.approx(expected, rel=1e-12, abs=1e-15), name


def test_the_lectures_draw_dot_runs_and_shows_every_label_and_op():
    o, _ = _lecture_neuron(Value.tanh)
    o.backward()
    graph = _draw_dot(o)
    source = graph.source
    for label in ["x1", "x2", "w1", "w2", "b", "x1*w1", "x2*w2", "x1*w1 + x2*w2", "n", "o"]:
        assert f"{{ {label} | data" in source, label
    assert "data 0.7071 | grad 1.0000" in source
    assert "data 2.0000 | grad -1.5000" in source
    for op in ["+", "*", "tanh"]:
        assert f'label="{op}"' in source or f"label={op}" in source, op
    nodes, edges = _trace(o)
    assert (len(nodes), len(edges)) == (10, 9)


def test_the_lectures_drawing_renders_with_graphvizs_dot():
    import shutil

    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot program is not installed")
    o, _ = _lecture_neuron(_tanh_as_exp)
    svg = _draw_dot(o).pipe(format="svg").decode()
    assert svg.lstrip().startswith("<?xml") and "x1*w1" in svg


def test_the_lectures_first_examples_run():
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Value(-2.0, label="f")
    L = d * f
    L.label = "L"
    assert L.data == -8.0
    assert d._prev and set(d._prev) == {e, c} and d._op == "+"
    L.backward()
    assert (a.grad, b.grad, c.grad, f.grad) == (6.0, -4.0, -2.0, 4.0)
    # the lecture's fixed bug: a node used twice must get both contributions
    x = Value(3.0, label="x")
    y = x + x
    y.backward()
    assert x.grad == 2.0
    # and its operator tour: numbers on either side, division, powers, exp
    assert (Value(2.0) + 1).data == 3.0 and (2 * Value(2.0)).data == 4.0
    assert (Value(2.0) / Value(4.0)).data == 0.5 and (Value(2.0) - 1).data == 1.0
    assert (Value(2.0) ** 3).data == 8.0 and Value(1.0).exp().data == pytest.approx(math.e, rel=1e-15)


# --- a hand-written `_prev` walker on nn's graphs ---------------------------------------------


def _trace(root):
    # micrograd's trace_graph notebook walks the graph this way: every value, every (child, parent)
    nodes, edges, todo = set(), set(), [root]
    while todo:
        v = todo.pop()
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                todo.append(child)
    return nodes, edges


def _boxes_ops_edges(root):
    # what micrograd's draw_dot draws: a box per value, a node per op, an edge into each op
    # from each operand plus one from the op to its result
    nodes, edges = _trace(root)
    ops = [v for v in nodes if v._op]
    return len(nodes), len(ops), len(edges) + len(ops)


def test_an_unfused_neuron_shows_a_prev_walker_micrograds_graph_of_10_boxes_5_ops_14_edges():
    import random

    import nn

    random.seed(1337)
    neuron = nn.Neuron(2, fused=False)
    y = neuron([Value(1.0), Value(-2.0)])
    assert _boxes_ops_edges(y) == (10, 5, 14)
    nodes, _ = _trace(y)
    assert sorted(v._op for v in nodes if v._op) == ["*", "*", "+", "+", "ReLU"]


def test_the_default_fused_neuron_shows_its_one_weighted_sum_node():
    import nn

    y = nn.Neuron(2, seed=0)([Value(1.0), Value(-2.0)])
    assert _boxes_ops_edges(y) == (7, 2, 8)  # w0, w1, x0, x1, b into w·x+b; it into ReLU


def test_unfused_and_fused_mlps_give_micrograds_numbers_bit_for_bit():
    import random

    import micrograd.nn as mnn
    from micrograd.engine import Value as MicrogradValue

    import nn

    x = [0.5, -1.5]
    random.seed(7)
    theirs = mnn.MLP(2, [4, 4, 1])
    loss_theirs = theirs([MicrogradValue(v) for v in x])
    loss_theirs.backward()
    for fused in (True, False):
        random.seed(7)
        ours = nn.MLP(2, [4, 4, 1], fused=fused)
        loss = ours(x)
        loss.backward()
        assert loss.data == loss_theirs.data
        assert [p.grad for p in ours.parameters()] == [p.grad for p in theirs.parameters()]
    assert len(_trace(loss)[0]) == len(_trace(loss_theirs)[0])  # the unfused graph, node for node


def test_unfused_nodes_carry_their_modules_scope():
    import nn

    y = nn.MLP(2, [3, 1], seed=0, fused=False)([1.0, 2.0])
    scopes = {v.scope for v in _trace(y)[0] if v._op}
    assert scopes == {"layers.0.neurons.0", "layers.0.neurons.1", "layers.0.neurons.2", "layers.1.neurons.0"}


def test_fused_must_be_a_bool():
    import nn

    with pytest.raises(TypeError, match="fused must be True or False"):
        nn.Neuron(2, fused="no")


# --- micrograd's engine re-typed by a learner on top of chainrule's Value ------------------------


class LearnerValue(Value):
    """micrograd 0.1.0's ops as a learner types them: the constructor and a `_backward` closure."""

    def __add__(self, other):
        other = other if isinstance(other, Value) else LearnerValue(other)
        out = LearnerValue(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else LearnerValue(other)
        out = LearnerValue(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, other):
        assert isinstance(other, (int, float)), "only supporting int/float powers for now"
        out = LearnerValue(self.data**other, (self,), f"**{other}")

        def _backward():
            self.grad += (other * self.data ** (other - 1)) * out.grad

        out._backward = _backward
        return out

    def relu(self):
        out = LearnerValue(0 if self.data < 0 else self.data, (self,), "ReLU")

        def _backward():
            self.grad += (out.data > 0) * out.grad

        out._backward = _backward
        return out

    # the lecture's additions
    def tanh(self):
        t = (math.exp(2 * self.data) - 1) / (math.exp(2 * self.data) + 1)
        out = LearnerValue(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t**2) * out.grad

        out._backward = _backward
        return out

    def exp(self):
        out = LearnerValue(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def __neg__(self):
        return self * -1

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return other + (-self)

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * other**-1

    def __rtruediv__(self, other):
        return other * self**-1


def test_micrograds_engine_retyped_with_closures_gives_micrograds_numbers():
    micrograd = pytest.importorskip("micrograd.engine")
    for build in (_sanity_check, _more_ops):
        ours = [LearnerValue(-4.0), LearnerValue(2.0)][: 1 if build is _sanity_check else 2]
        theirs = [micrograd.Value(v.data) for v in ours]
        out, expected = build(*ours), build(*theirs)
        out.backward()
        expected.backward()
        # every op is the learner's closure: the graph records no built-in op
        assert all(isinstance(v._primitive, UserOp) for v in topological_order(out) if not v.is_leaf)
        # the same operations; only the order in which gradients are summed may differ (micrograd
        # walks _prev, a set, in an order that changes from run to run), so equal to rounding
        assert out.data == expected.data
        assert [v.grad for v in ours] == pytest.approx([v.grad for v in theirs], rel=1e-13)


def _closure_neuron(second_version):
    x1, x2 = LearnerValue(2.0, label="x1"), LearnerValue(0.0, label="x2")
    w1, w2 = LearnerValue(-3.0, label="w1"), LearnerValue(1.0, label="w2")
    b = LearnerValue(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    if second_version:  # tanh spelled out with exp, ** and /, as the lecture's second pass does
        e = (2 * n).exp()
        o = (e - 1) / (e + 1)
    else:
        o = n.tanh()
    o.label = "o"
    o.backward()
    return o, (x1, w1, x2, w2)


@pytest.mark.parametrize("second_version", [False, True], ids=["tanh", "exp-pow-div"])
def test_the_lectures_closure_ops_give_the_lectures_numbers_and_drawing(second_version):
    pytest.importorskip("graphviz")
    from engine import draw_dot

    o, (x1, w1, x2, w2) = _closure_neuron(second_version)
    assert all(isinstance(v._primitive, UserOp) for v in topological_order(o) if not v.is_leaf)
    # the lecture: o = 0.7071, and x1, w1, x2, w2 get -1.5, 1.0, 0.5, 0.0
    assert o.data == pytest.approx(math.sqrt(0.5), abs=1e-12)
    assert (x1.grad, w1.grad, x2.grad, w2.grad) == pytest.approx((-1.5, 1.0, 0.5, 0.0), abs=1e-9)
    svg = draw_dot(o).pipe(format="svg").decode()
    texts = [html.unescape(t).strip() for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]
    ops_drawn = {t for t in texts if t in {"+", "*", "tanh", "exp", "**-1"}}
    assert ops_drawn == ({"+", "*", "exp", "**-1"} if second_version else {"+", "*", "tanh"})
    for label in ("x1", "w1", "x2", "w2", "b", "n", "o"):
        assert label in texts, label
    assert any("-1.5" in t for t in texts) and any("0.7071" in t for t in texts)
