"""Drawing the graph: every Value as a box, every op as a small node between operands and result.

A picture of the computation graph is the quickest way to see backpropagation: data flows left to
right, gradients flow back right to left, and each box shows both. `draw_dot` walks the graph
once (the engine's `topological_order`) and numbers the nodes by their place in that walk, so the
same graph always gets the same drawing.

What a drawing can show besides data and grad:

- where each node was made: nodes created inside `scope(...)` (as `nn` modules do) are grouped
  into nested boxes titled with the scope's dotted path;
- how big each gradient is: `color_by='grad'` fills boxes on a log scale, so vanishing (tiny) and
  exploding (huge) gradients stand out; `color_by='role'` tells inputs, parameters and outputs apart;
- whether each op's derivative rule is right: `check=True` compares it with the slope of the
  forward function and marks disagreements in red;
- the backward pass in progress: `step=k` shows the walk after k chain-rule steps;
- big graphs in a bounded number of boxes (see collapse.py).

Fused nodes (nn's `w·x+b`, one node per neuron for speed) are drawn as their parts by default
(`expand=True`, see expand.py): the `*` and `+` nodes of micrograd's neuron, each with its own data
and gradient. The step-through walks through the parts too, one chain-rule step per part, so the
steps match the picture; `expand=False` draws each fused node as one box and one step.

Gradient shown as "pending": the engine keeps no flag saying whether backward has run, so the
drawing decides per graph: once backward has run from this root, the root's gradient is nonzero
(it is seeded with 1), and every node's gradient is shown. Before that, every gradient shows as
pending rather than as a misleading 0. Pass `backward_done=True/False` to override.
"""

from __future__ import annotations

import html
import math
import os
import shutil
import signal
import subprocess
import textwrap
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import graphviz

from engine.autodiff import _check_iterable_of_values, mismatches
from engine.checks import is_integer, is_real, require
from engine.draw.collapse import Plan, plan_drawing
from engine.draw.expand import DrawnGraph, drawn_graph
from engine.draw.size import edges_of, pick_rankdir, wrap_rows
from engine.draw.style import (
    CURRENT,
    FED,
    PENDING_FILL,
    ROLE_COLORS,
    dot_text,
    grad_color,
    legend_label,
    summary_label,
    summary_rows,
    text_width,
    value_box_size,
    value_label,
    visible,
)
from engine.draw.walkthrough import FINAL, PARTIAL, PENDING, Walk, replay_backward, step_caption
from engine.format import format_number
from engine.names import node_names
from engine.value import Value

__all__ = [
    "draw_dot",
    "Drawing",
    "run_graphviz",
    "GraphvizNotFoundError",
    "GraphvizFailed",
    "GraphvizTimeout",
    "RANKDIRS",
    "COLOR_MODES",
]

_BOXES_PER_ROW = 3  # summary boxes side by side top to bottom before they wrap (4 made the demo 1,100 pt)
_TITLE_CHARS = 60  # a longer expression is no title for a browser tab
_INFIX = {"+": 1, "*": 2, "**": 3}  # ops written between their operands, by how tightly they bind
_CAPTION_CHARS = 100  # a caption line wraps here: about 600 pt of Helvetica 12, a drawing's width

RANKDIRS = ("LR", "TB")  # the way data flows: left to right, or top to bottom
COLOR_MODES = ("grad", "role")  # what color_by= may fill boxes by (None: plain boxes)


class GraphvizNotFoundError(graphviz.ExecutableNotFound):
    """Rendering needs Graphviz's `dot` program, and it is not installed (or not on PATH)."""

    def __init__(self) -> None:
        RuntimeError.__init__(
            self,
            "the Graphviz program 'dot' is missing, so the graph can be built but not rendered; "
            "install Graphviz (Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install graphviz; "
            "conda: conda install -c conda-forge graphviz) and make sure 'dot' is on PATH",
        )


@contextmanager
def _explain_missing_graphviz() -> Iterator[None]:
    """Turn graphviz's bare 'failed to execute' into an error saying how to install Graphviz."""
    try:
        yield
    except GraphvizNotFoundError:
        raise
    except graphviz.ExecutableNotFound as e:
        raise GraphvizNotFoundError() from e


