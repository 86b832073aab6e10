"""The compiler: `compile(fn)` traces a graph once and runs it as generated Python arithmetic.

Four files, read in turn, each importing only the ones after it: `trace.py` (the entry point,
the cache of traced shapes, tracing `fn` into a graph), `writer.py` (the graph spelled out as
source, node by node), `analysis.py` (what the writer must know first) and `rules.py` (each
primitive's forward and derivative as a formula to paste in).
"""

from __future__ import annotations

from engine.compiler.trace import Compiled, compile

__all__ = ["compile", "Compiled"]
