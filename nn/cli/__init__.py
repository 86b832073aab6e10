"""The `chainrule` command line, on top of both packages: `chainrule draw | train | gradflow`.

`command.py` declares the commands and their options and turns however a command ends into an
exit status; `draw.py`, `train.py` and `gradflow.py` run one command each; `expression.py`
parses a formula typed on the shell into Values (never running it as Python); `options.py`
says what each option accepts, `files.py` how outputs are written, `status.py` the exit codes.
"""

from __future__ import annotations

from nn.cli.command import main

__all__ = ["main"]
