"""Calling Inspect's eval: its keyword arguments, the samples in flight, and the logs of a run
however it stopped."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from inspect_ai.log import EvalLog, list_eval_logs
from inspect_ai.model import Model

from alignment_faking.inspect.caching import model_identity
from alignment_faking.inspect.eval_logs.discovery import read_header
from alignment_faking.inspect.eval_logs.runs import MODEL_IDENTITY
from alignment_faking.inspect.eval_logs.shards import Shard, shard_of
from alignment_faking.inspect.judging import GRADER_ROLE
from alignment_faking.options import RunOptions


def identity_metadata(model: Model) -> dict[str, Any]:
    """The eval metadata that names the model under test exactly (endpoint, every argument, a
    fingerprint of local weights: what its cached answers are keyed on), so that a later run
    counts as a repeat of this one only when it asked the very same model."""
    return {MODEL_IDENTITY: model_identity(model)}


def now() -> datetime:
    """The time a run starts, to find its logs and count its calls by."""
    return datetime.now(UTC)


def eval_options(options: RunOptions) -> dict[str, Any]:
    """`inspect eval`'s keyword arguments: the eval options under their names, and when to stop."""
    share = options.max_error_share
    # Inspect stops a run once sample errors reach the share (1 would mean one error)
    return asdict(options.eval) | {"fail_on_error": share if share < 1 else False}


def eval_arguments(
    options: RunOptions, model: Model, roles: dict[str, Model] | None
) -> dict[str, Any]:
    """What every eval (or retry) of a run passes Inspect: the eval options and the samples in
    flight."""
    return eval_options(options) | max_samples(options, model, roles)


def max_samples(
    options: RunOptions, model: Model, roles: dict[str, Model] | None
) -> dict[str, int]:
    """Samples in flight, unless --max-samples says: enough to keep the model's connections
    busy while other samples are judged, scored and logged. A sample holds its place until it
    is done, so Inspect's default (the connections plus one) leaves connections idle: measured
    0.68 of ideal throughput against 0.78 with twice the connections, and a judged run waits
    on its judge with the policy's connections idle."""
    if options.eval.max_samples is not None:
        return {}
    policy = options.eval.max_connections or model.api.max_connections()
    judge = roles[GRADER_ROLE] if roles else None
    spare = (judge.config.max_connections or judge.api.max_connections()) if judge else policy
    return {"max_samples": policy + spare}


def same_task(name: str, shard: Shard | None, header: EvalLog) -> bool:
    """Whether a log is of the registered task `name`, and of this shard of it (None: unsharded)."""
    return header.eval.task_registry_name == name and shard_of(header) == shard


def or_interrupted(
    run_eval: Callable[[], list[EvalLog]],
    log_dir: str,
    started: datetime,
    ours: Callable[[EvalLog], bool],
) -> list[EvalLog]:
    """The logs of an Inspect run, also of one stopped by Ctrl-C.

    Inspect then cancels the samples in flight and logs the run as cancelled, but returns no
    log (or raises KeyboardInterrupt): they are then read back, the folder's logs that started
    since `started` and are `ours`, newest first. KeyboardInterrupt when there is none.
    """
    try:
        logs = run_eval()
    except KeyboardInterrupt:
        logs = []
    if logs:
        return logs
    since = started.replace(microsecond=0)  # Inspect logs the start to the second
    found = [
        header
        for info in list_eval_logs(log_dir)
        if (header := read_header(info.name, note=lambda _: None)) is not None
        and header.stats.started_at
        and datetime.fromisoformat(header.stats.started_at) >= since
        and ours(header)
    ]
    if not found:
        raise KeyboardInterrupt
    return [cancelled_if_cut(header) for header in found]


def cancelled_if_cut(header: EvalLog) -> EvalLog:
    """A log cut short before Inspect could finish it counts as cancelled."""
    if header.status != "started":
        return header
    return header.model_copy(update={"status": "cancelled"})
