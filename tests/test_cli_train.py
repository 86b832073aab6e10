"""`chainrule train` tells a learner how the run went: counts in words, curves, and failure.

A run that learned nothing is not a success: it ends with status 1 and one line of advice, so a
script or a class exercise notices. Oracles: the data itself (the commonest class's share is
what always giving one answer scores) and the run's own first and last loss.
"""

from __future__ import annotations

import re

import pytest

from nn.cli import main


def train(tmp_path, monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    monkeypatch.chdir(tmp_path)
    status = main(["train", "--no-progress", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_one_sample_is_counted_in_the_singular(tmp_path, monkeypatch, capsys):
    status, out, err = train(tmp_path, monkeypatch, capsys, "--samples", "1", "--steps", "1")
    assert "(1 sample) for 1 step in" in out and "(1 of 1 sample)" in out
    # with one class in the data every answer is right: that is no failure
    assert status == 0, err


def test_the_final_loss_keeps_significant_digits_when_it_is_small(tmp_path, monkeypatch, capsys):
    args = ("--dataset", "blobs", "--samples", "40", "--steps", "60", "--loss", "cross_entropy", "--noise", "0.1")
    status, out, err = train(tmp_path, monkeypatch, capsys, *args)
    assert status == 0, err
    loss = re.search(r"final loss (\S+)", out).group(1)
    assert float(loss) > 0 and loss != "0.0000"
    digits = loss.split("e")[0].replace("-", "").replace(".", "").lstrip("0")
    assert len(digits) == 4, loss  # 4 significant digits, however small


def test_a_diverged_run_with_finite_numbers_ends_with_status_1_and_one_line_of_advice(tmp_path, monkeypatch, capsys):
    # the case: sigmoid at learning rate 100 ends at 50% with a loss far above its start
    status, out, err = train(tmp_path, monkeypatch, capsys, "--lr", "100", "--activation", "sigmoid")
    assert status == 1
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "diverged" in err and "--lr" in err and "--clip 1.0" in err
    start, end = (float(x) for x in re.search(r"loss ended at (\S+), it started at (\S+):", err).groups()[::-1])
    assert end > 2 * start and float(re.search(r"final loss (\S+)", out).group(1)) == pytest.approx(end, rel=1e-3)


def test_a_run_no_better_than_chance_says_so_and_ends_with_status_1(tmp_path, monkeypatch, capsys):
    # a learning rate so small nothing moves: accuracy stays at the commonest class's share or below
    args = ("--dataset", "circles", "--samples", "40", "--steps", "2", "--optimizer", "sgd", "--lr", "1e-9")
    status, out, err = train(tmp_path, monkeypatch, capsys, *args)
    accuracy = float(re.search(r"accuracy (\S+)%", out).group(1))
    assert accuracy <= 50.0  # circles has two classes of 20
    assert status == 1 and err.count("\n") == 1
    assert "no better than always answering the commonest class (50.0%)" in err and "--lr" in err


def test_plot_history_writes_the_loss_and_accuracy_curves(tmp_path, monkeypatch, capsys):
    pytest.importorskip("matplotlib")
    status, out, err = train(tmp_path, monkeypatch, capsys, "--steps", "40", "--plot-history", "h.svg")
    assert status == 0, err
    assert "wrote loss and accuracy curves: h.svg" in out
    svg = (tmp_path / "h.svg").read_text()
    # matplotlib draws text as paths and names each in a comment
    for text in ("loss per step", "accuracy per step", "training loss", "step", "loss", "accuracy"):
        assert f"<!-- {text} -->" in svg, text


def test_plot_history_with_a_wrong_suffix_is_refused_before_training(tmp_path, monkeypatch, capsys):
    status, out, err = train(tmp_path, monkeypatch, capsys, "--plot-history", "h.gif")
    assert status == 2 and "trained" not in out and "--plot-history" in err
    assert list(tmp_path.iterdir()) == []
