"""Modules: micrograd's Neuron/Layer/MLP with names, paths, state dicts and initialisations."""

from __future__ import annotations

import math
import random
import re
import statistics
from fractions import Fraction

import numpy
import pytest

from engine import Value
from engine.checks import is_integer, is_real, positive_integer, require
from nn import MLP, SGD, Layer, Module, Neuron, clip_grad_norm, grad_stats
from nn.module import ACTIVATIONS, INITS, as_parameters


def _micrograd_mlp(seed: int, nin: int, nouts: list[int]):
    micrograd_nn = pytest.importorskip("micrograd.nn")
    random.seed(seed)
    return micrograd_nn.MLP(nin, nouts)


# --- micrograd compatibility -------------------------------------------------------------------


def test_uniform_init_draws_the_very_weights_micrograd_draws():
    theirs = _micrograd_mlp(1337, 2, [16, 16, 1])
    random.seed(1337)
    ours = MLP(2, [16, 16, 1])
    assert len(ours.parameters()) == len(theirs.parameters()) == 337
    assert [p.data for p in ours.parameters()] == [float(p.data) for p in theirs.parameters()]


def test_micrograds_demo_loop_reaches_the_same_losses():
    micrograd_engine = pytest.importorskip("micrograd.engine")
    from nn.data import make_moons

    X, y = make_moons(24, noise=0.1, seed=3)
    labels = [2 * t - 1 for t in y]
    theirs = _micrograd_mlp(1337, 2, [16, 16, 1])
    random.seed(1337)
    ours = MLP(2, [16, 16, 1])

    def demo_step(model, value_class, k):
        # micrograd's demo.ipynb, verbatim apart from the data source
        inputs = [list(map(value_class, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(labels, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        alpha = 1e-4
        reg_loss = alpha * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        return total_loss.data

    for k in range(4):
        expected = demo_step(theirs, micrograd_engine.Value, k)
        got = demo_step(ours, Value, k)
        assert got == pytest.approx(expected, abs=1e-9)
    assert [p.data for p in ours.parameters()] == pytest.approx([p.data for p in theirs.parameters()], abs=1e-9)


def test_layer_of_one_neuron_returns_a_single_value_like_micrograd():
    layer = Layer(3, 1, seed=0)
    assert isinstance(layer([1.0, 2.0, 3.0]), Value)
    assert len(Layer(3, 4, seed=0)([1.0, 2.0, 3.0])) == 4


def test_nonlin_false_means_a_linear_neuron():
    n = Neuron(2, nonlin=False, seed=0)
    assert n.activation == "linear" and not n.nonlin
    n.w[0].data, n.w[1].data = -2.0, 0.5
    assert n([3.0, 1.0]).data == pytest.approx(-5.5)


def test_micrograds_positional_nonlin_works_too():
    assert Neuron(2, False, seed=0).activation == "linear"  # micrograd: Neuron(nin, nonlin=True)
    assert Neuron(2, True, seed=0).activation == "relu"


def test_micrograd_attribute_names_are_there():
    model = MLP(2, [3, 1], seed=0)
    neuron = model.layers[0].neurons[2]
    assert len(neuron.w) == 2 and isinstance(neuron.b, Value) and neuron.b.data == 0.0
    assert neuron.nonlin is True and model.layers[1].neurons[0].nonlin is False


# --- activations and the forward pass ------------------------------------------------------------

ACTIVATION_FORMULAS = {
    "relu": lambda z: max(z, 0.0),
    "tanh": math.tanh,
    "sigmoid": lambda z: 1 / (1 + math.exp(-z)),
    "leaky_relu": lambda z: z if z > 0 else 0.01 * z,
    "linear": lambda z: z,
}


@pytest.mark.parametrize("activation", sorted(ACTIVATION_FORMULAS))
@pytest.mark.parametrize("x", [[0.3, -1.2], [-2.0, -0.5]])
def test_neuron_applies_its_activation_to_w_dot_x_plus_b(activation, x):
    n = Neuron(2, activation=activation, seed=4)
    n.b.data = 0.1
    z = n.w[0].data * x[0] + n.w[1].data * x[1] + 0.1
    assert n(x).data == pytest.approx(ACTIVATION_FORMULAS[activation](z), abs=1e-12)


def test_the_listed_activations_are_exactly_those_a_neuron_applies():
    assert set(ACTIVATIONS) == set(ACTIVATION_FORMULAS)
    for activation in ACTIVATIONS:
        assert Neuron(2, activation=activation, seed=0).activation == activation


def test_lectures_network_squashes_its_output_with_tanh():
    model = MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh", seed=0)
    assert [layer.neurons[0].activation for layer in model.layers] == ["tanh", "tanh", "tanh"]
    assert len(model.parameters()) == 4 * 4 + 4 * 5 + 5
    for x in ([2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0]):
        assert -1 < model(x).data < 1


def test_inputs_may_be_floats_or_values_with_the_same_result_and_gradients_reach_value_inputs():
    model = MLP(2, [4, 1], activation="tanh", seed=2)
    x = [Value(0.5), Value(-1.5)]
    out = model(x)
    assert out.data == model([0.5, -1.5]).data
    out.backward()
    assert x[0].grad != 0.0


def test_mlp_gradient_matches_central_differences():
    model = MLP(2, [3, 1], activation="tanh", seed=5)
    out = model([0.7, -0.4])
    out.backward()
    eps = 1e-6
    for p in model.parameters():
        original = p.data
        p.data = original + eps
        up = model([0.7, -0.4]).data
        p.data = original - eps
        down = model([0.7, -0.4]).data
        p.data = original
        assert p.grad == pytest.approx((up - down) / (2 * eps), abs=1e-7)


def test_a_wrong_number_of_inputs_is_refused_with_both_counts():
    model = MLP(3, [2, 1], seed=0)
    with pytest.raises(ValueError, match="expects 3 input.*got 2"):
        model([1.0, 2.0])


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: MLP(2, [4, 1], activation="swish"), "activation must be one of"),
        (lambda: MLP(2, [4, 1], init="normal"), "init must be one of"),
        (lambda: MLP(0, [4, 1]), "nin must be a positive integer"),
        (lambda: Layer(2, 0), "nout must be a positive integer"),
    ],
)
def test_bad_options_raise_value_error_naming_what_is_accepted(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_mlp_refuses_a_bare_number_as_layer_sizes():
    with pytest.raises(TypeError, match="nouts must be a non-empty list"):
        MLP(2, 3)


# --- initialisation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("init", "variance"),
    [("uniform", 1 / 3), ("xavier", 2 / (200 + 100)), ("he", 2 / 200)],
)
def test_initialisations_have_their_documented_variance_and_zero_bias(init, variance):
    layer = Layer(200, 100, init=init, seed=7)
    weights = [w.data for n in layer.neurons for w in n.w]
    bound = math.sqrt(3 * variance)
    assert max(abs(w) for w in weights) <= bound
    assert statistics.pvariance(weights) == pytest.approx(variance, rel=0.03)
    assert all(n.b.data == 0.0 for n in layer.neurons)


def test_the_listed_initialisations_are_exactly_the_documented_ones():
    assert set(INITS) == {"uniform", "xavier", "he"}  # each with its variance checked above


def test_seed_uses_a_private_generator_and_leaves_global_random_alone():
    random.seed(42)
    expected_next = random.random()
    random.seed(42)
    a = MLP(2, [5, 1], seed=9)
    assert random.random() == expected_next
    b = MLP(2, [5, 1], seed=9)
    assert a.state_dict() == b.state_dict()
    assert a.state_dict() != MLP(2, [5, 1], seed=10).state_dict()


# --- names and paths ------------------------------------------------------------------------------


def test_parameters_carry_their_label_and_module_path():
    model = MLP(2, [16, 16, 1], seed=0)
    neuron = model.layers[1].neurons[3]
    assert [w.label for w in neuron.w[:3]] == ["w0", "w1", "w2"]
    assert neuron.b.label == "b"
    assert neuron.w[0].scope == "layers.1.neurons.3"
    assert neuron.b.scope == "layers.1.neurons.3"


def test_every_node_made_inside_a_neuron_carries_its_path():
    from engine import topological_order

    model = MLP(2, [3, 2, 1], seed=0)
    out = model([Value(0.5), Value(-1.0)])
    assert out.scope == "layers.2.neurons.0"
    interior = [v for v in topological_order(out) if not v.is_leaf]
    scopes = {v.scope for v in interior}
    assert scopes == {f"layers.{i}.neurons.{j}" for i, width in enumerate([3, 2, 1]) for j in range(width)}
    neuron = model.layers[1].neurons[1]
    made_there = [v for v in interior if v.scope == "layers.1.neurons.1"]
    assert [v.op for v in made_there] == ["w·x+b", "relu"]  # the fused w·x + b, then the activation
    assert made_there[0].parents == (*neuron.w, *made_there[0].parents[len(neuron.w) : -1], neuron.b)


def test_paths_stay_right_across_calls_layers_and_many_no_grad_blocks():
    # every layer enters scopes named neurons.0, neurons.1, ... from its own mode; each no_grad
    # block is a fresh mode to enter them from
    from engine import no_grad

    model = MLP(2, [3, 2, 1], seed=0)
    for _ in range(150):
        with no_grad():
            out = model([0.5, -1.0])
        assert (out.scope, out.parents) == ("layers.2.neurons.0", ())
    out = model([0.5, -1.0])
    assert out.scope == "layers.2.neurons.0"
    assert out.parents[2].scope == "layers.1.neurons.0"  # w0, w1, then the first input: neuron 0 of layer 1


def test_a_layers_nodes_carry_their_neurons_path_in_anomaly_mode_and_for_neuron_subclasses():
    from engine import detect_anomaly, scope, topological_order

    class Doubled(Neuron):  # a learner's own neuron: one more node than a plain Neuron makes
        def _forward(self, x, x_data, meta=None):
            return super()._forward(x, x_data, meta) * 2

    layer = Layer(2, 2, seed=0)
    layer.neurons[1] = Doubled(2, seed=1)
    with scope("net"):
        outs = layer([0.5, -1.0])
        with detect_anomaly():
            anomaly_outs = layer([0.5, -1.0])
    for j, out in [(0, outs[0]), (1, outs[1]), (0, anomaly_outs[0]), (1, anomaly_outs[1])]:
        assert {v.scope for v in topological_order(out) if not v.is_leaf} == {f"net.neurons.{j}"}
    assert [v.op for v in topological_order(outs[1]) if not v.is_leaf] == ["w·x+b", "relu", "*"]


def test_an_mlp_gives_its_layer_paths_to_neuron_subclasses_and_to_modules_of_the_learners_own():
    from contextlib import nullcontext

    from engine import detect_anomaly, topological_order

    class Doubled(Neuron):
        def _forward(self, x, x_data, meta=None):
            return super()._forward(x, x_data, meta) * 2

    class Halves(Module):  # a layer of the learner's own, with numbers out, not Values
        def __call__(self, x):
            return [xi.data / 2 for xi in x]

    model = MLP(2, [3, 2, 1], seed=0)
    model.layers[1].neurons[1] = Doubled(3, seed=1)
    cut = MLP(2, [2, 2, 1], seed=0)
    cut.layers[1] = Halves()
    for mode in (nullcontext(), detect_anomaly()):
        with mode:
            out = model([0.5, -1.0])
            after_halves = cut([0.5, -1.0])
        interior = [v for v in topological_order(out) if not v.is_leaf]
        assert {v.scope for v in interior} == {
            f"layers.{i}.neurons.{j}" for i, n in enumerate([3, 2, 1]) for j in range(n)
        }
        assert [v.op for v in interior if v.scope == "layers.1.neurons.1"] == ["w·x+b", "relu", "*"]
        # the numbers Halves returns become leaves inside the layer that reads them, as a Layer called there lifts them
        leaves = [v for v in topological_order(after_halves) if v.is_leaf and v.label.startswith("x")]
        assert [(v.label, v.scope) for v in leaves] == [("x0", "layers.2"), ("x1", "layers.2")]
        assert after_halves.scope == "layers.2.neurons.0"


def test_a_layer_used_in_two_places_tags_each_call_with_the_path_it_is_called_from():
    from engine import scope

    model = MLP(2, [3, 3, 3], seed=0)
    model.layers[2] = model.layers[1]  # one Layer, called as layers.1 and then as layers.2
    layer = model.layers[1]
    for _ in range(2):  # the second round asks again what the first one worked out
        outs = model([0.5, -1.0])
        assert [v.scope for v in outs] == [f"layers.2.neurons.{j}" for j in range(3)]
        inputs = outs[0].parents[0].parents[3:6]  # the fused w·x+b reads w0..w2, then its inputs
        assert [p.scope for p in inputs] == [f"layers.1.neurons.{j}" for j in range(3)]
        assert [v.scope for v in layer([0.5, -1.0, 2.0])] == [f"neurons.{j}" for j in range(3)]
        with scope("net"):
            assert [v.scope for v in layer([0.5, -1.0, 2.0])] == [f"net.neurons.{j}" for j in range(3)]
            assert model([0.5, -1.0])[1].scope == "net.layers.2.neurons.1"


def test_a_copied_or_pickled_model_computes_the_same_and_keeps_its_paths():
    import copy
    import pickle

    from engine import scope

    model = MLP(2, [3, 2, 1], seed=0)
    for twin in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        with scope("copy"):
            out = twin([0.5, -1.0])
        assert out.data == model([0.5, -1.0]).data
        assert out.scope == "copy.layers.2.neurons.0"
        assert twin([0.5, -1.0]).scope == "layers.2.neurons.0"


def test_number_inputs_become_shared_leaves_x0_x1_outside_the_modules():
    from engine import topological_order

    model = MLP(2, [4, 1], seed=0)
    leaves = [v for v in topological_order(model([0.5, -1.0])) if v.is_leaf and not v.label.startswith(("w", "b"))]
    assert [(v.label, v.data, v.scope) for v in leaves] == [("x0", 0.5, ""), ("x1", -1.0, "")]


def test_named_parameters_are_the_dotted_paths_in_micrograd_order():
    model = MLP(2, [16, 16, 1], seed=0)
    names = [name for name, _ in model.named_parameters()]
    assert len(names) == len(set(names)) == 337
    assert names[:3] == ["layers.0.neurons.0.w0", "layers.0.neurons.0.w1", "layers.0.neurons.0.b"]
    assert "layers.1.neurons.3.w0" in names
    assert names[-1] == "layers.2.neurons.0.b"
    for name, p in model.named_parameters():
        assert name == f"{p.scope}.{p.label}"


def test_a_custom_module_finds_parameters_in_attributes_and_lists():
    class Scaled(Module):
        def __init__(self):
            self.body = MLP(1, [2, 1], seed=0)
            self.gains = [Value(1.0), Value(2.0)]
            self.offset = Value(0.5)
            self.note = "not a parameter"

        def __call__(self, x):
            return self.body(x) * self.gains[0] + self.offset

    model = Scaled()
    names = [name for name, _ in model.named_parameters()]
    assert names[:3] == ["body.layers.0.neurons.0.w0", "body.layers.0.neurons.0.b", "body.layers.0.neurons.1.w0"]
    assert names[-3:] == ["gains0", "gains1", "offset"]
    assert [name for name, _ in model.named_children()] == ["body"]


def test_a_parameter_shared_by_two_modules_is_listed_once():
    class Tied(Module):
        def __init__(self):
            self.first = Neuron(2, seed=0)
            self.second = Neuron(2, seed=1)
            self.second.w = self.first.w

    names = [name for name, _ in Tied().named_parameters()]
    assert names == ["first.w0", "first.w1", "first.b", "second.b"]


def test_zero_grad_clears_every_parameter_gradient():
    model = MLP(2, [3, 1], seed=0)
    model([1.0, 2.0]).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0 for p in model.parameters())


