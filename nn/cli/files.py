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

import math
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from engine.extras import require_extra
from nn.cli.status import FAILED, MISSING, REFUSED, Stop, shown

if TYPE_CHECKING:  # graphviz is imported only by the commands that draw
    import graphviz

__all__ = [
    "PICTURES",
    "SOURCES",
    "ANIMATION",
    "PLOTS",
    "output_path",
    "graphviz_timeout",
    "DEFAULT_TIMEOUT",
    "TIMEOUT_VARIABLE",
    "require_graphviz",
    "graphviz_stop",
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
    given = f"{option} {shown(text)}"
    if path.suffix.lower() not in suffixes:
        raise Stop(f"{given}: the file name must end in {', '.join(suffixes)}", REFUSED)
    _check_length(path, given)
    try:
        if path.is_dir():
            raise Stop(f"{given} is a folder; give a file name", REFUSED)
        folder = path.parent
        if not folder.is_dir():
            raise Stop(f"{given}: the folder {shown(str(folder))} does not exist", REFUSED)
        writable = os.access(folder, os.W_OK)
    except OSError as error:  # anything else the file system says about the name
        raise Stop(f"{given}: {error.strerror or error}", REFUSED) from None
    if not writable:
        raise Stop(f"{given}: the folder {shown(str(folder))} is not writable", REFUSED)
    return path


def _check_length(path: Path, given: str) -> None:
    """Refuse a file name or path longer than the file system allows, in its own words (bytes)."""
    name = len(os.fsencode(path.name))
    whole = len(os.fsencode(os.path.abspath(path)))
    most_name, most_path = _limit("PC_NAME_MAX", path.parent, 255), _limit("PC_PATH_MAX", path.parent, 4096)
    if name > most_name:
        raise Stop(f"{given}: the file name is {name:,} bytes; the file system allows {most_name}", REFUSED)
    if whole >= most_path:  # PATH_MAX counts the final NUL
        raise Stop(f"{given}: the full path is {whole:,} bytes; the file system allows {most_path - 1:,}", REFUSED)


def _limit(name: str, folder: Path, usual: int) -> int:
    """The file system's limit `name` for `folder` (or its nearest existing parent), else the usual one."""
    for place in (folder, *folder.parents, Path(".")):
        try:
            return os.pathconf(place, name)
        except (OSError, ValueError):
            continue
    return usual


TIMEOUT_VARIABLE = "CHAINRULE_GRAPHVIZ_TIMEOUT"
DEFAULT_TIMEOUT = 60.0  # seconds: a drawing a lesson makes takes well under one


def graphviz_timeout(given: float | None) -> float:
    """Seconds `dot` may run: `--graphviz-timeout`, else $CHAINRULE_GRAPHVIZ_TIMEOUT, else 60.

    `graphviz_timeout(5.0)` is 5.0; with neither set, 60.0. A bad variable is refused (status 2).
    """
    if given is not None:
        return given
    text = os.environ.get(TIMEOUT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not 0 < seconds < math.inf:
        raise Stop(f"{TIMEOUT_VARIABLE}={shown(text)} is not a number of seconds > 0", REFUSED)
    return seconds


def require_graphviz(out: Path) -> None:
    """Stop with status 3 and how to install Graphviz if `out` is a picture and `dot` is missing."""
    from engine import GraphvizNotFoundError

    if out.suffix.lower() in PICTURES and shutil.which("dot") is None:
        raise _no_graphviz(GraphvizNotFoundError(), out)


def _no_graphviz(error: Exception, out: Path) -> Stop:
    return Stop(f"{error} (or write the DOT source with -o {out.with_suffix('.dot')})", MISSING)


def write_drawing(drawing: graphviz.Digraph, out: Path, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Write a graphviz drawing to `out`: its DOT text for .dot/.gv, else the picture Graphviz renders."""
    suffix = out.suffix.lower()
    source = drawing.source.encode("utf-8")
    data = source if suffix in SOURCES else render(source, suffix[1:], out, timeout, drawing.engine)
    write_atomically(out, lambda tmp: Path(tmp).write_bytes(data))


def render(source: bytes, kind: str, out: Path, timeout: float, engine: str = "dot") -> bytes:
    """The picture Graphviz makes of `source`, in memory: no file exists until it has succeeded.

    engine/draw/dot.py's `run_graphviz` runs `dot` with a time limit; every way it can fail
    (missing, an error, a crash, a format this build lacks, too slow) ends the command with one
    line and status 3 (`graphviz_stop`).
    """
    from engine.draw.dot import GraphvizFailed, GraphvizNotFoundError, run_graphviz

    try:
        return run_graphviz(source, kind, timeout, engine)
    except (GraphvizNotFoundError, GraphvizFailed) as error:
        raise graphviz_stop(error, out, engine) from None


def graphviz_stop(error: Exception, out: Path, engine: str = "dot") -> Stop:
    """The one line (status 3) for the engine's Graphviz error while drawing `out`.

    The Python API's messages name its keywords (timeout=, max_nodes); these name the options.
    """
    from engine.draw.dot import GraphvizFailed, GraphvizTimeout

    if isinstance(error, GraphvizTimeout):
        return Stop(
            f"Graphviz's {engine} was still drawing {out} after {error.timeout:g} s and was stopped: allow it more "
            f"with --graphviz-timeout SECONDS (or {TIMEOUT_VARIABLE}), or fold more with a smaller --max-nodes",
            MISSING,
        )
    if isinstance(error, GraphvizFailed) and error.returncode is not None:  # it ran, and said why it failed
        return Stop(f"Graphviz failed to draw {out}: {error.why}", MISSING)
    if isinstance(error, GraphvizFailed):  # found but cannot be run: the engine's words name the program
        return Stop(str(error), MISSING)
    return _no_graphviz(error, out)


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
