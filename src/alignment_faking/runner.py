"""What the commands do: run, sweep, rescore and validate-judge through Inspect, and the run summaries."""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from functools import partial
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from inspect_ai import Task, eval_retry, eval_set
from inspect_ai import eval as inspect_eval
from inspect_ai import score as inspect_score
from inspect_ai.dataset import Sample
from inspect_ai.log import EvalLog, list_eval_logs, read_eval_log, write_eval_log
from inspect_ai.model import Model, get_model
from inspect_ai.util import DisplayType

from alignment_faking.cost import (
    PlanLine,
    PlannedSample,
    format_plan,
    load_prices,
    plan_run,
    total_cost,
)
from alignment_faking.errors import UserError, root_cause
from alignment_faking.inspect.compat import PrerequisiteError
from alignment_faking.inspect.evaluations import (
    anti_lab,
    behaviour_scorer,
    lying,
    measurement_task,
    realism,
    reasoning_categories,
)
from alignment_faking.inspect.judging import GRADER_ROLE, JudgeCallFailed
from alignment_faking.inspect.logs import (
    SHARD,
    Shard,
    actual_usage,
    asked_decision_tags,
    finished_samples,
    had_scratchpad,
    last_log,
    local_path,
    log_files,
    log_locations,
    log_summary,
    mark_failed,
    merge_shards,
    read_header,
    run_headers,
    run_records,
    shard_of,
    unfinished,
    unfinished_shards,
)
from alignment_faking.inspect.models import resolve_model
from alignment_faking.inspect.parameters import BEHAVIOUR_PARAMETERS, COMPLIANCE_PARAMETERS
from alignment_faking.inspect.scorers import alignment_faking_scorer
from alignment_faking.inspect.solvers import check_prefill
from alignment_faking.inspect.task import animal_welfare, experiment_task, helpful_only
from alignment_faking.inspect.validation import validation_from_log, validation_task
from alignment_faking.judges import needs_judge_model, sample_judges
from alignment_faking.judges.labels import LabelledItem
from alignment_faking.judges.validation import Validation
from alignment_faking.measurements import (
    COMPLIANCE,
    EVALUATIONS,
    REASONING_CATEGORIES,
    get_evaluation,
)
from alignment_faking.options import GenerateOptions, JudgeOptions, RunOptions
from alignment_faking.scenario import get_variation, setting_spec
from alignment_faking.scenario.settings import Setting, trained_tier_in
from alignment_faking.summary.file import SUMMARY_FILE, write_summary
from alignment_faking.summary.labels import Run, label_runs

TASKS = {"helpful_only": helpful_only, "animal_welfare": animal_welfare}
"""The main experiment's registered task per setting."""
OTHER_TASKS: dict[str, Callable[..., Task]] = {
    REASONING_CATEGORIES: reasoning_categories,
    "anti_lab": anti_lab,
    "lying": lying,
    "realism": realism,
}
"""The other evaluations' registered tasks; each takes the setting as an argument."""


def uses_judge_model(setting: str, judges: JudgeOptions, evaluation: str = COMPLIANCE) -> bool:
    """Whether a run calls a judge model: every evaluation but the main one always does."""
    return evaluation != COMPLIANCE or needs_judge_model(
        setting, judges.compliance_judge, judges.af_judge
    )


def judge_roles(
    setting: str,
    judges: JudgeOptions,
    max_connections: int | None = None,
    evaluation: str = COMPLIANCE,
) -> dict[str, Model] | None:
    """The judges' model role (`grader`), checked before any call; None when no judge model is
    needed."""
    if not uses_judge_model(setting, judges, evaluation):
        return None
    try:
        return {GRADER_ROLE: resolve_model(judges.judge_model, {}, max_connections)}
    except UserError as err:
        raise UserError(
            f"judge {err} (pick another with --judge-model, or run offline with "
            "--af-judge baseline, --compliance-judge tags and --variation accept_reject)"
        ) from None


