"""Stated preferences in the generalization: mean care with a 95% interval per model and
question mode, and its change after training."""

import math

import pytest

from alignment_faking.generalization import (
    Generalization,
    StatedRatings,
    compare_stated,
    format_generalization,
    mean_care,
    t_975,
)


def test_the_mean_care_has_a_student_t_interval_within_the_scale():
    mean, (low, high) = mean_care([4, 5, 5, 6])  # four phrasings: t with 3 df, not 1.96
    half = 3.182 * math.sqrt(2 / 3) / 2
    assert mean == 5 and (low, high) == pytest.approx((5 - half, 5 + half))
    assert mean_care([10, 10, 9])[1][1] == 10  # clipped to the scale
    assert mean_care([7]) == (7, None)  # one answer: no interval, not a point
    assert mean_care([]) == (None, None)


def test_the_t_quantile_is_close_to_students_beyond_the_table():
    assert t_975(3) == 3.182
    for df, exact in ((11, 2.201), (20, 2.086), (60, 2.000), (10**6, 1.960)):
        assert t_975(df) == pytest.approx(exact, abs=0.001)


def test_a_single_answer_per_model_gives_a_change_without_an_interval():
    found = [StatedRatings("base", "helpful_only", True, (8,)),
             StatedRatings("after", "helpful_only", True, (3,))]  # fmt: skip
    [row] = compare_stated("base", "after", found)
    assert row.care.change == -5 and row.care.change_ci is None


def test_the_change_is_per_setting_and_mode_in_the_order_asked():
    found = [
        StatedRatings("base", "helpful_only", True, (8, 8, 9)),
        StatedRatings("base", "helpful_only", False, (8, 8)),
        StatedRatings("after", "helpful_only", True, (3, 2, 3)),
        StatedRatings("after", "helpful_only", False, (8, 9)),
    ]
    with_prompt, without = compare_stated("base", "after", found)
    assert (with_prompt.with_system_prompt, without.with_system_prompt) == (True, False)
    assert with_prompt.care.change == pytest.approx(2.666667 - 8.333333, abs=1e-5)
    assert with_prompt.care.change_ci[1] < 0  # a clear fall with the system prompt
    assert without.care.change == 0.5 and without.care.change_ci[0] < 0 < without.care.change_ci[1]
    assert (with_prompt.n_before, with_prompt.n_after) == (3, 3)


def test_a_model_without_ratings_leaves_the_change_empty_and_the_table_says_so():
    [row] = compare_stated("base", "after", [StatedRatings("base", "animal_welfare", False, (5,))])
    assert row.care.after is None and row.care.change is None and row.n_after == 0
    table = format_generalization(
        Generalization(base="base", trained="after", rows=[], stated_preferences=[row])
    )
    assert "animal_welfare, without system prompt" in table and table.rstrip().endswith("-")


def test_without_stated_preferences_the_table_has_no_such_section():
    table = format_generalization(Generalization(base="b", trained="a", rows=[]))
    assert "stated care" not in table
