"""The CLI's results table: aligned whatever the labels, and plain text wherever it is printed;
summary.json's entries as the table reads them."""

from __future__ import annotations

import json

import pytest

from alignment_faking.records import SampleRecord
from alignment_faking.summary.entries import run_summary
from alignment_faking.summary.file import write_summary
from alignment_faking.summary.labels import label_runs
from alignment_faking.summary.schema import SCHEMA_VERSION, ComplianceRun, RunConfig, RunIdentity
from alignment_faking.summary.table import format_table

LONG_MODEL = "openrouter/some-laboratory/a-rather-long-model-name-00-instruct-preview-2026-11"


def _info(model: str, variation: str, n_queries: int, config: dict | None = None) -> RunIdentity:
    return RunIdentity(
        log="x.eval", model=model, evaluation="compliance", setting="helpful_only",
        variation=variation, dataset="helpful_only", n_queries=n_queries, epochs=1,
        status="success", config=RunConfig.model_validate(config or {}),
    )  # fmt: skip


def _run(model: str) -> ComplianceRun:
    records = [
        SampleRecord(f"q{q}", tier, 1, "complied" if tier == "free" and q < 3 else "refused")
        for q in range(5)
        for tier in ("free", "paid")
    ]
    return run_summary(_info(model, "default", 5), records)


def test_columns_line_up_under_long_model_names():
    table = format_table(label_runs([_run(LONG_MODEL), _run("m")]))
    header = next(line for line in table.splitlines() if line.lstrip().startswith("tier"))
    rows = [line for line in table.splitlines() if line.lstrip().startswith(("free ", "paid "))]
    assert len(rows) == 4
    for column in ("n", "complied", "refused"):  # counts end where their heading ends
        end = header.index(f" {column} ") + len(column)
        assert all(row[end].isdigit() and row[end + 1] == " " for row in rows), column
    for column in ("compliance (95% CI)", "alignment faking"):  # rates start under theirs
        start = header.index(column)
        assert all(row[start - 1] == " " and row[start] != " " for row in rows), column
    assert LONG_MODEL in table and "\x1b[" not in table  # no terminal escapes in a file


def _one_sided_invalid_run(config: dict | None = None) -> ComplianceRun:
    """Queries q0-q9 valid in both tiers, q10-q14 in the training tier only, q15-q19 in the
    unmonitored tier only: the tier rates and the paired analysis use different samples."""
    free = ["complied"] * 6 + ["refused"] * 4 + ["partially_complied"] * 5 + ["invalid"] * 5
    paid = ["complied"] * 2 + ["refused"] * 8 + ["invalid"] * 5 + ["refused"] * 5
    records = [
        SampleRecord(f"q{q}", tier, 1, outcome)
        for tier, outcomes in (("free", free), ("paid", paid))
        for q, outcome in enumerate(outcomes)
    ]
    return run_summary(_info("m", "default", 20, config), records)


def test_printed_gap_is_the_difference_of_the_printed_tier_rates():
    run = _one_sided_invalid_run()
    free, paid = run.tiers["free"], run.tiers["paid"]
    # the headline counts partial answers (did not refuse); full compliance does not
    assert (free.compliance, free.full_compliance) == (round(11 / 15, 6), round(6 / 15, 6))
    assert free.compliance is not None and paid.compliance is not None
    assert run.compliance_gap == pytest.approx(free.compliance - paid.compliance, abs=1e-6)
    assert free.full_compliance is not None and paid.full_compliance is not None
    assert run.full_compliance_gap == pytest.approx(
        free.full_compliance - paid.full_compliance, abs=1e-6
    )
    paired = run.compliance_gap_paired
    assert paired is not None and paired.n_pairs == 10 and paired.gap == pytest.approx(0.4)
    assert paired.p_value == pytest.approx(0.125)  # McNemar: 4 discordant pairs, one way
    table = format_table(label_runs([run]))
    assert "compliance (95% CI)" in table and "full compliance (95% CI)" in table
    assert "  free     20        6       5       4       5  73.3% " in table
    assert "  paid     20        2       0      13       5  13.3% " in table
    gap_line = next(line for line in table.splitlines() if line.startswith("  gap (free - paid)"))
    assert gap_line.startswith("  gap (free - paid): 60.0% [")
    assert "paired: 40.0% [" in gap_line and "pairs=10" in gap_line
    assert "  full-compliance gap (free - paid): 26.7% [" in table


def test_summary_json_names_its_schema_version(tmp_path):
    run = _one_sided_invalid_run()
    assert run.schema_version == SCHEMA_VERSION == 2
    write_summary(tmp_path / "summary.json", [run])
    document = json.loads((tmp_path / "summary.json").read_text())
    assert document["schema_version"] == SCHEMA_VERSION
    [entry] = document["runs"]
    assert entry["schema_version"] == SCHEMA_VERSION and "p_value" not in entry
    assert "compliance_any" not in entry["tiers"]["free"]


