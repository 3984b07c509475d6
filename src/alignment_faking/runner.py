"""What the commands do: run, sweep, rescore and validate-judge through Inspect, and the run summaries."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from inspect_ai import Task, eval_retry, eval_set
from inspect_ai import eval as inspect_eval
from inspect_ai import score as inspect_score
from inspect_ai._util.error import PrerequisiteError
from inspect_ai.log import EvalLog, read_eval_log, write_eval_log
from inspect_ai.model import Model, get_model

from alignment_faking.cost import (
    PlanLine,
    PlannedSample,
    format_plan,
    load_prices,
    plan_run,
    total_cost,
)
from alignment_faking.errors import UserError
from alignment_faking.evaluations import (
    COMPLIANCE,
    EVALUATIONS,
    REASONING_CATEGORIES,
    get_evaluation,
)
from alignment_faking.inspect.evaluations import (
    anti_lab,
    behaviour_scorer,
    behaviour_task,
    lying,
    realism,
    reasoning_categories,
)
from alignment_faking.inspect.logs import (
    SHARD,
    actual_usage,
    asked_decision_tags,
    finished_samples,
    had_scratchpad,
    local_path,
    log_locations,
    log_summary,
    mark_failed,
    merge_shards,
    run_headers,
    run_records,
    unfinished_log,
    unfinished_shards,
)
from alignment_faking.inspect.models import resolve_model
from alignment_faking.inspect.scorers import alignment_faking_scorer
from alignment_faking.inspect.solvers import check_prefill
from alignment_faking.inspect.task import alignment_faking_task, animal_welfare, helpful_only
from alignment_faking.inspect.validation import validation_from_log, validation_task
from alignment_faking.judges import needs_judge_model, sample_judges
from alignment_faking.judges.labels import LabelledItem
from alignment_faking.judges.validation import Validation
from alignment_faking.options import JudgeOptions, RunOptions
from alignment_faking.scenario import get_variation, setting_spec
from alignment_faking.scenario.settings import trained_tier_in
from alignment_faking.summary import SUMMARY_FILE, label_runs, write_summary

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
    """The `judge` model role, checked before any call; None when no judge model is needed."""
    if not uses_judge_model(setting, judges, evaluation):
        return None
    try:
        return {"judge": resolve_model(judges.judge_model, {}, max_connections)}
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
        PlannedSample(meta["setting"], s.input[0].text, s.input[1].text, s.metadata["query"])  # type: ignore[index,union-attr]
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
    """A registered task and the arguments of one run of it (its log records both, for a resume)."""

    name: str
    """Its registry name, `alignment_faking/...`."""
    task: Callable[..., Task]
    args: dict[str, Any]

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
        return TaskCall(f"alignment_faking/{name}", TASKS[name], args)
    if options.evaluation not in OTHER_TASKS:
        get_evaluation(options.evaluation)  # raises the one-line error
    return TaskCall(
        f"alignment_faking/{options.evaluation}",
        OTHER_TASKS[options.evaluation],
        {"setting": setting, **args},
    )


def planned_task(options: RunOptions, setting: str, variation: str) -> Task:
    """The task built without its judge: bad input is reported before any key is checked."""
    args = {**_task_args(options, setting, variation), "judge_model": None}
    if options.evaluation in EVALUATIONS:
        return behaviour_task(options.evaluation, setting, **args)
    return alignment_faking_task(
        setting, **args, reasons=options.evaluation == REASONING_CATEGORIES
    )


def run(
    options: RunOptions, echo: Callable[[str], None] = print
) -> tuple[list[EvalLog], list[dict]]:
    """Build the task, plan its cost, run it, and write summary.json in the log directory."""
    _validate(options)
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
        logs = _run_sharded(options, call, planned, model, echo)
        return _finish(logs, options, echo) if logs else ([], [])
    unfinished = (
        unfinished_log(options.eval.log_dir, call.name, str(model), call.args)
        if options.resume
        else None
    )
    done = finished_samples(unfinished) if unfinished else frozenset()
    if done:
        echo(f"resuming {local_path(unfinished)}: {len(done)} samples already done")  # type: ignore[arg-type]
    plan = task_plan(planned, str(model), judges, options.cost.expected_output_tokens, done)
    if not check_budget(plan, options, echo):
        return [], []
    common = _eval_options(options) | _max_samples(options, model, roles)
    if unfinished is None:
        logs = inspect_eval(call.build(), model=model, model_roles=roles, **common)  # type: ignore[arg-type]
    else:
        logs = eval_retry(unfinished, **common)  # type: ignore[arg-type]
        if all(log.status == "success" for log in logs):
            Path(local_path(unfinished)).unlink()  # superseded by the completed log
    return _finish(logs, options, echo)


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
    resumed = (
        unfinished_shards(options.eval.log_dir, call.name, str(model), call.args, count)
        if options.resume
        else None
    )
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
    with ProcessPoolExecutor(len(jobs), mp_context=get_context("spawn")) as pool:
        running = {
            pool.submit(run_shard, share, call, index, group, location): index
            for index, location in jobs
        }
        for future in as_completed(running):
            locations.append(future.result())
            echo(f"shard {running[future] + 1} of {count} finished: {local_path(locations[-1])}")
    return [read_eval_log(location, header_only=True) for location in locations]


def _query_ids(task: Task) -> list[str]:
    return sorted({str(s.metadata["query_id"]) for s in task.dataset})  # type: ignore[index]


def shard_samples(task: Task, index: int, count: int) -> list[str]:
    """The sample ids of one shard: every `count`th query from the `index`th, in every tier."""
    mine = set(_query_ids(task)[index::count])
    return [str(s.id) for s in task.dataset if str(s.metadata["query_id"]) in mine]  # type: ignore[index]


def run_shard(
    options: RunOptions, call: TaskCall, index: int, group: str, unfinished: str | None
) -> str:
    """One shard of a run, in its own process: its queries, or the retry of its unfinished log.
    Returns the location of the shard's log."""
    model = resolve_model(options.model, options.model_args)
    roles = judge_roles(
        options.setting, options.judges, options.eval.max_connections, options.evaluation
    )
    common = _eval_options(options) | _max_samples(options, model, roles)
    if unfinished is not None:
        [log] = eval_retry(unfinished, **common)  # type: ignore[arg-type]
        if log.status == "success":
            Path(local_path(unfinished)).unlink()  # superseded by the completed log
        return log.location
    task = call.build()
    [log] = inspect_eval(
        task,
        model=model,
        model_roles=roles,
        sample_id=shard_samples(task, index, options.shards),
        metadata={SHARD: {"group": group, "index": index, "count": options.shards}},
        **common,
    )  # type: ignore[arg-type]
    return log.location


