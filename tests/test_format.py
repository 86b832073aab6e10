"""The one number format: significant digits at every scale, exact zero and pending said as such."""

import math
import re
from pathlib import Path

import pytest

from engine.format import DIGITS, format_number, format_seconds


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


# A number written by hand (f"{x:.4f}", "%.3e") is a second number format; the source tree may
# hold one only where what is written is not a data number. Each exception says why it stays.
_STRAY_FORMAT = re.compile(r"\.[0-9]f}|%\.[0-9]|:\.[0-9]e|:\.[0-9]g")
_NOT_DATA_NUMBERS = {
    # a line width for Graphviz, in points: an attribute of the picture, never shown as a number
    ("nn/flow.py", 'return f"{min(6.0, max(0.5, decades * 0.6)):.2f}"'),
    # Value.__format__'s docstring shows a user's own format spec passing through to the data
    ("engine/attributes.py", '"""A format spec applies to the data: f"{loss:.4f}"'),
}


def test_no_number_is_formatted_outside_engine_format():
    root = Path(__file__).resolve().parent.parent
    strays = []
    for path in sorted([*root.glob("engine/**/*.py"), *root.glob("nn/**/*.py")]):
        where = path.relative_to(root).as_posix()
        if where == "engine/format.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _STRAY_FORMAT.search(line) and not any(
                where == place and line.strip().startswith(text) for place, text in _NOT_DATA_NUMBERS
            ):
                strays.append(f"{where}:{number}: {line.strip()}")
    assert not strays, "write numbers with engine.format.format_number (or format_seconds):\n" + "\n".join(strays)


def test_the_stray_format_pattern_catches_the_formats_it_is_meant_to():
    # the grep above must be able to fail: each of these is a second number format
    for line in ('f"{loss:.4f}"', '"%.3e" % g', 'f"{g:.6g}"', 'f"{x:.2e}"', '"%.1f s" % t'):
        assert _STRAY_FORMAT.search(line), line
    assert not _STRAY_FORMAT.search('f"loss {format_number(loss)}"')


def test_a_duration_is_written_to_a_tenth_of_a_second():
    assert [format_seconds(s) for s in (3.14159, 0.04, 12.96)] == ["3.1 s", "0.0 s", "13.0 s"]


def test_more_digits_on_request_keep_two_close_derivatives_apart():
    # what gradcheck's message needs: 0.786411 and 0.786422 differ past the fourth digit
    assert format_number(0.786411) == format_number(0.786422) == "0.7864"
    assert format_number(0.786411, digits=6) != format_number(0.786422, digits=6)
    assert format_number(-0.7864477329659274, digits=6) == "-0.786448"
    assert format_number(1234567.0, digits=6) == "1.23457e+06"
