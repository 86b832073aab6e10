"""Losses: batch means with PyTorch's numbers and gradients, stable for huge logits."""

from __future__ import annotations

import math
import random

import pytest

from engine import Value
from nn import losses


def _batch(seed: int, n: int, low: float = -4.0, high: float = 4.0) -> list[float]:
    rng = random.Random(seed)
    return [rng.uniform(low, high) for _ in range(n)]


# --- values a person can check by hand -------------------------------------------------------------


def test_mse_is_the_mean_of_squared_errors():
    assert losses.mse([Value(1.0), Value(3.0), Value(-1.0)], [0.0, 1.0, -1.0]).data == pytest.approx(5 / 3)


def test_hinge_is_micrograds_demo_loss():
    # relu(1 - 1*2) = 0, relu(1 - 1*(-0.5)) = 1.5, relu(1 + 0.25) = 1.25
    loss = losses.hinge([Value(2.0), Value(-0.5), Value(0.25)], [1, 1, -1])
    assert loss.data == pytest.approx((0 + 1.5 + 1.25) / 3)


def test_binary_cross_entropy_takes_labels_as_values_with_the_same_numbers():
    # compiled training passes each batch's labels in as inputs, so they arrive as Values
    zs = [Value(z) for z in (-2.0, 0.5, 3.0)]
    as_floats = losses.binary_cross_entropy(zs, [0, 1, 1])
    as_floats.backward()
    grads = [z.grad for z in zs]
    for z in zs:
        z.grad = 0.0
    as_values = losses.binary_cross_entropy(zs, [Value(0.0), Value(1.0), Value(1.0)])
    as_values.backward()
    assert as_values.data == as_floats.data
    assert [z.grad for z in zs] == grads  # σ(z) - y, divided by the batch size
    assert grads[0] == pytest.approx((1 / (1 + math.exp(2.0)) - 0) / 3, rel=1e-12)
    with pytest.raises(ValueError, match=r"labels in \[0, 1\].*1\.5"):
        losses.binary_cross_entropy(zs[:1], [Value(1.5)])


def test_binary_cross_entropy_of_a_zero_logit_is_log_two():
    assert losses.binary_cross_entropy([Value(0.0)], [0]).data == pytest.approx(math.log(2))


def test_cross_entropy_of_equal_logits_is_log_k():
    rows = [[Value(1.5), Value(1.5), Value(1.5), Value(1.5)]]
    assert losses.cross_entropy(rows, [2]).data == pytest.approx(math.log(4))


def test_cross_entropy_with_one_hot_probabilities_gives_the_class_index_numbers():
    rows = [[0.5, -1.25, 2.0], [3.0, 0.0, -0.5]]
    targets = [2, 0]
    by_index = [[Value(z) for z in row] for row in rows]
    by_probability = [[Value(z) for z in row] for row in rows]
    a = losses.cross_entropy(by_index, targets)
    b = losses.cross_entropy(by_probability, [[float(j == t) for j in range(3)] for t in targets])
    a.backward()
    b.backward()
    assert b.data == pytest.approx(a.data, rel=1e-15)
    for x, y in zip(sum(by_index, []), sum(by_probability, [])):
        assert y.grad == pytest.approx(x.grad, rel=1e-14, abs=1e-15)


def test_each_loss_returns_a_value_that_backpropagates_to_the_predictions():
    preds = [Value(0.3), Value(-0.7)]
    for loss in (
        losses.mse(preds, [1.0, 0.0]),
        losses.hinge(preds, [1, -1]),
        losses.binary_cross_entropy(preds, [1, 0]),
        losses.cross_entropy([preds], [0]),
    ):
        assert isinstance(loss, Value)
        for p in preds:
            p.grad = 0.0
        loss.backward()
        assert any(p.grad != 0.0 for p in preds)


# --- stability -----------------------------------------------------------------------------------------


def test_cross_entropy_stays_finite_for_a_logit_of_800():
    big, small = Value(800.0), Value(0.0)
    loss = losses.cross_entropy([[big, small]], [1])
    assert loss.data == pytest.approx(800.0)
    loss.backward()
    assert big.grad == pytest.approx(1.0) and small.grad == pytest.approx(-1.0)


@pytest.mark.parametrize(("logit", "label", "expected"), [(1000.0, 1, 0.0), (1000.0, 0, 1000.0), (-1000.0, 1, 1000.0)])
def test_binary_cross_entropy_from_huge_logits_is_finite_and_right(logit, label, expected):
    z = Value(logit)
    loss = losses.binary_cross_entropy([z], [label])
    assert loss.data == pytest.approx(expected)
    loss.backward()
    assert math.isfinite(z.grad)


