"""fit: the training loop, its History, its progress bar and its refusal to continue on nan."""

from __future__ import annotations

import io
import math
import random
import sys

import pytest

from engine import Value, no_grad
from nn import MLP, SGD, Adam, History, LayerStats, fit, losses, make_blobs, make_moons, predict
from nn.optim import OPTIMIZERS
from nn.tasks import TASKS

X, Y = make_moons(24, seed=2)


def _small(seed=0, **options):
    return MLP(2, [6, 1], seed=seed, **options)


def test_fit_trains_a_classifier_on_moons():
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    history = fit(model, X, Y, steps=30, progress=False)
    assert history.loss[-1] < 0.3 * history.loss[0]
    assert history.accuracy[-1] >= 0.9
    scores = [model(x).data for x in X]
    assert sum((s > 0) == (t == 1) for s, t in zip(scores, Y)) / len(Y) >= 0.9


def test_default_optimizer_is_micrograds_demo_loop_without_regularisation():
    history = fit(_small(), X, Y, steps=5, progress=False)
    model = _small()
    expected = []
    for k in range(5):
        scores = [model(x) for x in X]
        loss = sum((1 + -(2 * t - 1) * s).relu() for t, s in zip(Y, scores)) * (1.0 / len(Y))
        expected.append(loss.data)
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= (1.0 - 0.9 * k / 5) * p.grad
    assert history.loss == pytest.approx(expected, abs=1e-12)
    assert history.lr == pytest.approx([1.0 - 0.9 * k / 5 for k in range(5)])


def test_history_has_one_entry_per_step_and_per_layer():
    history = fit(_small(), X, Y, steps=4, progress=False)
    assert history.steps == 4
    assert len(history.loss) == len(history.accuracy) == len(history.grad_stats) == len(history.update_ratio) == 4
    assert all(isinstance(s, LayerStats) for step in history.grad_stats for s in step)
    assert history.layer_names == ["layers.0", "layers.1"]
    assert all(len(r) == 2 for r in history.update_ratio)
    assert all(0.0 <= a <= 1.0 for a in history.accuracy)


def test_accuracy_is_the_fraction_of_scores_on_the_right_side_before_the_step():
    model = _small(seed=4)
    scores = [model(x).data for x in X]
    expected = sum((s > 0) == (t == 1) for s, t in zip(scores, Y)) / len(Y)
    assert fit(model, X, Y, steps=1, progress=False).accuracy[0] == pytest.approx(expected)


def test_update_ratio_for_plain_sgd_is_log10_of_lr_times_grad_over_weight():
    history = fit(_small(), X, Y, optimizer=None, steps=3, progress=False)
    for lr, stats, ratios in zip(history.lr, history.grad_stats, history.update_ratio):
        for s, ratio in zip(stats, ratios):
            assert ratio == pytest.approx(math.log10(lr * s.grad_norm / s.weight_norm), abs=1e-9)


def test_hinge_accepts_labels_0_1_or_minus_1_plus_1_with_the_same_result():
    a = fit(_small(), X, Y, steps=3, progress=False)
    b = fit(_small(), X, [2 * t - 1 for t in Y], steps=3, progress=False)
    assert a.loss == b.loss and a.accuracy == b.accuracy


def test_bce_training_lowers_the_loss():
    model = _small(seed=1)
    history = fit(model, X, Y, loss="bce", optimizer=Adam(model.parameters(), lr=0.05), steps=15, progress=False)
    assert history.loss[0] == pytest.approx(losses.binary_cross_entropy([_small(seed=1)(x) for x in X], Y).data)
    assert history.loss[-1] < history.loss[0]


def test_cross_entropy_trains_a_three_class_model():
    Xb, yb = make_blobs(30, noise=0.5, centers=[[-2, 0], [2, 0], [0, 3]], seed=0)
    model = MLP(2, [6, 3], seed=0)
    history = fit(model, Xb, yb, loss="cross_entropy", optimizer=Adam(model, lr=0.05), steps=25, progress=False)
    assert history.accuracy[-1] >= 0.9
    assert history.loss[-1] < 0.5 * history.loss[0]


def test_mse_regression_has_no_accuracy_but_learns():
    xs = [[i / 10, 1 - i / 10] for i in range(11)]
    targets = [0.5 * a - 0.25 * b for a, b in xs]
    model = MLP(2, [4, 1], activation="tanh", seed=0)
    history = fit(model, xs, targets, loss="mse", optimizer=SGD(model, lr=0.1), steps=20, progress=False)
    assert all(math.isnan(a) for a in history.accuracy)
    assert history.loss[-1] < 0.2 * history.loss[0]


def test_a_callable_loss_gets_predictions_and_targets():
    seen = []

    def squared(preds, targets):
        seen.append((len(preds), targets[:3]))
        return losses.mse(preds, targets)

    model = _small()
    history = fit(model, X, [float(t) for t in Y], loss=squared, optimizer=SGD(model, lr=0.01), steps=2, progress=False)
    assert seen == [(24, [float(t) for t in Y[:3]])] * 2
    assert history.loss[1] < history.loss[0]