def test_repr_shows_the_architecture():
    text = repr(MLP(2, [16, 16, 1], seed=0))
    assert text.splitlines()[0] == "MLP(2, [16, 16, 1], 337 parameters)"
    assert "layers.1: Layer(16, 16, activation='relu')" in text
    assert "layers.2: Layer(16, 1, activation='linear')" in text
    assert repr(Neuron(3, activation="tanh", seed=0)) == "Neuron(3, activation='tanh')"


# --- state dicts ------------------------------------------------------------------------------------


def test_state_dict_round_trips_into_a_fresh_model():
    trained, fresh = MLP(2, [4, 1], seed=1), MLP(2, [4, 1], seed=2)
    fresh.load_state_dict(trained.state_dict())
    assert fresh([0.3, 0.9]).data == trained([0.3, 0.9]).data
    assert all(type(v) is float for v in trained.state_dict().values())


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (lambda s: s.pop("layers.1.neurons.0.b"), KeyError, "missing layers.1.neurons.0.b"),
        (lambda s: s.update({"layers.9.w0": 1.0}), KeyError, "unexpected layers.9.w0"),
        (lambda s: s.update({"layers.0.neurons.1.w1": "0.5"}), TypeError, r"layers.0.neurons.1.w1 \(str\)"),
        (lambda s: s.update({"layers.0.neurons.0.w0": None}), TypeError, r"layers.0.neurons.0.w0 \(NoneType\)"),
        (lambda s: s.update({"layers.0.neurons.0.w0": math.nan}), ValueError, "non-finite.*layers.0.neurons.0.w0"),
        (lambda s: s.update({"layers.0.neurons.0.w0": 10**400}), ValueError, "too large.*layers.0.neurons.0.w0"),
        (lambda s: s.update({1: 0.5}), KeyError, "unexpected 1'$"),  # a key that is not even a string
        (lambda s: s.update({k: "x" for k in s}), TypeError, r"neurons.0.w1 \(str\) and 1 more$"),  # 8 named, 1 counted
    ],
)
def test_load_state_dict_is_strict_and_leaves_the_model_unchanged(change, error, message):
    model = MLP(2, [2, 1], seed=0)
    before = model.state_dict()
    state = {name: value + 1.0 for name, value in before.items()}
    change(state)
    with pytest.raises(error, match=message):
        model.load_state_dict(state)
    assert model.state_dict() == before


