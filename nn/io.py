"""Saving and loading a model's parameters as JSON: readable, diffable, and never half-written.

A trained model is just its parameter values, so a file holds `state_dict()` — a mapping from
parameter names (`layers.0.neurons.3.w1`) to numbers — plus a small header. JSON rather than
pickle: loading a pickle runs arbitrary code from the file, loading JSON only reads numbers.

Saving writes a temporary file in the same directory and then renames it over the target. A
rename within one directory is atomic, so a crash mid-save leaves either the old file or the new
one, never a truncated mix. Loading checks everything before it changes anything: a truncated or
malformed file raises ValueError and the model keeps its weights.

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

from engine.files import write_atomically
from nn.module import Module

__all__ = ["save", "load", "FORMAT", "VERSION"]

FORMAT = "chainrule-state"
VERSION = 1


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

    def write(temporary: str) -> None:
        with open(temporary, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())  # the bytes are on disk before the name points at them

    write_atomically(path, write)


def load(module: Module, path: str | os.PathLike) -> Module:
    """Set `module`'s parameters from the JSON file at `path` (made by `save`); returns `module`.

    A file that is not complete, valid chainrule JSON raises ValueError; one made for a different
    architecture raises KeyError naming the missing or unexpected parameters. Either way the
    model is unchanged.
    """
    if not isinstance(module, Module):
        raise TypeError(f"load needs an nn.Module to fill, got {type(module).__name__}")
    path = os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read()
    try:
        document = json.loads(raw.decode("utf-8"))
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
