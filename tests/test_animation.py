"""The backward walk as frames: an offline HTML player (checked in a real headless browser) and a widget."""

from __future__ import annotations

import math
import os
import re
import select
import shutil
import xml.etree.ElementTree as ET

import pytest

from engine import Value
from engine.draw.animation import backward_animation, backward_frames, backward_widget
from engine.draw.dot import GraphvizFailed, GraphvizNotFoundError, GraphvizTimeout, draw_dot, run_graphviz

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="the Graphviz 'dot' program is not installed")
SVG = "{http://www.w3.org/2000/svg}"
CHROMIUM = "/usr/bin/chromium"


def grad_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return [t.text for t in root.iter(f"{SVG}text") if t.text and t.text.startswith("grad")]


def current_boxes(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return [
        g.find(f"{SVG}title").text
        for g in root.iter(f"{SVG}g")
        if {"value", "current"} <= set(g.get("class", "").split())
    ]


@needs_dot
def test_frames_run_from_all_pending_to_all_final_with_one_highlighted_node_per_step(lecture_neuron):
    svgs, captions = backward_frames(lecture_neuron()[0])
    assert len(svgs) == len(captions) == 6  # step 0, then one step per op node (the root's included)
    assert grad_texts(svgs[0]) == ["grad pending"] * 10
    assert not any("pending" in t for t in grad_texts(svgs[-1]))
    assert "grad -1.500" in grad_texts(svgs[-1])  # d o/d x1 = w1 (1 - tanh(n)^2), by hand
    assert current_boxes(svgs[0]) == []
    highlighted = [current_boxes(svg) for svg in svgs[1:]]
    assert all(len(h) == 1 for h in highlighted) and len({h[0] for h in highlighted}) == 5
    assert captions[1].startswith("step 1 of 5: o starts the walk")


@needs_dot
def test_no_box_moves_from_one_frame_to_the_next():
    # a net with two neurons in a layer: its clusters could be laid out either way round
    nn = pytest.importorskip("nn")
    svgs, _ = backward_frames(nn.MLP(2, [2, 1], seed=0)([1.0, -1.0]))

    def places(svg: str) -> dict[str, tuple[str, str]]:
        found = re.findall(r'<g id="(n\d+)" class="node[^"]*">.*?<text[^>]*x="([\d.-]+)" y="([\d.-]+)"', svg, re.S)
        return {node: (x, y) for node, x, y in found}

    first = places(svgs[0])
    assert len(first) >= 10 and all(places(svg) == first for svg in svgs[1:])


def nn_lecture_neuron() -> Value:
    """The same neuron as nn builds it: w·x + b is one fused node."""
    nn = pytest.importorskip("nn")
    neuron = nn.Neuron(2, activation="tanh")
    for w, data in zip(neuron.w, (-3.0, 1.0)):
        w.data = data
    neuron.b.data = 6.8813735870195432
    return neuron([Value(2.0, label="x1"), Value(0.0, label="x2")])


@needs_dot
def test_an_nn_neurons_frames_step_through_its_products_and_sums_and_end_with_the_plain_neurons_gradients(
    lecture_neuron,
):
    svgs, captions = backward_frames(nn_lecture_neuron())
    assert len(svgs) == 6  # step 0, then tanh, the two + and the two * parts of w·x+b
    plain_svgs, _ = backward_frames(lecture_neuron()[0])
    assert sorted(grad_texts(svgs[-1])) == sorted(grad_texts(plain_svgs[-1]))
    assert "grad -1.500" in grad_texts(svgs[-1])  # d o/d x1 = w1 (1 - tanh(n)^2), by hand
    highlighted = [current_boxes(svg) for svg in svgs[1:]]
    assert all(len(h) == 1 for h in highlighted) and len({h[0] for h in highlighted}) == 5
    # drawn fused, the whole w·x+b is one step
    fused, fused_captions = backward_frames(nn_lecture_neuron(), expand=False)
    assert len(fused) == 3 and fused_captions[2].startswith("step 2 of 2: n5 (the w·x+b node, data 0.8814)")
    assert len(grad_texts(fused[-1])) == 7 and set(grad_texts(fused[-1])) == set(grad_texts(svgs[-1]))


def test_an_animation_of_too_many_steps_is_refused_with_the_count_and_the_way_out():
    x = Value(1.0)
    y = x
    for _ in range(40):
        y = y * 1.01
    with pytest.raises(ValueError, match="40 steps, more than max_steps=20"):
        backward_frames(y, max_steps=20)


def test_options_the_animation_sets_itself_are_refused(lecture_neuron):
    with pytest.raises(TypeError, match="'step'"):
        backward_frames(lecture_neuron()[0], step=3)


def test_rendering_frames_without_graphviz_says_how_to_install_it(monkeypatch, tmp_path, lecture_neuron):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GraphvizNotFoundError, match="brew install graphviz"):
        backward_animation(lecture_neuron()[0], tmp_path / "walk.html")


