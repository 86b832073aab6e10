"""How to install an optional part of chainrule, said the way it was installed.

matplotlib (the `[plot]` extra), PyTorch (`[torch]`) and the notebook tools are optional. When
one is missing, the message gives the one pip command that fixes it: from a source checkout
(an editable install, or the folder on `sys.path`) that is `pip install -e 'FOLDER[extra]'`;
from a wheel, `pip install 'chainrule[extra]'`.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import ModuleType


def install_command(extra: str) -> str:
    """The pip command that adds chainrule's optional `extra`, matching how chainrule was installed.

    >>> install_command("plot") in ("pip install 'chainrule[plot]'", f"pip install -e '{_checkout()}[plot]'")
    True
    """
    checkout = _checkout()
    if checkout is None:
        return f"pip install 'chainrule[{extra}]'"
    return f"pip install -e '{checkout}[{extra}]'"


def _checkout() -> str | None:
    # a source checkout holds pyproject.toml beside the packages; an installed wheel does not
    root = Path(__file__).resolve().parent.parent
    if not (root / "pyproject.toml").is_file():
        return None
    here = Path.cwd().resolve()
    return "." if root == here else os.path.relpath(root) if root.is_relative_to(here) else str(root)


def require_extra(module: str, extra: str, needed_by: str) -> ModuleType:
    """Import `module`, or raise ModuleNotFoundError saying what needs it and how to install it.

    >>> require_extra("math", "plot", "this example").pi > 3
    True
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        message = f"{needed_by} needs {module}, which is not installed: {install_command(extra)}"
        raise ModuleNotFoundError(message, name=module) from None