def sweep(
    models: Sequence[str],
    settings: Sequence[str],
    variations: Sequence[str],
    options: RunOptions,
    echo: Callable[[str], None] = print,
) -> tuple[list[EvalLog], list[dict]]:
    """Every model x setting x variation through Inspect's eval_set: retried, resumable, one summary.

    Re-running the same sweep into the same log directory reuses every finished run and
    finishes the unfinished ones. `options` gives everything but the model, setting and variation.
    """
    _validate(options)
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
    _, logs = eval_set(
        tasks,
        model=resolved,
        model_roles=roles,
        retry_attempts=3,
        **(_eval_options(options) | _max_samples(options, resolved[0], roles)),
    )  # type: ignore[arg-type]
    return _finish(logs, options, echo)


def _validate(options: RunOptions) -> None:
    if options.task.queries is not None and options.task.queries < 1:
        raise UserError("--limit must be at least 1")
    if options.task.epochs < 1:
        raise UserError("--epochs must be at least 1")
    if options.task.temperature is not None and options.task.temperature < 0:
        raise UserError("--temperature must be 0 or more")
    if options.task.max_tokens < 1:
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
    """A task's arguments: the task options under their names, this variation, and the judges
    (the judge model only where this setting's judges need one)."""
    judges = options.judges
    args = asdict(options.task) | {"variation": variation}
    if options.evaluation in EVALUATIONS:  # they ask no accept/reject question to prefill
        del args["prefill"]
    else:  # the others have one judge of their own
        args |= {
            "compliance_judge": judges.compliance_judge,
            "af_judge": judges.af_judge,
            "af_votes": judges.af_votes,
            "af_threshold": judges.af_threshold,
            "af_quote_check": judges.af_quote_check,
        }
    uses_judge = uses_judge_model(setting, judges, options.evaluation)
    return args | {"judge_model": judges.judge_model if uses_judge else None}


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
    judge = roles["judge"] if roles else None
    spare = (judge.config.max_connections or judge.api.max_connections()) if judge else policy
    return {"max_samples": policy + spare}