@needs_dot
def test_the_html_file_holds_every_frame_and_loads_nothing_from_the_network(tmp_path, lecture_neuron):
    path = backward_animation(lecture_neuron()[0], tmp_path / "walk.html", color_by="grad")
    page = path.read_text(encoding="utf-8")
    assert page.count("<svg") == 1  # one drawing; the steps are changes to it
    assert page.count('class="node value') == 10
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<script src" not in page and "@import" not in page


# --- in a real browser -----------------------------------------------------------------------


@pytest.fixture
def browser_page():
    playwright = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip("no chromium at /usr/bin/chromium")
    args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            context = browser.new_context(offline=True)
            yield context.new_page()
        finally:
            browser.close()


def _highlighted(page) -> str:
    return page.evaluate("document.querySelector('#stage g.node.value.current title').textContent")


@needs_dot
def test_the_player_loads_offline_without_errors_and_the_slider_moves_the_highlighted_node(
    browser_page, tmp_path, lecture_neuron
):
    page = browser_page
    problems, requests = [], []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    path = backward_animation(lecture_neuron()[0], tmp_path / "walk.html")
    page.goto(path.as_uri())
    assert page.text_content("#counter") == "step 0 of 5"
    assert page.evaluate("document.querySelectorAll('#stage g.node.value.current').length") == 0

    seen = []
    for k in (1, 2, 3):
        page.eval_on_selector("#slider", f"s => {{ s.value = {k}; s.dispatchEvent(new Event('input')); }}")
        seen.append(_highlighted(page))
        assert page.text_content("#counter") == f"step {k} of 5"
    assert len(set(seen)) == 3  # each step highlights a different node
    assert page.text_content("#caption").startswith("step 3 of 5")

    page.keyboard.press("ArrowRight")  # the arrow keys step too
    assert page.text_content("#counter") == "step 4 of 5"
    page.click("#play")  # plays on to the end, where every gradient is final
    page.wait_for_function("document.getElementById('counter').textContent === 'step 5 of 5'", timeout=10_000)
    assert "pending" not in page.text_content("#stage")
    assert problems == []
    assert all(url.startswith("file://") for url in requests)


def _drawn_grads(page) -> dict[str, str]:
    return page.evaluate(
        """Object.fromEntries(Array.from(document.querySelectorAll('#stage g.node.value')).map(
            g => [g.querySelector('title').textContent,
                  Array.from(g.querySelectorAll('text')).find(t => t.textContent.startsWith('grad')).textContent]))"""
    )


def _mlp_loss():
    nn = pytest.importorskip("nn")
    model = nn.MLP(2, [4, 4, 1], seed=0)
    X, y = nn.make_moons(4, seed=0)
    loss = sum((model(x) - t) ** 2 for x, t in zip(X, y))
    loss.backward()
    return loss


