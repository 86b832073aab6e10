"""The files a `chainrule` command writes: checked before the work, complete or not at all.

Two promises to the user rest here. First, a path that cannot be written is refused before any
work is done: training for a minute and then finding the folder missing would waste that minute.
So `output_path` checks the file name's suffix and the folder as the option enters. Second, a
command that fails leaves nothing behind and never half-overwrites yesterday's picture: every file
is written under a temporary name in its folder and renamed into place only once complete (on one
file system a rename is all or nothing).

The suffix decides the kind of file: Graphviz renders pictures, the DOT text needs no Graphviz at
all, `.html` holds the backward walk as a step-through player, and matplotlib writes the plots.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from engine.extras import require_extra
from nn.cli.status import FAILED, MISSING, REFUSED, Stop

__all__ = [
    "PICTURES",
    "SOURCES",
    "ANIMATION",
    "PLOTS",
    "output_path",
    "require_graphviz",
    "write_drawing",
    "write_atomically",
    "require_matplotlib",
]

PICTURES = (".svg", ".png", ".pdf")  # rendered by Graphviz
SOURCES = (".dot", ".gv")  # the DOT text itself: no Graphviz needed
ANIMATION = (".html",)  # the backward walk as a step-through player
PLOTS = (".png", ".svg", ".pdf")  # written by matplotlib


def output_path(text: str, suffixes: tuple[str, ...], option: str) -> Path:
    """The path to write, checked before any work is done: a known suffix, in an existing folder.

    `output_path("flow.svg", PICTURES, "-o")` is `Path("flow.svg")`; `"flow.txt"` is refused (status 2).
    """
    path = Path(text)
    if path.suffix.lower() not in suffixes:
        raise Stop(f"{option} {text!r}: the file name must end in {', '.join(suffixes)}", REFUSED)
    if path.is_dir():
        raise Stop(f"{option} {text!r} is a folder; give a file name", REFUSED)
    folder = path.parent
    if not folder.is_dir():
        raise Stop(f"{option} {text!r}: the folder {str(folder)!r} does not exist", REFUSED)
    if not os.access(folder, os.W_OK):
        raise Stop(f"{option} {text!r}: the folder {str(folder)!r} is not writable", REFUSED)
    return path


def require_graphviz(out: Path) -> None:
    """Stop with status 3 and how to install Graphviz if `out` is a picture and `dot` is missing."""
    from engine import GraphvizNotFoundError

    if out.suffix.lower() in PICTURES and shutil.which("dot") is None:
        raise _no_graphviz(GraphvizNotFoundError(), out)


def _no_graphviz(error: Exception, out: Path) -> Stop:
    return Stop(f"{error} (or write the DOT source with -o {out.with_suffix('.dot')})", MISSING)


def write_drawing(drawing, out: Path) -> None:
    """Write a graphviz drawing to `out`: its DOT text for .dot/.gv, else the picture Graphviz renders."""
    from engine import GraphvizNotFoundError

    suffix = out.suffix.lower()
    if suffix in SOURCES:
        data = drawing.source.encode("utf-8")
    else:
        try:
            # rendered in memory first: if `dot` is missing, not even a temporary file is made
            data = drawing.pipe(format=suffix[1:])
        except GraphvizNotFoundError as error:
            raise _no_graphviz(error, out) from None
    write_atomically(out, lambda tmp: Path(tmp).write_bytes(data))


def write_atomically(path: Path, write: Callable[[str], object]) -> None:
    """`write(temporary)` then rename over `path`: the file appears complete or not at all."""
    from engine.files import write_atomically as write_then_rename

    try:
        write_then_rename(path, write)
    except OSError as error:
        raise Stop(f"cannot write {path}: {error.strerror or error}", FAILED) from None


def require_matplotlib(option: str) -> None:
    """Stop with status 3 and how to install matplotlib if it is missing; else pick its file-only backend."""
    try:
        matplotlib = require_extra("matplotlib", "plot", option)
    except ModuleNotFoundError as error:
        raise Stop(str(error), MISSING) from None
    matplotlib.use("Agg")  # files only: never open a window
