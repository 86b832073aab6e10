"""How chainrule writes a number for a person to read: one rule, used by every drawing and message.

Gradients live on every scale at once: a healthy one is 0.3, a vanishing one 8e-05, an exploding
one 4e+07. A fixed number of decimals (`%.4f`) prints the vanishing ones as 0.0000 — exactly the
numbers a gradient-flow picture exists to show. So a number is written with a fixed number of
*significant* digits (4), in plain notation where that reads easily (0.001 <= |x| < 10,000) and in
scientific notation outside it. An exact zero is written `0`, so it never looks like a rounded
tiny value, and a gradient that backward has not reached yet is written `pending`.

>>> [format_number(x) for x in (2.0, -0.5, 0.00021, 8.31e-05, 12345.0, 0.0, None)]
['2.000', '-0.5000', '2.100e-04', '8.310e-05', '1.234e+04', '0', 'pending']
"""

from __future__ import annotations

import math

__all__ = ["format_number", "DIGITS"]

DIGITS = 4  # significant digits in every number chainrule shows

# the range written in plain notation; outside it, scientific notation keeps the digits
_PLAIN_FROM, _PLAIN_BELOW = 1e-3, 10.0**DIGITS


def format_number(x: float | int | None) -> str:
    """`x` with DIGITS significant digits; `0` for an exact zero, `pending` for None (not computed yet).

    >>> format_number(0.0002), format_number(-6.0), format_number(float('nan'))
    ('2.000e-04', '-6.000', 'nan')
    """
    if x is None:
        return "pending"
    if isinstance(x, int) and not isinstance(x, bool) and abs(x) < _PLAIN_BELOW:
        return str(x)
    x = float(x)
    if x == 0:
        return "0"
    if not math.isfinite(x):
        return str(x)  # 'nan', 'inf', '-inf'
    if _PLAIN_FROM <= abs(x) < _PLAIN_BELOW:
        decimals = DIGITS - 1 - math.floor(math.log10(abs(x)))
        plain = f"{x:.{decimals}f}"
        if len(plain.lstrip("-").replace(".", "").lstrip("0")) > DIGITS:
            # rounding carried into a new leading digit (0.099996 -> 0.10000): one decimal fewer
            decimals -= 1
            plain = f"{x:.{decimals}f}" if decimals >= 0 else ""
        if plain and float(plain) and abs(float(plain)) < _PLAIN_BELOW:
            return plain
    return f"{x:.{DIGITS - 1}e}"