@needs_dot
def test_the_keys_jump_and_after_the_last_step_every_drawn_gradient_is_the_values_grad(browser_page, tmp_path):
    from engine.draw.dot import _graph_to_draw
    from engine.format import format_number

    loss = _mlp_loss()
    page = browser_page
    problems = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    path = backward_animation(loss, tmp_path / "walk.html", progress=False)
    page.goto(path.as_uri())
    total = int(page.text_content("#counter").rsplit(" ", 1)[1])
    assert total > 100
    page.keyboard.press("End")
    assert page.text_content("#counter") == f"step {total} of {total}"
    assert page.text_content("#caption").startswith(f"step {total} of {total}: ")
    # what the page shows is what backward left in every node (the parts' shares by the chain rule)
    graph = _graph_to_draw(loss, True, False)
    drawn = _drawn_grads(page)
    expected = {f"n{i}": f"grad {format_number(g)}" for i, g in enumerate(graph.grads) if f"n{i}" in drawn}
    assert len(expected) == len(drawn) > 50 and drawn == expected
    notes = page.evaluate(
        "Array.from(document.querySelectorAll('#stage g.summary text')).map(t => t.textContent)"
        ".filter(t => t.endsWith('gradients final'))"
    )
    assert notes and all(re.fullmatch(r"([\d,]+) of \1 gradients final", note) for note in notes), notes
    page.keyboard.press("Home")
    assert page.text_content("#counter") == f"step 0 of {total}"
    assert set(_drawn_grads(page).values()) == {"grad pending"}
    page.keyboard.press("PageDown")
    tenth = round(total / 10)
    assert page.text_content("#counter") == f"step {tenth} of {total}"
    page.keyboard.press("PageDown")
    page.keyboard.press("PageUp")
    assert page.text_content("#counter") == f"step {tenth} of {total}"
    assert page.evaluate("document.querySelectorAll('#stage g.node.value.current').length") == 1
    assert problems == []


@needs_dot
def test_stepping_back_shows_what_stepping_forward_showed(browser_page, tmp_path, lecture_neuron):
    page = browser_page
    path = backward_animation(lecture_neuron()[0], tmp_path / "walk.html", color_by="grad")
    page.goto(path.as_uri())
    forward = []
    for _ in range(5):
        page.keyboard.press("ArrowRight")
        forward.append((_drawn_grads(page), _highlighted(page), page.text_content("#caption")))
    page.keyboard.press("End")
    backward = []
    for _ in range(4):
        page.keyboard.press("ArrowLeft")
        backward.append((_drawn_grads(page), _highlighted(page), page.text_content("#caption")))
    assert backward == forward[3::-1]
    # each step shows what draw_dot(root, step=k) draws, box for box
    svgs, _ = backward_frames(lecture_neuron()[0], color_by="grad")
    for k, (drawn, _, _) in enumerate(forward, start=1):
        root = ET.fromstring(svgs[k])
        expected = {
            g.find(f"{SVG}title").text: next(t.text for t in g.iter(f"{SVG}text") if t.text.startswith("grad"))
            for g in root.iter(f"{SVG}g")
            if "value" in g.get("class", "").split()
        }
        assert drawn == expected, k
    assert page.evaluate("document.querySelectorAll('#stage g.edge.fed').length") >= 2


@needs_dot
def test_the_file_holds_one_drawing_so_a_big_walk_stays_small(tmp_path):
    loss = _mlp_loss()
    one = draw_dot_svg_size(loss)
    path = backward_animation(loss, tmp_path / "walk.html", progress=False)
    # one drawing plus a few hundred bytes per step (the old player held a full SVG per step: 99 MB)
    assert path.stat().st_size < one + 1_000 * 300


def draw_dot_svg_size(root) -> int:
    from engine import draw_dot

    return len(draw_dot(root, step=0, title="").pipe("svg"))


# --- in a notebook -----------------------------------------------------------------------------


@needs_dot
def test_the_notebook_view_is_the_html_player_inline(lecture_neuron):
    shown = backward_widget(lecture_neuron()[0])._repr_html_()
    assert shown.startswith("<iframe srcdoc=") and shown.count("&lt;svg") == 1
    assert shown.count("&quot;caption&quot;:") == 6  # step 0 and its five steps, as changes


