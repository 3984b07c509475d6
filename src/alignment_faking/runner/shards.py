"""`run --shards`: one run in several Inspect processes, each over a share of its queries, and
the shards a resume finishes."""

from __future__ import annotations

import signal
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, replace
from functools import partial
from multiprocessing import get_context
from pathlib import Path

from inspect_ai import Task, eval_retry
from inspect_ai import eval as inspect_eval
from inspect_ai.dataset import Sample
from inspect_ai.log import EvalLog, read_eval_log
from inspect_ai.model import Model

from alignment_faking.errors import UserError
from alignment_faking.inspect.eval_logs.discovery import local_path
from alignment_faking.inspect.eval_logs.resume import finished_samples, unfinished_shards
from alignment_faking.inspect.eval_logs.shards import SHARD, Shard
from alignment_faking.inspect.models import resolve_model
from alignment_faking.inspect.solvers import answer_model_args
from alignment_faking.options import RunOptions
from alignment_faking.runner.evals import (
    cancelled_if_cut,
    eval_arguments,
    identity_metadata,
    now,
    or_interrupted,
    same_task,
)
from alignment_faking.runner.locks import resume_lock
from alignment_faking.runner.plan import check_budget, task_plan
from alignment_faking.runner.tasks import TaskCall, judge_roles


def run_sharded(
    options: RunOptions, call: TaskCall, planned: Task, model: Model, echo: Callable[[str], None]
) -> list[EvalLog]:
    """The run in `options.shards` processes, each over a share of the queries with a share of
    the connections; with --resume, only the shards of the last sharded run left unfinished.

    One process's event loop caps a run's pace (Inspect alone costs about 16 ms of CPU a
    sample); a fast local server can take more than that, and shards are the way past it.
    """
    count = options.shards
    queries = len(_query_ids(planned))
    if count > queries:
        raise UserError(f"--shards {count} is more than the run's {queries} queries")
    find = partial(
        unfinished_shards, options.eval.log_dir, call.name, str(model), call.identity, count
    )
    resumed = find() if options.resume else None
    if resumed is None:
        return _shards(options, call, planned, model, echo, None)
    name = f"the sharded run {resumed[0]} in {options.eval.log_dir}"
    with resume_lock(options.eval.log_dir, resumed[0], name):
        # read again: a resume that held the lock may have finished it
        resumed = find() or resumed
        if not resumed[1]:
            echo(f"nothing to resume: {name} finished with every sample")
            return []
        return _shards(options, call, planned, model, echo, resumed)


def _shards(
    options: RunOptions,
    call: TaskCall,
    planned: Task,
    model: Model,
    echo: Callable[[str], None],
    resumed: tuple[str, list[tuple[int, str | None]]] | None,
) -> list[EvalLog]:
    """The shards of a run, or the `resumed` ones of an earlier run, each in its own process."""
    count = options.shards
    group, jobs = resumed or (uuid.uuid4().hex[:12], [(i, None) for i in range(count)])
    done = {
        pair
        for index, location in jobs
        if location is not None
        for pair in finished_samples(location)
    }
    if resumed:
        echo(f"resuming {len(jobs)} of {count} shards: {len(done)} samples already done")
    # the plan counts only what is still to ask: not the finished shards' samples either
    asked = {sample for index, _ in jobs for sample in shard_samples(planned, index, count)}
    elsewhere = {
        (str(s.id), epoch)
        for s in planned.dataset
        if str(s.id) not in asked
        for epoch in range(1, (planned.epochs or 1) + 1)
    }
    plan = task_plan(planned, str(model), options.judges, options.cost.expected_output_tokens,
                     frozenset(done | elsewhere))  # fmt: skip
    if not check_budget(plan, options, echo):
        return []
    policy = options.eval.max_connections or model.api.max_connections()
    share = replace(
        options,
        eval=replace(
            options.eval,
            max_connections=-(-policy // count),
            max_samples=None
            if options.eval.max_samples is None
            else -(-options.eval.max_samples // count),
            display="none",
        ),
    )
    echo(f"{count} shards, {share.eval.max_connections} connections each")
    locations: list[str] = []
    with ProcessPoolExecutor(
        len(jobs), mp_context=get_context("spawn"), initializer=_ignore_interrupts
    ) as pool:
        running = {
            pool.submit(run_shard, share, call, index, group, location): index
            for index, location in jobs
        }
        try:
            for future in as_completed(running):
                locations.append(future.result())
                finished = local_path(locations[-1])
                echo(f"shard {running[future] + 1} of {count} finished: {finished}")
        except KeyboardInterrupt:  # Ctrl-C reached the shards too: each logs its run, cancelled
            locations = [future.result() for future in running]
    return [cancelled_if_cut(read_eval_log(location, header_only=True)) for location in locations]


def _ignore_interrupts() -> None:
    """A shard process waiting for work ignores Ctrl-C: dying there would break the pool and
    kill the shards still running (run_shard takes Ctrl-C while its run is on)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _query_ids(task: Task) -> list[str]:
    return sorted({_query_id(s) for s in task.dataset})


def _query_id(sample: Sample) -> str:
    return str((sample.metadata or {})["query_id"])


def shard_samples(task: Task, index: int, count: int) -> list[str]:
    """The sample ids of one shard: every `count`th query from the `index`th, in every tier."""
    mine = set(_query_ids(task)[index::count])
    return [str(s.id) for s in task.dataset if _query_id(s) in mine]


def run_shard(
    options: RunOptions, call: TaskCall, index: int, group: str, unfinished: str | None
) -> str:
    """One shard of a run, in its own process: its queries, or the retry of its unfinished log.
    Returns the location of the shard's log, a cancelled one after Ctrl-C."""
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Inspect's Ctrl-C, while running
    try:
        model = resolve_model(
            options.model,
            answer_model_args(
                options.model, options.model_args, options.task.prefill, [options.task.variation]
            ),
        )
        roles = judge_roles(
            options.setting, options.judges, options.eval.max_connections, options.evaluation
        )
        common = eval_arguments(options, model, roles)
        shard = Shard(group=group, index=index, count=options.shards)
        started, ours = now(), partial(same_task, call.name, shard)
        if unfinished is not None:
            [log] = or_interrupted(
                lambda: eval_retry(unfinished, **common), options.eval.log_dir, started, ours
            )[:1]
            if log.status == "success":
                Path(local_path(unfinished)).unlink()  # superseded by the completed log
            return log.location
        task = call.build()
        [log] = or_interrupted(
            lambda: inspect_eval(
                task,
                model=model,
                model_roles=roles,
                sample_id=shard_samples(task, index, options.shards),
                metadata={SHARD: shard, **identity_metadata(model)},
                **asdict(call.generate),
                **common,
            ),
            options.eval.log_dir,
            started,
            ours,
        )[:1]
        return log.location
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
