"""Ops written micrograd's way: `Value(data, _children, _op)` and a `_backward` closure.

The lecture adds `tanh`, `exp`, `**` and `/` to Value this way, and its exercises ask for more,
so the library must run such code unchanged, give micrograd's numbers, and help a learner find
the classic mistakes: a closure that sets a grad (`=`) instead of adding to it (`+=`), a wrong
sign, a forgotten `* out.grad`. Oracles: micrograd 0.1.0 itself, the lecture's numbers, and
central differences.
"""

from __future__ import annotations

import math

import pytest

import engine
from engine import GradcheckError, Value, compile, detect_anomaly, draw_dot, grad, gradcheck, no_grad
from engine.autodiff import closure_problems


# the lecture's ops, typed as a learner would, as functions over chainrule's Value
def tanh(x, bug=None):
    t = (math.exp(2 * x.data) - 1) / (math.exp(2 * x.data) + 1)
    out = Value(t, (x,), "tanh")

    def _backward():
        if bug == "sign":
            x.grad += -(1 - t**2) * out.grad
        elif bug == "no upstream":
            x.grad += 1 - t**2
        else:
            x.grad += (1 - t**2) * out.grad

    out._backward = _backward
    return out


def add(a, b, bug=None):
    out = Value(a.data + b.data, (a, b), "+")

    def _backward():
        if bug == "=":
            a.grad = 1.0 * out.grad
            b.grad = 1.0 * out.grad
        else:
            a.grad += 1.0 * out.grad
            b.grad += 1.0 * out.grad

    out._backward = _backward
    return out


def mul(a, b):
    out = Value(a.data * b.data, (a, b), "*")

    def _backward():
        a.grad += b.data * out.grad
        b.grad += a.data * out.grad

    out._backward = _backward
    return out


def exp(x):
    out = Value(math.exp(x.data), (x,), "exp")

    def _backward():
        x.grad += out.data * out.grad

    out._backward = _backward
    return out


def power(x, k):
    out = Value(x.data**k, (x,), f"**{k}")

    def _backward():
        x.grad += k * x.data ** (k - 1) * out.grad

    out._backward = _backward
    return out


def test_micrograds_constructor_takes_children_and_op_positionally():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = Value(a.data + b.data, (a, b), "+")
    assert c.parents == (a, b) and c._op == "+" and c.op == "+" and not c.is_leaf
    assert set(c._prev) == {a, b}
    d = Value(1.0, {a}, "id")  # the lecture passes sets too
    assert d.parents == (a,)


def test_the_lectures_neuron_written_with_closures_gives_the_lectures_numbers():
    x1, x2, w1, w2 = Value(2.0), Value(0.0), Value(-3.0), Value(1.0)
    b = Value(6.8813735870195432)
    n = add(add(mul(x1, w1), mul(x2, w2)), b)
    o = tanh(n)
    o.backward()
    assert o.data == pytest.approx(0.7071, abs=1e-4)
    assert (x1.grad, w1.grad, x2.grad, w2.grad) == pytest.approx((-1.5, 1.0, 0.5, 0.0), abs=1e-6)


def test_the_lectures_exp_form_of_tanh_and_division_by_a_power_give_the_same_gradients():
    # o = (e^2n - 1) / (e^2n + 1), with / as a * b**-1, as in the lecture
    x1, w1, b = Value(2.0), Value(-3.0), Value(6.8813735870195432)
    n = add(mul(x1, w1), b)
    e = exp(mul(n, Value(2.0)))
    o = mul(add(e, Value(-1.0)), power(add(e, Value(1.0)), -1))
    o.backward()
    assert o.data == pytest.approx(0.7071, abs=1e-4) and x1.grad == pytest.approx(-1.5, abs=1e-6)