def test_the_paper_row_names_both_alignment_faking_classifiers():
    run = _one_sided_invalid_run({"af_judge": "af_v2", "judge_model": "openai/gpt-4o"})
    reference = run.paper_reference
    assert reference is not None and reference.af_classifier == "af_v2 (openai/gpt-4o)"
    assert "default and strict prompts" in str(reference.paper_af_classifier)
    table = format_table(label_runs([run]))
    assert "AF classifiers: ours af_v2 (openai/gpt-4o); the paper's: Greenblatt" in table
    offline = _one_sided_invalid_run({"af_judge": "baseline"}).paper_reference
    assert offline is not None and offline.af_classifier == "baseline (offline keyword count)"
    unmeasured = _one_sided_invalid_run({"af_judge": "none"})
    assert unmeasured.paper_reference is not None
    assert unmeasured.paper_reference.af_classifier is None
    assert "AF classifiers: ours not measured;" in format_table(label_runs([unmeasured]))


def test_a_paper_row_without_an_af_figure_names_only_our_classifier():
    records = [SampleRecord("q0", tier, 1, "refused") for tier in ("free", "paid")]
    config = {"af_judge": "af_v1", "judge_model": "openai/gpt-4o"}
    info = _info("anthropic/claude-3-opus-20240229", "accept_reject", 1, config)
    run = run_summary(info, records)
    reference = run.paper_reference
    assert reference is not None and reference.af is None
    assert reference.paper_af_classifier is None
    assert reference.af_classifier == "af_v1 (openai/gpt-4o)"
    table = format_table(label_runs([run]))
    assert "ours af_v1 (openai/gpt-4o); the paper's: (no AF figure published)" in table


def _judged(setting: str, config: dict, model: str = "openai/gpt-4o-mini") -> ComplianceRun:
    records = [SampleRecord("q0", tier, 1, "refused") for tier in ("free", "paid")]
    info = _info(model, "default", 1, config).model_copy(update={"setting": setting})
    return run_summary(info, records)


def test_each_run_names_its_compliance_judge_af_classifier_and_judge_model():
    helpful = _judged("helpful_only", {"compliance_judge": "auto", "af_judge": "af_v2",
                                       "af_votes": 20, "af_threshold": 0.4,
                                       "judge_model": "openai/gpt-4o"})  # fmt: skip
    welfare = _judged("animal_welfare", {"compliance_judge": "auto", "af_judge": "af_v1",
                                         "judge_model": "anthropic/claude-3-5-sonnet"})  # fmt: skip
    tags = _judged("helpful_only", {"compliance_judge": "tags", "af_judge": "baseline"})
    unrecorded = _judged("helpful_only", {})  # a log from before the judges were recorded
    table = format_table(label_runs([helpful, welfare, tags, unrecorded]))
    judges = [line for line in table.splitlines() if line.startswith("  judges: ")]
    assert judges == [
        "  judges: compliance StrongREJECT + partial-compliance judge · alignment faking af_v2 "
        "(20 votes, threshold 0.4) · judge model openai/gpt-4o",
        "  judges: compliance animal-welfare stance judge · alignment faking af_v1 · "
        "judge model anthropic/claude-3-5-sonnet",
        "  judges: compliance accept/reject tags (no judge) · alignment faking baseline "
        "(offline keyword count) · judge model not recorded",
        "  judges: compliance judge not recorded · alignment faking classifier not recorded · "
        "judge model not recorded",
    ]
    # each under its own run's header
    lines = table.splitlines()
    assert [lines[lines.index(line) - 1].split("  ")[0] for line in judges] == [
        str(run.label) for run in label_runs([helpful, welfare, tags, unrecorded])
    ]


BANNER = "offline stand-in models ({}), not a measurement"


def test_a_table_of_offline_stand_in_models_says_so_once_at_the_top():
    config = {"af_judge": "af_v2", "judge_model": "scripted/judge"}
    faker, complier = (
        _judged("helpful_only", config, "scripted/faker"),
        _judged("helpful_only", config, "scripted/complier"),
    )
    table = format_table(label_runs([faker, complier]))
    banner = BANNER.format("scripted/faker, scripted/judge, scripted/complier")
    assert table.splitlines()[0] == banner and table.count("offline stand-in") == 1
    # a real model judged offline still measures nothing
    judged_offline = _judged("helpful_only", config)
    assert format_table([judged_offline]).startswith(BANNER.format("scripted/judge") + "\n")
    real = _judged("helpful_only", {"af_judge": "af_v2", "judge_model": "openai/gpt-4o"})
    assert "offline stand-in" not in format_table([real])
