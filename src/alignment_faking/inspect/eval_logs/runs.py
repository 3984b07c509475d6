"""What a logged run was: its scenario, arguments, generation settings and judge, and its
summary.json entry."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from inspect_ai.log import EvalLog

from alignment_faking.inspect.eval_logs.discovery import Note, note_to_stderr, run_headers
from alignment_faking.inspect.eval_logs.records import is_behaviour_run, run_records
from alignment_faking.inspect.eval_logs.shards import SHARD_LOGS
from alignment_faking.inspect.judging import GRADER_ROLE, JUDGE_ROLE
from alignment_faking.measurements import COMPLIANCE
from alignment_faking.records import BehaviourRecord, SampleRecord
from alignment_faking.scenario import get_variation, setting_spec
from alignment_faking.scenario.paper import is_paper_prompt
from alignment_faking.scenario.paper import resolve as resolve_paper_prompt
from alignment_faking.scenario.settings import trained_tier_in
from alignment_faking.summary.entries import behaviour_summary, run_summary
from alignment_faking.summary.labels import Run, label_runs
from alignment_faking.summary.schema import RunConfig, RunIdentity, SystemPrompt


def summarize_logs(paths: Sequence[str], note: Note = note_to_stderr) -> list[Run]:
    """Summaries of every alignment-faking run logged in the given files or directories, each
    repeat of an earlier one marked, labelled."""
    headers = run_headers(paths, note)
    return label_runs(mark_repeats(headers, [log_summary(log) for log in headers]))


MODEL_IDENTITY = "model_identity"
"""Eval metadata `run` records: the model under test as its cache keys name it (endpoint, every
argument, local weights' fingerprint); a log without it is never taken for a repeat."""

NOT_IDENTITY = ("cache",)
"""Task arguments that do not make a run another one: whether its answers may come from the
cache."""


REPEAT_FIELDS = (
    "evaluation", "setting", "variation", "dataset", "dataset_sha256", "system_prompt",
    "sample_limit", "n_queries", "n_samples", "epochs", "trained_tier", "config",
)  # fmt: skip
"""What a summary records of a run that a repeat of it has the same."""


def _repeat_key(log: EvalLog, run: Run) -> str:
    """What two logs share when they are the same run asked twice: the task, model, arguments
    and generation settings (as a resume matches them), Inspect's sample selection, the content
    of the dataset and prompt, and the judges and sizes the summary records (a rescore changes
    them)."""
    identity = (log.eval.metadata or {}).get(MODEL_IDENTITY)
    if identity is None:  # which weights answered is unknown: no run is known to be the same
        return f"unknown model identity: {run.log}"
    args = {k: v for k, v in run_args(log).items() if k not in NOT_IDENTITY}
    asked = [log.eval.task_registry_name, identity, args, log.eval.config.sample_id]
    recorded = run.model_dump(include=set(REPEAT_FIELDS))
    return json.dumps([asked, recorded], sort_keys=True, default=str)


def mark_repeats(logs: Sequence[EvalLog], runs: Sequence[Run]) -> list[Run]:
    """The runs (summaries of these logs, in order), each the same as an earlier one given its
    `repeat_of`: the first such run's log. A repeat is no independent run (`--no-cache` asked
    the same again), so the tables label it and the figures leave it out."""
    first: dict[str, str] = {}
    marked = []
    for log, run in zip(logs, runs, strict=True):
        if run.status != "success":  # a run that did not finish is no measurement to repeat
            marked.append(run)
            continue
        original = first.setdefault(_repeat_key(log, run), run.log)
        marked.append(
            run if original == run.log else run.model_copy(update={"repeat_of": original})
        )
    return marked


def log_summary(
    log: EvalLog, records: Sequence[SampleRecord | BehaviourRecord] | None = None
) -> Run:
    """The summary.json entry of a run, whichever evaluation it is."""
    records = run_records(log) if records is None else records
    info = run_info(log, records)
    if is_behaviour_run(log):
        return behaviour_summary(info, [r for r in records if isinstance(r, BehaviourRecord)])
    return run_summary(info, [r for r in records if isinstance(r, SampleRecord)])


GENERATION_CONFIG = (
    "temperature", "max_tokens", "top_p", "top_k", "seed", "reasoning_effort", "reasoning_tokens",
)  # fmt: skip
"""Generation settings that change what the model writes, recorded in a run's summary when set."""
RUN_CONFIG = (
    "turns",
    "prefill",
    "compliance_judge",
    "af_judge",
    "af_quote_check",
    "af_votes",
    "af_threshold",
)
"""Task metadata that changes a run's figures, recorded in its summary."""


def asked_decision_tags(meta: Mapping[str, Any]) -> bool:
    """Whether a run's user turn asked for the accept/reject tags, from its task metadata.

    Logs from before task version 6 do not record it: their helpful-only turn always asked.
    """
    return bool(meta.get("decision_tags", setting_spec(meta["setting"]).decision_tags))


def had_scratchpad(meta: Mapping[str, Any]) -> bool:
    """Whether a run's scenario had a hidden scratchpad, from its task metadata.

    Logs from before task version 6 do not record it: the paper prompt they name says, else
    their variation.
    """
    if "scratchpad" in meta:
        return bool(meta["scratchpad"])
    prompt = meta.get("system_prompt_file")
    if is_paper_prompt(prompt):
        return resolve_paper_prompt(prompt).scratchpad
    return get_variation(meta["variation"]).scratchpad


def generation_config(log: EvalLog) -> dict[str, Any]:
    """The generation settings the model under test was called with, as the log records them.

    Not the task's metadata: that holds the task's arguments, which `inspect eval --temperature`
    or `--max-tokens` override in the plan's config. Inspect calls the model with its own
    config overlaid by the plan's, so that is what is read here.
    """
    config = log.eval.model_generate_config.merge(log.plan.config)
    return {key: value for key in GENERATION_CONFIG if (value := getattr(config, key)) is not None}


def run_args(log: EvalLog) -> dict[str, Any]:
    """What a run was asked with, as a resume matches it: its task's arguments and the model
    under test's epochs and generation settings (Inspect's own eval() arguments)."""
    epochs = {"epochs": log.eval.config.epochs or 1}
    return log.eval.task_args | epochs | generation_config(log)


def _judge_model(log: EvalLog) -> str | None:
    """The judge model: the one a rescore used, else the run's `grader` role (`judge` in logs
    written before it took Inspect's name)."""
    metadata = log.eval.metadata or {}
    if "judge_model" in metadata:
        return metadata["judge_model"]
    roles = log.eval.model_roles or {}
    judge = roles.get(GRADER_ROLE, roles.get(JUDGE_ROLE))
    if judge is None:
        return None
    return ",".join(c.model for c in (judge if isinstance(judge, list) else [judge]))


def run_info(log: EvalLog, records: Sequence[SampleRecord | BehaviourRecord]) -> RunIdentity:
    """What identifies the run of a log, its sizes counted from the samples it holds.

    The task's metadata says how many queries the task was built with; Inspect's `--limit` or
    `--sample-id` ask fewer, and an interrupted run holds fewer still, so the counts a
    summary shows are those of the samples present (`records`, every shard's, as read once by
    the caller).
    """
    meta = log.eval.metadata or {}
    limit = log.eval.config.limit
    return RunIdentity(
        log=log.location,
        shard_logs=meta.get(SHARD_LOGS, []),
        model=log.eval.model,
        evaluation=meta.get("evaluation", COMPLIANCE),
        setting=meta.get("setting", log.eval.task),
        variation=meta.get("variation", "unknown"),
        scratchpad_prefill=meta.get("scratchpad_prefill"),
        dataset=meta.get("dataset", log.eval.dataset.name or "unknown"),
        n_queries=len({record.query_id for record in records}),
        n_samples=len(records),
        sample_limit=list(limit) if isinstance(limit, tuple) else limit,
        epochs=log.eval.config.epochs or 1,
        status=log.status,
        error=log.error.message.splitlines()[0] if log.error and log.error.message else None,
        created=log.eval.created,
        trained_tier=trained_tier_in(meta),
        dataset_sha256=meta.get("dataset_sha256"),
        system_prompt=SystemPrompt(
            file=meta.get("system_prompt_file"), sha256=meta.get("system_prompt_sha256")
        ),
        config=RunConfig.model_validate(
            generation_config(log)
            | {key: meta[key] for key in RUN_CONFIG if meta.get(key) is not None}
            | ({"judge_model": judge} if (judge := _judge_model(log)) else {})
        ),
    )
