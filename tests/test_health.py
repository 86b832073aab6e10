"""Gradient health: per-layer statistics that show vanishing and exploding gradients; clipping."""

from __future__ import annotations

import dataclasses
import math
import random

import pytest

from engine import Value
from nn import (
    MLP,
    SGD,
    LayerStats,
    Module,
    Neuron,
    clip_grad_norm,
    clip_grad_value,
    fit,
    grad_stats,
    losses,
    make_moons,
)
from nn.health import activation_stats, diagnose

X, Y = make_moons(8, seed=0)


def _backward_mse(model):
    loss = losses.mse([model(x) for x in X], [float(t) for t in Y])
    model.zero_grad()
    loss.backward()
    return loss


def test_a_13_layer_sigmoid_network_shows_vanishing_gradients_at_the_input():
    model = MLP(2, [8] * 12 + [1], activation="sigmoid", seed=0)
    _backward_mse(model)
    stats = grad_stats(model)
    assert [s.name for s in stats] == [f"layers.{i}" for i in range(13)]
    first, last = stats[0], stats[-1]
    assert first.mean_abs_grad < 1e-3 * last.mean_abs_grad
    assert first.status == "vanishing" and last.status == "ok"
    # the decay is monotone from output to input: each sigmoid layer shrinks the gradient
    means = [s.mean_abs_grad for s in stats]
    assert means[:-1] == sorted(means[:-1])


def test_a_deep_relu_network_with_large_uniform_init_shows_exploding_gradients():
    model = MLP(2, [24] * 8 + [1], init="uniform", seed=0)
    _backward_mse(model)
    stats = grad_stats(model)
    assert stats[0].status == "exploding"
    assert stats[0].mean_abs_grad > 100


def test_he_init_keeps_the_same_deep_relu_network_healthy():
    model = MLP(2, [24] * 8 + [1], init="he", seed=0)
    _backward_mse(model)
    assert {s.status for s in grad_stats(model)} == {"ok"}


def test_micrograds_network_on_moons_is_healthy():
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    losses.hinge([model(x) for x in X], [2 * t - 1 for t in Y]).backward()
    assert [s.status for s in grad_stats(model)] == ["ok", "ok", "ok"]


def test_nan_gradients_are_flagged_exploding():
    model = MLP(2, [3, 1], seed=0)
    model([1.0, 2.0]).backward()
    model.layers[0].neurons[0].w[0].grad = math.nan
    assert grad_stats(model)[0].status == "exploding"


def test_layer_stats_is_a_small_dataclass_with_the_documented_fields():
    fields = [f.name for f in dataclasses.fields(LayerStats)]
    assert fields == ["name", "mean_abs_grad", "max_abs_grad", "grad_norm", "weight_norm", "status"]


def test_numbers_are_what_the_definitions_say_for_a_hand_set_layer():
    neuron = Neuron(2, seed=0)
    neuron.w[0].data, neuron.w[1].data, neuron.b.data = 3.0, -4.0, 0.0
    neuron.w[0].grad, neuron.w[1].grad, neuron.b.grad = 1.0, -2.0, 2.0
    (stats,) = grad_stats(neuron)
    assert stats.name == "Neuron"
    assert stats.mean_abs_grad == pytest.approx(5 / 3)
    assert stats.max_abs_grad == 2.0
    assert stats.grad_norm == pytest.approx(3.0)
    assert stats.weight_norm == pytest.approx(5.0)


def test_a_module_without_layers_gets_one_record_per_child():
    class TwoHeads(Module):
        def __init__(self):
            self.left = Neuron(2, seed=0)
            self.right = Neuron(2, seed=1)

    model = TwoHeads()
    for p in model.parameters():
        p.grad = 1.0
    assert [s.name for s in grad_stats(model)] == ["left", "right"]


def test_grad_stats_refuses_something_that_is_not_a_module():
    with pytest.raises(TypeError, match="needs a Module"):
        grad_stats([Value(1.0)])