def test_closure_ops_match_micrograd_on_its_readme_example():
    micrograd = pytest.importorskip("micrograd.engine")
    M = micrograd.Value
    a, b = M(-4.0), M(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    e = c - d
    f = e**2
    g = f / 2.0
    g.backward()
    A, B = Value(-4.0), Value(2.0)
    C = add(A, B)
    D = add(mul(A, B), power(B, 3))
    C = add(C, add(C, Value(1.0)))
    E = add(C, mul(D, Value(-1.0)))
    F = power(E, 2)
    G = mul(F, Value(0.5))
    G.backward()
    assert (G.data, A.grad, B.grad) == pytest.approx((g.data, a.grad, b.grad), rel=1e-12)


def test_a_closure_op_mixes_with_built_in_ops_and_repeated_backward_accumulates_in_leaves():
    x = Value(0.3)
    y = tanh(x * 2) + x
    y.backward()
    first = x.grad
    assert first == pytest.approx(2 * (1 - math.tanh(0.6) ** 2) + 1)
    y.backward()
    assert x.grad == pytest.approx(2 * first)


@pytest.mark.parametrize(
    ("build", "named"),
    [
        (lambda a: add(a, a, bug="="), "sets input 0's grad instead of adding"),
        (lambda a: tanh(a, bug="sign"), "the table's rule for tanh"),
        (lambda a: tanh(a, bug="no upstream"), "does not multiply by out.grad"),
    ],
    ids=["= instead of +=", "wrong sign", "forgot * out.grad"],
)
def test_gradcheck_catches_and_names_each_classic_closure_bug(build, named):
    with pytest.raises(GradcheckError, match=named):
        gradcheck(lambda a: build(a) * 3.0, [0.4])


def test_the_classic_a_plus_a_bug_gives_one_instead_of_two_and_gradcheck_says_which_input():
    a = Value(3.0)
    b = add(a, a, bug="=")
    b.backward()
    assert a.grad == 1.0  # the bug as the lecture shows it: the right answer is 2
    with pytest.raises(GradcheckError, match=r"input 0 \(value 3.0\): backward gave 1.0"):
        gradcheck(lambda a: add(a, a, bug="="), [3.0])


def test_a_correct_closure_passes_gradcheck_and_has_no_problems():
    assert gradcheck(lambda a, b: tanh(mul(a, b)) + exp(a), [0.3, -0.8])
    assert closure_problems(tanh(Value(0.3))) == []


@pytest.mark.parametrize("bug", ["=", "sign", "no upstream"])
def test_draw_dot_check_marks_the_wrong_closure_in_red_and_says_what_is_wrong(bug):
    a = Value(0.4, label="a")
    out = add(a, a, bug="=") if bug == "=" else tanh(a, bug=bug)
    root = out * 3.0
    root.backward()
    svg = draw_dot(root, check=True).pipe(format="svg").decode()
    assert "#cb181d" in svg  # the red border of a node whose derivative is wrong
    assert "✗ input 0" in svg


def test_draw_dot_draws_a_closure_op_with_its_op_name():
    a = Value(0.4, label="a")
    out = tanh(a)
    out.backward()
    source = draw_dot(out).source
    assert "tanh" in source and "0.4000" in source


def test_create_graph_and_compile_refuse_a_closure_op_by_name():
    a = Value(0.4)
    with pytest.raises(TypeError, match=r"create_graph=True cannot look inside op 'tanh'.*@engine.primitive"):
        grad(tanh(a), [a], create_graph=True)
    with pytest.raises(ValueError, match=r"compile cannot look inside op 'tanh'.*@engine.primitive"):
        compile(lambda x: tanh(x))(0.4)


def test_grad_without_create_graph_gives_backwards_numbers_and_changes_no_grad():
    a = Value(0.4)
    a.grad = 7.0
    (da,) = grad(tanh(a) * 2.0, [a])
    assert da == pytest.approx(2 * (1 - math.tanh(0.4) ** 2)) and a.grad == 7.0


def test_detect_anomaly_names_a_closure_op_that_makes_a_nan_gradient():
    a = Value(0.0)
    with detect_anomaly():
        out = Value(0.0, (a,), "sqrt_by_hand")

        def _backward():
            a.grad += math.inf * out.grad  # a derivative that blows up at 0

        out._backward = _backward
        with pytest.raises(FloatingPointError, match=r"backward of sqrt_by_hand gave gradient .*created at"):
            out.backward()


def test_no_grad_makes_a_hand_made_node_a_leaf_and_detach_cuts_it():
    a = Value(1.0)
    with no_grad():
        out = Value(2.0, (a,), "twice")
    assert out.is_leaf and out.parents == ()
    assert tanh(a).detach().is_leaf


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda a: Value(1.0, 5), r"_children must be an iterable of Values, e\.g\. \(a, b\), got int"),
        (lambda a: Value(1.0, (a, 3)), r"_children\[1\] must be a Value, got int"),
        (lambda a: Value(1.0, (a,), 7), r"_op must be a str"),
        (lambda a: Value(1.0, "x"), r"for a label write label='x'"),
    ],
)
def test_a_wrong_constructor_argument_is_refused_in_one_line(make, message):
    with pytest.raises(TypeError, match=message):
        make(Value(2.0))


