"""How chainrule writes a number for a person to read: one rule, used by every drawing and message.

Gradients live on every scale at once: a healthy one is 0.3, a vanishing one 8e-05, an exploding
one 4e+07. A fixed number of decimals (`%.4f`) prints the vanishing ones as 0.0000 — exactly the
numbers a gradient-flow picture exists to show. So a number is written with a fixed number of
*significant* digits (4), in plain notation where that reads easily (0.001 <= |x| < 10,000) and in
scientific notation outside it. An exact zero is written `0`, so it never looks like a rounded
tiny value, and a gradient that backward has not reached yet is written `pending`. Where two
numbers that differ in the sixth digit must be told apart (a derivative rule against the table's),
`digits=` asks for more; a duration (not a data number) is `format_seconds`, to a tenth of a second.

>>> [format_number(x) for x in (2.0, -0.5, 0.00021, 8.31e-05, 12345.0, 0.0, None)]
['2.000', '-0.5000', '2.100e-04', '8.310e-05', '1.234e+04', '0', 'pending']
"""

from __future__ import annotations

import math

__all__ = ["format_number", "format_seconds", "DIGITS"]

DIGITS = 4  # significant digits in every number chainrule shows

# the range written in plain notation starts here; it ends at 10**digits (10,000 for 4 digits)
_PLAIN_FROM = 1e-3


def format_number(x: float | int | None, digits: int = DIGITS) -> str:
    """`x` with `digits` significant digits; `0` for an exact zero, `pending` for None (not computed yet).

    >>> format_number(0.0002), format_number(-6.0), format_number(float('nan'))
    ('2.000e-04', '-6.000', 'nan')
    >>> format_number(-0.7864477329659274, digits=6)
    '-0.786448'
    """
    if x is None:
        return "pending"
    plain_below = 10.0**digits
    if isinstance(x, int) and not isinstance(x, bool) and abs(x) < plain_below:
        return str(x)
    x = float(x)
    if x == 0:
        return "0"
    if not math.isfinite(x):
        return str(x)  # 'nan', 'inf', '-inf'
    if _PLAIN_FROM <= abs(x) < plain_below:
        decimals = digits - 1 - math.floor(math.log10(abs(x)))
        plain = f"{x:.{decimals}f}"
        if len(plain.lstrip("-").replace(".", "").lstrip("0")) > digits:
            # rounding carried into a new leading digit (0.099996 -> 0.10000): one decimal fewer
            decimals -= 1
            plain = f"{x:.{decimals}f}" if decimals >= 0 else ""
        if plain and float(plain) and abs(float(plain)) < plain_below:
            return plain
    return f"{x:.{digits - 1}e}"


def format_seconds(seconds: float) -> str:
    """A duration for a person: to a tenth of a second (a shared machine varies by more than that).

    >>> format_seconds(3.14159), format_seconds(0.04)
    ('3.1 s', '0.0 s')
    """
    return f"{seconds:.1f} s"
