"""The backward pass as an animation: one drawing of the graph, and what each chain-rule step changes.

`draw_dot(root, step=k)` draws one moment of the backward walk. A step changes little: one node
applies the chain rule, a few inputs receive their share of the gradient. So the animation draws
the graph once (every gradient pending, every box as wide as its widest gradient will be, so
nothing moves) and records per step only that: the current node, the inputs it fed, the boxes
whose gradient, colour or status changed, and the caption. The player in the page applies them.
The file is about one drawing plus a few bytes per step, however many steps the walk has.

- `backward_animation(root, path)` writes one self-contained HTML file (the drawing is inline
  SVG, the player inline JavaScript, player.js: no network, no CDN), to open in any browser or
  to send to a student; a progress bar shows when writing takes more than a second;
- `backward_widget(root)` shows the same player in a notebook;
- `backward_frames(root)` gives a full SVG per step, for a caller who wants the pictures.

Each takes `timeout=` (seconds a run of Graphviz's `dot` may take; None, the default, no limit):
a `dot` past it is stopped and GraphvizTimeout raised, and one that fails raises GraphvizFailed
with its own message (engine/draw/dot.py's run_graphviz), rather than the export hanging.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from engine.checks import is_integer, require
from engine.draw.dot import _check_timeout, _fill, _grad_text, _graph_to_draw, draw_dot, run_graphviz
from engine.draw.style import _DARK, CURRENT, FED, PENDING_FILL
from engine.draw.walkthrough import FINAL, replay_backward, step_caption, walk_through
from engine.files import check_target, write_atomically
from engine.format import format_number
from engine.names import node_names
from engine.value import Value

__all__ = ["backward_animation", "backward_widget", "backward_frames"]

_PLAYER_JS = Path(__file__).with_name("player.js")
_PLAYER_CSS = """
body { font-family: Helvetica, Arial, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.2em; margin: 0 0 .6em; }
.controls { display: flex; align-items: center; gap: .6em; flex-wrap: wrap; }
.controls input[type=range] { flex: 1; min-width: 12em; }
button { font-size: 1em; padding: .2em .8em; }
#caption { min-height: 2.6em; margin: .6em 0; }
#stage svg { max-width: 100%; height: auto; }
.keys { color: #666; font-size: .85em; }
"""


def _check_options(root: Value, options: dict, who: str) -> None:
    if not isinstance(root, Value):
        raise TypeError(f"{who} needs a Value as root, got {type(root).__name__}")
    for fixed in ("step", "title", "format"):
        if fixed in options:
            raise TypeError(f"{who} chooses {fixed!r} itself; pass draw_dot's other options")


def _count_steps(root: Value, graph, max_steps: int) -> int:
    total = sum(1 for v in graph.order if v._primitive is not None) + (1 if root._primitive is None else 0)
    if total > max_steps:
        raise ValueError(
            f"the backward walk of this graph has {total:,} steps, more than max_steps={max_steps}; "
            "animate a smaller graph (one neuron, one sample) or raise max_steps "
            "(backward_animation(..., max_steps=N); on the command line, --max-steps N)"
        )
    return total


def backward_frames(
    root: Value, max_steps: int = 300, *, timeout: float | None = None, **options
) -> tuple[list[str], list[str]]:
    """The SVG picture and the caption of every step of the backward walk, step 0 to the end.

    One full drawing per step (the HTML player needs only one; this is for a caller who wants the
    pictures). `options` are draw_dot's (rankdir, color_by, check, max_nodes, clusters,
    parameters, expand). A fused node drawn as its parts (expand=True) takes one step per part.
    `timeout` bounds each frame's run of `dot` (seconds; None: no limit), see run_graphviz.

    >>> from engine import Value
    >>> svgs, captions = backward_frames((Value(2.0, label='x') * 3).tanh())
    >>> len(svgs), captions[1][:35]
    (3, 'step 1 of 2: n3 (the tanh node, dat')
    """
    _check_timeout(timeout)
    _check_options(root, options, "backward_frames")
    # the very graph every frame draws, so the steps counted here are the steps drawn
    graph = _graph_to_draw(root, options.get("expand", True), options.get("check", False))
    total = _count_steps(root, graph, max_steps)
    sources, captions, names = [], [], node_names(graph.order)
    for k in range(total + 1):
        # no caption inside the picture: its width could shift the layout; the player shows it
        sources.append(draw_dot(root, step=k, title="", **options).source)
        walk = replay_backward(graph.order, graph.parents, k, _grad_text)
        captions.append(step_caption(graph.order, walk, names))
    # Each frame is laid out by its own run of dot: given all frames in one run, dot can place the
    # same graph differently from one frame to the next (a cluster flips), and the picture jumps.
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = [pool.submit(run_graphviz, source.encode("utf-8"), "svg", timeout) for source in sources]
        try:
            svgs = [run.result().decode("utf-8") for run in runs]
        except BaseException:  # one frame failed: the frames not yet begun are not drawn at all
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return [svg[svg.index("<svg") :].strip() for svg in svgs], captions


def _box_state(v: Value, i: int, walk, color_by, roles, part_of: str | None, called: str) -> list[str]:
    """What box i shows after a step, as the player applies it: [grad text, fill, ink, grad ink,
    status, tooltip] (the current node's highlight is the player's, not part of its state)."""
    g, status = walk.grads[i], walk.status[i]
    fill = _fill(i, v, walk, color_by, roles)
    ink = "#ffffff" if fill in _DARK else "#000000"
    tooltip = f"{called}: data {format_number(v.data)}, grad {format_number(g)}" + (
        f", scope {v.scope}" if v.scope else ""
    )
    if part_of:
        tooltip += f", part of {part_of}"
    return [_grad_text(g, status), fill, ink, "#8c8c8c" if g is None else ink, status, tooltip]


def _step_through(
    root: Value, max_steps: int, options: dict, progress: bool, timeout: float | None
) -> tuple[str, dict]:
    """The drawing (one SVG, every gradient pending) and the changes each step makes to it."""
    from tqdm.auto import tqdm  # imported here: `import engine` stays quick

    from engine.draw.collapse import plan_drawing
    from engine.draw.dot import _roles

    graph = _graph_to_draw(root, options.get("expand", True), options.get("check", False))
    order, parents = graph.order, graph.parents
    total = _count_steps(root, graph, max_steps)
    # the bar appears only once the export has taken a second (tqdm's delay): a small one stays quiet
    bar = tqdm(total=total + 2, desc="step-through", unit="step", delay=1.0, disable=not progress, leave=False)
    with bar:
        drawing = draw_dot(root, step=0, title="", **options)
        color_by = options.get("color_by")
        roles = _roles(order, options.get("parameters")) if color_by == "role" else None
        plan = plan_drawing(order, parents, options.get("max_nodes", 300))  # the boxes the drawing shows
        shown = {i for i in range(len(order)) if plan.shown[i]}
        owner = {i: f"s{k}" for k, s in enumerate(plan.summaries) for i in s.members}  # node -> its summary box
        size = {f"s{k}": len(s.members) for k, s in enumerate(plan.summaries)}
        final = dict.fromkeys(size, 0)
        names = node_names(order)

        def state(i: int, walk) -> list[str]:
            return _box_state(order[i], i, walk, color_by, roles, graph.part_of.get(i), names[i])

        start = replay_backward(order, parents, 0, _grad_text)
        before = {f"n{i}": state(i, start) for i in sorted(shown)}
        start_states = dict(before)
        counted: set[int] = set()  # hidden nodes whose gradient is final, counted in their box's note
        records: list[dict[str, object]] = [
            {"c": None, "fed": [], "box": None, "caption": step_caption(order, start, names)}
        ]
        bar.update(1)
        for walk in walk_through(order, parents):
            current = walk.current
            still = dataclasses.replace(walk, current=None)  # a box's own colour, without the highlight
            changed, sums = {}, {}
            # a step changes only the node that applies the chain rule and the inputs it feeds
            for i in dict.fromkeys([current] + [p for p, _, _ in walk.fed]):
                if i in shown:
                    now = state(i, still)
                    if before[f"n{i}"] != now:
                        changed[f"n{i}"] = before[f"n{i}"] = now
                elif i in owner and walk.status[i] == FINAL and i not in counted:
                    counted.add(i)
                    final[owner[i]] += 1
                    sums[owner[i]] = f"{final[owner[i]]:,} of {size[owner[i]]:,} gradients final"
            records.append(
                {
                    "c": current if current in shown else None,
                    "fed": [p for p, _, _ in walk.fed] if current in shown else [],
                    "box": owner.get(current),
                    "caption": step_caption(order, walk, names),
                    "set": changed,
                    "sums": sums,
                }
            )
            bar.update(1)
        svg = run_graphviz(drawing.source.encode("utf-8"), "svg", timeout, drawing.engine).decode("utf-8")
        bar.update(1)
    data = {
        "steps": records,
        "fillCurrent": options.get("color_by") is None,  # plain drawings fill the current box, as draw_dot does
        "start": start_states,
        "current": CURRENT,
        "fed": FED,
        "pendingFill": PENDING_FILL,
    }
    return svg[svg.index("<svg") :].strip(), data


def backward_animation(
    root: Value,
    path: str | Path,
    *,
    title: str = "Backpropagation, one chain-rule step at a time",
    interval_ms: int = 900,
    max_steps: int = 2000,
    progress: bool = True,
    timeout: float | None = None,
    **options,
) -> Path:
    """Write an HTML file that plays the backward walk of `root`; returns its path.

    One self-contained file (works offline): the graph drawn once, a slider over the steps,
    play/pause, the arrow keys, PageUp/PageDown (a tenth of the walk) and Home/End. `options` are
    draw_dot's (rankdir, color_by, check, max_nodes, clusters, parameters, expand). `timeout`
    bounds the run of Graphviz's `dot` (seconds; None: no limit): past it, GraphvizTimeout is
    raised and no file is written; a `dot` that fails raises GraphvizFailed with its own words.

    >>> from engine import Value
    >>> import tempfile, os
    >>> y = (Value(2.0, label='x') * 3).tanh()
    >>> out = backward_animation(y, os.path.join(tempfile.mkdtemp(), 'walk.html'))
    >>> out.read_text().count('<script src=')
    0
    """
    require(
        is_integer(interval_ms) and interval_ms >= 1, "interval_ms", "a whole number of milliseconds >= 1", interval_ms
    )
    require(is_integer(max_steps) and max_steps >= 1, "max_steps", "a whole number >= 1", max_steps)
    if not isinstance(progress, bool):
        raise TypeError(f"progress must be True or False, got {progress!r}")
    _check_timeout(timeout)
    _check_options(root, options, "backward_animation")
    path = check_target(path)  # before the drawing, which can take seconds
    svg, data = _step_through(root, max_steps, options, progress, timeout)
    page = player_html(svg, data, title=title, interval_ms=interval_ms)
    return write_atomically(path, lambda temporary: Path(temporary).write_text(page, encoding="utf-8"))


def player_html(svg: str, data: dict, *, title: str, interval_ms: int = 900) -> str:
    """The standalone HTML page playing the steps `data` on the drawing `svg`."""
    data = dict(data, interval=int(interval_ms))
    # inside <script>, "</" would end the script early: JSON lets it be written "<\/"
    payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False).replace("</", "<\\/")
    last = len(data["steps"]) - 1
    script = _PLAYER_JS.read_text(encoding="utf-8")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{_PLAYER_CSS}</style>
</head>
<body>
<h1>{html.escape(title)}</h1>
<div class="controls">
<button id="play" type="button">&#9654; play</button>
<button id="prev" type="button" aria-label="previous step">&#9664;</button>
<input id="slider" type="range" min="0" max="{last}" value="0" step="1" aria-label="step">
<button id="next" type="button" aria-label="next step">&#9654;</button>
<span id="counter"></span>
</div>
<p class="keys">keys: &larr; &rarr; one step, PageUp/PageDown a tenth of the walk, Home/End the start and the end</p>
<p id="caption"></p>
<div id="stage">{svg}</div>
<script type="application/json" id="steps">{payload}</script>
<script>{script}</script>
</body>
</html>
"""