def test_two_parameters_with_one_name_are_refused_rather_than_one_dropped():
    class Clash(Module):
        def __init__(self):
            self.w = [Value(1.0), Value(2.0)]  # named w0, w1
            self.w0 = Value(3.0)

        def __call__(self, x):
            return x

    with pytest.raises(ValueError, match="Clash has two parameters named 'w0'"):
        Clash().state_dict()


def test_a_module_inside_a_module_prints_its_parts_indented_under_it():
    class Head(Module):
        def __init__(self):
            self.body = MLP(1, [2, 1], seed=0)
            self.scale = Value(1.0)

        def __call__(self, x):
            return self.body(x) * self.scale

    assert repr(Head()).splitlines() == [
        "Head(8 parameters)",
        "  body: MLP(1, [2, 1], 7 parameters)",
        "    layers.0: Layer(1, 2, activation='relu')",
        "    layers.1: Layer(2, 1, activation='linear')",
    ]


# --- checks at the boundary -----------------------------------------------------------------------


@pytest.mark.parametrize("x", [3, 0, -2, 10**30, numpy.int64(3)])
def test_is_integer_accepts_whole_numbers_of_any_integer_type(x):
    assert is_integer(x)


@pytest.mark.parametrize("x", [True, False, 2.0, "2", None, 2j, numpy.float64(2.0)])
def test_is_integer_refuses_bools_and_whatever_is_not_an_integer(x):
    assert not is_integer(x)


