"""Checks at the boundary: is this argument the kind of number it should be?

A mistake is cheapest to understand where it enters — `MLP(0, [4])`, `fit(steps=-1)`,
`draw_dot(root, max_nodes=3)` — with one line saying what was given and what is accepted,
rather than as a puzzling failure deep inside a training loop or a drawing. Two traps of Python
make these checks worth writing once: `True` is an int (so `steps=True` would quietly mean one
step), and `2.0` is not one (so `range(2.0)` fails far from where the 2.0 came from).

Every library check reads the same way: `require(<what is accepted>, name, accepted, given)`,
with `is_integer` and `is_real` for the first part. Only the standard library is used, so any
module of `engine` or `nn` may import this one.

>>> require(is_integer(3) and 3 >= 1, "steps", "an integer >= 1", 3)
>>> positive_integer(True, "n_samples")
Traceback (most recent call last):
  ...
ValueError: n_samples must be a positive integer, got True
"""

from __future__ import annotations

import numbers
from typing import TypeGuard

__all__ = ["is_integer", "is_real", "require", "positive_integer", "real_number", "real_constant"]


def is_integer(x: object) -> TypeGuard[int]:
    """A whole number that is not a bool: an int, or any `numbers.Integral` (numpy's int64 too).

    (A type checker then treats `x` as an int, which numpy's integers behave as.)

    >>> is_integer(3), is_integer(3.0), is_integer(True)
    (True, False, False)
    """
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def is_real(x: object) -> TypeGuard[float]:
    """A real number that is not a bool: an int, a float, or any `numbers.Real` (Fraction, numpy's float64).

    (A type checker then treats `x` as a float, which every real number converts to.)

    >>> is_real(0.5), is_real(2), is_real(True), is_real("0.5")
    (True, True, False, False)
    """
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def require(ok: bool, name: str, accepted: str, given: object) -> None:
    """Raise ValueError "`name` must be `accepted`, got `given`" unless `ok`.

    >>> require(-1 >= 0, "steps", "an integer >= 0", -1)
    Traceback (most recent call last):
      ...
    ValueError: steps must be an integer >= 0, got -1
    """
    if not ok:
        raise ValueError(f"{name} must be {accepted}, got {given!r}")


def positive_integer(x: object, name: str) -> int:
    """`x` as an int when it is a whole number >= 1 (a count, a size); else ValueError naming `name`.

    >>> positive_integer(16, "Layer nout")
    16
    """
    if is_integer(x) and x >= 1:
        return int(x)
    raise ValueError(f"{name} must be a positive integer, got {x!r}")


def real_number(x: object) -> float:
    """`x` as a float, the data of a Value, or a TypeError saying what was given and what is accepted.

    >>> real_number(3), real_number(True)
    (3.0, 1.0)
    """
    if type(x) is float:
        return x
    if isinstance(x, numbers.Real):
        return float(x)
    kind = type(x).__name__
    if type(x).__module__ == "numpy":
        if kind in ("bool", "bool_"):  # numpy's bool is not a numbers.Real, but it is a real number
            return float(x)  # type: ignore[arg-type]  # numpy.bool_ has __float__; typed as object here
        kind = f"numpy.{kind}"
    hint = " (use its .data, or .detach() for a new leaf)" if kind == "Value" else ""
    raise TypeError(f"Value data must be a real number (int, float, bool, Fraction or numpy scalar), got {kind}{hint}")


def real_constant(x: object, what: str) -> float:
    """`x` as a float when it is a real number (not a bool, a str or a Value), else a TypeError
    naming `what`: the constant of a family (x ** k, leaky_relu's slope) is fixed, not a node.

    >>> real_constant(2, "the exponent k of x ** k")
    2.0
    """
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return float(x)
    hint = " (a constant, not a node: use its .data)" if hasattr(x, "_apply") else ""
    raise TypeError(f"{what} must be a real number (int, float, Fraction...), got {type(x).__name__} {x!r:.40}{hint}")
