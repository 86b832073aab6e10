"""How a drawing looks: box labels, colour scales and their legends (numbers: engine.format).

Kept apart from draw.py so the picture's vocabulary is in one place: what a box says, which
colour means "vanishing" and which means "exploding", what the legend explains.

Gradient colours use a log scale in decades, because gradients that matter differ by orders of
magnitude: deep blue below 1e-6 (vanishing), reds from 100 up and darkest red from 1e4 or inf/nan
(exploding); exactly zero (no gradient flows, e.g. through a dead relu) is grey.
"""

from __future__ import annotations

import html
import math

import graphviz

from engine.format import format_number

__all__ = [
    "visible",
    "html_text",
    "dot_text",
    "value_label",
    "summary_label",
    "legend_label",
    "grad_color",
    "GRAD_BINS",
    "ZERO_FILL",
    "ROLE_COLORS",
    "PENDING_FILL",
    "CURRENT",
    "FED",
]

# (upper bound of |grad|, fill colour, legend text); a diverging palette (ColorBrewer RdYlBu)
GRAD_BINS = (
    (1e-6, "#313695", "below 1e-6: vanishing"),
    (1e-4, "#4575b4", "1e-6 to 1e-4"),
    (1e-2, "#abd9e9", "1e-4 to 0.01"),
    (1.0, "#ffffbf", "0.01 to 1"),
    (1e2, "#fdae61", "1 to 100"),
    (1e4, "#f46d43", "100 to 1e4"),
    (math.inf, "#a50026", "1e4 and up, inf, nan: exploding"),
)
ZERO_FILL = "#d9d9d9"
PENDING_FILL = "#f7f7f7"
ROLE_COLORS = {"input": "#c6dbef", "parameter": "#fdd0a2", "intermediate": "#ffffff", "output": "#c7e9c0"}
CURRENT = "#ffd54f"  # the node applying the chain rule in this step
FED = "#e6550d"  # ... and the edges it just fed
_DARK = {"#313695", "#4575b4", "#a50026"}  # fills that need white text

_CHAR_WIDTH = 0.6  # Courier: every character is 0.6 em wide, so a width can be computed exactly
_FONT_SIZE = 12
_PAD = 4