@pytest.mark.parametrize("x", [0.5, 2, -math.inf, Fraction(1, 3), numpy.float64(0.5), numpy.int64(2)])
def test_is_real_accepts_real_numbers_of_any_type(x):
    assert is_real(x)


@pytest.mark.parametrize("x", [True, False, "0.5", None, 1j, [1.0]])
def test_is_real_refuses_bools_and_whatever_is_not_a_real_number(x):
    assert not is_real(x)


def test_require_says_what_was_given_and_what_is_accepted():
    require(True, "steps", "an integer >= 0", 3)
    with pytest.raises(ValueError, match=r"^steps must be an integer >= 0, got True$"):
        require(False, "steps", "an integer >= 0", True)


@pytest.mark.parametrize("bad", [True, False, 2.0, "2", None, 0, -3])
@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda n: positive_integer(n, "count"), "count"),
        (lambda n: Neuron(n), "Neuron nin"),
        (lambda n: Layer(2, n), "Layer nout"),
        (lambda n: MLP(n, [1]), "MLP nin"),
        (lambda n: MLP(2, [4, n]), "MLP layer size"),
    ],
)
def test_every_size_refuses_bools_and_non_integers_naming_itself(make, name, bad):
    with pytest.raises(ValueError, match=f"^{re.escape(name)} must be a positive integer, got {re.escape(repr(bad))}$"):
        make(bad)


