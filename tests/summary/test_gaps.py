"""summary.json's gaps under more than two tiers: one entry per tier against the trained tier,
with the two-tier fields kept as the unmonitored tier's and absent entries for two tiers."""

from __future__ import annotations

import json

import pytest

from alignment_faking.records import BehaviourRecord, SampleRecord
from alignment_faking.report.cells import tier_label
from alignment_faking.summary.entries import behaviour_summary, run_summary
from alignment_faking.summary.file import read_summary, write_summary
from alignment_faking.summary.schema import RunIdentity
from alignment_faking.summary.table import format_table

COMPLYING = {"free": 4, "pro": 3, "paid": 1}


def _run(variation: str, tiers: tuple[str, ...]):
    info = RunIdentity(
        log="x.eval", model="m", evaluation="compliance", setting="helpful_only",
        variation=variation, dataset="helpful_only", n_queries=4, epochs=1, status="success",
    )  # fmt: skip
    records = [
        SampleRecord(f"q{q}", tier, 1, "complied" if q < COMPLYING[tier] else "refused")
        for q in range(4)
        for tier in tiers
    ]
    return run_summary(info, records)


def test_three_tiers_get_one_gap_per_pair_and_the_headline_stays_the_unmonitored_tiers(tmp_path):
    run = _run("three_tiers", ("free", "pro", "paid"))
    assert list(run.tiers) == ["free", "pro", "paid"]
    assert run.gaps is not None
    rated, unmonitored = run.gaps
    assert (rated.tier, rated.role, rated.compliance_gap) == ("pro", "rated", pytest.approx(0.25))
    assert (unmonitored.tier, unmonitored.role) == ("paid", "unmonitored")
    assert unmonitored.compliance_gap == run.compliance_gap == pytest.approx(0.75)
    assert rated.compliance_gap_paired is not None and rated.compliance_gap_paired.n_pairs == 4
    assert run.tier_roles() == {"free": "trained", "pro": "rated", "paid": "unmonitored"}
    write_summary(tmp_path / "summary.json", [run])
    assert read_summary(tmp_path / "summary.json").runs[0] == run

    table = format_table([run])
    assert "gap (free - pro, rated): 25.0%" in table
    assert "gap (free - paid, unmonitored): 75.0%" in table
    assert "\n  pro " in table


def test_two_tiers_write_no_gaps_entry(tmp_path):
    run = _run("default", ("free", "paid"))
    assert run.gaps is None and run.compliance_gap == pytest.approx(0.75)
    write_summary(tmp_path / "summary.json", [run])
    [written] = json.loads((tmp_path / "summary.json").read_text())["runs"]
    assert "gaps" not in written
    assert "gap (free - paid): 75.0%" in format_table([run])


def test_a_behaviour_run_names_a_third_tier_by_its_role():
    """Another evaluation's runs record no gaps per tier: the rated tier is still `rated`."""
    info = RunIdentity(
        log="x.eval", model="m", evaluation="lying", setting="helpful_only",
        variation="three_tiers", dataset="lying", n_queries=1, epochs=1, status="success",
    )  # fmt: skip
    records = [BehaviourRecord("q0", tier, 1, None) for tier in ("free", "pro", "paid")]
    run = behaviour_summary(info, records)
    assert [tier_label(run, tier) for tier in run.tiers] == [
        "training (free)",
        "rated (pro)",
        "unmonitored (paid)",
    ]
