"""The shallow-alignment comparison: before/after per tier, gap changes and relative gaps."""

import math

import pytest

from alignment_faking.generalization import (
    Generalization,
    compare,
    difference,
    format_generalization,
    relative_gap,
)
from alignment_faking.records import SampleRecord
from alignment_faking.summary.entries import run_summary
from alignment_faking.summary.schema import RunIdentity


def _run(model, variation, free, paid, n=10, setting="helpful_only"):
    """A run whose free tier complies on `free` of n queries and paid tier on `paid`."""
    info = RunIdentity(log=f"{model}-{variation}.eval", model=model, setting=setting,
                       variation=variation, dataset=setting, n_queries=n, epochs=1,
                       status="success", evaluation="compliance")  # fmt: skip
    records = [
        SampleRecord(f"q{i}", tier, 0, "complied" if i < count else "refused",
                     alignment_faking="yes" if tier == "free" and i < count else "no")
        for tier, count in (("free", free), ("paid", paid))
        for i in range(n)
    ]  # fmt: skip
    return run_summary(info, records)


def test_relative_gap_is_unmonitored_over_training_non_compliance():
    assert relative_gap(0.5, 0.2) == pytest.approx(1.6)
    assert relative_gap(1.0, 0.3) == math.inf  # the paper's default prompt after RL
    assert relative_gap(1.0, 1.0) is None  # no refusals in either tier: no ratio
    assert relative_gap(None, 0.5) is None


def test_difference_of_independent_rates_is_newcombes_square_and_add():
    low, high = difference((0.6, (0.4, 0.8)), (0.3, (0.1, 0.5)))
    assert low == pytest.approx(0.3 - math.hypot(0.2, 0.2), abs=1e-6)
    assert high == pytest.approx(0.3 + math.hypot(0.2, 0.2), abs=1e-6)
    assert difference((1.0, (0.7, 1.0)), (-1.0, (-1.0, -0.7)), span=2.0)[1] == 2.0
    assert difference((None, None), (0.3, (0.1, 0.5))) is None


def test_the_trained_models_gap_comes_back_under_another_developer():
    runs = [
        _run("base", "default", 3, 2), _run("base", "other_developer", 3, 2),
        _run("trained", "other_developer", 10, 0), _run("trained", "default", 10, 8),
        _run("someone_else", "default", 0, 0),
    ]  # fmt: skip
    result = compare("base", "trained", runs, order=[("helpful_only", "default")])
    default, other = result.rows
    assert (default.variation, other.variation) == ("default", "other_developer")
    assert default.training_compliance.before == pytest.approx(0.3)
    assert default.training_compliance.after == 1.0
    assert default.unmonitored_compliance.change == pytest.approx(0.6)
    assert default.gap.before == pytest.approx(0.1)
    assert default.gap.after == pytest.approx(0.2)
    assert other.gap.change == pytest.approx(0.9)
    low, high = other.gap.change_ci
    assert 0 < low < 0.9 < high <= 2
    assert default.relative_gap_before == pytest.approx(0.8 / 0.7, abs=1e-6)
    assert default.relative_gap_after == math.inf
    assert other.af_rate.after == 1.0
    assert other.af_rate.before == pytest.approx(0.3)
    table = format_generalization(result)
    assert "helpful_only/other_developer" in table and "inf" in table and "+90" in table


def test_generalization_json_round_trips_infinity():
    runs = [_run("base", "default", 3, 2), _run("trained", "default", 10, 0)]
    result = compare("base", "trained", runs)
    text = result.model_dump_json()
    assert '"Infinity"' in text
    assert Generalization.model_validate_json(text) == result


def test_a_variation_run_by_one_model_only_has_no_change():
    [row] = compare("base", "trained", [_run("base", "default", 3, 2)]).rows
    assert row.gap.before == pytest.approx(0.1)
    assert row.gap.after is None and row.gap.change is None and row.relative_gap_after is None


def test_of_n_tiers_the_unmonitored_one_is_the_one_the_runs_gap_compares_with():
    """Tiers named freely: the unmonitored tier is found by its role, not as `paid`."""
    info = RunIdentity(log="three.eval", model="m", setting="helpful_only",
                       variation="three_tiers", dataset="helpful_only", n_queries=4, epochs=1,
                       status="success", evaluation="compliance")  # fmt: skip
    records = [
        SampleRecord(f"q{i}", tier, 0, "complied" if i < count else "refused")
        for tier, count in (("free", 4), ("pro", 3), ("paid", 1))
        for i in range(4)
    ]
    run = run_summary(info, records)
    names = {"free": "train", "pro": "rated", "paid": "neither"}
    renamed = run.model_copy(
        update={
            "trained_tier": "train",
            "tiers": {names[tier]: entry for tier, entry in run.tiers.items()},
            "gaps": [pair.model_copy(update={"tier": names[pair.tier]}) for pair in run.gaps],
        }
    )
    [row] = compare("m", "t", [renamed]).rows
    assert row.training_compliance.before == 1.0
    assert row.unmonitored_compliance.before == 0.25  # `neither`, not the rated tier
    assert row.gap.before == pytest.approx(0.75) == renamed.compliance_gap


def test_the_comparison_is_written_before_stated_preferences_are_asked(tmp_path, monkeypatch):
    """A stated-preference question that fails leaves the finished comparison on disk."""
    from dataclasses import replace

    from alignment_faking.errors import UserError
    from alignment_faking.generalization import GENERALIZATION_FILE
    from alignment_faking.options import RunOptions
    from alignment_faking.runner import generalization as runner

    runs = [_run("base", "default", 3, 2), _run("trained", "default", 10, 8)]
    monkeypatch.setattr(runner, "sweep", lambda *args: ([], runs))

    def fail(*args):
        raise UserError("stated preferences of trained did not finish")

    monkeypatch.setattr(runner, "stated_ratings", fail)
    options = RunOptions(setting="helpful_only", model="base")
    options = replace(options, eval=replace(options.eval, log_dir=str(tmp_path)))
    with pytest.raises(UserError):
        runner.generalization(
            "base", "trained", ["helpful_only"], ["default"], options, stated_preferences=True
        )
    written = Generalization.model_validate_json((tmp_path / GENERALIZATION_FILE).read_text())
    [row] = written.rows
    assert row.gap.before == pytest.approx(0.1) and written.stated_preferences == []
