"""The backward pass as an animation: one picture per chain-rule step, with a slider.

`draw_dot(root, step=k)` draws one moment of the backward walk. This file draws them all, with
the same layout in every frame so nothing jumps, and plays them:

- `backward_animation(root, path)` writes one self-contained HTML file (the pictures are inline
  SVG, the player is a few lines of inline JavaScript: no network, no CDN), to open in any browser
  or to send to a student;
- `backward_widget(root)` shows the same frames in a notebook: an ipywidgets slider with a play
  button when ipywidgets is installed, else the HTML player inline.

Every frame is laid out by one run of Graphviz's `dot`, which reads many graphs from one input.
"""

from __future__ import annotations

import html
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import graphviz

from engine.checks import is_integer, require
from engine.draw.dot import _explain_missing_graphviz, _graph_to_draw, draw_dot
from engine.draw.walkthrough import replay_backward, step_caption
from engine.files import check_target, write_atomically
from engine.value import Value

__all__ = ["backward_animation", "backward_widget", "backward_frames"]

_PLAYER_CSS = """
body { font-family: Helvetica, Arial, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.2em; margin: 0 0 .6em; }
.controls { display: flex; align-items: center; gap: .6em; flex-wrap: wrap; }
.controls input[type=range] { flex: 1; min-width: 12em; }
button { font-size: 1em; padding: .2em .8em; }
#caption { min-height: 2.6em; margin: .6em 0; }
#stage svg { max-width: 100%; height: auto; }
"""

# the player: show frame k, step with the slider, buttons or arrow keys, play and pause
_PLAYER_JS = """
const frames = JSON.parse(document.getElementById('frames').textContent);
const stage = document.getElementById('stage');
const slider = document.getElementById('slider');
const caption = document.getElementById('caption');
const counter = document.getElementById('counter');
const play = document.getElementById('play');
let timer = null;
function show(k) {
  k = Math.max(0, Math.min(frames.length - 1, k));
  slider.value = k;
  stage.innerHTML = frames[k].svg;
  caption.textContent = frames[k].caption;
  counter.textContent = 'step ' + k + ' of ' + (frames.length - 1);
}
function pause() { clearInterval(timer); timer = null; play.textContent = '\\u25B6 play'; }
function start() {
  if (Number(slider.value) >= frames.length - 1) show(0);
  play.textContent = '\\u275A\\u275A pause';
  timer = setInterval(function () {
    if (Number(slider.value) >= frames.length - 1) { pause(); return; }
    show(Number(slider.value) + 1);
  }, INTERVAL);
}
slider.addEventListener('input', function () { pause(); show(Number(slider.value)); });
play.addEventListener('click', function () { timer ? pause() : start(); });
document.getElementById('prev').addEventListener('click', function () { pause(); show(Number(slider.value) - 1); });
document.getElementById('next').addEventListener('click', function () { pause(); show(Number(slider.value) + 1); });
document.addEventListener('keydown', function (e) {
  if (e.key === 'ArrowRight') { pause(); show(Number(slider.value) + 1); }
  if (e.key === 'ArrowLeft') { pause(); show(Number(slider.value) - 1); }
});
show(0);
"""


