"""The Value node itself: what it accepts, what it records, and how it prints."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from engine import Value

# --- construction -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given, stored",
    [
        (3, 3.0),
        (-2.5, -2.5),
        (True, 1.0),
        (False, 0.0),
        (Fraction(1, 3), 1 / 3),
        (np.float64(0.1), 0.1),
        (np.float32(0.1), float(np.float32(0.1))),
        (np.int64(-7), -7.0),
        (np.bool_(True), 1.0),
        (2**70, float(2**70)),
    ],
    ids=["int", "float", "True", "False", "Fraction", "np.float64", "np.float32", "np.int64", "np.bool_", "big int"],
)
def test_any_real_number_is_stored_as_a_python_float(given, stored):
    v = Value(given)
    assert type(v.data) is float
    assert v.data == stored
    assert v.grad == 0.0 and type(v.grad) is float


@pytest.mark.parametrize(
    "given, name",
    [("1.0", "str"), (None, "NoneType"), (1 + 2j, "complex"), ([1.0], "list"), ((1.0,), "tuple")],
)
def test_anything_else_is_refused_with_a_type_error_naming_its_type(given, name):
    with pytest.raises(TypeError, match=rf"\b{name}\b"):
        Value(given)


def test_a_value_cannot_wrap_another_value():
    with pytest.raises(TypeError, match="Value"):
        Value(Value(1.0))


def test_a_new_value_is_a_leaf_with_no_op_no_parents_and_no_label():
    v = Value(1.5)
    assert (v.op, v.parents, v.label, v._op, tuple(v._prev)) == ("", (), "", "", ())


# --- operators --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build, expected",
    [
        (lambda a: a + 2, 5.0),
        (lambda a: 2 + a, 5.0),
        (lambda a: a - 2, 1.0),
        (lambda a: 2 - a, -1.0),
        (lambda a: a * 2, 6.0),
        (lambda a: 2 * a, 6.0),
        (lambda a: a / 2, 1.5),
        (lambda a: 6 / a, 2.0),
        (lambda a: a**2, 9.0),
        (lambda a: 2**a, 8.0),
        (lambda a: -a, -3.0),
        (lambda a: abs(-a), 3.0),
        (lambda a: a + np.float64(0.5), 3.5),
        (lambda a: np.float64(0.5) + a, 3.5),
        (lambda a: Fraction(1, 2) * a, 1.5),
    ],
    ids=["a+2", "2+a", "a-2", "2-a", "a*2", "2*a", "a/2", "6/a", "a**2", "2**a", "-a", "abs", "a+np", "np+a", "frac*a"],
)
def test_operators_accept_a_number_on_either_side_and_return_a_value(build, expected):
    out = build(Value(3.0))
    assert type(out) is Value
    assert out.data == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("other", ["2", None, 1j, [1.0], {}], ids=lambda x: type(x).__name__)
@pytest.mark.parametrize(
    "apply",
    [
        lambda v, o: v + o,
        lambda v, o: o + v,
        lambda v, o: v - o,
        lambda v, o: o - v,
        lambda v, o: v * o,
        lambda v, o: o * v,
        lambda v, o: v / o,
        lambda v, o: o / v,
        lambda v, o: v**o,
        lambda v, o: o**v,
    ],
    ids=["v+o", "o+v", "v-o", "o-v", "v*o", "o*v", "v/o", "o/v", "v**o", "o**v"],
)
def test_an_unsupported_operand_type_raises_type_error(apply, other):
    with pytest.raises(TypeError):
        apply(Value(2.0), other)


def test_value_to_the_power_of_a_value_differentiates_both_base_and_exponent():
    a, b = Value(2.0), Value(3.0)
    y = a**b
    y.backward()
    assert (y.op, y.parents) == ("**", (a, b))
    assert y.data == 8.0
    assert a.grad == pytest.approx(3.0 * 2.0**2, rel=1e-15)  # b a^(b-1)
    assert b.grad == pytest.approx(8.0 * math.log(2.0), rel=1e-15)  # a^b log a


def test_a_number_to_the_power_of_a_value_differentiates_the_exponent():
    x = Value(3.0)
    y = 2**x
    y.backward()
    assert y.data == 8.0
    assert x.grad == pytest.approx(8.0 * math.log(2.0), rel=1e-15)


def test_in_place_add_builds_a_new_node_and_leaves_the_old_one_alone():
    a = Value(1.0)
    before = a
    a += 2.0
    assert a is not before
    assert (before.data, a.data) == (1.0, 3.0)
    assert a.op == "+" and a.parents[0] is before
    a.backward()
    assert before.grad == 1.0


def test_sum_of_values_works_from_python_s_builtin():
    xs = [Value(float(i)) for i in range(1, 5)]
    total = sum(xs)
    total.backward()
    assert type(total) is Value and total.data == 10.0
    assert [x.grad for x in xs] == [1.0, 1.0, 1.0, 1.0]


def test_comparisons_look_at_the_data_while_equality_stays_identity():
    a, b = Value(1.0), Value(1.0)
    assert a < 2 and b <= 1.0 and a > 0 and a >= b
    assert a != b and len({a, b}) == 2


# --- what a node records ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "build, op",
    [
        (lambda a, b: a + b, "+"),
        (lambda a, b: a * b, "*"),
        (lambda a, b: a**2, "**2"),
        (lambda a, b: a**b, "**"),
        (lambda a, b: a.tanh(), "tanh"),
        (lambda a, b: a.exp(), "exp"),
        (lambda a, b: a.log(), "log"),
        (lambda a, b: a.sqrt(), "sqrt"),
        (lambda a, b: a.sigmoid(), "sigmoid"),
        (lambda a, b: a.relu(), "relu"),
        (lambda a, b: a.leaky_relu(), "leaky_relu"),
        (lambda a, b: a.sin(), "sin"),
        (lambda a, b: a.cos(), "cos"),
        (lambda a, b: a.softplus(), "softplus"),
        (lambda a, b: abs(a), "abs"),
    ],
)
def test_each_operation_names_itself_in_op_and_in_micrograds_op(build, op):
    out = build(Value(2.0), Value(3.0))
    micrograd_spelling = {"relu": "ReLU"}.get(op, op)  # micrograd 0.1.0's engine.py says 'ReLU'
    assert out.op == op and out._op == micrograd_spelling


def test_parents_are_in_operand_order():
    a, b = Value(2.0), Value(3.0)
    assert (a * b).parents == (a, b)
    assert (b * a).parents == (b, a)
    assert (a + b).parents == (a, b)
    assert (a**b).parents == (a, b)
    assert a.tanh().parents == (a,)


def test_a_number_operand_becomes_a_leaf_parent_in_its_position():
    a = Value(2.0)
    left, right = 5 * a, a * 5
    assert left.parents[1] is a and left.parents[0].data == 5.0 and left.parents[0].op == ""
    assert right.parents[0] is a and right.parents[1].data == 5.0


def test_subtraction_and_division_are_built_from_the_primitives_like_micrograd():
    a, b = Value(6.0), Value(3.0)
    difference, quotient = a - b, a / b
    assert difference.op == "+" and difference.parents[0] is a
    assert difference.parents[1].op == "*" and b in difference.parents[1].parents
    assert quotient.op == "*" and quotient.parents[0] is a
    assert quotient.parents[1].op == "**-1" and quotient.parents[1].parents == (b,)


def test_prev_holds_each_parent_once_like_micrograds_set():
    a, b = Value(2.0), Value(3.0)
    assert set((a * a)._prev) == {a} and len(list((a * a)._prev)) == 1
    assert set((a * b)._prev) == {a, b}


def test_label_is_set_at_creation_or_by_assignment():
    a = Value(2.0, label="a")
    e = a * 3
    e.label = "e"
    assert (a.label, e.label) == ("a", "e")
    e.label = "renamed"
    assert e.label == "renamed" and a.label == "a"


def test_a_label_must_be_a_string():
    with pytest.raises(TypeError, match="int"):
        Value(1.0, label=3)


# --- printing ----------------------------------------------------------------------------------


def test_repr_shows_data_and_grad():
    v = Value(2.5)
    v.grad = -1.0
    assert repr(v) == "Value(data=2.5, grad=-1.0)"


def test_repr_shows_the_label_when_set():
    text = repr(Value(2.5, label="w1"))
    assert text.startswith("Value(data=2.5, grad=0.0") and "w1" in text and text.endswith(")")
    assert "label" not in repr(Value(2.5))


# --- detach ------------------------------------------------------------------------------------


def test_detach_gives_a_new_leaf_with_the_same_data_that_gradients_do_not_cross():
    x = Value(3.0)
    h = x * x
    cut = h.detach()
    assert cut is not h and cut.data == 9.0 and cut.parents == () and cut.op == ""
    y = cut * x
    y.backward()
    assert x.grad == 9.0  # only the direct path: nothing flows back through the detached square
    assert cut.grad == 3.0 and h.grad == 0.0