def task_plan(
    task: Task,
    model: str,
    judges: JudgeOptions,
    output_tokens: int | None,
    done: frozenset[tuple[str, int]] = frozenset(),
) -> list[PlanLine]:
    """The cost plan of one of our tasks, from the very messages it will send.

    `done` holds the (sample id, epoch) pairs a resumed run already has: they are not planned.
    """
    meta = task.metadata or {}
    scratchpad = had_scratchpad(meta)
    evaluation = meta.get("evaluation", COMPLIANCE)
    judged_by = (
        [(get_evaluation(evaluation).judge, 1)]
        if evaluation in EVALUATIONS
        else sample_judges(
            meta["setting"],
            judges.compliance_judge,
            judges.af_judge,
            judges.af_votes,
            reasons=evaluation == REASONING_CATEGORIES,
            scratchpad=scratchpad,
        )
    )
    samples = [
        _planned(meta["setting"], s)
        for s in task.dataset
        for epoch in range(1, (task.epochs or 1) + 1)
        if (str(s.id), epoch) not in done
    ]
    return plan_run(
        samples,
        epochs=1,
        scratchpad=scratchpad,
        model=model,
        judge_model=judges.judge_model,
        judges=judged_by,
        output_tokens=output_tokens,
    )


def _planned(setting: Setting, sample: Sample) -> PlannedSample:
    """What one sample sends: build_samples gives each a system and a user turn, and its query."""
    assert not isinstance(sample.input, str), "a sample of ours is a conversation"
    system, user = sample.input[0].text, sample.input[1].text
    return PlannedSample(setting, system, user, (sample.metadata or {})["query"])


def check_budget(lines: list[PlanLine], options: RunOptions, echo: Callable[[str], None]) -> bool:
    """Print the plan; refuse a plan over --max-cost; False when it is a dry run."""
    prices = load_prices(options.cost.prices)
    echo(format_plan(lines, prices))
    if options.cost.max_cost is not None:
        cost = total_cost(lines, prices)
        if cost is None:
            raise UserError(
                "--max-cost needs a price for every model; add the missing ones with --prices FILE"
            )
        if cost > options.cost.max_cost:
            raise UserError(
                f"the plan costs about ${cost:.2f}, over --max-cost {options.cost.max_cost:.2f}; nothing was run"
            )
    return not options.cost.dry_run


@dataclass(frozen=True)
class TaskCall:
    """A registered task, the arguments of one run of it, and the generation settings Inspect's
    eval() takes for it (its log records them all, for a resume)."""

    name: str
    """Its registry name, `alignment_faking/...`."""
    task: Callable[..., Task]
    args: dict[str, Any]
    generate: GenerateOptions

    @property
    def identity(self) -> dict[str, Any]:
        """What a resume finds this run's log by (logs.run_args): its arguments and settings."""
        return self.args | asdict(self.generate)

    def build(self) -> Task:
        """The task, bad input as UserError."""
        try:
            return self.task(**self.args)
        except PrerequisiteError as err:
            raise UserError(str(err)) from None


def task_call(options: RunOptions, setting: str, variation: str) -> TaskCall:
    """The registered task of the chosen evaluation under one setting and variation."""
    args = _task_args(options, setting, variation)
    if options.evaluation == COMPLIANCE:
        name = setting_spec(setting).name
        return TaskCall(f"alignment_faking/{name}", TASKS[name], args, options.generate)
    if options.evaluation not in OTHER_TASKS:
        get_evaluation(options.evaluation)  # raises the one-line error
    return TaskCall(
        f"alignment_faking/{options.evaluation}",
        OTHER_TASKS[options.evaluation],
        {"setting": setting, **args},
        options.generate,
    )


def planned_task(options: RunOptions, setting: str, variation: str) -> Task:
    """The task built without its judge, as it will run (its epochs included): bad input is
    reported before any key is checked."""
    task = replace(options.task, variation=variation)
    if options.evaluation in EVALUATIONS:
        return measurement_task(options.evaluation, setting, task, options.generate)
    reasons = options.evaluation == REASONING_CATEGORIES
    return experiment_task(setting, task, options.judges, options.generate, reasons=reasons)