class _InlinePlayer:
    """The HTML player shown inline in a notebook, in a frame tall enough for the whole drawing."""

    _COLUMN_PX = 850  # what a notebook's ~900 px output column leaves the page inside the frame
    _ABOVE_PX = 230  # the title, the controls, the keys line and a two-line caption, with margins

    def __init__(self, page: str, svg: str) -> None:
        self.page = page
        size = re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', svg)
        width, height = (float(size.group(1)) * 4 / 3, float(size.group(2)) * 4 / 3) if size else (0.0, 480.0)
        # the page shrinks a drawing wider than the column to fit it (max-width: 100%), its height too
        shown = height * min(1.0, self._COLUMN_PX / width) if width else height
        self.height_px = round(self._ABOVE_PX + shown)

    def _repr_html_(self) -> str:
        style = f"width:100%;height:{self.height_px}px;border:0"
        return f'<iframe srcdoc="{html.escape(self.page)}" style="{style}"></iframe>'


def backward_widget(
    root: Value, *, interval_ms: int = 900, max_steps: int = 2000, timeout: float | None = None, **options
):
    """A notebook view of the backward walk: the HTML player inline (one drawing, the steps as changes).

    `timeout` bounds the run of Graphviz's `dot` as for backward_animation.

    >>> from engine import Value
    >>> view = backward_widget((Value(2.0, label='x') * 3).tanh())
    >>> view._repr_html_().startswith('<iframe')
    True
    """
    require(
        is_integer(interval_ms) and interval_ms >= 1, "interval_ms", "a whole number of milliseconds >= 1", interval_ms
    )
    require(is_integer(max_steps) and max_steps >= 1, "max_steps", "a whole number >= 1", max_steps)
    _check_timeout(timeout)
    _check_options(root, options, "backward_widget")
    svg, data = _step_through(root, max_steps, options, True, timeout)
    return _InlinePlayer(player_html(svg, data, title="backward, step by step", interval_ms=interval_ms), svg)