@needs_dot
@pytest.mark.parametrize("which", ["lecture neuron", "MLP loss"])
def test_in_a_notebook_column_the_inline_player_shows_its_whole_drawing_without_scrolling(
    browser_page, tmp_path, lecture_neuron, which
):
    root = lecture_neuron()[0] if which == "lecture neuron" else _mlp_loss()
    page = browser_page
    page.set_viewport_size({"width": 900, "height": 800})  # a notebook's output column
    (tmp_path / "cell.html").write_text(
        f"<!DOCTYPE html><body style='margin:0'>{backward_widget(root)._repr_html_()}</body>", encoding="utf-8"
    )
    page.goto((tmp_path / "cell.html").as_uri())
    inside = page.frames[1]
    inside.wait_for_selector("#stage svg")
    frame_height = page.evaluate("document.querySelector('iframe').getBoundingClientRect().height")
    drawing_bottom = inside.evaluate("document.querySelector('#stage svg').getBoundingClientRect().bottom")
    said = f"the drawing ends at {drawing_bottom:.0f} px in a {frame_height:.0f} px frame"
    assert drawing_bottom <= frame_height, said
    assert inside.evaluate("document.documentElement.scrollHeight") <= frame_height + 1  # nothing to scroll to


def test_a_path_that_cannot_be_written_is_refused_before_any_frame_naming_that_path(tmp_path, monkeypatch):
    import engine.draw.animation

    def no_frames(*args, **kwargs):
        raise AssertionError("frames were drawn before the path was checked")

    monkeypatch.setattr(engine.draw.animation, "backward_frames", no_frames)
    y = Value(2.0, label="x").tanh()
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path / "missing"))):
        backward_animation(y, tmp_path / "missing" / "walk.html")
    with pytest.raises(IsADirectoryError, match=re.escape(str(tmp_path))):
        backward_animation(y, tmp_path)


def test_the_one_pass_walk_gives_every_step_exactly_as_replaying_it_from_the_start():
    from engine.draw.dot import _grad_text, _graph_to_draw
    from engine.draw.walkthrough import replay_backward, walk_through

    graph = _graph_to_draw(_mlp_loss(), True, False)
    order, parents = graph.order, graph.parents
    for walk in walk_through(order, parents):
        again = replay_backward(order, parents, walk.step, _grad_text)
        assert (walk.current, walk.fed, walk.grads, walk.status) == (
            again.current,
            again.fed,
            again.grads,
            again.status,
        )
    assert walk.step == walk.total and walk.grads == pytest.approx(graph.grads, rel=1e-12, abs=1e-15)


@needs_dot
def test_an_export_shows_a_progress_bar_once_it_takes_a_second_and_none_with_progress_false(
    monkeypatch, tmp_path, lecture_neuron
):
    import tqdm.auto

    bars = []
    real = tqdm.auto.tqdm

    def recording(*args, **kwargs):
        bar = real(*args, **kwargs)
        bars.append((kwargs, bar))
        return bar

    monkeypatch.setattr(tqdm.auto, "tqdm", recording)
    backward_animation(lecture_neuron()[0], tmp_path / "walk.html")
    backward_animation(lecture_neuron()[0], tmp_path / "quiet.html", progress=False)
    (shown, bar), (quiet, _) = bars
    assert shown["delay"] == 1.0 and not shown["disable"] and quiet["disable"]
    assert bar.n == bar.total == 5 + 2  # every step, the first drawing and its layout


# --- a Graphviz that hangs or fails: a time limit and one exception, never a hang -----------------


def has_ended(pid: int) -> bool:
    """Whether process `pid` has ended, waiting for it up to 10 s (the fake dot's child sleeps 60 s)."""
    try:
        handle = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([handle], [], [], 10)[0])  # a pidfd is readable once its process ends
    finally:
        os.close(handle)


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="needs Linux's pidfd to see the child end")
def test_a_hanging_dot_is_stopped_with_what_it_started_and_no_file_is_written(
    fake_dot, tmp_path, monkeypatch, lecture_neuron
):
    child = tmp_path / "child.pid"
    # not `exec`: the sleep is dot's child, which must be stopped along with dot
    monkeypatch.setenv("PATH", fake_dot(f"{shutil.which('sleep')} 60 & echo $! > {child}; wait"))
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(GraphvizTimeout, match="was still drawing after 1 s and was stopped") as caught:
        backward_animation(lecture_neuron()[0], out / "walk.html", timeout=1)
    assert isinstance(caught.value, GraphvizFailed) and caught.value.timeout == 1
    assert list(out.iterdir()) == []
    assert has_ended(int(child.read_text()))