@pytest.mark.torch
def test_per_layer_statistics_match_the_same_network_in_torch():
    torch = pytest.importorskip("torch")
    model = MLP(2, [5, 4, 1], activation="tanh", seed=3)
    _backward_mse(model)
    net = model.to_torch()
    inputs = torch.tensor(X, dtype=torch.float64)
    targets = torch.tensor([float(t) for t in Y], dtype=torch.float64)
    torch.nn.functional.mse_loss(net(inputs)[:, 0], targets).backward()
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    for stats, linear in zip(grad_stats(model), linears):
        grads = torch.cat([linear.weight.grad.flatten(), linear.bias.grad])
        weights = torch.cat([linear.weight.detach().flatten(), linear.bias.detach()])
        assert stats.mean_abs_grad == pytest.approx(grads.abs().mean().item(), rel=1e-9)
        assert stats.max_abs_grad == pytest.approx(grads.abs().max().item(), rel=1e-9)
        assert stats.grad_norm == pytest.approx(grads.norm().item(), rel=1e-9)
        assert stats.weight_norm == pytest.approx(weights.norm().item(), rel=1e-9)


# --- clipping ---------------------------------------------------------------------------------------


def _values_with_grads(grads):
    values = [Value(0.0) for _ in grads]
    for v, g in zip(values, grads):
        v.grad = g
    return values


@pytest.mark.torch
@pytest.mark.parametrize(
    ("grads", "max_norm", "norm_type"),
    [
        ([3.0, -4.0, 12.0], 1.0, 2.0),
        ([3.0, -4.0, 12.0], 100.0, 2.0),
        ([0.5, -7.0, 2.0, 1e-3], 2.5, math.inf),
        ([0.5, -7.0, 2.0, 1e-3], 2.5, 1.0),
    ],
)
def test_clip_grad_norm_matches_torch_and_returns_the_norm_before_clipping(grads, max_norm, norm_type):
    torch = pytest.importorskip("torch")
    values = _values_with_grads(grads)
    total = clip_grad_norm(values, max_norm, norm_type=norm_type)
    tensors = [torch.zeros((), dtype=torch.float64) for _ in grads]
    for t, g in zip(tensors, grads):
        t.grad = torch.tensor(g, dtype=torch.float64)
    expected = torch.nn.utils.clip_grad_norm_(tensors, max_norm, norm_type=norm_type)
    assert total == pytest.approx(expected.item(), rel=1e-12)
    assert [v.grad for v in values] == pytest.approx([t.grad.item() for t in tensors], rel=1e-12)


def test_clip_grad_norm_keeps_the_direction_and_caps_the_length():
    values = _values_with_grads([3.0, 4.0])
    assert clip_grad_norm(values, 1.0) == pytest.approx(5.0)
    assert math.hypot(*(v.grad for v in values)) == pytest.approx(1.0, rel=1e-5)
    assert values[0].grad / values[1].grad == pytest.approx(0.75)


def test_clip_grad_norm_of_huge_gradients_does_not_overflow():
    # torch squares first and reports inf here (then zeroes every gradient); the norm is finite
    values = _values_with_grads([1e200, 1e200])
    assert clip_grad_norm(values, 1.0) == pytest.approx(math.sqrt(2) * 1e200)
    assert [v.grad for v in values] == pytest.approx([math.sqrt(0.5)] * 2)


@pytest.mark.torch
def test_clip_grad_value_matches_torch():
    torch = pytest.importorskip("torch")
    grads = [0.3, -5.0, 2.0, -0.9, 1e9]
    values = _values_with_grads(grads)
    clip_grad_value(values, 1.0)
    tensors = [torch.zeros((), dtype=torch.float64) for _ in grads]
    for t, g in zip(tensors, grads):
        t.grad = torch.tensor(g, dtype=torch.float64)
    torch.nn.utils.clip_grad_value_(tensors, 1.0)
    assert [v.grad for v in values] == [t.grad.item() for t in tensors] == [0.3, -1.0, 1.0, -0.9, 1.0]