class GraphvizFailed(RuntimeError):
    """Graphviz's program drew nothing: it exited with an error, was killed by a signal, could not
    be started, or ran past its time limit (GraphvizTimeout, a kind of this one).

    `why` is Graphviz's own message on one line (or how it ended when it said nothing);
    `returncode` its exit status: negative, the signal that killed it; None, it never ran to an end.
    """

    def __init__(self, message: str, why: str, returncode: int | None = None) -> None:
        super().__init__(message)
        self.why = why
        self.returncode = returncode


class GraphvizTimeout(GraphvizFailed):
    """Graphviz's program was still drawing after `timeout` seconds, and was stopped."""

    def __init__(self, engine: str, timeout: float) -> None:
        super().__init__(
            f"Graphviz's {engine} was still drawing after {timeout:g} s and was stopped: allow it more "
            "(timeout=SECONDS, or None for no limit) or fold more of the graph (a smaller max_nodes)",
            f"it was stopped after {timeout:g} s",
        )
        self.timeout = timeout


def _check_timeout(timeout: object) -> None:
    """Refuse a time limit that is not None or a number of seconds > 0 (finite)."""
    ok = timeout is None or (is_real(timeout) and 0 < timeout < math.inf)
    require(ok, "timeout", "None (no limit) or a number of seconds > 0", timeout)


