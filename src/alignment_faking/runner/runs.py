"""`run`: one task built, planned, run through Inspect (in one process, or in shards) or
resumed, and summarised."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from functools import partial
from pathlib import Path

from inspect_ai import Task, eval_retry
from inspect_ai import eval as inspect_eval
from inspect_ai.log import EvalLog
from inspect_ai.model import Model

from alignment_faking.inspect.eval_logs.discovery import local_path
from alignment_faking.inspect.eval_logs.resume import (
    finished_samples,
    last_log,
    unfinished,
)
from alignment_faking.inspect.models import resolve_model
from alignment_faking.inspect.solvers import answer_model_args, check_prefill
from alignment_faking.options import RunOptions
from alignment_faking.runner.checks import check_log_dir, check_options
from alignment_faking.runner.evals import (
    eval_arguments,
    identity_metadata,
    now,
    or_interrupted,
    same_task,
)
from alignment_faking.runner.finish import finish
from alignment_faking.runner.locks import resume_lock
from alignment_faking.runner.plan import check_budget, task_plan
from alignment_faking.runner.shards import run_sharded
from alignment_faking.runner.tasks import TaskCall, judge_roles, planned_task, task_call
from alignment_faking.summary.labels import Run


def run(
    options: RunOptions, echo: Callable[[str], None] = print
) -> tuple[list[EvalLog], list[Run]]:
    """Build the task, plan its cost, run it, and write summary.json in the log directory.

    With --resume, the newest log of the same run is retried, asking only its missing and
    errored samples (none: nothing is run), under a lock a second resume of it finds taken.
    Without it, the same run asked again (its answers read back from the cache, or asked anew
    with --no-cache) is a repeat of the first: summary.json and the tables label it so, and the
    figures leave it out.
    """
    check_options(options)
    if not options.cost.dry_run:  # a dry run writes nothing
        check_log_dir(options.eval.log_dir)
    check_prefill(options.model, options.task.prefill, options.task.variation)
    judges = options.judges
    call = task_call(options, options.setting, options.task.variation)
    planned = planned_task(options, options.setting, options.task.variation)
    if options.cost.dry_run:  # the plan alone: no model is built, so no key is needed
        check_budget(
            task_plan(planned, options.model, judges, options.cost.expected_output_tokens),
            options,
            echo,
        )
        return [], []
    model = resolve_model(
        options.model,
        answer_model_args(
            options.model, options.model_args, options.task.prefill, [options.task.variation]
        ),
    )
    roles = judge_roles(options.setting, judges, options.eval.max_connections, options.evaluation)
    if options.shards > 1:
        started = now()
        logs = run_sharded(options, call, planned, model, echo)
        since = started if options.resume else None
        return finish(logs, options, echo, since) if logs else ([], [])
    find = partial(last_log, options.eval.log_dir, call.name, str(model), call.identity)
    previous = find() if options.resume else None
    if previous is None:
        return _run_once(options, call, planned, model, roles, None, echo)
    with resume_lock(options.eval.log_dir, previous.eval.task_id, local_path(previous.location)):
        # read again (its notes were given): a resume that held the lock may have finished it
        previous = find(note=lambda _: None) or previous
        if not unfinished(previous):
            echo(f"nothing to resume: {local_path(previous.location)} finished with every sample")
            return [], []
        return _run_once(options, call, planned, model, roles, previous.location, echo)


def _run_once(
    options: RunOptions,
    call: TaskCall,
    planned: Task,
    model: Model,
    roles: dict[str, Model] | None,
    retry: str | None,
    echo: Callable[[str], None],
) -> tuple[list[EvalLog], list[Run]]:
    """The run in this process: the task, or the retry of its log `retry` (which asks only the
    samples that log lacks or that errored there)."""
    done = finished_samples(retry) if retry else frozenset()
    if retry and done:
        echo(f"resuming {local_path(retry)}: {len(done)} samples already done")
    plan = task_plan(planned, str(model), options.judges, options.cost.expected_output_tokens, done)
    if not check_budget(plan, options, echo):
        return [], []
    common = eval_arguments(options, model, roles)
    run_eval = (
        (
            lambda: inspect_eval(
                call.build(),
                model=model,
                model_roles=roles,
                metadata=identity_metadata(model),
                **asdict(call.generate),
                **common,
            )
        )
        if retry is None
        else (lambda: eval_retry(retry, **common))
    )
    started = now()
    ours = partial(same_task, call.name, None)
    logs = or_interrupted(run_eval, options.eval.log_dir, started, ours)
    if retry is not None and all(log.status == "success" for log in logs):
        Path(local_path(retry)).unlink()  # superseded by the completed log
    return finish(logs, options, echo, started if retry else None)