def test_minibatches_are_deterministic_for_a_seed():
    a = fit(_small(), X, Y, steps=4, batch_size=5, seed=7, progress=False)
    b = fit(_small(), X, Y, steps=4, batch_size=5, seed=7, progress=False)
    c = fit(_small(), X, Y, steps=4, batch_size=5, seed=8, progress=False)
    assert a.loss == b.loss and a.loss != c.loss
    assert all(a * 5 == pytest.approx(round(a * 5)) for a in a.accuracy)  # fractions of 5 samples


def test_clip_caps_the_gradient_norm_before_every_step():
    model = MLP(2, [6, 1], seed=0)
    history = fit(model, X, Y, steps=3, clip=0.01, progress=False)
    for stats in history.grad_stats:
        total = math.sqrt(sum(s.grad_norm**2 for s in stats))
        assert total <= 0.01 * (1 + 1e-9)


def test_a_diverging_loss_stops_with_floating_point_error_naming_the_step():
    model = MLP(2, [6, 1], seed=0)
    targets = [10.0 * t for t in Y]
    with pytest.raises(FloatingPointError, match=r"at step \d+.*smaller learning rate.*clip="):
        fit(model, X, targets, loss="mse", optimizer=SGD(model, lr=50.0), steps=50, progress=False)


def test_a_schedule_driven_by_history_shows_in_history_lr():
    model = _small()
    history = fit(model, X, Y, optimizer=SGD(model, lr=lambda k: 0.1 / (k + 1)), steps=3, progress=False)
    assert history.lr == pytest.approx([0.1, 0.05, 0.1 / 3])


def test_zero_steps_give_an_empty_history():
    history = fit(_small(), X, Y, steps=0, progress=False)
    assert history.steps == 0 and repr(history) == "History(0 steps)"


def test_history_repr_reads_as_a_summary():
    history = History(
        loss=[0.9, 0.1],
        accuracy=[0.5, 1.0],
        grad_stats=[[], [LayerStats("layers.0", 1e-9, 1e-9, 1e-9, 1.0, "vanishing")]],
        update_ratio=[[], []],
        lr=[0.1, 0.1],
    )
    # the one number format: 4 significant digits
    assert repr(history) == (
        "History(2 steps: loss 0.9000 -> 0.1000, accuracy 50.0% -> 100.0%; gradients: layers.0 vanishing)"
    )


# --- the table of tasks: one entry per loss name -------------------------------------------------


def _data_for(task):
    """Two-class moons for a loss that separates two classes, three blobs for the others."""
    if task.two_classes:
        return X, Y, 2
    blobs, labels = make_blobs(30, centers=3, seed=1)
    return blobs, labels, 3


@pytest.mark.parametrize("name", list(TASKS))
def test_every_task_trains_with_its_suggested_optimizer_and_the_same_numbers_compiled(name):
    task = TASKS[name]
    inputs, labels, classes = _data_for(task)
    runs = []
    for compile in (False, True):
        model = MLP(2, [8, task.outputs(classes)], seed=0)
        optimizer = OPTIMIZERS[task.optimizer](model, lr=0.05)
        runs.append(
            fit(model, inputs, labels, loss=name, optimizer=optimizer, steps=15, progress=False, compile=compile)
        )
    plain, compiled = runs
    assert plain.loss[-1] < plain.loss[0]
    assert compiled.loss == pytest.approx(plain.loss, rel=1e-12)
    assert compiled.accuracy == pytest.approx(plain.accuracy, nan_ok=True)


@pytest.mark.parametrize("name", list(TASKS))
def test_the_accuracy_fit_reports_is_the_share_of_points_predict_gets_right(name):
    task = TASKS[name]
    inputs, labels, classes = _data_for(task)
    model = MLP(2, [8, task.outputs(classes)], seed=3)
    history = fit(model, inputs, labels, loss=name, optimizer=SGD(model, lr=0.0), steps=1, progress=False)
    right = sum(p == t for p, t in zip(predict(model, inputs, name, classes), labels))
    assert history.accuracy[0] == right / len(labels)  # lr 0: the weights fit scored are the ones predicted with


@pytest.mark.parametrize(
    ("name", "labels", "targets"),
    [
        ("hinge", [0, 1, 1], [-1, 1, 1]),
        ("hinge", [-1, 1], [-1, 1]),
        ("bce", [-1, 1, -1], [0, 1, 0]),
        ("cross_entropy", [2.0, 0, 1], [2, 0, 1]),
        ("mse", [0.5, 2.5], [0.5, 2.5]),
    ],
)
def test_each_task_maps_class_labels_to_the_targets_its_loss_needs(name, labels, targets):
    assert TASKS[name].targets(labels) == targets


