"""Saving and loading a model's parameters as JSON: readable, diffable, and never half-written.

A trained model is just its parameter values, so a file holds `state_dict()` — a mapping from
parameter names (`layers.0.neurons.3.w1`) to numbers — plus a small header. JSON rather than
pickle: loading a pickle runs arbitrary code from the file, loading JSON only reads numbers.

Saving writes a temporary file in the same directory and then renames it over the target. A
rename within one directory is atomic, so a crash mid-save leaves either the old file or the new
one, never a truncated mix. Loading checks everything before it changes anything: a truncated or
malformed file raises ValueError and the model keeps its weights. Nor does a hostile file get
further: a device, a FIFO or anything else that is not a regular file, a file far larger than
this model's parameters could fill, JSON nested deeper than Python's parser can recurse, and a
key given twice (JSON lets the last one win silently) are each refused with ValueError.

>>> import os, tempfile
>>> from nn.module import MLP
>>> path = os.path.join(tempfile.mkdtemp(), 'model.json')
>>> save(MLP(2, [3, 1], seed=0), path)
>>> copy = load(MLP(2, [3, 1], seed=1), path)
>>> copy.state_dict() == MLP(2, [3, 1], seed=0).state_dict()
True
"""

from __future__ import annotations

import json
import math
import os
import stat
from pathlib import Path

from engine.files import write_atomically
from nn.module import Module

__all__ = ["save", "load", "FORMAT", "VERSION"]

FORMAT = "chainrule-state"
VERSION = 1

# The largest file load reads: save writes a parameter as `  "its.name": -0.12345678901234567,`
# (the name plus about 30 bytes), so 200 bytes besides its name is room for any indentation a
# hand edit adds, and the fixed part for the header. Beyond that the file holds something else.
BYTES_PER_PARAMETER = 200
BYTES_FOR_HEADER = 16 * 1024


def save(module: Module, path: str | os.PathLike) -> None:
    """Write `module`'s parameters to `path` as JSON, atomically (temporary file, then rename).

    Refuses (ValueError) to save nan or infinite parameters, which JSON cannot hold.
    """
    if not isinstance(module, Module):
        raise TypeError(f"save needs an nn.Module, got {type(module).__name__}")
    state = module.state_dict()
    bad = [name for name, x in state.items() if not math.isfinite(x)]
    if bad:
        raise ValueError(f"cannot save non-finite parameters ({', '.join(bad[:5])}): the model has diverged")
    document = {"format": FORMAT, "version": VERSION, "model": type(module).__name__, "parameters": state}
    text = json.dumps(document, indent=1, allow_nan=False) + "\n"

    # write_atomically fsyncs the bytes before the rename and the folder after it
    write_atomically(path, lambda temporary: Path(temporary).write_text(text, encoding="utf-8"))


def load(module: Module, path: str | os.PathLike) -> Module:
    """Set `module`'s parameters from the JSON file at `path` (made by `save`); returns `module`.

    A file that is not complete, valid chainrule JSON raises ValueError; one made for a different
    architecture raises KeyError naming the missing or unexpected parameters. Either way the
    model is unchanged. ValueError also refuses, before parsing: anything but a regular file
    (a folder, /dev/zero, a FIFO), and a file larger than 16 KiB plus 200 bytes and the name of
    each parameter (only that much is read); and while parsing: a key given twice at any level,
    and JSON nested too deeply for Python's parser.
    """
    if not isinstance(module, Module):
        raise TypeError(f"load needs an nn.Module to fill, got {type(module).__name__}")
    path = os.fspath(path)
    names = list(module.state_dict())
    raw = _read_at_most(path, len(names), BYTES_FOR_HEADER + sum(BYTES_PER_PARAMETER + len(n) for n in names))
    try:
        document = json.loads(raw.decode("utf-8"), object_pairs_hook=_refuse_duplicate_keys)
    except _DuplicateKey as error:
        raise ValueError(f"{path} gives the key {error} more than once: which value is meant?") from None
    except RecursionError:  # "[[[[..." deeper than Python's parser recurses; a model file is 2 deep
        raise ValueError(f"{path} is not a chainrule model file: its JSON is nested too deeply") from None
    except ValueError as error:  # not UTF-8 text, or not JSON
        raise ValueError(f"{path} is not valid JSON (truncated or corrupted?): {error}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f'{path} is not a chainrule model file (no "format": {FORMAT!r} header)')
    if document.get("version") != VERSION:
        raise ValueError(f"{path} has format version {document.get('version')!r}; this chainrule reads {VERSION}")
    state = document.get("parameters")
    if not isinstance(state, dict):
        raise ValueError(f'{path} has no "parameters" mapping')
    try:
        module.load_state_dict(state)
    except (TypeError, ValueError) as error:  # a value that is not a number, or not a finite float
        raise ValueError(f"{path}: {error}") from None
    return module


def _read_at_most(path: str, parameters: int, cap: int) -> bytes:
    """The bytes of the regular file `path`; ValueError if it is anything else or holds over `cap` bytes.

    Checked before opening, so that opening a device has no effect, and again on the opened file
    (it could have been swapped in between). O_NONBLOCK lets a FIFO open at once, with no writer,
    instead of waiting forever; on a regular file it changes nothing.
    """
    _require_regular(path, os.stat(path).st_mode)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with open(fd, "rb") as f:
        _require_regular(path, os.fstat(fd).st_mode)
        raw = f.read(cap + 1)  # one byte past the cap says it is too large, without reading the rest
        size = max(len(raw), os.fstat(fd).st_size)
    if len(raw) > cap:
        raise ValueError(
            f"{path} holds {size:,} bytes, more than the {cap:,} that this model's {parameters:,} parameters "
            "could fill (16 KiB plus 200 bytes and the name of each): it is not a file of this model"
        )
    return raw


def _require_regular(path: str, mode: int) -> None:
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else "a device or special file"
        raise ValueError(f"{path} is {kind}, not a regular file: load reads a file written by save")


class _DuplicateKey(ValueError):
    """A JSON object giving one key twice (the message is the key, quoted)."""


def _refuse_duplicate_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    document = dict(pairs)
    if len(document) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(repr(key) if len(key) <= 60 else f"{key[:60]!r}...")
            seen.add(key)
    return document