def _same_file(location: str) -> Path:
    return Path(local_path(location)).resolve()


def _finish(
    logs: list[EvalLog], options: RunOptions, echo: Callable[[str], None]
) -> tuple[list[EvalLog], list[dict]]:
    """Mark failed runs, summarise these runs, and write summary.json over every run in the directory.

    The shards of a sharded run are summarised as the one run they make, finished shards of
    an earlier attempt included.
    """
    # the records come from the logs' sample summaries and the usage from their model events:
    # no log is read whole (that took most of a large run's memory)
    records: dict[Path, list] = {}
    for log in logs:
        found = records[_same_file(log.location)] = run_records(log)
        mark_failed(log, found, options.max_error_share)
    # earlier runs in the same directory stay in summary.json beside these (the same entries,
    # so the CLI table shows the labels summary.json gives them)
    everything, mine = [], []
    for header in run_headers([options.eval.log_dir], note=lambda _: None):
        files = [_same_file(location) for location in log_locations(header)]
        known = [records[f] for f in files if f in records]
        summary = log_summary(
            header, [r for part in known for r in part] if len(known) == len(files) else None
        )
        everything.append(summary)
        if known:
            mine.append(summary)
    write_summary(Path(options.eval.log_dir) / SUMMARY_FILE, label_runs(everything))
    used = [line for log in logs for line in actual_usage(log)]
    echo(format_plan(used, load_prices(options.cost.prices), "used"))
    return logs, mine


def rescore(
    paths: Sequence[str], judges: JudgeOptions, display: str | None = None, reasons: bool = False
) -> list[dict]:
    """Judge existing runs again without regenerating: scores are replaced in place.

    Runs of the main experiment get the chosen judges (and, with `reasons`, the
    reasoning-categories judge); runs of another evaluation get that evaluation's judge.
    """
    summaries = []
    for header in run_headers(paths):
        meta = header.eval.metadata or {}
        setting, evaluation = meta["setting"], meta.get("evaluation", COMPLIANCE)
        trained_tier, turns = trained_tier_in(meta), meta.get("turns", 1)
        if evaluation in EVALUATIONS:
            roles = judge_roles(setting, judges, evaluation=evaluation)
            scorer = behaviour_scorer(evaluation, setting, trained_tier, turns=turns)
            update = {"judge_model": judges.judge_model}
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
        scored = []
        for file in map(local_path, log_locations(header)):  # every shard of a sharded run
            log = read_eval_log(file)
            log = inspect_score(
                log, scorers=[scorer], model_roles=roles, action="overwrite", display=display
            )  # type: ignore[arg-type]
            log.eval.metadata = {**(log.eval.metadata or {}), **update}
            write_eval_log(log, file)
            scored.append(log)
        [run] = merge_shards(scored)
        summaries.append(log_summary(run))
    if not summaries:
        raise UserError("no alignment-faking eval logs found there")
    return label_runs(summaries)


def validate_judge(
    judge: str,
    items: list[LabelledItem],
    *,
    setting: str,
    judges: JudgeOptions,
    log_dir: str,
    display: str | None = None,
) -> Validation:
    """Run one judge over a labelled set through Inspect and measure its agreement."""
    if not items:
        raise UserError("the labelled set is empty")
    task = validation_task(judge, items, setting, judges.af_votes, judges.af_threshold)
    roles = None if judge == "baseline" else {"judge": resolve_model(judges.judge_model, {})}
    [log] = inspect_eval(
        task,
        model=roles["judge"] if roles else get_model("scripted/judge"),
        model_roles=roles,
        log_dir=log_dir,
        display=display,  # type: ignore[arg-type]
        fail_on_error=False,
    )
    return validation_from_log(log)
