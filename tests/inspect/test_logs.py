"""Reading runs back from logs: the cheap reads agree with Inspect's whole-sample reader."""

from __future__ import annotations

import json

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.event import ModelEvent
from inspect_ai.log import read_eval_log

from alignment_faking.cli import main
from alignment_faking.inspect.eval_logs.records import run_records, sample_record
from alignment_faking.inspect.eval_logs.runs import summarize_logs
from alignment_faking.inspect.eval_logs.usage import actual_usage
from alignment_faking.inspect.task import alignment_faking_task
from alignment_faking.summary.table import format_table

TAGS_ONLY = {"variation": "accept_reject", "compliance_judge": "tags", "af_judge": "none"}
"""Task arguments of a run read by the tags alone (no judge model): the variation that asks."""


def _usage_read_whole(location: str) -> dict[tuple[str, str], tuple[int, int, int]]:
    """What actual_usage must find, through Inspect's own reader."""
    tallies: dict[tuple[str, str], list[int]] = {}
    for sample in read_eval_log(location).samples or []:
        for event in sample.events:
            if isinstance(event, ModelEvent) and event.cache != "read":
                role = event.role or "model"
                role = "judge" if role == "grader" else role  # the cost table's name for it
                tally = tallies.setdefault((role, event.model), [0, 0, 0])
                tally[0] += 1
                if event.output.usage:
                    tally[1] += event.output.usage.input_tokens
                    tally[2] += event.output.usage.output_tokens
    return {key: tuple(value) for key, value in tallies.items()}  # type: ignore[misc]


@pytest.mark.slow
@pytest.mark.parametrize("log_format", ["eval", "json"])
def test_records_and_usage_match_the_samples_read_whole(tmp_path, log_format):
    task = alignment_faking_task("helpful_only", queries=3, epochs=2, af_votes=3,
                                 judge_model="scripted/judge")  # fmt: skip
    [log] = inspect_eval(task, model="scripted/faker", model_roles={"judge": "scripted/judge"},
                         log_dir=str(tmp_path), log_format=log_format, display="none")  # fmt: skip
    header = read_eval_log(log.location, header_only=True)
    whole = read_eval_log(log.location)
    assert run_records(header) == [sample_record(s) for s in whole.samples or []]
    assert len(run_records(header)) == 12
    used = {(line.role, line.model): line for line in actual_usage(header)}
    expected = _usage_read_whole(log.location)
    assert {key: (u.calls, u.input_tokens, u.output_tokens) for key, u in used.items()} == expected
    assert (
        expected[("model", "scripted/faker")][0] == 12 and ("judge", "scripted/judge") in expected
    )


def _model_calls(location: str) -> list[ModelEvent]:
    """The calls to the model under test, as the log recorded them."""
    return [
        event
        for sample in read_eval_log(location).samples or []
        for event in sample.events
        if isinstance(event, ModelEvent) and event.role is None
    ]


@pytest.mark.slow
def test_a_run_started_with_inspect_eval_is_described_from_its_log(tmp_path, capsys):
    # what `inspect eval alignment_faking/helpful_only --model scripted/faker
    # -T judge_model=scripted/judge --temperature 0.3 --max-tokens 77 --limit 3` does
    [log] = inspect_eval("alignment_faking/helpful_only", model="scripted/faker",
                         task_args={"judge_model": "scripted/judge"}, temperature=0.3,
                         max_tokens=77, limit=3, log_dir=str(tmp_path), display="none")  # fmt: skip
    calls = _model_calls(log.location)
    assert {(c.config.temperature, c.config.max_tokens) for c in calls} == {(0.3, 77)}
    assert "temperature" not in log.eval.task_args  # Inspect's own flag carries it, not -T

    [entry] = summarize_logs([log.location])
    run = entry.model_dump(mode="json")  # as summary.json holds it
    assert run["config"]["temperature"] == 0.3 and run["config"]["max_tokens"] == 77
    # 3 samples: the first query in both tiers, the second in the free tier only
    assert run["n_samples"] == 3 and run["sample_limit"] == 3 and run["n_queries"] == 2
    assert (run["tiers"]["free"]["n"], run["tiers"]["paid"]["n"]) == (2, 1)
    assert "queries=2  samples=3  temperature=0.3  max_tokens=77" in format_table([entry])

    assert main(["summary", log.location]) == 0  # the CLI prints the same description
    assert "queries=2  samples=3  temperature=0.3  max_tokens=77" in capsys.readouterr().out


@pytest.mark.slow
def test_runs_that_differ_only_in_generation_settings_do_not_share_a_label(tmp_path):
    for temperature in (0.3, 0.7):
        inspect_eval("alignment_faking/helpful_only", model="scripted/faker",
                     task_args=TAGS_ONLY, temperature=temperature, limit=2,
                     log_dir=str(tmp_path), display="none")  # fmt: skip
    runs = [run.model_dump(mode="json") for run in summarize_logs([str(tmp_path)])]
    assert [run["config"]["temperature"] for run in runs] == [0.3, 0.7]
    assert runs[0]["label"].endswith("temperature=0.3")
    assert runs[1]["label"].endswith("temperature=0.7")


@pytest.mark.slow
def test_runs_that_differ_only_in_prefill_do_not_share_a_label(tmp_path):
    for prefill in (False, True):
        inspect_eval("alignment_faking/helpful_only", model="scripted/faker",
                     task_args=TAGS_ONLY | {"prefill": prefill}, limit=2,
                     log_dir=str(tmp_path), display="none")  # fmt: skip
    runs = [run.model_dump(mode="json") for run in summarize_logs([str(tmp_path)])]
    assert [run["config"]["prefill"] for run in runs] == [False, True]
    # prefill is what tells them apart: named in the label, not the runs' start times
    assert runs[0]["label"].endswith("prefill=False")
    assert runs[1]["label"].endswith("prefill=True")


@pytest.mark.slow
def test_a_run_of_alignment_faking_run_reports_its_own_settings(tmp_path):
    log_dir = tmp_path / "logs"
    code = main(["run", "--setting", "helpful_only", "--model", "scripted/faker", "--limit", "2",
                 "--temperature", "0.5", "--max-tokens", "500", "--compliance-judge", "tags",
                 "--variation", "accept_reject", "--af-judge", "none", "--log-dir", str(log_dir), "--display", "none",
                 "--no-report"])  # fmt: skip
    assert code == 0
    [run] = json.loads((log_dir / "summary.json").read_text())["runs"]
    assert run["config"]["temperature"] == 0.5 and run["config"]["max_tokens"] == 500
    assert run["n_queries"] == 2 and run["n_samples"] == 4 and run["sample_limit"] is None
    calls = _model_calls(run["log"])
    assert {(c.config.temperature, c.config.max_tokens) for c in calls} == {(0.5, 500)}