def test_sizes_may_be_any_integer_type_and_become_ints():
    assert positive_integer(numpy.int64(4), "count") == 4 and type(positive_integer(numpy.int64(4), "count")) is int
    assert MLP(numpy.int64(2), [numpy.int64(3), 1], seed=0).sizes == [2, 3, 1]


# --- a Module or a list of Values ------------------------------------------------------------------


def test_a_module_stands_for_its_parameters_wherever_a_list_of_values_is_taken():
    model = MLP(2, [3, 1], seed=0)
    ids = [id(p) for p in model.parameters()]
    assert [id(p) for p in as_parameters(model, "SGD")] == ids
    assert [id(p) for p in SGD(model, lr=0.1).params] == ids
    twin = MLP(2, [3, 1], seed=0)
    for p in model.parameters() + twin.parameters():
        p.grad = 1.0
    assert clip_grad_norm(model, 1.0) == clip_grad_norm(twin.parameters(), 1.0) == math.sqrt(len(ids))
    assert [p.grad for p in model.parameters()] == [p.grad for p in twin.parameters()]
    assert [s.name for s in grad_stats(model)] == ["layers.0", "layers.1"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (Value(1.0), "^SGD needs an iterable of Values, got Value$"),
        (3, "^SGD needs an iterable of Values, got int$"),
        ([Value(1.0), 2.0], r"^SGD params\[1\] must be a Value, got float$"),
        ((v for v in [Value(1.0), "w"]), r"^SGD params\[1\] must be a Value, got str$"),
    ],
)
def test_what_is_neither_a_module_nor_values_is_refused_naming_the_culprit(params, message):
    with pytest.raises(TypeError, match=message):
        as_parameters(params, "SGD")


