"""Issue 14's command-line bullets: long output names, failing Graphviz, dashes, bounds, numbers."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from nn.cli import main
from nn.cli.files import output_path
from nn.cli.status import Stop

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="the Graphviz 'dot' program is not installed")


def run(args: list[str], tmp_path: Path, monkeypatch, capsys) -> tuple[int, str, str]:
    monkeypatch.chdir(tmp_path)
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


def one_line(err: str) -> str:
    assert err.count("\n") == 1 and err.startswith("chainrule") and "Traceback" not in err, err
    return err


# --- output names the file system cannot hold -------------------------------------------------

LONG_NAME = "n" * 296  # 300 characters with the suffix: beyond the usual 255-byte NAME_MAX
DEEP_PATH = "d/" * 2100  # 4,200 characters before the name: beyond the usual 4,096-byte PATH_MAX

TOO_LONG = [
    ["draw", "x", "--at", "x=1", "-o", LONG_NAME + ".dot"],
    ["draw", "x", "--at", "x=1", "-o", DEEP_PATH + "g.dot"],
    ["gradflow", "--depth", "2", "-o", LONG_NAME + ".svg"],
    ["train", "--steps", "1", "--save", LONG_NAME + ".json"],
    ["train", "--steps", "1", "--save", DEEP_PATH + "m.json"],
]


@pytest.mark.parametrize("args", TOO_LONG, ids=lambda a: f"{a[0]} {a[-2]} {len(a[-1])} chars")
def test_an_output_name_too_long_is_refused_in_one_line_before_any_work(args, tmp_path, monkeypatch, capsys):
    status, out, err = run(args, tmp_path, monkeypatch, capsys)
    assert status == 2 and out == ""  # refused before the table, the training or the drawing
    assert "bytes; the file system allows" in one_line(err)
    assert list(tmp_path.iterdir()) == []


def test_a_250_character_name_passes_the_check(tmp_path):
    name = tmp_path / ("v" * 246 + ".dot")
    assert output_path(str(name), (".dot",), "-o") == name
    with pytest.raises(Stop, match="file name is 256 bytes"):
        output_path(str(tmp_path / ("v" * 252 + ".dot")), (".dot",), "-o")


@pytest.mark.parametrize(
    "args",
    [
        ["draw", "x*w", "--at", "x=1", "w=2", "-o", "v" * 246 + ".dot"],
        ["train", "--steps", "1", "--samples", "10", "--hidden", "2", "--no-progress", "--save", "v" * 245 + ".json"],
    ],
    ids=["draw -o", "train --save"],
)
def test_a_250_character_output_name_is_written_whole(args, tmp_path, monkeypatch, capsys):
    status, _, err = run(args, tmp_path, monkeypatch, capsys)
    assert status == 0, err
    assert os.listdir(tmp_path) == [args[-1]] and len(args[-1]) == 250 and (tmp_path / args[-1]).stat().st_size > 0


# --- Graphviz that fails ----------------------------------------------------------------------


FAILING = {
    "an error": ("echo 'Error: <stdin>: syntax error in line 1' >&2; exit 1", "syntax error in line 1"),
    "a missing format": (
        "echo 'Format: \"png\" not recognized. Use one of: svg dot' >&2; exit 1",
        'Format: "png" not recognized',
    ),
    "a crash": ("kill -SEGV $$", "killed by SIGSEGV"),
}


@pytest.mark.parametrize("case", FAILING)
@pytest.mark.parametrize("command", [["draw", "tanh(x)", "--at", "x=1"], ["gradflow", "--depth", "2"]])
def test_graphviz_that_fails_is_one_line_with_its_own_words_status_3_and_no_file(
    fake_dot, case, command, tmp_path, monkeypatch, capsys
):
    body, words = FAILING[case]
    monkeypatch.setenv("PATH", fake_dot(body))
    work = tmp_path / "work"
    work.mkdir()
    status, _, err = run([*command, "-o", "g.png"], work, monkeypatch, capsys)
    assert status == 3
    assert words in one_line(err) and "Graphviz failed to draw g.png" in err
    assert list(work.iterdir()) == []


def test_graphviz_that_fails_inside_the_html_player_is_one_line_too(fake_dot, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", fake_dot(FAILING["an error"][0]))
    work = tmp_path / "work"
    work.mkdir()
    status, _, err = run(["draw", "tanh(x)", "--at", "x=1", "-o", "walk.html"], work, monkeypatch, capsys)
    assert status == 3 and "syntax error in line 1" in one_line(err)
    assert list(work.iterdir()) == []


@pytest.mark.parametrize("how", ["option", "variable"])
def test_a_hanging_graphviz_is_stopped_after_the_timeout(fake_dot, how, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", fake_dot(f"exec {shutil.which('sleep')} 60"))
    work = tmp_path / "work"
    work.mkdir()
    args = ["draw", "x*w", "--at", "x=1", "w=2", "-o", "g.svg"]
    if how == "option":
        args += ["--graphviz-timeout", "0.5"]
    else:
        monkeypatch.setenv("CHAINRULE_GRAPHVIZ_TIMEOUT", "0.5")
    status, _, err = run(args, work, monkeypatch, capsys)
    assert status == 3 and "after 0.5 s and was stopped" in one_line(err) and "--graphviz-timeout" in err
    assert list(work.iterdir()) == []


@pytest.mark.parametrize("how", ["option", "variable"])
def test_a_hanging_graphviz_is_stopped_after_the_timeout_for_the_html_player_too(
    fake_dot, how, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("PATH", fake_dot(f"exec {shutil.which('sleep')} 60"))
    work = tmp_path / "work"
    work.mkdir()
    args = ["draw", "x*y", "--at", "x=1", "y=2", "-o", "walk.html"]
    if how == "option":
        args += ["--graphviz-timeout", "1"]
    else:
        monkeypatch.setenv("CHAINRULE_GRAPHVIZ_TIMEOUT", "1")
    status, out, err = run(args, work, monkeypatch, capsys)
    assert status == 3 and out == ""
    assert "Graphviz's dot was still drawing walk.html after 1 s and was stopped" in one_line(err)
    assert "--graphviz-timeout" in err
    assert list(work.iterdir()) == []  # neither walk.html nor a temporary file


@pytest.mark.parametrize("case", FAILING)
def test_graphviz_that_fails_inside_the_html_player_says_so_as_for_a_picture(
    fake_dot, case, tmp_path, monkeypatch, capsys
):
    body, words = FAILING[case]
    monkeypatch.setenv("PATH", fake_dot(body))
    work = tmp_path / "work"
    work.mkdir()
    status, _, err = run(["draw", "x*y", "--at", "x=1", "y=2", "-o", "walk.html"], work, monkeypatch, capsys)
    assert status == 3
    assert words in one_line(err) and "Graphviz failed to draw walk.html: " in err
    assert list(work.iterdir()) == []


@pytest.mark.parametrize("output", ["g.svg", "walk.html"])
def test_a_dot_that_cannot_be_run_is_one_line_naming_it(output, tmp_path, monkeypatch, capsys):
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "dot").write_bytes(b"\x00\x01 not a program")
    (folder / "dot").chmod(0o755)
    monkeypatch.setenv("PATH", str(folder))
    work = tmp_path / "work"
    work.mkdir()
    status, _, err = run(["draw", "x*y", "--at", "x=1", "y=2", "-o", output], work, monkeypatch, capsys)
    assert status == 3 and f"Graphviz's dot ({folder / 'dot'}) cannot be run: Exec format error" in one_line(err)
    assert list(work.iterdir()) == []


@pytest.mark.parametrize("value", ["0", "soon", "nan"])
def test_a_bad_timeout_variable_is_refused(value, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CHAINRULE_GRAPHVIZ_TIMEOUT", value)
    status, _, err = run(["draw", "x", "--at", "x=1", "-o", "g.dot"], tmp_path, monkeypatch, capsys)
    assert status == 2 and "CHAINRULE_GRAPHVIZ_TIMEOUT" in one_line(err)
    assert list(tmp_path.iterdir()) == []


# --- leading dashes: only the formula is touched ----------------------------------------------


def test_an_output_name_starting_with_a_dash_is_written_as_given(tmp_path, monkeypatch, capsys):
    status, _, _ = run(["draw", "x*w", "--at", "x=1", "w=2", "-o", "-a b.dot"], tmp_path, monkeypatch, capsys)
    assert status == 0 and [p.name for p in tmp_path.iterdir()] == ["-a b.dot"]


@pytest.mark.parametrize(
    "args, value, slope",
    [
        (["-x", "--at", "x=2"], -2.0, -1.0),
        (["--x", "--at", "x=2"], 2.0, 1.0),  # minus minus x
        (["--at", "x=2", "-x"], -2.0, -1.0),  # after --at too
        (["--", "-x", "--at", "x=2"], -2.0, -1.0),  # -- ends the options: the next word is EXPR
        (["--at", "x=2", "--", "-x*x"], -4.0, -4.0),
    ],
)
def test_formulas_starting_with_a_minus_are_formulas(args, value, slope, tmp_path, monkeypatch, capsys):
    status, out, err = run(["draw", *args], tmp_path, monkeypatch, capsys)
    assert status == 0, err
    lines = out.splitlines()
    assert float(lines[0].split(" = ")[1]) == value and lines[1] == f"  d/dx = {slope:.3f}"


# --- upper bounds, refused before any work ----------------------------------------------------

BOUNDS = [
    (["train", "--steps", "99999999999999999999999"], "from 1 to 1,000,000"),
    (["train", "--hidden", "100000000"], "at most 1,000 neurons"),
    (["train", "--hidden", "1000,1000"], "1,005,001 weights, more than the 100,000"),
    (["train", "--samples", "10000000000"], "from 1 to 100,000"),
    (["gradflow", "--samples", "10000000000"], "from 1 to 100,000"),
    (["draw", "x", "--at", "x=1", "--max-nodes", "1000000"], "from 20 to 5,000"),
    (["draw", "x", "--at", "x=1", "--max-steps", "1000000"], "from 1 to 5,000"),
    (["gradflow", "--depth", "100000000"], "--depth: '100000000' is not an integer from 1 to 100"),
    (["gradflow", "--width", "100000000"], "--width: '100000000' is not an integer from 1 to 1,000"),
    (["gradflow", "--depth", "100", "--width", "40"], "makes 162,521 weights, more than the 100,000"),
    (["gradflow", "--depth", "100", "--width", "2", "--samples", "6000"], "use at most 1,075 samples"),
    (["gradflow", "--depth", "1", "--width", "1", "--samples", "100000", "-o", "f.svg"], "use at most 29,629"),
]


@pytest.mark.parametrize("args, message", BOUNDS, ids=[" ".join(a) for a, _ in BOUNDS])
def test_sizes_beyond_the_bounds_are_refused_in_one_line(args, message, tmp_path, monkeypatch, capsys):
    status, out, err = run(args, tmp_path, monkeypatch, capsys)
    assert status == 2 and out == "" and message in one_line(err)


def test_the_bounds_are_in_the_help(capsys):
    for command, words in [
        ("draw", ["5,000", ".explore.html", "--graphviz-timeout"]),
        ("train", ["1,000,000"]),
        ("gradflow", ["hidden layers, 1 to 100", "1 to 1,000", "100,000 weights", "4,000,000 units"]),
    ]:
        with pytest.raises(SystemExit):
            main([command, "--help"])
        shown = " ".join(capsys.readouterr().out.split())
        assert all(word in shown for word in words), (command, shown)


def test_gradflow_cost_is_counted_as_its_help_says_and_the_cap_itself_is_allowed():
    from nn.cli.gradflow import _check_cost

    # MLP(2, [8] * 12 + [1]): 3*8 + 11*9*8 + 9*1 = 825 weights; 97 neurons; so 825 + 15*97 + 100 = 2,380 a sample
    most = 4_000_000 // 2_380
    _check_cost(12, 8, most)  # within the cap: no refusal
    with pytest.raises(Stop, match=f"would cost {(most + 1) * 2_380:,} units of work.*at most {most:,} samples"):
        _check_cost(12, 8, most + 1)


# --- numbers: one rule for the formula and --at; the noise named ------------------------------


def test_1e309_is_refused_the_same_way_in_the_formula_and_in_at(tmp_path, monkeypatch, capsys):
    _, _, in_formula = run(["draw", "x + 1e309", "--at", "x=1"], tmp_path, monkeypatch, capsys)
    _, _, in_at = run(["draw", "x", "--at", "x=1e309"], tmp_path, monkeypatch, capsys)
    _, _, alone = run(["draw", "-1e309"], tmp_path, monkeypatch, capsys)
    rule = "give a finite number (nan and inf are refused, and so is anything beyond ±1.8e308)"
    assert all(rule in one_line(err) for err in (in_formula, in_at, alone))


def test_huge_noise_is_blamed_on_the_noise_not_the_learning_rate(tmp_path, monkeypatch, capsys):
    status, _, err = run(["train", "--noise", "1e308", "--steps", "2"], tmp_path, monkeypatch, capsys)
    assert status == 2 and "--noise" in one_line(err) and "--lr" not in err and "learning rate" not in err


# --- --max-steps --------------------------------------------------------------------------------


@needs_dot
def test_max_steps_refuses_a_longer_walk_and_a_larger_budget_draws_it(tmp_path, monkeypatch, capsys):
    formula = ["draw", "tanh(x*w + b)", "--at", "x=1", "w=2", "b=0", "-o", "walk.html"]
    status, _, err = run([*formula, "--max-steps", "2"], tmp_path, monkeypatch, capsys)
    assert status == 2 and "--max-steps" in one_line(err) and "more than --max-steps 2" in err
    assert list(tmp_path.iterdir()) == []
    status, out, _ = run([*formula, "--max-steps", "50"], tmp_path, monkeypatch, capsys)
    assert status == 0 and "wrote walk.html" in out
    assert os.path.getsize(tmp_path / "walk.html") > 0