def run(
    options: RunOptions, echo: Callable[[str], None] = print
) -> tuple[list[EvalLog], list[Run]]:
    """Build the task, plan its cost, run it, and write summary.json in the log directory.

    With --resume, the newest log of the same run is retried, asking only its missing and
    errored samples (none: nothing is run), under a lock a second resume of it finds taken.
    """
    _validate(options)
    if not options.cost.dry_run:  # a dry run writes nothing
        check_log_dir(options.eval.log_dir)
    if options.task.prefill:
        check_prefill(options.model)
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
    model = resolve_model(options.model, options.model_args)
    roles = judge_roles(options.setting, judges, options.eval.max_connections, options.evaluation)
    if options.shards > 1:
        started = _now()
        logs = _run_sharded(options, call, planned, model, echo)
        since = started if options.resume else None
        return _finish(logs, options, echo, since) if logs else ([], [])
    find = partial(last_log, options.eval.log_dir, call.name, str(model), call.identity)
    previous = find() if options.resume else None
    if previous is None:
        return _run_once(options, call, planned, model, roles, None, echo)
    with _resume_lock(options.eval.log_dir, previous.eval.task_id, local_path(previous.location)):
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
    common = _eval_options(options) | _max_samples(options, model, roles)
    run_eval = (
        (
            lambda: inspect_eval(
                call.build(), model=model, model_roles=roles, **asdict(call.generate), **common
            )
        )
        if retry is None
        else (lambda: eval_retry(retry, **common))
    )
    started = _now()
    ours = partial(_same_task, call.name, None)
    logs = _or_interrupted(run_eval, options.eval.log_dir, started, ours)
    if retry is not None and all(log.status == "success" for log in logs):
        Path(local_path(retry)).unlink()  # superseded by the completed log
    return _finish(logs, options, echo, started if retry else None)


def _now() -> datetime:
    return datetime.now(UTC)


def _same_task(name: str, shard: Shard | None, header: EvalLog) -> bool:
    return header.eval.task_registry_name == name and shard_of(header) == shard


