"""fit with validation data, and the History's curves: accuracy measured on samples not trained on."""

from __future__ import annotations

import math

import pytest

from engine import no_grad
from nn import MLP, SGD, fit, losses, make_moons

X, Y = make_moons(40, seed=3)
X_VAL, Y_VAL = make_moons(30, seed=4)


def _by_hand(model, X, y):
    # the hinge loss and accuracy of the model on (X, y), computed here from its outputs
    with no_grad():
        scores = [model(x) for x in X]
    signs = [1 if t == 1 else -1 for t in y]
    loss = losses.hinge(scores, signs).data
    right = sum((s.data > 0) == (t == 1) for s, t in zip(scores, y))
    return loss, right / len(y)


def test_fit_records_the_validation_loss_and_accuracy_of_each_step_with_that_steps_weights():
    model = MLP(2, [8, 1], seed=1)
    reference = MLP(2, [8, 1], seed=1)
    history = fit(model, X, Y, optimizer=SGD(model, lr=0.5), steps=4, progress=False, val=(X_VAL, Y_VAL))
    trained = fit(reference, X, Y, optimizer=SGD(reference, lr=0.5), steps=3, progress=False)  # step 3's weights
    assert len(history.val_loss) == len(history.val_accuracy) == 4
    assert history.loss[:3] == trained.loss  # validating records nothing in the training graph
    loss, accuracy = _by_hand(reference, X_VAL, Y_VAL)
    assert history.val_loss[3] == pytest.approx(loss, rel=1e-12)
    assert history.val_accuracy[3] == accuracy
    assert "validation loss" in repr(history)


def test_val_split_holds_out_that_fraction_and_trains_on_the_rest():
    model = MLP(2, [8, 1], seed=1)
    history = fit(model, X, Y, steps=2, progress=False, val_split=0.25, seed=0)
    assert len(history.val_loss) == 2
    # the same split again gives the same numbers; another seed holds out other samples
    again = fit(MLP(2, [8, 1], seed=1), X, Y, steps=2, progress=False, val_split=0.25, seed=0)
    other = fit(MLP(2, [8, 1], seed=1), X, Y, steps=2, progress=False, val_split=0.25, seed=5)
    assert again.val_loss == history.val_loss
    assert other.val_loss != history.val_loss


def test_without_validation_data_the_history_has_no_validation_entries():
    history = fit(MLP(2, [4, 1], seed=0), X, Y, steps=2, progress=False)
    assert history.val_loss == [] and history.val_accuracy == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"val": (X_VAL, Y_VAL), "val_split": 0.2}, "not both"),
        ({"val_split": 1.5}, "val_split must be a fraction between 0 and 1"),
        ({"val_split": 0.001}, "holds out 0"),
        ({"val": (X_VAL, Y_VAL[:3])}, "30 samples and 3 labels"),
        ({"val": X_VAL}, "val must be a pair"),
    ],
)
def test_bad_validation_options_are_refused_in_one_line(options, message):
    with pytest.raises((TypeError, ValueError), match=message):
        fit(MLP(2, [4, 1], seed=0), X, Y, steps=1, progress=False, **options)


def test_history_plot_draws_training_and_validation_curves_with_labelled_axes():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    history = fit(MLP(2, [8, 1], seed=1), X, Y, steps=5, progress=False, val=(X_VAL, Y_VAL))
    loss_axis, accuracy_axis = history.plot()
    assert (loss_axis.get_xlabel(), loss_axis.get_ylabel()) == ("step", "loss")
    assert accuracy_axis.get_ylabel() == "accuracy"
    lines = {line.get_label(): list(line.get_ydata()) for line in loss_axis.get_lines()}
    assert lines["training loss"] == history.loss and lines["validation loss"] == history.val_loss
    assert [line.get_label() for line in accuracy_axis.get_lines()] == ["training accuracy", "validation accuracy"]


def test_history_plot_of_a_regression_draws_the_loss_alone():
    pytest.importorskip("matplotlib")
    X_r = [[x / 10] for x in range(10)]
    y_r = [math.sin(x[0]) for x in X_r]
    from nn import Adam

    model = MLP(1, [4, 1], seed=0)
    axis = fit(model, X_r, y_r, loss="mse", optimizer=Adam(model, lr=0.01), steps=3, progress=False).plot()
    assert axis.get_ylabel() == "loss"
    assert [line.get_label() for line in axis.get_lines()] == ["training loss"]
