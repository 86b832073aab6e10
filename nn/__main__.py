"""`python -m nn ...` is the `chainrule` command (see nn/cli.py), for when the script is not on PATH."""

from __future__ import annotations

import sys

from nn.cli import main

if __name__ == "__main__":
    sys.exit(main())
