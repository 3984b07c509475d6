"""What a resume or a re-run finds in a log folder: the last log of the same run, its finished
samples, the shards a sharded run left unfinished, and a run of the same that finished."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inspect_ai.log import (
    EvalLog,
    list_eval_logs,
    read_eval_log,
    read_eval_log_sample_summaries,
)

from alignment_faking.inspect.eval_logs.discovery import (
    Note,
    note_to_stderr,
    read_header,
)
from alignment_faking.inspect.eval_logs.runs import run_args
from alignment_faking.inspect.eval_logs.samples import SCORING_ONLY
from alignment_faking.inspect.eval_logs.shards import shard_of


def last_log(
    log_dir: str, task_name: str, model: str, task_args: dict[str, Any], note: Note = note_to_stderr
) -> EvalLog | None:
    """The header of the newest log in the directory of the same run in one process, if any."""
    return next(
        (h for h in same_runs(log_dir, task_name, model, task_args, note) if shard_of(h) is None),
        None,
    )


def unfinished(header: EvalLog) -> bool:
    """Whether a retry of a log has samples to ask: the run stopped early, or it finished with
    samples that errored (provider errors under --max-error-share do not fail a run)."""
    if header.status != "success":
        return True
    return any(s.error for s in read_eval_log_sample_summaries(header.location))


def same_runs(
    log_dir: str, task_name: str, model: str, task_args: dict[str, Any], note: Note = note_to_stderr
) -> list[EvalLog]:
    """Headers of the logs in the directory of this task, model and arguments, newest first;
    files that are not readable logs are skipped (and noted)."""
    if not Path(log_dir).is_dir():
        return []
    headers = [read_header(info.name, note) for info in list_eval_logs(log_dir)]
    return [
        header
        for header in headers
        if header is not None and _is_run(header, task_name, model, task_args)
    ]


def _is_run(header: EvalLog, task_name: str, model: str, task_args: dict[str, Any]) -> bool:
    """Whether a log is of this task, model and arguments."""
    return (
        header.eval.task_registry_name == task_name
        and header.eval.model == model
        and all(run_args(header).get(k) == v for k, v in task_args.items())
    )


def unfinished_shards(
    log_dir: str, task_name: str, model: str, task_args: dict[str, Any], count: int
) -> tuple[str, list[tuple[int, str | None]]] | None:
    """The newest sharded run of the same run, if any: its group id, and each shard left to do
    with its unfinished log (None for a shard that never wrote one); none left: nothing to resume."""
    shards = [
        (shard, h)
        for h in same_runs(log_dir, task_name, model, task_args)
        if (shard := shard_of(h)) is not None and shard["count"] == count
    ]
    if not shards:
        return None
    group = shards[0][0]["group"]
    newest: dict[int, EvalLog] = {}
    for shard, header in shards:  # newest first: a retry's log wins over the attempt it retried
        if shard["group"] == group:
            newest.setdefault(int(shard["index"]), header)
    todo = [
        (index, None if index not in newest else newest[index].location)
        for index in range(count)
        if index not in newest or unfinished(newest[index])
    ]
    return group, todo


def finished_samples(log_file: str) -> frozenset[tuple[str, int]]:
    """(sample id, epoch) of the samples a log holds that a retry keeps (those without an error)."""
    log = read_eval_log(log_file, exclude_fields=SCORING_ONLY)
    return frozenset((str(s.id), s.epoch) for s in log.samples or [] if s.error is None)
