"""The one number format: significant digits at every scale, exact zero and pending said as such."""

import math

import pytest

from engine.format import DIGITS, format_number


@pytest.mark.parametrize(
    ("x", "shown"),
    [
        (2.0, "2.000"),
        (-6.0, "-6.000"),
        (0.8813735870195432, "0.8814"),
        (0.5, "0.5000"),
        (0.001, "0.001000"),
        (9999.4, "9999"),
        (0.00021, "2.100e-04"),
        (8.31e-05, "8.310e-05"),
        (12345.0, "1.234e+04"),
        (-3e7, "-3.000e+07"),
        (0.099996, "0.1000"),
        (9999.7, "1.000e+04"),
        (0.0, "0"),
        (-0.0, "0"),
        (None, "pending"),
        (float("nan"), "nan"),
        (float("-inf"), "-inf"),
        (65818, "6.582e+04"),
        (7, "7"),
    ],
)
def test_a_number_is_written_with_four_significant_digits_or_as_zero_or_pending(x, shown):
    assert format_number(x) == shown


def test_vanishing_gradients_keep_their_digits_beside_ordinary_ones():
    # the gradient-flow table's case: 8.310e-05 beside 0.0002 and 0.0005 must not read 0.0000
    shown = [format_number(g) for g in (8.31e-05, 0.0002, 0.0005, 0.3)]
    assert shown == ["8.310e-05", "2.000e-04", "5.000e-04", "0.3000"]


@pytest.mark.parametrize("exponent", range(-320, 309, 7))
def test_every_scale_reads_back_to_the_shown_precision(exponent):
    for mantissa in (1.0, 1.2345678, 9.87654321, -4.4):
        x = mantissa * 10.0**exponent
        if x == 0 or not math.isfinite(x):
            continue
        shown = format_number(x)
        digits = shown.split("e")[0].lstrip("-").replace(".", "").lstrip("0")
        assert len(digits) <= DIGITS, shown
        assert float(shown) == pytest.approx(x, rel=10.0 ** (1 - DIGITS)), shown