def test_frames_stop_at_the_first_frame_past_the_time_limit(fake_dot, tmp_path, monkeypatch):
    runs = tmp_path / "runs"
    monkeypatch.setenv("PATH", fake_dot(f"echo run >> {runs}; exec {shutil.which('sleep')} 60"))
    y = Value(0.5, label="x")
    for _ in range(20):
        y = y * 1.01
    with pytest.raises(GraphvizTimeout, match="after 0.5 s"):
        backward_frames(y, timeout=0.5)
    # 21 frames, two drawn at a time: once one is stopped, the frames not yet begun are not drawn
    assert len(runs.read_text().split()) < 21


FAILING = {
    "an error": (
        "echo 'Error: <stdin>: syntax error in line 1' >&2; exit 1",
        "Error: <stdin>: syntax error in line 1",
        1,
    ),
    "silence": ("exit 4", "it exited with status 4 and said nothing", 4),
    "a crash": ("kill -SEGV $$", "it was killed by SIGSEGV", -11),
}


@pytest.mark.parametrize("case", FAILING)
def test_a_failing_dot_raises_graphviz_failed_with_its_own_words(fake_dot, case, tmp_path, monkeypatch, lecture_neuron):
    body, why, status = FAILING[case]
    monkeypatch.setenv("PATH", fake_dot(body))
    out = tmp_path / "out"
    out.mkdir()
    for export in (
        lambda: backward_animation(lecture_neuron()[0], out / "walk.html"),
        lambda: backward_frames(lecture_neuron()[0]),
    ):
        with pytest.raises(GraphvizFailed) as caught:
            export()
        assert caught.value.why == why and caught.value.returncode == status
        assert str(caught.value) == f"Graphviz's dot failed to draw the svg: {why}"
    assert list(out.iterdir()) == []


def test_a_dot_that_cannot_be_run_raises_graphviz_failed_naming_it(tmp_path, monkeypatch, lecture_neuron):
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "dot").write_bytes(b"\x00\x01 not a program")
    (folder / "dot").chmod(0o755)
    monkeypatch.setenv("PATH", str(folder))
    with pytest.raises(
        GraphvizFailed, match=f"Graphviz's dot \\({re.escape(str(folder / 'dot'))}\\) cannot be run: Exec format error"
    ):
        backward_animation(lecture_neuron()[0], tmp_path / "walk.html")
    assert not (tmp_path / "walk.html").exists()


@pytest.mark.parametrize("bad", [0, -1.5, math.nan, math.inf, "60", True])
def test_a_timeout_that_is_not_a_number_of_seconds_is_refused_before_any_drawing(
    bad, tmp_path, monkeypatch, lecture_neuron
):
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot: a drawing begun would say so instead
    root = lecture_neuron()[0]
    exports = [
        lambda: backward_animation(root, tmp_path / "walk.html", timeout=bad),
        lambda: backward_frames(root, timeout=bad),
        lambda: backward_widget(root, timeout=bad),
        lambda: run_graphviz(b"digraph {}", "svg", timeout=bad),
    ]
    for export in exports:
        with pytest.raises(ValueError, match=r"^timeout must be None \(no limit\) or a number of seconds > 0, got "):
            export()
    assert list(tmp_path.iterdir()) == []


@needs_dot
def test_with_a_time_limit_the_pictures_are_graphviz_s_own(lecture_neuron):
    drawing = draw_dot(lecture_neuron()[0], step=2)
    assert run_graphviz(drawing.source.encode("utf-8"), "svg", timeout=60) == drawing.pipe("svg")  # graphviz's pipe
    assert backward_frames(lecture_neuron()[0], timeout=60) == backward_frames(lecture_neuron()[0])
