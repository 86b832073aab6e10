"""Drawing the graph: every node with its data and gradient, drawn by Graphviz.

`dot.py` is the entry point (`draw_dot`); `expand.py` opens fused nodes into the ops a learner
would have written; `collapse.py` folds a big graph into summary boxes that fit a page;
`walkthrough.py` replays backward one chain-rule step at a time; `style.py` holds colours and
labels; `size.py` estimates a drawing's width to pick the direction that fits; `animation.py`
turns the steps into a self-contained HTML player; `explorer.py` writes a page for opening a big
graph box by box in the browser.
"""

from __future__ import annotations

from engine.draw.animation import backward_animation, backward_frames, backward_widget
from engine.draw.dot import Drawing, GraphvizFailed, GraphvizNotFoundError, GraphvizTimeout, draw_dot, run_graphviz
from engine.draw.explorer import Explorer, explore

__all__ = [
    "draw_dot",
    "Drawing",
    "GraphvizNotFoundError",
    "GraphvizFailed",
    "GraphvizTimeout",
    "run_graphviz",
    "backward_animation",
    "backward_frames",
    "backward_widget",
    "explore",
    "Explorer",
]