def test_a_non_callable_backward_or_one_on_a_leaf_is_refused():
    out = Value(1.0, (Value(2.0),), "f")
    with pytest.raises(TypeError, match="_backward must be a function of no arguments, got int"):
        out._backward = 3
    with pytest.raises(TypeError, match="a leaf has no inputs"):
        Value(1.0)._backward = lambda: None
    with no_grad():  # where every op's node is a leaf, a hand-made one's closure is not recorded
        Value(1.0, (Value(2.0),), "f")._backward = lambda: None


def test_a_closure_that_raises_names_its_op_and_leaves_every_leaf_grad_as_it_was():
    a, b = Value(1.0), Value(2.0)
    a.grad = 5.0
    out = Value(3.0, (a,), "broken") * b

    def _backward():
        raise ZeroDivisionError("oops")

    out.parents[0]._backward = _backward
    with pytest.raises(RuntimeError, match=r"the _backward of op 'broken' raised ZeroDivisionError: oops"):
        out.backward()
    assert (a.grad, b.grad) == (5.0, 0.0)


def test_a_closure_that_sets_a_grad_to_a_non_number_is_named():
    a = Value(1.0)
    out = Value(2.0, (a,), "bad")

    def _backward():
        a.grad = "two"

    out._backward = _backward
    with pytest.raises(TypeError, match=r"the _backward of op 'bad' set the grad of its input 0 to a str"):
        out.backward()
    assert a.grad == 0.0


def test_the_built_in_nodes_step_is_callable_by_hand_as_in_the_lecture():
    a, b = Value(2.0), Value(-3.0)
    c = a * b
    c.grad = 1.0
    c._backward()
    assert (a.grad, b.grad) == (-3.0, 2.0)
    assert Value(1.0)._backward() is None  # a leaf's step does nothing, as micrograd's


def test_relu_is_spelled_the_micrograd_way_in_op_and_chainrules_way_in_op():
    r = (Value(2.0) * 2).relu()
    assert (r._op, r.op) == ("ReLU", "relu")


def test_a_user_op_costs_a_reference_cycle_only_for_its_own_node():
    import gc

    gc.collect()
    a = Value(1.0)
    built_in = (a * 2).tanh()
    del built_in
    assert gc.collect() == 0  # built-in nodes are freed by reference counting alone
    by_hand = tanh(a)
    del by_hand
    assert gc.collect() > 0  # the closure refers back to its node, as in micrograd


def test_engine_exports_what_a_closure_author_needs():
    assert engine.Value is Value


def test_the_step_through_shows_a_closure_op_as_one_step_with_the_gradient_backward_gives():
    pytest.importorskip("graphviz")
    from engine.draw.walkthrough import replay_backward

    x = Value(0.5, label="x")
    t = math.tanh(x.data)
    out = Value(t, (x,), "tanh")

    def _backward():
        x.grad += (1 - t**2) * out.grad

    out._backward = _backward
    y = out * 3.0
    order = engine.topological_order(y)
    parents = [[order.index(p) for p in v.parents] for v in order]
    walk = replay_backward(order, parents, 10**6, lambda g, status: str(g))
    y.backward()
    assert walk.grads[order.index(x)] == pytest.approx(x.grad, rel=1e-12)
    assert x.grad == pytest.approx(3.0 * (1 - math.tanh(0.5) ** 2), rel=1e-12)
    assert walk.total == 2  # the * node, then the learner's tanh: one step each