# --- errors at the boundary ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: losses.mse([Value(1.0)], [1.0, 2.0]), ValueError, "1 predictions but 2 targets"),
        (lambda: losses.mse([], []), ValueError, "empty"),
        (lambda: losses.hinge([Value(1.0)], [0]), ValueError, "labels -1 or \\+1, got 0"),
        (lambda: losses.binary_cross_entropy([Value(1.0)], [2]), ValueError, r"labels in \[0, 1\]"),
        (lambda: losses.cross_entropy([[Value(1.0), Value(2.0)]], [2]), ValueError, "class index 0..1, got 2"),
        (lambda: losses.cross_entropy(Value(1.0), [0]), TypeError, "list of rows"),
        (lambda: losses.cross_entropy([[Value(1.0), Value(2.0)]], [[1]]), ValueError, "row of 2 class probabilities"),
        (lambda: losses.mse("abc", [1.0]), TypeError, "got str"),
    ],
)
def test_bad_inputs_raise_with_what_was_given(call, error, message):
    with pytest.raises(error, match=message):
        call()


# --- PyTorch parity ---------------------------------------------------------------------------------


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def _tensor(torch, xs):
    return torch.tensor(xs, dtype=torch.float64, requires_grad=True)


@pytest.mark.torch
@pytest.mark.parametrize("seed", range(3))
def test_mse_equals_torch_mse_loss_with_the_same_gradients(torch, seed):
    preds, targets = _batch(seed, 9), _batch(seed + 100, 9)
    ours = [Value(p) for p in preds]
    loss = losses.mse(ours, targets)
    loss.backward()
    theirs = _tensor(torch, preds)
    reference = torch.nn.functional.mse_loss(theirs, torch.tensor(targets, dtype=torch.float64))
    reference.backward()
    assert loss.data == pytest.approx(reference.item(), abs=1e-12)
    assert [v.grad for v in ours] == pytest.approx(theirs.grad.tolist(), abs=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("seed", range(3))
def test_hinge_equals_torchs_mean_of_clamped_margins(torch, seed):
    scores = _batch(seed, 11, -2.0, 2.0)
    labels = [random.Random(seed).choice([-1, 1]) for _ in scores]
    ours = [Value(s) for s in scores]
    loss = losses.hinge(ours, labels)
    loss.backward()
    theirs = _tensor(torch, scores)
    reference = torch.clamp(1 - torch.tensor(labels, dtype=torch.float64) * theirs, min=0).mean()
    reference.backward()
    assert loss.data == pytest.approx(reference.item(), abs=1e-12)
    assert [v.grad for v in ours] == pytest.approx(theirs.grad.tolist(), abs=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("seed", range(3))
def test_binary_cross_entropy_equals_torch_bce_with_logits(torch, seed):
    logits = _batch(seed, 10, -30.0, 30.0) + [700.0, -700.0]
    rng = random.Random(seed)
    labels = [rng.choice([0, 1]) for _ in logits]
    ours = [Value(z) for z in logits]
    loss = losses.binary_cross_entropy(ours, labels)
    loss.backward()
    theirs = _tensor(torch, logits)
    reference = torch.nn.functional.binary_cross_entropy_with_logits(theirs, torch.tensor(labels, dtype=torch.float64))
    reference.backward()
    assert loss.data == pytest.approx(reference.item(), rel=1e-12, abs=1e-12)
    assert [v.grad for v in ours] == pytest.approx(theirs.grad.tolist(), abs=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("kind", ["class indices", "class probabilities"])
def test_cross_entropy_equals_torch_cross_entropy(torch, seed, kind):
    rng = random.Random(seed)
    rows = [[rng.uniform(-6, 6) for _ in range(4)] for _ in range(6)]
    rows[0][2] = 800.0  # a logit that would overflow a naive exp
    if kind == "class indices":
        targets = [rng.randrange(4) for _ in rows]
        their_targets = torch.tensor(targets)
    else:
        weights = [[rng.random() for _ in range(4)] for _ in rows]
        targets = [[w / sum(row) for w in row] for row in weights]
        their_targets = torch.tensor(targets, dtype=torch.float64)
    ours = [[Value(z) for z in row] for row in rows]
    loss = losses.cross_entropy(ours, targets)
    loss.backward()
    theirs = _tensor(torch, rows)
    reference = torch.nn.functional.cross_entropy(theirs, their_targets)
    reference.backward()
    assert loss.data == pytest.approx(reference.item(), rel=1e-12, abs=1e-12)
    grads = [v.grad for row in ours for v in row]
    assert grads == pytest.approx(theirs.grad.flatten().tolist(), abs=1e-12)