def backward_frames(root: Value, max_steps: int = 300, **options) -> tuple[list[str], list[str]]:
    """The SVG picture and the caption of every step of the backward walk, step 0 to the end.

    `options` are draw_dot's (rankdir, color_by, check, max_nodes, clusters, parameters, expand).
    A fused node drawn as its parts (expand=True, the default) takes one step per part.
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward_frames needs a Value as root, got {type(root).__name__}")
    for fixed in ("step", "title", "format"):
        if fixed in options:
            raise TypeError(f"backward_frames chooses {fixed!r} itself; pass draw_dot's other options")
    # the very graph every frame draws, so the steps counted here are the steps drawn
    graph = _graph_to_draw(root, options.get("expand", True), options.get("check", False))
    order, parents = graph.order, graph.parents
    total = sum(1 for v in order if v._primitive is not None) + (1 if root._primitive is None else 0)
    if total > max_steps:
        raise ValueError(
            f"the backward walk of this graph has {total:,} steps, more than max_steps={max_steps}; "
            "the animation draws one picture per step: animate a smaller graph (one neuron, one sample) "
            "or raise max_steps"
        )
    sources, captions = [], []
    for k in range(total + 1):
        # no caption inside the picture: its width could shift the layout; the player shows it
        sources.append(draw_dot(root, step=k, title="", **options).source)
        captions.append(step_caption(order, replay_backward(order, parents, k, lambda g, s: "")))
    # Each frame is laid out by its own run of dot: given all frames in one run, dot can place the
    # same graph differently from one frame to the next (a cluster flips), and the picture jumps.
    # Alone, every frame gets the one layout. Two runs at a time: each is a process of its own.
    with _explain_missing_graphviz(), ThreadPoolExecutor(max_workers=2) as pool:
        out = list(pool.map(lambda source: graphviz.pipe("dot", "svg", source.encode("utf-8")), sources))
    svgs = [svg.decode("utf-8") for svg in out]
    return [svg[svg.index("<svg") :].strip() for svg in svgs], captions


def backward_animation(
    root: Value,
    path: str | Path,
    *,
    title: str = "Backpropagation, one chain-rule step at a time",
    interval_ms: int = 900,
    max_steps: int = 300,
    **options,
) -> Path:
    """Write an HTML file that plays the backward walk of `root`; returns its path.

    One self-contained file (works offline): a slider over the steps, play/pause, and the arrow
    keys. `options` are draw_dot's (rankdir, color_by, check, max_nodes, clusters, parameters, expand).

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
    path = check_target(path)  # before the frames, which can take seconds
    svgs, captions = backward_frames(root, max_steps=max_steps, **options)
    page = player_html(svgs, captions, title=title, interval_ms=interval_ms)
    return write_atomically(path, lambda temporary: Path(temporary).write_text(page, encoding="utf-8"))


def player_html(svgs: list[str], captions: list[str], *, title: str, interval_ms: int = 900) -> str:
    """The standalone HTML page playing `svgs` with their captions."""
    frames = [{"svg": svg, "caption": caption} for svg, caption in zip(svgs, captions)]
    # inside <script>, "</" would end the script early: JSON lets it be written "<\/"
    data = json.dumps(frames).replace("</", "<\\/")
    last = len(frames) - 1
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
<p id="caption"></p>
<div id="stage"></div>
<script type="application/json" id="frames">{data}</script>
<script>{_PLAYER_JS.replace("INTERVAL", str(int(interval_ms)))}</script>
</body>
</html>
"""


class _InlinePlayer:
    """The HTML player shown inline in a notebook (when ipywidgets is not installed)."""

    def __init__(self, page: str) -> None:
        self.page = page

    def _repr_html_(self) -> str:
        return f'<iframe srcdoc="{html.escape(self.page)}" style="width:100%;height:32em;border:0"></iframe>'


def backward_widget(root: Value, *, interval_ms: int = 900, max_steps: int = 300, **options):
    """A notebook view of the backward walk: slider and play button (ipywidgets), else the HTML player."""
    svgs, captions = backward_frames(root, max_steps=max_steps, **options)
    try:
        import ipywidgets as widgets
    except ImportError:
        return _InlinePlayer(player_html(svgs, captions, title="backward, step by step", interval_ms=interval_ms))
    last = len(svgs) - 1
    slider = widgets.IntSlider(value=0, min=0, max=last, description="step", continuous_update=True)
    play = widgets.Play(value=0, min=0, max=last, interval=interval_ms, description="play")
    widgets.jslink((play, "value"), (slider, "value"))
    caption = widgets.Label(value=captions[0])
    picture = widgets.HTML(value=svgs[0])

    def show(change) -> None:
        picture.value = svgs[change["new"]]
        caption.value = captions[change["new"]]

    slider.observe(show, names="value")
    return widgets.VBox([widgets.HBox([play, slider]), caption, picture])