def _or_interrupted(
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
    return [_cancelled_if_cut(header) for header in found]


@contextmanager
def _resume_lock(log_dir: str, key: str, name: str) -> Iterator[None]:
    """Hold the lock of one resume: two resumes of a log at once would both ask its missing
    samples, and the second would find the log gone once the first superseded it.

    An exclusive lock on a file in the log folder, which holds the holder's pid; the system
    releases it when the process ends, however it ends.
    """
    with (Path(log_dir) / f".{key}.resume.lock").open("a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            pid = lock.read().strip() or "unknown"
            raise UserError(
                f"{name} is being resumed by another process (pid {pid}); wait for it to "
                "finish, or stop it, and resume again"
            ) from None
        lock.truncate(0)
        lock.write(str(os.getpid()))
        lock.flush()
        yield


def _run_sharded(
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
    with _resume_lock(options.eval.log_dir, resumed[0], name):
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
    return [_cancelled_if_cut(read_eval_log(location, header_only=True)) for location in locations]


def _ignore_interrupts() -> None:
    """A shard process waiting for work ignores Ctrl-C: dying there would break the pool and
    kill the shards still running (run_shard takes Ctrl-C while its run is on)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _cancelled_if_cut(header: EvalLog) -> EvalLog:
    """A log cut short before Inspect could finish it counts as cancelled."""
    if header.status != "started":
        return header
    return header.model_copy(update={"status": "cancelled"})


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
        model = resolve_model(options.model, options.model_args)
        roles = judge_roles(
            options.setting, options.judges, options.eval.max_connections, options.evaluation
        )
        common = _eval_options(options) | _max_samples(options, model, roles)
        shard = Shard(group=group, index=index, count=options.shards)
        started, ours = _now(), partial(_same_task, call.name, shard)
        if unfinished is not None:
            [log] = _or_interrupted(
                lambda: eval_retry(unfinished, **common), options.eval.log_dir, started, ours
            )[:1]
            if log.status == "success":
                Path(local_path(unfinished)).unlink()  # superseded by the completed log
            return log.location
        task = call.build()
        [log] = _or_interrupted(
            lambda: inspect_eval(
                task,
                model=model,
                model_roles=roles,
                sample_id=shard_samples(task, index, options.shards),
                metadata={SHARD: shard},
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


def sweep(
    models: Sequence[str],
    settings: Sequence[str],
    variations: Sequence[str],
    options: RunOptions,
    echo: Callable[[str], None] = print,
) -> tuple[list[EvalLog], list[Run]]:
    """Every model x setting x variation through Inspect's eval_set: retried, resumable, one summary.

    Re-running the same sweep into the same log directory reuses every finished run and
    finishes the unfinished ones. `options` gives everything but the model, setting and variation.
    """
    _validate(options)
    if not options.cost.dry_run:  # a dry run writes nothing
        check_log_dir(options.eval.log_dir)
        _check_logs_readable(options.eval.log_dir)
    if not (models and settings and variations):
        raise UserError("a sweep needs at least one model, one setting and one variation")
    if options.task.prefill:
        for model in models:
            check_prefill(model)
    chosen = [get_variation(name) for name in variations]
    grid = [(s, v.name) for s in settings for v in chosen if s in v.settings]
    for variation in chosen:
        for setting in set(settings) - set(variation.settings):
            echo(f"skipped: variation {variation.name} does not apply to {setting}")
    if not grid:
        raise UserError("none of these variations applies to these settings")
    planned = [planned_task(options, setting, variation) for setting, variation in grid]
    if options.cost.dry_run:  # the plan alone: no model is built, so no key is needed
        names = list(models)
    else:
        resolved = [resolve_model(name, options.model_args) for name in models]
        names = [str(model) for model in resolved]
        roles = next(
            (
                r
                for s in settings
                if (
                    r := judge_roles(
                        s, options.judges, options.eval.max_connections, options.evaluation
                    )
                )
            ),
            None,
        )
    plan = [
        line
        for model in names
        for task in planned
        for line in task_plan(task, model, options.judges, options.cost.expected_output_tokens)
    ]
    if not check_budget(plan, options, echo):
        return [], []
    tasks = [task_call(options, setting, variation).build() for setting, variation in grid]
    started = _now()
    logs = _or_interrupted(
        lambda: eval_set(
            tasks,
            model=resolved,
            model_roles=roles,
            retry_attempts=3,
            **asdict(options.generate),
            **(_eval_options(options) | _max_samples(options, resolved[0], roles)),
        )[1],
        options.eval.log_dir,
        started,
        lambda header: "setting" in (header.eval.metadata or {}),
    )
    # the calls of this sweep: its retries of earlier runs' logs carry their finished samples
    return _finish(logs, options, echo, started)


MIN_FREE_MB = 100
"""Free space the log folder's disk needs before a run: on a full disk the logs, the summary
and the report fail to write after every call was paid for."""


def check_log_dir(log_dir: str) -> None:
    """Refuse, before any call, a log folder the logs cannot go to: a file, a folder that cannot
    be created or written to, a disk nearly full. It leaves nothing behind (bad input found
    later must not leave an empty folder): the probe is a file made and removed in the folder,
    or in the nearest folder above it that exists, where Inspect will create it."""
    folder = Path(log_dir)
    existing = next(path for path in (folder, *folder.parents) if path.exists())
    if existing == folder and not folder.is_dir():
        raise UserError(f"--log-dir {log_dir} is a file, not a folder: pick another --log-dir")
    verb = "write to" if existing == folder else "create"
    try:
        with tempfile.NamedTemporaryFile(dir=existing):
            pass
    except OSError as err:
        raise UserError(
            f"cannot {verb} the log folder {log_dir} ({root_cause(err)}): pick another --log-dir"
        ) from None
    free_mb = shutil.disk_usage(existing).free // 2**20
    if free_mb < MIN_FREE_MB:
        raise UserError(
            f"only {free_mb} MB free on the disk of the log folder {log_dir} (a run needs "
            f"{MIN_FREE_MB} MB): free some space or pick another --log-dir"
        )


def _check_logs_readable(log_dir: str) -> None:
    """Inspect's eval_set reads every log in its folder and stops at the first it cannot read,
    with a traceback: a sweep names that file and stops before any call instead."""
    unreadable: list[str] = []
    for file in log_files([log_dir]) if Path(log_dir).is_dir() else []:
        read_header(file, note=unreadable.append)
    if unreadable:
        cause = unreadable[0].removeprefix("skipped ")
        raise UserError(
            f"{cause}, and a sweep reads every log in its folder: remove it or pick another "
            "--log-dir"
        )


def _validate(options: RunOptions) -> None:
    if options.task.queries is not None and options.task.queries < 1:
        raise UserError("--limit must be at least 1")
    if options.generate.epochs < 1:
        raise UserError("--epochs must be at least 1")
    if options.generate.temperature is not None and options.generate.temperature < 0:
        raise UserError("--temperature must be 0 or more")
    if options.generate.max_tokens < 1:
        raise UserError("--max-tokens must be at least 1")
    if not 0 < options.max_error_share <= 1:
        raise UserError("--max-error-share must be in (0, 1]")
    if options.cost.max_cost is not None and options.cost.max_cost < 0:
        raise UserError("--max-cost must be 0 or more")
    judges = options.judges
    if judges.af_votes < 1 or not 0 < judges.af_threshold <= 1:
        raise UserError("--af-votes must be at least 1 and --af-threshold in (0, 1]")
    if options.task.prefill and options.evaluation in EVALUATIONS:
        raise UserError("--prefill applies to the compliance experiment only")


def _task_args(options: RunOptions, setting: str, variation: str) -> dict[str, Any]:
    """A registered task's arguments: its parameters' values from the options, this variation,
    and the judge model only where this setting's judges need one."""
    judges = options.judges
    uses_judge = uses_judge_model(setting, judges, options.evaluation)
    values = asdict(options.task) | asdict(judges) | {"variation": variation}
    values["judge_model"] = judges.judge_model if uses_judge else None
    behaviour = options.evaluation in EVALUATIONS
    parameters = BEHAVIOUR_PARAMETERS if behaviour else COMPLIANCE_PARAMETERS
    return {p.name: values[p.name] for p in parameters if p.name in values}


def _eval_options(options: RunOptions) -> dict[str, Any]:
    """`inspect eval`'s keyword arguments: the eval options under their names, and when to stop."""
    share = options.max_error_share
    # Inspect stops a run once sample errors reach the share (1 would mean one error)
    return asdict(options.eval) | {"fail_on_error": share if share < 1 else False}


def _max_samples(
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


def _same_file(location: str) -> Path:
    return Path(local_path(location)).resolve()


def _finish(
    logs: list[EvalLog],
    options: RunOptions,
    echo: Callable[[str], None],
    since: datetime | None = None,
) -> tuple[list[EvalLog], list[Run]]:
    """Mark failed runs, summarise these runs, and write summary.json over every run in the directory.

    The shards of a sharded run are summarised as the one run they make, finished shards of
    an earlier attempt included. A resumed run's usage counts the calls made `since` it resumed.
    """
    # the records come from the logs' sample summaries and the usage from their model events:
    # no log is read whole (that took most of a large run's memory)
    records: dict[Path, list] = {}
    for log in logs:
        found = records[_same_file(log.location)] = run_records(log)
        if log.status != "cancelled":  # a run stopped by Ctrl-C is resumed, not failed
            mark_failed(log, found, options.max_error_share)
    # earlier runs in the same directory stay in summary.json beside these (the same entries,
    # so the CLI table shows the labels summary.json gives them)
    everything: list[Run] = []
    mine: list[int] = []  # the runs of these logs, by index in everything
    for header in run_headers([options.eval.log_dir], note=lambda _: None):
        files = [_same_file(location) for location in log_locations(header)]
        known = [records[f] for f in files if f in records]
        everything.append(
            log_summary(
                header, [r for part in known for r in part] if len(known) == len(files) else None
            )
        )
        if known:
            mine.append(len(everything) - 1)
    labelled = label_runs(everything)
    write_summary(Path(options.eval.log_dir) / SUMMARY_FILE, labelled)
    used = [line for log in logs for line in actual_usage(log, since)]
    echo(format_plan(used, load_prices(options.cost.prices), "used"))
    return logs, [labelled[i] for i in mine]


def rescore(
    paths: Sequence[str],
    judges: JudgeOptions,
    display: DisplayType | None = None,
    reasons: bool = False,
) -> list[Run]:
    """Judge existing runs again without regenerating: scores are replaced in place.

    Runs of the main experiment get the chosen judges (and, with `reasons`, the
    reasoning-categories judge); runs of another evaluation get that evaluation's judge.
    A run is written back only once all of it (every shard) is scored: a judge that gives a
    sample no answer stops the rescore with a UserError, that run left as it was.
    """
    summaries: list[Run] = []
    for header in run_headers(paths):
        meta = header.eval.metadata or {}
        setting, evaluation = meta["setting"], meta.get("evaluation", COMPLIANCE)
        trained_tier, turns = trained_tier_in(meta), meta.get("turns", 1)
        if evaluation in EVALUATIONS:
            roles = judge_roles(setting, judges, evaluation=evaluation)
            scorer = behaviour_scorer(evaluation, setting, trained_tier, turns=turns)
            update: dict[str, Any] = {"judge_model": judges.judge_model}
        else:
            evaluation = REASONING_CATEGORIES if reasons else COMPLIANCE
            roles = judge_roles(setting, judges, evaluation=evaluation)
            scorer = alignment_faking_scorer(
                setting,
                judges.compliance_judge,
                judges.af_judge,
                judges.af_votes,
                judges.af_threshold,
                trained_tier=trained_tier,
                af_quote_check=judges.af_quote_check,
                turns=turns,
                reasons=reasons,
                scratchpad=had_scratchpad(meta),
                decision_tags=asked_decision_tags(meta),
            )
            update = {
                "compliance_judge": judges.compliance_judge,
                "af_judge": judges.af_judge,
                "af_quote_check": judges.af_quote_check,
                "evaluation": evaluation,
                "judge_model": judges.judge_model if roles else None,
            }
        files = list(map(local_path, log_locations(header)))  # every shard of a sharded run
        try:
            scored = [
                inspect_score(
                    read_eval_log(file),
                    scorers=[scorer],
                    model_roles=roles,
                    action="overwrite",
                    display=display,
                )
                for file in files
            ]
        except JudgeCallFailed as err:
            earlier = f" ({len(summaries)} earlier runs were rescored)" if summaries else ""
            raise UserError(
                f"{err.message}; nothing in {files[0]} was rewritten{earlier}: check the judge "
                "model (--judge-model) and rescore again"
            ) from None
        for file, log in zip(files, scored, strict=True):
            log.eval.metadata = {**(log.eval.metadata or {}), **update}
            write_eval_log(log, file)
        [run] = merge_shards(scored)
        summaries.append(log_summary(run))
    if not summaries:
        raise UserError("no alignment-faking eval logs found there")
    return label_runs(summaries)


def validate_judge(
    judge: str,
    items: list[LabelledItem],
    *,
    setting: Setting,
    judges: JudgeOptions,
    log_dir: str,
    display: DisplayType | None = None,
) -> Validation:
    """Run one judge over a labelled set through Inspect and measure its agreement."""
    if not items:
        raise UserError("the labelled set is empty")
    task = validation_task(judge, items, setting, judges.af_votes, judges.af_threshold)
    roles = None if judge == "baseline" else {GRADER_ROLE: resolve_model(judges.judge_model, {})}
    [log] = inspect_eval(
        task,
        model=roles[GRADER_ROLE] if roles else get_model("scripted/judge"),
        model_roles=roles,
        log_dir=log_dir,
        display=display,
        fail_on_error=False,
    )
    return validation_from_log(log)
