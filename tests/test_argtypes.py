"""Argument types refuse a value the run cannot use at parse time, with one line saying what
they expected and what they got."""

from __future__ import annotations

import argparse

import pytest

from alignment_faking.argtypes import non_negative, positive, positive_float, share


@pytest.mark.parametrize(
    ("parse", "text", "message"),
    [
        (positive, "two", "expected a whole number, got 'two'"),
        (positive, "1.5", "expected a whole number, got '1.5'"),
        (positive, "0", "expected a number of at least 1, got 0"),
        (non_negative, "lots", "expected a number, got 'lots'"),
        (non_negative, "nan", "expected a finite number, got 'nan'"),
        (positive_float, "-inf", "expected a finite number, got '-inf'"),
        (non_negative, "-0.5", "expected a number of 0 or more, got -0.5"),
        (positive_float, "0", "expected a number above 0, got 0"),
        (share, "1.5", "expected a share in (0, 1], got 1.5"),
    ],
)
def test_a_value_the_run_cannot_use_is_refused_with_what_was_expected(parse, text, message):
    with pytest.raises(argparse.ArgumentTypeError) as refused:
        parse(text)
    assert str(refused.value) == message


def test_a_usable_value_is_read_as_its_type():
    assert (positive("3"), non_negative("0"), positive_float("1e-5"), share("1")) == (
        3,
        0.0,
        1e-5,
        1.0,
    )
    assert isinstance(positive("3"), int) and isinstance(non_negative("2"), float)
