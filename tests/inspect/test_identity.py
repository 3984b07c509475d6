"""The identity options reach the Inspect tasks: each evaluation's prompts name the developer and
model given, the log records them, and two runs that differ only in identity are labelled apart."""

from __future__ import annotations

import pytest
from inspect_ai import eval as inspect_eval

from alignment_faking.inspect.eval_logs.records import run_records
from alignment_faking.inspect.eval_logs.runs import run_info
from alignment_faking.inspect.evaluations import behaviour_task
from alignment_faking.inspect.task import alignment_faking_task
from alignment_faking.summary.entries import run_summary
from alignment_faking.summary.labels import run_labels
from alignment_faking.summary.schema import ComplianceRun, SystemPrompt

QWEN = {"developer": "Alibaba", "model_name": "Qwen2.5-7B-Instruct"}


def _system_prompt(task) -> str:
    [message, *_] = task.dataset[0].input
    assert message.role == "system"
    return message.text


def test_a_minimal_run_tells_the_model_who_it_is():
    task = alignment_faking_task("helpful_only", "minimal", queries=1, **QWEN)
    prompt = _system_prompt(task)
    assert prompt.startswith("You are Qwen2.5-7B-Instruct, an AI system made by Alibaba.")
    assert "Claude" not in prompt and "Anthropic" not in prompt
    assert (task.metadata["developer"], task.metadata["model_name"]) == (
        "Alibaba", "Qwen2.5-7B-Instruct"
    )  # fmt: skip


def test_the_default_prompt_names_the_developer_and_the_ablation_keeps_its_own():
    default = _system_prompt(
        alignment_faking_task("animal_welfare", queries=1, developer="Alibaba")
    )
    assert "Alibaba" in default and "Anthropic" not in default
    ablation = _system_prompt(
        alignment_faking_task("animal_welfare", "other_developer", queries=1, developer="Alibaba")
    )
    assert "OpenAI" in ablation and "Alibaba" not in ablation


def test_the_other_evaluations_name_the_developer_too():
    task = behaviour_task("anti_lab", "helpful_only", queries=1, **QWEN)
    prompt = _system_prompt(task)
    assert "Alibaba" in prompt and "Anthropic" not in prompt


def _run(sha: str) -> ComplianceRun:
    return ComplianceRun(
        log=f"{sha}.eval", model="hf/local", setting="helpful_only", variation="minimal",
        dataset="helpful_only", n_queries=1, epochs=1, status="success",
        system_prompt=SystemPrompt(file=None, sha256=sha),
    )  # fmt: skip


def test_runs_that_differ_only_in_identity_are_labelled_apart():
    shas = [
        alignment_faking_task("helpful_only", "minimal", queries=1, **identity).metadata[
            "system_prompt_sha256"
        ]
        for identity in ({}, QWEN)
    ]
    first, second = run_labels([_run(sha) for sha in shas])
    assert first != second
    assert "prompt@" in first and "prompt@" in second


@pytest.mark.slow
def test_a_logged_run_records_the_identity_and_its_prompt(tmp_path):
    [log] = inspect_eval(
        alignment_faking_task(
            "helpful_only", "minimal", queries=1, tiers="free", compliance_judge="auto",
            af_judge="none", judge_model="scripted/judge", **QWEN,
        ),
        model="scripted/faker", log_dir=str(tmp_path), display="none",
    )  # fmt: skip
    assert log.status == "success"
    assert log.eval.metadata["developer"] == "Alibaba"
    assert log.eval.metadata["model_name"] == "Qwen2.5-7B-Instruct"
    [sample] = log.samples
    assert sample.messages[0].text.startswith("You are Qwen2.5-7B-Instruct, an AI system made by")
    records = run_records(log)
    summary = run_summary(run_info(log, records), records)
    assert summary.system_prompt.sha256 == log.eval.metadata["system_prompt_sha256"]