def run_graphviz(source: bytes, fmt: str, timeout: float | None = None, engine: str = "dot") -> bytes:
    """What Graphviz's `engine` program makes of the DOT text `source` in the format `fmt`, in memory.

    graphviz's own `pipe` has no time limit, so the program is run here: after `timeout` seconds
    (None: no limit) it is stopped, with anything it started, and GraphvizTimeout says so. Every
    other way it can fail is one exception too: GraphvizNotFoundError when it is not installed,
    GraphvizFailed with its own words when it exits with an error or crashes.

    >>> run_graphviz(b"digraph { a -> b }", "svg", timeout=60).startswith(b"<?xml")
    True
    """
    _check_timeout(timeout)
    program = shutil.which(engine)
    if program is None:
        raise GraphvizNotFoundError()
    try:
        # in a process group of its own, so that stopping it stops whatever it started too
        process = subprocess.Popen(
            [program, f"-T{fmt}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as error:  # found but cannot be run (not executable, wrong architecture)
        why = error.strerror or str(error)
        raise GraphvizFailed(f"Graphviz's {engine} ({program}) cannot be run: {why}", why) from None
    with process:
        try:
            out, err = process.communicate(source, timeout=timeout)
        except subprocess.TimeoutExpired as expired:
            _stop(process)
            raise GraphvizTimeout(engine, expired.timeout) from None
        except BaseException:  # Ctrl-C, say: the drawing is abandoned, so is the program drawing it
            _stop(process)
            raise
    if process.returncode != 0:
        why = _why(err, process.returncode)
        raise GraphvizFailed(f"Graphviz's {engine} failed to draw the {fmt}: {why}", why, process.returncode)
    return out


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Kill `process` and every process it started (its group, see run_graphviz), and reap it."""
    try:
        if hasattr(os, "killpg"):
            os.killpg(process.pid, signal.SIGKILL)
        else:  # no process groups (Windows): the program itself
            process.kill()
    except (ProcessLookupError, PermissionError):  # it has ended already
        pass
    process.wait()


def _why(stderr: bytes, returncode: int) -> str:
    """Graphviz's own message on one line (its stderr), or how it ended when it said nothing."""
    said = " ".join(stderr.decode("utf-8", "replace").split())
    said = said if said.isprintable() else repr(said)[1:-1]  # never a control character to the terminal
    said = said if len(said) <= 300 else said[:300] + "..."
    if returncode < 0:
        return f"it was killed by {_signal_name(-returncode)}" + (f" ({said})" if said else "")
    return said or f"it exited with status {returncode} and said nothing"


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


class Drawing(graphviz.Digraph):
    """A `graphviz.Digraph` in every way (inline display in Jupyter, .source, .pipe(), .render()),
    except that rendering without Graphviz raises GraphvizNotFoundError saying how to install it."""

    def __repr__(self) -> str:
        # what a notebook shows beside the picture, and all a plain console shows: no memory
        # address, so a re-run notebook's committed outputs stay the same
        values = sum('class="value' in line for line in self.body)
        ops = sum("class=op" in line or 'class="op' in line for line in self.body)
        layers = sum('class="layer' in line for line in self.body)  # nn.draw_grad_flow's boxes
        summaries = sum("class=summary" in line or 'class="summary' in line for line in self.body)
        what = f"{layers} layers" if layers and not values else f"{values} values and {ops} ops"
        if summaries:
            what += f" (and {summaries} summary box{'es' if summaries > 1 else ''} for the rest)"
        return f"<Drawing of {what}: display it in Jupyter, or .render() it>"

    def pipe(self, *args, **kwargs):
        with _explain_missing_graphviz():
            return super().pipe(*args, **kwargs)

    def render(self, *args, **kwargs):
        with _explain_missing_graphviz():
            return super().render(*args, **kwargs)

    def view(self, *args, **kwargs):
        with _explain_missing_graphviz():
            return super().view(*args, **kwargs)


def draw_dot(
    root: Value,
    format: str = "svg",
    rankdir: str | None = None,
    *,
    check: bool = False,
    color_by: str | None = None,
    max_nodes: int = 300,
    step: int | None = None,
    clusters: bool = True,
    parameters: Iterable[Value] | None = None,
    backward_done: bool | None = None,
    title: str | None = None,
    expand: bool = True,
) -> graphviz.Digraph:
    """The computation graph of `root` as a `graphviz.Digraph` (displays inline in Jupyter).

    Each Value is a box `label | data 2.000 | grad -6.000` (numbers by engine.format_number);
    each op is a small node between its operands and its result. Options: `check=True` marks in
    red every op whose derivative rule disagrees with central differences; `color_by='grad'`
    (log scale of |grad|, with a legend) or `'role'` (input, parameter, intermediate, output;
    `parameters=` says which leaves are parameters, else labelled leaves made inside a scope
    are); `max_nodes` caps the number of boxes, folding the rest into summaries; `step=k` draws
    the backward walk after k steps; `clusters=False` ignores scopes; `title` replaces the
    caption; `expand=False` draws a fused node (nn's `w·x+b`) as one box instead of its `*`
    and `+` parts.

    >>> a, b = Value(2.0, label='a'), Value(-3.0, label='b')
    >>> c = a * b; c.label = 'c'; c.backward()
    >>> dot = draw_dot(c)
    >>> 'data 2.000' in dot.source and 'grad -3.000' in dot.source
    True
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot needs a Value as root, got {type(root).__name__}")
    require(
        rankdir is None or rankdir in RANKDIRS, "rankdir", f"one of {RANKDIRS} or None (the one that fits)", rankdir
    )
    require(color_by is None or color_by in COLOR_MODES, "color_by", f"one of {(None, *COLOR_MODES)}", color_by)
    require(is_integer(max_nodes) and max_nodes >= 20, "max_nodes", "an int of at least 20", max_nodes)
    require(step is None or (is_integer(step) and step >= 0), "step", "None or an int >= 0", step)
    for name, flag in (("check", check), ("clusters", clusters), ("expand", expand), ("backward_done", backward_done)):
        if not isinstance(flag, bool) and not (name == "backward_done" and flag is None):
            raise TypeError(f"{name} must be True or False, got {flag!r}")  # 'no' would count as True
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str, got {type(title).__name__}")
    if parameters is not None:
        if color_by != "role":
            raise ValueError("parameters= says which leaves are parameters for color_by='role'; pass that too")
        if isinstance(parameters, Value) or not isinstance(parameters, Iterable):
            raise TypeError(f"parameters must be a list of Values, got {type(parameters).__name__}")
        parameters = _check_iterable_of_values(parameters, "draw_dot: parameters")

    graph = _graph_to_draw(root, expand, check)
    order, parents = graph.order, graph.parents
    plan = plan_drawing(order, parents, max_nodes)
    if step is None:
        done = root.grad != 0 if backward_done is None else bool(backward_done)
        walk = _still(graph, done)
    else:
        walk = replay_backward(order, parents, step, _grad_text)
    bad = {}
    if check:
        bad = {i: m for i, v in enumerate(order) if v._primitive is not None for m in [mismatches(v)] if m}
    roles = _roles(order, parameters) if color_by == "role" else None

    # the graph's name is the SVG's <title>, what a browser tab shows: the drawing's title, else
    # the root's label or expression (Graphviz's default is '%3'); written as an HTML-like name
    # because a quoted DOT name cannot end in a backslash. The file name is kept as graphviz's own.
    name = title if title is not None else _title_of(graph)
    graph_attr = {"rankdir": rankdir or "LR", "nodesep": "0.25", "ranksep": "0.35"}
    dot = Drawing(name=f"<{html.escape(visible(name))}>", filename="Digraph.gv", format=format, graph_attr=graph_attr)
    dot.attr("node", fontname="Helvetica", fontsize="12")
    dot.attr("edge", color="#555555", arrowsize="0.7")
    steady = walk.widest if step is not None else 0
    place: dict[str, list[tuple[str, dict]]] = {}
    sizes: dict[str, tuple[float, float]] = {}  # each box's estimated size, to choose the direction
    names = node_names(order)  # an unlabelled box shows its name (n12), as captions and tooltips call it
    for i, v in enumerate(order):
        if plan.shown[i]:
            fill = _fill(i, v, walk, color_by, roles)
            part_of = graph.part_of.get(i)
            for name, attrs in _value_nodes(i, v, plan, walk, fill, bad.get(i), steady, part_of, sizes, names[i]):
                place.setdefault(v.scope if clusters else "", []).append((name, attrs))
    for k, s in enumerate(plan.summaries):
        attrs = _summary_attrs(s, walk, bad, color_by, sizes, f"s{k}", clusters)
        place.setdefault(s.path if clusters else "", []).append((f"s{k}", attrs))
    edges = graphviz.Digraph()  # the edges first, so the direction can be chosen before the boxes go in
    _emit_edges(edges, plan, walk, bad)
    if color_by is not None:
        legend = legend_label(color_by, summaries=bool(plan.summaries))
        dot.node("legend", label=legend, shape="plain", id="legend", **{"class": "legend"})
        sizes["legend"] = (190.0, 16.0 * legend.count("<TR>") + 8)
    lines = [title] if title is not None else _caption(graph, plan, walk, bad, step, check)
    wrapped = [
        part
        for line in lines
        for part in textwrap.wrap(line, _CAPTION_CHARS, break_long_words=False, break_on_hyphens=False) or [""]
    ]
    if any(wrapped):
        # wrapped at word boundaries, so a long caption does not make the drawing wider than the graph
        dot.attr(label=dot_text(*wrapped, "") if len(wrapped) == 1 else dot_text(*wrapped))
        dot.attr(labelloc="b", labeljust="l", fontname="Helvetica", fontsize="12")
    root_box = f"n{len(order) - 1}"
    beside = ("legend", root_box) if color_by is not None else None  # the legend is drawn beside the root
    if rankdir is None:  # left to right like micrograd where that fits a screen, else top to bottom
        caption_width = max((text_width(line) for line in wrapped), default=0.0)
        dot.graph_attr["rankdir"] = pick_rankdir(sizes, edges.body, caption_width, _BOXES_PER_ROW, beside)
    _emit_clusters(dot, place)
    dot.body.extend(edges.body)
    if dot.graph_attr["rankdir"] == "TB":
        # a rank wider than a screen stacks a leaf above its op's other operand (size.py)
        for leaf, below in wrap_rows(sizes, edges_of(edges.body), beside=beside):
            dot.edge(leaf, below, style="invis")
    if beside is not None:
        # in the last rank, not the first: beside the output, it widens no row of the graph
        dot.body.append(f"\t{{rank=same; {root_box}; legend}}\n")
    if graph.expanded and not plan.complete:
        dot.attr(tooltip=dot_text(_counting_note(graph)))
    return dot


def _graph_to_draw(root: Value, expand: bool, check: bool) -> DrawnGraph:
    """The nodes a drawing (or an animation) of `root` shows; with `check`, a fused node whose own
    derivative rule is wrong stays whole, so its red mark shows the rule backward really uses."""
    return drawn_graph(root, expand, (lambda v: bool(mismatches(v))) if check else None)


def _title_of(graph: DrawnGraph) -> str:
    """The root's label, else the expression it computes when that is short, else what it is."""
    order = graph.order
    root = order[-1]
    if root.label:
        return root.label
    text = _expressions(order, graph.parents, _TITLE_CHARS)[-1]
    return text if text is not None else f"{root.op or 'a value'}: a graph of {len(order):,} nodes"


def _expressions(order: list[Value], parents: list[list[int]], limit: int) -> list[str | None]:
    # bottom-up over the walk, each node's text from its operands' (no recursion), as the formula
    # would be typed: `x1*w1 + b`, `tanh(n)`; None once a text passes `limit` characters
    texts: list[str | None] = []
    tightness: list[int] = []  # how tightly the text binds: 3 a name or a call, 2 a product, 1 a sum
    undone: dict[int, tuple[str, int]] = {}  # u*(-1) and u**-1, which `a - u` and `a/u` write back
    for i, (v, parts) in enumerate(zip(order, parents)):
        if v.op == "*" and len(parts) == 2 and not order[parts[1]].label and order[parts[1]].data == -1:
            undone[i] = ("-", parts[0])
        elif v.op == "**-1" and len(parts) == 1:
            undone[i] = ("/", parts[0])
        if v.label:
            text, tight = v.label, 3
        elif not parts:
            text, tight = format_number(v.data), 3 if v.data >= 0 else 1
        elif any(texts[k] is None for k in parts):
            text, tight = None, 0
        elif v.op in "+*" and len(parts) == 2 and undone.get(parts[1], ("",))[0] == "-/"[v.op == "*"]:
            # subtraction and division, which the engine builds as a + b*(-1) and a * b**-1
            u, need = undone[parts[1]][1], _INFIX[v.op]
            a = texts[parts[0]] if tightness[parts[0]] >= need else f"({texts[parts[0]]})"
            b = texts[u] if texts[u] is not None and tightness[u] > need else f"({texts[u]})"
            text, tight = (f"{a} - {b}" if v.op == "+" else f"{a}/{b}"), need
            text = None if texts[u] is None else text
        elif v.op in _INFIX and len(parts) == 2:
            need = _INFIX[v.op]
            a, b = (texts[k] if tightness[k] >= need else f"({texts[k]})" for k in parts)
            text, tight = (f"{a} + {b}" if v.op == "+" else f"{a}{v.op}{b}"), need
        elif v.op.startswith("**") and len(parts) == 1:  # a power with its exponent in the name: x**2
            base = texts[parts[0]] if tightness[parts[0]] >= 3 else f"({texts[parts[0]]})"
            text, tight = f"{base}{v.op}", 3
        else:
            text, tight = f"{v.op}({', '.join(str(texts[k]) for k in parts)})", 3  # (none is None here)
        if text is not None and len(text) > limit:
            text = None
        texts.append(text)
        tightness.append(tight)
    return texts


def _grad_text(grad: float | None, status: str) -> str:
    if grad is None:
        return "grad pending"
    return f"grad {format_number(grad)}" + (" (so far)" if status == PARTIAL else "")


def _still(graph: DrawnGraph, done: bool) -> Walk:
    n = len(graph.order)
    grads: list[float | None] = list(graph.grads) if done else [None] * n
    return Walk(0, 0, grads, [FINAL if done else PENDING] * n, None, [], 0)


def _roles(order: list[Value], parameters: Iterable[Value] | None) -> list[str]:
    chosen = None if parameters is None else {id(p) for p in parameters}
    root = len(order) - 1
    roles = []
    for i, v in enumerate(order):
        if i == root:
            roles.append("output")
        elif v._primitive is not None:
            roles.append("intermediate")
        elif chosen is not None:
            roles.append("parameter" if id(v) in chosen else "input")
        else:
            roles.append("parameter" if v.label and v.scope else "input")
    return roles


def _fill(i: int, v: Value, walk: Walk, color_by: str | None, roles: list[str] | None) -> str:
    if color_by == "role":
        assert roles is not None  # worked out by the caller whenever boxes are coloured by role
        return ROLE_COLORS[roles[i]]
    if color_by == "grad":
        g = walk.grads[i]
        return PENDING_FILL if g is None else grad_color(g)
    if not walk.total:
        return "#ffffff"
    if i == walk.current:
        return CURRENT
    return {PENDING: PENDING_FILL, PARTIAL: "#fff3c4", FINAL: "#ffffff"}[walk.status[i]]


def _value_nodes(
    i: int, v: Value, plan: Plan, walk: Walk, fill: str, bad, steady: int, part_of, sizes: dict, called: str
):
    """The box for node i and, if an op made it, the op node in front of it (their sizes into `sizes`)."""
    g, status = walk.grads[i], walk.status[i]
    current = i == walk.current
    data_text, grad_text = f"data {format_number(v.data)}", _grad_text(g, status)
    sizes[f"n{i}"] = value_box_size(v.label or called, data_text, grad_text, steady)
    label = value_label(
        v.label or called,
        data_text,
        grad_text,
        fill=fill,
        pending=g is None,
        border=FED if current else ("#cb181d" if bad else None),
        steady_chars=steady,
    )
    part = ["part"] if part_of else []
    classes = ["value", status] + (["current"] if current else []) + part
    tooltip = f"{called}: data {format_number(v.data)}, grad {format_number(g)}" + (
        f", scope {v.scope}" if v.scope else ""
    )
    if part_of:
        tooltip += f", part of {part_of}"
    node = {"label": label, "shape": "plain", "id": f"n{i}", "class": " ".join(classes), "tooltip": dot_text(tooltip)}
    yield f"n{i}", node
    if v._primitive is None:
        return
    op = v.op
    if plan.folded[i]:
        terms = len(plan.inputs[i])
        op = f"Σ {terms} terms" if op == "+" else f"Π {terms} factors"
    kind = " ".join(["op"] + part)
    attrs = {"label": dot_text(op), "shape": "ellipse", "id": f"o{i}", "class": kind}
    attrs.update(margin="0.03")
    if part_of:
        attrs["tooltip"] = dot_text(f"{op}: part of {part_of} (draw_dot(..., expand=False) draws it as one node)")
    sizes[f"o{i}"] = (text_width(op) + 16, 22.0)
    if len(op) <= 3:
        attrs.update(shape="circle", width="0.35", fixedsize="true")
        sizes[f"o{i}"] = (25.0, 25.0)
    if current:
        attrs.update(style="filled", fillcolor=CURRENT, color=FED, penwidth="2", **{"class": f"{kind} current"})
    if bad:
        lines = [op] + [f"✗ input {j}: rule {format_number(a)}, slope {format_number(s)}" for j, a, s in bad]
        attrs.update(
            label=dot_text(*lines),
            shape="box",
            style="filled,rounded",
            fillcolor="#fcbba1",
            color="#cb181d",
            fontcolor="#99000d",
            penwidth="2",
            fixedsize="false",
            **{"class": f"{kind} mismatch"},
        )
        sizes[f"o{i}"] = (max(text_width(line) for line in lines) + 16, 16.0 * len(lines) + 8)
    yield f"o{i}", attrs


def _summary_attrs(s, walk: Walk, bad: dict, color_by: str | None, sizes: dict, name: str, clusters: bool) -> dict:
    notes = []
    fill = "#f4f4f4"
    if color_by == "grad":
        # on the nodes' own |grad| scale, by the mean |grad| of the values it hides (the legend says so)
        grads = [abs(walk.grads[i]) for i in s.members if walk.grads[i] is not None]
        fill = grad_color(math.fsum(grads) / len(grads)) if grads else PENDING_FILL
        if grads:
            notes.append(f"mean |grad| {format_number(math.fsum(grads) / len(grads))}")
    if walk.total:  # a step of the walk is drawn
        done = sum(1 for i in s.members if walk.status[i] == FINAL)
        notes.append(f"{done:,} of {len(s.members):,} gradients final")
    wrong = sum(1 for i in s.members if i in bad)
    if wrong:
        notes.append(f"✗ {wrong} derivative rule(s) disagree")
    current = walk.current is not None and walk.current in set(s.members)
    fill = CURRENT if current else fill
    # inside the box of scope `layers.0`, a box reads `neurons.3`, not `layers.0.neurons.3`: narrower
    title, parts = s.title, s.path.split(".") if clusters and s.path else []
    indexed = [k for k, part in enumerate(parts) if part.isdigit()]  # the box's title: layers.0 (see below)
    if indexed and title.startswith(".".join(parts[: indexed[-1] + 1]) + "."):
        title = title[len(".".join(parts[: indexed[-1] + 1])) + 1 :]
    rows = summary_rows(s, notes, title)
    sizes[name] = (max(text_width(row) for row in rows) + 20, 15.0 * len(rows) + 10)
    attrs = {
        "label": summary_label(s, notes, fill, title),
        "shape": "box",
        "style": "dashed,rounded,filled",
        "fillcolor": fill,
        "color": "#cb181d" if wrong else "#777777",
        "class": "summary current" if current else "summary",
    }
    return attrs


def _emit_clusters(dot: graphviz.Digraph, place: dict[str, list[tuple[str, dict]]]) -> None:
    """Nodes into nested clusters, one per scope path; a scope holding only one sub-scope shares its box."""
    children: dict[str, list[str]] = {"": []}  # path → sub-scope paths, parents listed before children
    for path in place:
        parts = path.split(".") if path else []
        for k in range(1, len(parts) + 1):
            p, up = ".".join(parts[:k]), ".".join(parts[: k - 1])
            if p not in children:
                children[p] = []
                children[up].append(p)
    box: dict[str, str] = {}  # path → the outermost path of the box it is drawn in
    chain: dict[str, list[str]] = {}  # box → the paths it stands for, outermost first
    for path in children:
        if not path:
            continue
        up = path.rpartition(".")[0]
        passes_through = up and not place.get(up) and len(children[up]) == 1
        box[path] = box[up] if passes_through else path
        chain.setdefault(box[path], []).append(path)
    graphs: dict[str, graphviz.Digraph] = {}
    for key, paths in chain.items():
        # titled by the most specific module path in it: one ending in an index (a module in a
        # list, like layers.1), else one holding nodes, else the outermost
        indexed = [p for p in paths if p.rpartition(".")[2].isdigit()]
        holding = [p for p in paths if place.get(p)]
        # named by position, not by path: a scope may hold any character, a DOT name may not
        sub = graphviz.Digraph(name=f"cluster_{len(graphs)}")
        title = dot_text((indexed or holding or [key])[-1])
        sub.attr(label=title, style="rounded", color="#9e9e9e", fontcolor="#616161")
        sub.attr(fontname="Helvetica", fontsize="12", labeljust="l")
        for p in paths:
            for name, attrs in place.get(p, []):
                sub.node(name, **attrs)
            _keep_in_order(dot, sub, place.get(p, []))
        graphs[key] = sub
    inside: dict[str, list[str]] = {"": []}
    for key in chain:
        inside[key] = []
        up = key.rpartition(".")[0]
        inside[box[up] if up else ""].append(key)
    for key in reversed(list(chain)):  # an inner box is complete before its outer box takes it
        for kid in inside[key]:
            graphs[key].subgraph(graphs[kid])
    for name, attrs in place.get("", []):
        dot.node(name, **attrs)
    _keep_in_order(dot, dot, place.get("", []))
    for kid in inside[""]:
        dot.subgraph(graphs[kid])


def _keep_in_order(top: graphviz.Digraph, graph: graphviz.Digraph, nodes: list[tuple[str, dict]]) -> None:
    # dot orders a rank to cross fewest edges, which shuffles the summary boxes of one scope
    # (neurons 3, 5, 4, 0, ...): side by side in one rank, chained by invisible edges, they keep
    # the order they were given in, the order of their module index. Top to bottom, more than
    # _BOXES_PER_ROW of them wrap into rows (an invisible edge from each box to the one below),
    # so eight neurons' boxes do not make the drawing twice a page wide.
    boxes = [name for name, attrs in nodes if attrs.get("class", "").startswith("summary")]
    if len(boxes) < 2:
        return
    tb = top.graph_attr.get("rankdir") == "TB"
    per_row = _BOXES_PER_ROW if tb else len(boxes)
    rows = [boxes[k : k + per_row] for k in range(0, len(boxes), per_row)]
    for names in rows:
        row = graphviz.Digraph(graph_attr={"rank": "same"})
        for a, b in zip(names, names[1:]):
            # dot puts a flat edge's head before its tail: left of it in TB, below it in LR
            row.edge(*((a, b) if tb else (b, a)), style="invis")
        if len(names) == 1:
            row.node(names[0])
        graph.subgraph(row)
    for upper, lower in zip(rows, rows[1:]):
        for a, b in zip(upper, lower):
            graph.edge(a, b, style="invis")
    # ranks across clusters, a light crossing minimization that keeps the order given, and the
    # dashed edges between boxes merged where they run side by side (dozens, else)
    top.graph_attr.update(newrank="true", mclimit="0.01", remincross="false", concentrate="true")


def _emit_edges(dot: graphviz.Digraph, plan: Plan, walk: Walk, bad: dict) -> None:
    fed = {p for p, _, _ in walk.fed}
    current = walk.current
    later: dict[tuple[str, str], None] = {}
    for i in range(len(plan.shown)):
        if plan.absorbed[i]:
            continue
        if plan.shown[i]:
            if not plan.inputs[i]:
                continue
            wrong = {j for j, _, _ in bad.get(i, ())}
            for j, p in enumerate(plan.inputs[i]):
                if plan.shown[p]:
                    attrs = {}
                    if i == current and p in fed:
                        attrs = {"color": FED, "penwidth": "2.5", "class": "fed"}
                    elif j in wrong:
                        attrs = {"color": "#cb181d", "penwidth": "2"}
                    dot.edge(f"n{p}", f"o{i}", **attrs)
                else:
                    later[(f"s{plan.owner[p]}", f"o{i}")] = None
            attrs = {"color": FED, "penwidth": "2.5", "class": "fed"} if i == current else {}
            dot.edge(f"o{i}", f"n{i}", **attrs)
        else:
            here = plan.owner[i]
            for p in plan.inputs[i]:
                if plan.shown[p]:
                    later[(f"n{p}", f"s{here}")] = None
                elif plan.owner[p] != here:
                    later[(f"s{plan.owner[p]}", f"s{here}")] = None
    for tail, head in later:
        dot.edge(tail, head, style="dashed")


def _caption(graph: DrawnGraph, plan: Plan, walk: Walk, bad: dict, step: int | None, check: bool) -> list[str]:
    order = graph.order
    lines = []
    if step is not None:
        lines.append(step_caption(order, walk))
    if check:
        ops = sum(1 for v in order if v._primitive is not None)
        if bad:
            lines.append(f"check: {len(bad)} of {ops} ops have a derivative rule that disagrees with the slope (red)")
        else:
            lines.append(f"check: all {ops} derivative rules agree with the numerical slope")
    if not plan.complete:
        # one line a learner can check: shown + hidden in boxes + folded into Σ/Π = all nodes
        n = len(order)
        text = f"showing {sum(plan.shown):,} of {n:,} nodes"
        hidden, boxes = sum(s.hidden for s in plan.summaries), len(plan.summaries)
        if hidden:
            text += f" · {hidden:,} more in the {boxes} dashed box{'es' if boxes > 1 else ''}"
        folded = {op: sum(plan.folded[i] for i in range(n) if plan.shown[i] and order[i].op == op) for op in "+*"}
        if any(folded.values()):
            kinds = [f"{count:,} partial {what}" for count, what in ((folded["+"], "sums"), (folded["*"], "products"))]
            into = "Σ/Π" if all(folded.values()) else "Σ" if folded["+"] else "Π"
            text += f" · {' and '.join(k for k, c in zip(kinds, folded.values()) if c)} inside the {into} nodes"
        lines.append(text)
    return lines


def _counting_note(graph: DrawnGraph) -> str:
    """What the node count counts, for the drawing's tooltip: fused nodes are counted as their parts."""
    fused = ", ".join(f"{count:,} {op}" for op, count in sorted(graph.expanded.items()))
    return (
        f"{len(graph.order):,} nodes counting fused nodes ({fused}) as their parts; "
        f"{graph.size:,} in the graph itself (draw_dot(..., expand=False) draws those)"
    )