def test_predict_reads_one_score_by_the_rule_of_its_task():
    score = lambda x: Value(x[0])
    points = [[-0.2], [0.3], [0.7], [1.6], [9.0]]
    assert predict(score, points, "hinge") == predict(score, points, "bce") == [0, 1, 1, 1, 1]
    assert predict(score, points, "mse", classes=3) == [0, 0, 1, 2, 2]  # the nearest label, 0..2


def test_an_unknown_loss_name_is_refused_naming_every_task_in_the_table():
    names = ", ".join(map(repr, TASKS))
    with pytest.raises(ValueError, match=f"^loss must be {names} or a callable, got 'l1'$"):
        fit(_small(), X, Y, loss="l1", steps=1, progress=False)
    with pytest.raises(ValueError, match=f"^loss must be one of {names}, got 'l1'$"):
        predict(_small(), X, loss="l1")


def test_every_task_suggests_an_optimizer_the_library_has():
    assert {task.optimizer for task in TASKS.values()} <= set(OPTIMIZERS)


# --- the progress bar ------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_shows_live_loss_and_accuracy_on_a_terminal(monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    fit(_small(), X, Y, steps=3, progress=True)
    shown = terminal.getvalue()
    assert "loss=" in shown and "accuracy=" in shown and "3/3" in shown


def test_progress_bar_of_a_regression_shows_the_loss_and_no_accuracy(monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    model = MLP(1, [4, 1], seed=0)
    fit(model, [[0.1 * i] for i in range(8)], [0.05 * i for i in range(8)], loss="mse", steps=2, progress=True)
    shown = terminal.getvalue()
    assert "loss=" in shown and "2/2" in shown and "accuracy" not in shown


def test_progress_bar_shows_a_tiny_loss_with_its_digits_not_as_0_0000(monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    model = MLP(1, [4, 1], seed=0)
    X1 = [[0.1 * i] for i in range(8)]
    with no_grad():
        targets = [model(x).data + 1e-3 for x in X1]  # every prediction off by 1e-3: mse = 1e-6
    fit(model, X1, targets, loss="mse", optimizer=SGD(model, lr=0.0), steps=1, progress=True)
    assert "loss=1.000e-06" in terminal.getvalue() and "0.0000" not in terminal.getvalue()


def test_progress_false_shows_nothing_even_on_a_terminal(monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    fit(_small(), X, Y, steps=2, progress=False)
    assert terminal.getvalue() == ""


def test_no_progress_bar_when_stderr_is_not_a_terminal(monkeypatch):
    pipe = io.StringIO()
    monkeypatch.setattr(sys, "stderr", pipe)
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    fit(_small(), X, Y, steps=2, progress=True)
    assert pipe.getvalue() == ""


# --- errors at the boundary ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"y": Y[:-1]}, ValueError, "X has 24 samples but y has 23 labels"),
        ({"loss": "l1"}, ValueError, "loss must be 'hinge', 'mse', 'bce', 'cross_entropy' or a callable, got 'l1'"),
        ({"y": [t % 3 for t in range(24)]}, ValueError, "hinge' needs two classes.*got labels 0, 1, 2"),
        ({"batch_size": 25}, ValueError, "batch_size must be None or an integer from 1 to 24"),
        ({"steps": -1}, ValueError, "steps must be an integer >= 0"),
        ({"clip": 0}, ValueError, "clip must be None or a number > 0"),
        ({"optimizer": "adam"}, TypeError, "optimizer must have a step"),
        ({"loss": "cross_entropy"}, ValueError, "one logit per class"),
    ],
)
def test_bad_arguments_raise_with_what_was_given(kwargs, error, message):
    arguments = {"y": Y, "steps": 1, "progress": False} | kwargs
    with pytest.raises(error, match=message):
        fit(_small(), X, **arguments)


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("steps", "steps must be an integer >= 0, got True"),
        ("batch_size", r"batch_size must be None or an integer from 1 to 24 \(len\(X\)\), got True"),
        ("clip", r"clip must be None or a number > 0 \(the largest gradient norm allowed\), got True"),
    ],
)
def test_true_is_not_taken_for_the_number_one(option, message):
    arguments = {"steps": 1, "progress": False} | {option: True}
    with pytest.raises(ValueError, match=f"^{message}$"):
        fit(_small(), X, Y, **arguments)


def test_a_model_with_several_outputs_is_refused_for_hinge():
    with pytest.raises(ValueError, match="needs one output per sample, the model gave 3"):
        fit(MLP(2, [3], seed=0), X, Y, steps=1, progress=False)


def test_inputs_may_be_values():
    inputs = [[Value(a), Value(b)] for a, b in X]
    assert fit(_small(), inputs, Y, steps=2, progress=False).loss == fit(_small(), X, Y, steps=2, progress=False).loss