def visible(text: str) -> str:
    r"""`text` with every unprintable character written as Python writes it in a repr.

    A label may hold anything a user typed: NUL (which XML, and so Graphviz's HTML labels,
    refuses), a terminal escape, a lone surrogate (which cannot even be encoded), a newline.
    Shown as `\x1b`, `\n`, `\ud800` they are harmless and a person sees that they are there.

    >>> visible("esc\x1b[31m tab\t")
    'esc\\x1b[31m tab\\t'
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def html_text(text: str) -> str:
    r"""`text` for the inside of a Graphviz HTML-like label, shown as written: visible, with <, >, &
    and quotes escaped, and backslashes doubled (Graphviz reads `\N` there as the node's name)."""
    return html.escape(visible(text).replace("\\", "\\\\"))


def dot_text(*lines: str) -> str:
    r"""Lines for a plain (non-HTML) Graphviz label or tooltip, each left-aligned, shown as written.

    Graphviz reads a backslash in a label as an escape (`\l`, `\N`), a trailing one swallows the
    closing quote, `&amp;` as an entity, and a label shaped like `<...>` as HTML: backslashes are
    doubled, `&` escaped and the result marked as not HTML, so every character is drawn as typed.

    >>> print(dot_text("ends in \\", "<b>"))
    ends in \\\l<b>\l
    """
    escaped = [visible(line).replace("\\", "\\\\").replace("&", "&amp;") for line in lines]
    if len(escaped) == 1:
        return graphviz.nohtml(escaped[0])
    return graphviz.nohtml("".join(line + "\\l" for line in escaped))


def grad_color(g: float) -> str:
    """The fill for a gradient of `g` on the log scale of GRAD_BINS, as its box prints it.

    Binned at the digits shown (format_number), so two boxes that both read 1.000 share a colour
    (0.9999999999999996 would otherwise fall in the bin below 1).
    """
    size = abs(g)
    if math.isfinite(size):
        size = float(format_number(size))
    if size == 0:
        return ZERO_FILL
    for upper, fill, _ in GRAD_BINS:
        if size < upper:
            return fill
    return GRAD_BINS[-1][1]  # inf and nan


def value_label(
    label: str,
    data_text: str,
    grad_text: str,
    *,
    fill: str,
    pending: bool,
    border: str | None,
    steady_chars: int = 0,
) -> str:
    """The HTML-like Graphviz label of a value box: `label | data ... | grad ...`.

    With `steady_chars`, the grad cell is that many characters wide whatever it says, so every
    frame of a step-through has the same layout.
    """
    ink = "#ffffff" if fill in _DARK else "#000000"
    table = f'<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="{_PAD}" BGCOLOR="{fill}"'
    if border:
        table += f' COLOR="{border}"'
    cells = []
    if label:
        cells.append(f'<TD><FONT COLOR="{ink}"><B>{html_text(label)}</B></FONT></TD>')
    cells.append(f'<TD><FONT FACE="Courier" COLOR="{ink}">{html_text(data_text)}</FONT></TD>')
    grad_cell = "<TD"
    if steady_chars:
        width = math.ceil(steady_chars * _CHAR_WIDTH * _FONT_SIZE + 2 * _PAD + 24)  # + slack Graphviz wants
        grad_cell += f' FIXEDSIZE="TRUE" WIDTH="{width}" HEIGHT="23"'
    if pending:
        grad_cell += f' BGCOLOR="{PENDING_FILL}"'
    grad_ink = "#8c8c8c" if pending else ink
    grad_cell += f'><FONT FACE="Courier" COLOR="{grad_ink}">{html_text(grad_text)}</FONT></TD>'
    cells.append(grad_cell)
    return f"<{table}><TR>{''.join(cells)}</TR></TABLE>>"


def summary_rows(summary, notes: list[str], title: str | None = None) -> list[str]:
    """The lines of a summary box: what it stands for (`title`, else its own), how many nodes it hides."""
    rows = [summary.title if title is None else title, f"{summary.hidden:,} nodes hidden"]
    ops = sorted(summary.ops.items(), key=lambda kv: (-kv[1], kv[0]))
    if ops:
        parts = [f"{op or 'leaves'}: {count:,}" for op, count in ops[:5]] + (["…"] if len(ops) > 5 else [])
        rows += [" · ".join(parts[k : k + 2]) for k in range(0, len(parts), 2)]  # two a line: a narrow box
    if summary.holds:
        shown = ", ".join(summary.holds[:4]) + (", …" if len(summary.holds) > 4 else "")
        rows.append(f"holds {shown}")
    return rows + notes


def summary_label(summary, notes: list[str], fill: str = "#f4f4f4", title: str | None = None) -> str:
    """The label of a summary box (its title in bold), filled with `fill`."""
    rows = summary_rows(summary, notes, title)
    ink = "#ffffff" if fill in _DARK else "#000000"
    cells = [f"<B>{html_text(rows[0])}</B>"] + [html_text(row) for row in rows[1:]]
    body = "".join(f'<TR><TD><FONT COLOR="{ink}">{cell}</FONT></TD></TR>' for cell in cells)
    return f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1">{body}</TABLE>>'


def text_width(text: str, *, mono: bool = False, bold: bool = False, size: float = _FONT_SIZE) -> float:
    """About how wide `text` is drawn, in points: Courier exactly 0.6 em a character, Helvetica ~0.55 em."""
    return len(text) * size * (_CHAR_WIDTH if mono else 0.62 if bold else 0.55)


def value_box_size(label: str, data_text: str, grad_text: str, steady_chars: int = 0) -> tuple[float, float]:
    """(width, height) in points of value_label's box, to choose a drawing's direction before layout."""
    cell = 2 * _PAD + 6  # padding, borders and the few points Graphviz adds to each cell
    width = text_width(data_text, mono=True) + cell
    width += max(text_width(grad_text, mono=True), steady_chars * _CHAR_WIDTH * _FONT_SIZE + 24) + cell
    if label:
        width += text_width(visible(label), bold=True) + cell
    return width, 23.0


def legend_label(color_by: str, summaries: bool = False) -> str:
    """A small key for the colour scale in use (and, with `summaries`, how summary boxes are coloured)."""
    if color_by == "grad":
        title = "|grad|, log scale"
        entries: list[tuple[str | None, str]] = [(fill, text) for _, fill, text in GRAD_BINS]
        entries += [(ZERO_FILL, "exactly 0"), (PENDING_FILL, "pending")]
        if summaries:
            entries.append((None, "dashed boxes: mean |grad| inside"))
    else:
        title = "role"
        entries = [(fill, role) for role, fill in ROLE_COLORS.items()]
    rows = [f'<TR><TD COLSPAN="2"><B>{title}</B></TD></TR>']
    for fill, text in entries:
        swatch = f'<TD BGCOLOR="{fill}" BORDER="1" WIDTH="18" HEIGHT="12"></TD>' if fill else "<TD></TD>"
        rows.append(f'<TR>{swatch}<TD ALIGN="LEFT">{html_text(text)}</TD></TR>')
    return f'<<TABLE BORDER="1" COLOR="#9e9e9e" CELLBORDER="0" CELLSPACING="2" CELLPADDING="2">{"".join(rows)}</TABLE>>'
