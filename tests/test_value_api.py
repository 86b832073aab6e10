"""What PyTorch users reach for on a Value: is_leaf as a property, format specs, requires_grad, help()."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from engine import Value, compile
from engine import ops as engine_ops
from nn import MLP, SGD, Adam


def test_is_leaf_is_a_property_as_in_pytorch():
    x = Value(2.0)
    assert x.is_leaf is True
    assert (x * 2).is_leaf is False


def test_a_format_spec_applies_to_the_data():
    loss = Value(0.123456789)
    assert f"{loss:.4f}" == "0.1235"
    assert f"{loss:>10.2e}" == "  1.23e-01"
    assert f"{loss}" == str(loss) == "Value(data=0.123456789, grad=0.0)"


def test_a_frozen_leaf_takes_no_gradient_while_the_others_get_theirs():
    w, b = Value(2.0), Value(1.0)
    w.requires_grad = False
    y = w * w * b + b
    y.backward()
    assert w.grad == 0.0 and w.requires_grad is False
    assert b.grad == 5.0  # d/db (w²b + b) = w² + 1


def test_a_frozen_leaf_keeps_its_gradient_through_the_walk_with_hooks_too():
    w, b = Value(2.0), Value(1.0)
    w.requires_grad = False
    y = w * b
    seen = []
    b.register_hook(lambda g: seen.append(g))
    y.backward()
    assert w.grad == 0.0 and b.grad == 2.0 and seen == [2.0]


def test_only_leaves_can_be_frozen_and_only_by_a_bool():
    x = Value(1.0)
    with pytest.raises(ValueError, match="only a leaf can be frozen"):
        (x * 2).requires_grad = False
    with pytest.raises(TypeError, match="requires_grad must be True or False"):
        x.requires_grad = 0


def test_a_compiled_function_gives_a_frozen_parameter_no_gradient():
    w, b = Value(2.0), Value(1.0)
    w.requires_grad = False
    f = compile(lambda x: (w * x + b).tanh())
    f(0.5)
    reference_w, reference_b = Value(2.0), Value(1.0)
    (reference_w * 0.5 + reference_b).tanh().backward()
    assert w.grad == 0.0
    assert b.grad == pytest.approx(reference_b.grad, rel=1e-15)


def _loss(model, X, y):
    return sum(((model(x) - t) ** 2 for x, t in zip(X, y)), Value(0.0))


@pytest.mark.torch
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_freezing_a_layer_trains_as_pytorch_with_that_layer_frozen(optimizer):
    torch = pytest.importorskip("torch")
    X, y = [[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0]], [1.0, -1.0, 0.5]
    model = MLP(2, [3, 1], activation="tanh", seed=3)
    reference = model.to_torch()
    model.layers[0].requires_grad_(False)
    for p in reference[0].parameters():
        p.requires_grad_(False)
    ours = (SGD if optimizer == "sgd" else Adam)(model.parameters(), lr=0.1, weight_decay=0.01)
    theirs_class = torch.optim.SGD if optimizer == "sgd" else torch.optim.Adam
    theirs = theirs_class([p for p in reference.parameters() if p.requires_grad], lr=0.1, weight_decay=0.01)
    frozen_before = [p.data for p in model.layers[0].parameters()]
    tX, ty = torch.tensor(X, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
    for _ in range(5):
        ours.zero_grad()
        _loss(model, X, y).backward()
        ours.step()
        theirs.zero_grad()
        ((reference(tX).squeeze(1) - ty) ** 2).sum().backward()
        theirs.step()
    assert [p.data for p in model.layers[0].parameters()] == frozen_before
    assert all(p.grad == 0.0 for p in model.layers[0].parameters())
    ours_last = [p.data for p in model.layers[1].parameters()]
    theirs_last = [*reference[2].weight.detach().flatten().tolist(), *reference[2].bias.detach().tolist()]
    assert ours_last == pytest.approx(theirs_last, rel=1e-12)


def test_requires_grad_true_unfreezes():
    model = MLP(2, [2, 1], seed=0)
    model.requires_grad_(False).requires_grad_(True)
    assert all(p.requires_grad for p in model.parameters())


def test_help_value_documents_every_public_method_and_each_op_states_its_derivative():
    import inspect

    public = [n for n in dir(Value) if not n.startswith("_") and n not in ("data", "grad")]
    assert [n for n in public if not inspect.getdoc(getattr(Value, n))] == []
    ops = ["relu", "leaky_relu", "tanh", "sigmoid", "exp", "log", "sqrt", "sin", "cos", "softplus", "abs"]
    ops += ["__add__", "__mul__", "__pow__"]
    assert [n for n in ops if "d/d" not in inspect.getdoc(getattr(Value, n))] == []


# --- numbers where numbers go: each refusal names the argument that is wrong --------------------


@pytest.mark.parametrize("call", [lambda s: Value(1.0).leaky_relu(s), lambda s: engine_ops.leaky_relu(Value(1.0), s)])
def test_leaky_relu_refuses_a_slope_that_is_not_a_number_naming_the_slope(call):
    with pytest.raises(TypeError, match=r"^leaky_relu's slope must be a real number .*got str '0.1'$"):
        call("0.1")
    with pytest.raises(TypeError, match=r"got bool True"):
        call(True)
    with pytest.raises(TypeError, match=r"got Value .*use its \.data\)$"):
        call(Value(0.1))
    assert call(1).data == 1.0 and call(Fraction(1, 4)).op == "leaky_relu"


def test_backward_refuses_a_gradient_that_is_not_a_number_naming_the_gradient():
    with pytest.raises(TypeError, match=r"^backward: gradient .* must be a real number, got str 'a'$") as caught:
        Value(2.0).backward("a")
    assert "Value data" not in str(caught.value) and "\n" not in str(caught.value)
    with pytest.raises(TypeError, match=r"got Value .*\(use its \.data\)$"):
        Value(2.0).backward(Value(3.0))
    x = Value(2.0)
    (x * x).backward(3)  # an int is a number: 3 · d(x²)/dx = 12
    assert x.grad == 12.0


def test_a_constant_exponent_that_is_not_a_number_is_refused():
    with pytest.raises(TypeError, match=r"^the exponent k of x \*\* k must be a real number .*got str '3'$"):
        engine_ops.power(Value(2.0), "3")
    with pytest.raises(TypeError, match="unsupported operand type"):
        Value(2.0) ** "3"


def test_comparing_a_value_with_a_string_names_both_types():
    with pytest.raises(TypeError, match="'<' not supported between instances of 'Value' and 'str'"):
        Value(1.0) < "a"  # noqa: B015


# --- ==, <, bool and hash: the table in the README ----------------------------------------------


def test_equality_and_hash_are_identity_so_equal_data_are_two_set_members():
    a, b = Value(3.0), Value(3.0)
    assert a == a and a != b and len({a, b}) == 2 and {a: 1}[a] == 1
    assert not (a == 3) and a.data == 3  # == is identity: compare .data for the number
    assert a <= 3 and a >= 3 and not a < 3 and a > 2.5 and a < Value(4.0)


@pytest.mark.parametrize("x", [0.0, -0.0, 2.5, -1.0, math.inf, math.nan, 5e-324])
def test_bool_of_a_value_is_bool_of_its_data_as_for_a_pytorch_scalar(x):
    torch = pytest.importorskip("torch")
    assert bool(Value(x)) == bool(torch.tensor(x, dtype=torch.float64)) == (x != 0.0)


def test_micrograd_compares_by_identity_and_has_no_order_as_the_readme_table_says():
    micrograd_engine = pytest.importorskip("micrograd.engine")
    a, b = micrograd_engine.Value(0.0), micrograd_engine.Value(0.0)
    assert bool(a) is True and a != b and len({a, b}) == 2
    with pytest.raises(TypeError):
        a < b  # noqa: B015