# --- to_torch -------------------------------------------------------------------------------------


@pytest.mark.torch
@pytest.mark.parametrize(
    ("activation", "output_activation"),
    [("relu", "linear"), ("tanh", "tanh"), ("sigmoid", "sigmoid"), ("leaky_relu", "linear")],
)
def test_to_torch_gives_the_same_outputs_and_gradients(activation, output_activation):
    torch = pytest.importorskip("torch")
    model = MLP(3, [5, 4, 2], activation=activation, output_activation=output_activation, seed=11)
    net = model.to_torch()
    x = [0.4, -1.3, 2.2]
    outs = model(x)
    theirs = net(torch.tensor([x], dtype=torch.float64))[0]
    assert [o.data for o in outs] == pytest.approx(theirs.tolist(), abs=1e-12)
    (outs[0] * 2 + outs[1]).backward()
    (theirs[0] * 2 + theirs[1]).backward()
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    for layer, linear in zip(model.layers, linears):
        grads = [w.grad for n in layer.neurons for w in n.w]
        assert grads == pytest.approx(linear.weight.grad.flatten().tolist(), abs=1e-12)
        assert [n.b.grad for n in layer.neurons] == pytest.approx(linear.bias.grad.tolist(), abs=1e-12)


@pytest.mark.torch
def test_to_torch_reads_a_layer_or_any_module_made_of_layers_by_their_attributes():
    torch = pytest.importorskip("torch")
    from nn.export import to_torch

    class Stack(Module):
        def __init__(self):
            self.layers = [Layer(2, 3, activation="tanh", seed=0), Layer(3, 1, activation="linear", seed=1)]

        def __call__(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    x = [0.5, -1.0]
    stack, layer = Stack(), Layer(2, 3, seed=2)
    ours = [[stack(x).data], [o.data for o in layer(x)]]
    theirs = [to_torch(m)(torch.tensor([x], dtype=torch.float64))[0].tolist() for m in (stack, layer)]
    assert theirs[0] == pytest.approx(ours[0], abs=1e-12) and theirs[1] == pytest.approx(ours[1], abs=1e-12)
    with pytest.raises(TypeError, match="to_torch converts an MLP or a Layer, got Neuron"):
        to_torch(Neuron(2, seed=0))
