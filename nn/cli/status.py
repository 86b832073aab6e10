"""How a `chainrule` command ends: an exit status, and at most one line on stderr.

A shell script (or `make`) reads only the exit status, so each kind of ending gets its own
number: 0 the work is done; 1 it failed while running (training diverged, a file could not be
written); 2 it was refused before any work (a bad option, a formula that is not allowed); 3 a
program or package it needs is missing (Graphviz's `dot`, matplotlib). A person reads stderr, so
every failure is one line that says what was given and what is accepted — never a traceback.

The commands deep down (checking a path, writing a file, training) end the run by raising
`Stop(message, status)`; `nn.cli.command` catches it at the top and prints the line. That keeps
every check where the value enters and every `print` to stderr in one place.

>>> try:
...     raise Stop("--steps '0' is not an integer >= 1", REFUSED)
... except Stop as stop:
...     print(stop.status, stop)
2 --steps '0' is not an integer >= 1
"""

from __future__ import annotations

__all__ = ["OK", "FAILED", "REFUSED", "MISSING", "Stop", "shown"]

OK, FAILED, REFUSED, MISSING = 0, 1, 2, 3


class Stop(Exception):
    """End the command with one line on stderr and an exit status."""

    def __init__(self, message: str, status: int, prog: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.prog = prog  # the (sub)command to name, when it differs from the one being run


SHOWN_AT_MOST = 60  # characters of the user's own text echoed in one message


def shown(text: str, limit: int = SHOWN_AT_MOST) -> str:
    """`text` quoted for a message: control characters escaped, and cut after `limit` characters.

    What the user typed is echoed back so they can see what was read, but a terminal must never
    receive its escape sequences (they can retitle the window or hide text), and a pasted megabyte
    must not fill the screen. `repr` escapes every non-printable character.

    >>> print(shown("x" + chr(27) + "]0;title"), shown("a" * 100, 5))
    'x\\x1b]0;title' 'aaaaa'... (100 characters)
    """
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text):,} characters)"
