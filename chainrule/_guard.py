"""Checks, before anything else is imported, that `engine` and `nn` are chainrule's own packages.

A micrograd checkout has an engine.py (and an nn.py) at its top: run from there, `import engine`
finds that file instead of our package and fails later with a puzzling "cannot import name".
Our packages are installed beside `chainrule`, so a module found anywhere else is someone else's.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path


def check_not_shadowed(name: str) -> None:
    """Raise a one-line ImportError if `import name` would not find chainrule's package `name`.

    >>> check_not_shadowed("engine")
    """
    ours = Path(__file__).resolve().parent.parent / name / "__init__.py"
    try:
        spec = importlib.util.find_spec(name)
    except ValueError:  # already imported, made by hand without a spec
        spec = None
    found = spec.origin if spec is not None else None
    if found is None:
        raise ImportError(
            f"chainrule cannot find its package {name!r} (expected in {ours.parent}): reinstall chainrule"
        )
    if Path(found).resolve() != ours:
        raise ImportError(
            f"'import {name}' finds {found}, not chainrule's {name} package ({ours.parent}): that file "
            f"(often micrograd's {name}.py in the current folder) hides it; run from another folder or rename it"
        )


# on import, so that `chainrule/__init__.py` can run the check with a plain import statement first
check_not_shadowed("engine")
check_not_shadowed("nn")