def test_clipping_accepts_a_module():
    model = MLP(2, [3, 1], seed=0)
    for p in model.parameters():
        p.grad = 10.0
    clip_grad_value(model, 0.5)
    assert {p.grad for p in model.parameters()} == {0.5}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: clip_grad_norm([Value(1.0)], 0.0), "max_norm must be a number > 0, got 0.0"),
        (lambda: clip_grad_value([Value(1.0)], -1), "clip_value must be a number > 0, got -1"),
    ],
)
def test_clipping_refuses_limits_that_are_not_positive(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_clipping_refuses_things_that_are_not_values():
    with pytest.raises(TypeError, match=r"params\[1\] must be a Value, got float"):
        clip_grad_norm([Value(1.0), 2.0], 1.0)


def test_a_layers_health_prints_in_one_line_with_four_significant_digits():
    # a vanishing layer's numbers keep their digits (%.4f would print 0.0001 and 0.0000)
    stats = LayerStats("layers.0", 8.31e-05, 1.9444e-04, 0.0, 12.5, "vanishing")
    assert str(stats) == (
        "layers.0: mean |grad| 8.310e-05, max |grad| 1.944e-04, grad norm 0, weight norm 12.50 (vanishing)"
    )


# --- the verdict: dead units, a collapsed spread across samples, updates far too large ---------

MOONS32, LABELS32 = make_moons(32, noise=0.1, seed=0)


def _lesson4_dead_sigmoid_run():
    # lesson 4 section 4: 6 sigmoid hidden layers, Xavier init, SGD lr 0.5, 25 steps of mse
    model = MLP(2, [8] * 6 + [1], activation="sigmoid", init="xavier", seed=0)
    history = fit(model, MOONS32, LABELS32, loss="mse", optimizer=SGD(model.parameters(), lr=0.5), steps=25)
    return model, history


def test_the_dead_sigmoid_network_of_lesson_4_is_not_called_ok():
    model, history = _lesson4_dead_sigmoid_run()
    text = repr(history)
    assert "gradients ok" not in text
    assert "spread across samples collapsed" in text and "(layers.0)" in text and "(layers.5)" in text
    assert "the learning rate is too large" in text
    spreads = [s.spread for s in history.activation_stats]
    assert spreads[-1] < 1e-3 * spreads[0]


def test_activation_stats_agree_with_a_torch_forward_pass():
    torch = pytest.importorskip("torch")
    model, _ = _lesson4_dead_sigmoid_run()
    h = torch.tensor(MOONS32, dtype=torch.float64)
    expected = []
    for layer in model.layers[:-1]:
        w = torch.tensor([[p.data for p in n.w] for n in layer.neurons], dtype=torch.float64)
        b = torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64)
        pre = h @ w.T + b
        h = torch.sigmoid(pre)
        expected.append((pre.abs().mean().item(), h.std(dim=0, unbiased=False).mean().item()))
    got = [x for s in activation_stats(model, MOONS32) for x in (s.mean_abs_pre, s.spread)]
    assert got == pytest.approx([x for pair in expected for x in pair], rel=1e-9)


def test_relus_that_output_zero_for_every_sample_are_flagged_dead():
    model = MLP(2, [8, 8, 1], seed=0)
    for neuron in model.layers[1].neurons:
        neuron.b.data = -100.0  # w . x + b < 0 for every moon point: the ReLU outputs exact zeros
    stats = activation_stats(model, MOONS32)
    assert [(s.name, s.dead, s.units) for s in stats] == [("layers.0", stats[0].dead, 8), ("layers.1", 8, 8)]
    assert stats[0].dead < 4
    reasons = diagnose(grad_stats(model), stats)
    assert any("dead units (layers.1 8/8)" in r for r in reasons)


def test_saturated_sigmoids_are_flagged_dead():
    model = MLP(2, [4, 1], activation="sigmoid", seed=0)
    for neuron in model.layers[0].neurons:
        neuron.b.data = 30.0  # sigmoid(30 + small) = 1 to 13 digits: slope ~1e-13
    (stats,) = activation_stats(model, MOONS32)
    assert stats.dead == 4 and stats.mean_abs_pre > 25
    assert any("dead units (layers.0 4/4)" in r for r in diagnose([], [stats]))


def test_a_learning_rate_far_too_large_is_named_in_the_verdict():
    model = MLP(2, [8, 1], activation="tanh", seed=0)
    history = fit(model, MOONS32, LABELS32, loss="mse", optimizer=SGD(model.parameters(), lr=20.0), steps=3)
    assert max(max(r) for r in history.update_ratio) > 0
    assert "the learning rate is too large" in repr(history)


def test_a_healthy_run_keeps_the_verdict_ok():
    model = MLP(2, [16, 16, 1], seed=1)
    history = fit(model, MOONS32, LABELS32, loss="mse", optimizer=SGD(model.parameters(), lr=0.05), steps=30)
    assert history.loss[-1] < history.loss[0]
    assert repr(history).endswith("; gradients ok)")
    assert diagnose(history.grad_stats[-1], history.activation_stats, history.update_ratio) == []
