"""Issue 14/16 formula bullets: empty formulas, echoed text, 2x, leaky_relu's slope, long sums, --at."""

from __future__ import annotations

import math

import pytest

from nn.cli import main
from nn.cli.expression import ExpressionError, build


def run(args, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("formula", ["# hi", "  # only a comment  "])
def test_a_formula_that_is_only_a_comment_is_empty(formula, tmp_path, monkeypatch, capsys):
    status, out, err = run(["draw", formula, "--at", "x=1", "-o", "g.dot"], tmp_path, monkeypatch, capsys)
    assert status == 2 and err.count("\n") == 1 and "the formula is empty" in err
    assert list(tmp_path.iterdir()) == []


def test_control_characters_are_never_echoed_and_long_text_is_cut(tmp_path, monkeypatch, capsys):
    status, out, _ = run(["draw", "x # \x1b]0;title\x07", "--at", "x=1"], tmp_path, monkeypatch, capsys)
    assert status == 0 and "\x1b" not in out and "\x07" not in out
    status, _, err = run(["draw", "y" * 10**6, "--at", "x=1"], tmp_path, monkeypatch, capsys)
    assert status == 2 and len(err) < 400 and "1,000,000 characters" in err


@pytest.mark.parametrize("formula, hint", [("2x", "write 2*x"), ("0.5tanh(x)", "write 0.5*tanh")])
def test_a_number_against_a_name_says_to_write_the_star(formula, hint):
    with pytest.raises(ExpressionError, match=hint.replace("*", r"\*")):
        build(formula, {"x": 1.0})


@pytest.mark.parametrize("x", [-2.0, 3.0])
def test_leaky_relu_takes_its_slope_as_in_the_api_and_matches_torch(x):
    torch = pytest.importorskip("torch", reason="the PyTorch oracle is not installed")
    out, leaves = build("leaky_relu(x, 0.1)", {"x": x})
    out.backward()
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    expected = torch.nn.functional.leaky_relu(t, 0.1)
    expected.backward()
    assert out.data == pytest.approx(expected.item()) and leaves["x"].grad == pytest.approx(t.grad.item())
    with pytest.raises(ExpressionError, match="slope .* must be a finite number"):
        build("leaky_relu(x, x)", {"x": x})


def test_a_long_flat_sum_is_read_term_by_term():
    terms = 20_000
    out, leaves = build("+".join(["x*w"] * terms) + " - 2*w", {"x": 1.5, "w": 2.0})
    out.backward()
    assert out.data == 1.5 * 2.0 * terms - 4.0
    assert leaves["w"].grad == 1.5 * terms - 2 and list(leaves) == ["x", "w"]


def test_at_names_are_nfkc_normalised_like_the_formulas(tmp_path, monkeypatch, capsys):
    status, out, err = run(["draw", "ｘ*w", "--at", "ｘ=1", "w=2"], tmp_path, monkeypatch, capsys)
    assert status == 0, err
    assert "d/dx = 2.000" in out


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e309"])
def test_non_finite_at_values_are_refused_like_other_bad_numbers(value, tmp_path, monkeypatch, capsys):
    status, _, err = run(["draw", "x", "--at", f"x={value}"], tmp_path, monkeypatch, capsys)
    assert status == 2 and "give a finite number" in err


def test_a_nan_gradient_names_the_op_that_made_it(tmp_path, monkeypatch, capsys):
    status, out, err = run(["draw", "log(0*x)", "--at", "x=1"], tmp_path, monkeypatch, capsys)
    assert status == 0 and "d/dx = nan" in out
    assert "log produced -inf" in err and math.isnan(float(out.split("d/dx = ")[1].split()[0]))
