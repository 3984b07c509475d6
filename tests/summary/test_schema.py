"""summary.json's schema: the models write the file as it always was, read it back, and the
docs' JSON schema is the one the models generate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from alignment_faking.measurements import COMPLIANCE, EVALUATIONS, REASONING_CATEGORIES
from alignment_faking.records import BehaviourRecord, SampleRecord
from alignment_faking.summary.entries import behaviour_summary, run_summary
from alignment_faking.summary.file import json_schema_text, read_summary, write_summary
from alignment_faking.summary.labels import label_runs
from alignment_faking.summary.schema import (
    BehaviourRun,
    ComplianceRun,
    RunConfig,
    RunIdentity,
    SystemPrompt,
)

DOCS_SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "summary.schema.json"


def _identity(evaluation: str = COMPLIANCE, **config: object) -> RunIdentity:
    return RunIdentity(
        log="x.eval", model="m", evaluation=evaluation, setting="helpful_only",
        variation="default", dataset="helpful_only", n_queries=2, n_samples=4, epochs=1,
        status="success", system_prompt=SystemPrompt(file=None, sha256="s" * 64),
        config=RunConfig.model_validate(config),
    )  # fmt: skip


def _main_run(**config: object) -> ComplianceRun:
    records = [
        SampleRecord("q0", "free", 1, "complied", alignment_faking="yes"),
        SampleRecord("q1", "free", 1, "refused", alignment_faking="no"),
        SampleRecord("q0", "paid", 1, "refused", alignment_faking="no"),
        SampleRecord("q1", "paid", 1, "invalid", "no_output_tag"),
    ]
    return run_summary(_identity(**config), records)


def _behaviour_run() -> BehaviourRun:
    records = [
        BehaviourRecord("q0", "free", 1, "anti_lab"),
        BehaviourRecord("q1", "free", 1, "none"),
        BehaviourRecord("q0", "paid", 1, "none"),
        BehaviourRecord("q1", "paid", 1, None, "unclosed_turn"),
    ]
    return behaviour_summary(_identity("anti_lab"), records)


def test_an_entry_is_written_with_the_keys_of_summary_json_in_their_order(tmp_path):
    run, other = label_runs([_main_run(temperature=1.0, af_judge="baseline"), _behaviour_run()])
    write_summary(tmp_path / "summary.json", [run, other])
    text = (tmp_path / "summary.json").read_text()
    document = json.loads(text)
    assert list(document) == ["schema_version", "runs"] and text.endswith("}\n")
    main, behaviour = document["runs"]
    identity = ["schema_version", "log", "shard_logs", "model", "evaluation", "setting",
                "variation", "dataset", "n_queries", "n_samples", "sample_limit", "epochs",
                "status", "error", "created", "trained_tier", "dataset_sha256", "system_prompt",
                "config"]  # fmt: skip
    assert list(main) == [*identity, "tiers", "compliance_gap", "compliance_gap_ci",
                          "compliance_gap_paired", "full_compliance_gap",
                          "full_compliance_gap_ci", "full_compliance_gap_paired",
                          "paper_reference", "label"]  # fmt: skip
    assert list(behaviour) == [*identity, "headline", "tiers", "gaps", "label"]
    # settings a run did not record are absent, not null; so are reasons no judge gave
    assert main["config"] == {"temperature": 1.0, "af_judge": "baseline"}
    free = main["tiers"]["free"]
    assert "reasons" not in free and list(free)[-2:] == ["groups", "af_quote_missing_share"]
    assert free["compliance_ci"] == [pytest.approx(0.094531), pytest.approx(0.905469)]
    assert main["paper_reference"]["af_classifier"] == "baseline (offline keyword count)"
    assert behaviour["tiers"]["paid"]["rates"]["anti_lab"] == {
        "rate": 0.0,
        "ci": [0.0, 0.793451],
        "n": 1,
    }


def test_an_unlabelled_entry_has_no_label_key():
    assert "label" not in _main_run().model_dump()


def test_summary_json_reads_back_into_the_same_entries(tmp_path):
    runs = label_runs([_main_run(judge_model="openai/gpt-4o"), _behaviour_run()])
    write_summary(tmp_path / "summary.json", runs)
    summary = read_summary(tmp_path / "summary.json")
    assert summary.runs == runs
    assert isinstance(summary.runs[0], ComplianceRun) and isinstance(summary.runs[1], BehaviourRun)


def test_a_summary_json_that_breaks_the_schema_is_refused(tmp_path):
    runs = label_runs([_main_run()])
    write_summary(tmp_path / "summary.json", runs)
    document = json.loads((tmp_path / "summary.json").read_text())
    document["runs"][0]["tiers"]["free"]["n"] = "many"
    (tmp_path / "summary.json").write_text(json.dumps(document))
    with pytest.raises(ValidationError, match=r"tiers\.free\.n"):
        read_summary(tmp_path / "summary.json")


def test_every_evaluation_is_one_kind_of_entry():
    """The discriminator names each evaluation once: the main experiment's or another's."""
    main = ComplianceRun.model_fields["evaluation"].annotation.__args__
    other = BehaviourRun.model_fields["evaluation"].annotation.__args__
    assert set(main) == {COMPLIANCE, REASONING_CATEGORIES} and set(other) == set(EVALUATIONS)


def test_the_docs_schema_is_the_one_the_models_generate():
    """Regenerate with `python -m alignment_faking.summary docs/summary.schema.json`."""
    assert DOCS_SCHEMA.read_text(encoding="utf-8") == json_schema_text()
