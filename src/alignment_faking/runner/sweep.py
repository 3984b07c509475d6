"""`sweep`: every model x setting x variation through Inspect's eval_set, one summary."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict

from inspect_ai import eval_set
from inspect_ai.log import EvalLog

from alignment_faking.errors import UserError
from alignment_faking.inspect.models import resolve_model
from alignment_faking.inspect.solvers import answer_model_args, check_prefill
from alignment_faking.options import RunOptions
from alignment_faking.runner.checks import check_log_dir, check_logs_readable, check_options
from alignment_faking.runner.evals import eval_options, max_samples, now, or_interrupted
from alignment_faking.runner.finish import finish
from alignment_faking.runner.plan import check_budget, task_plan
from alignment_faking.runner.tasks import judge_roles, planned_task, task_call
from alignment_faking.scenario import get_variation
from alignment_faking.summary.labels import Run


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
    check_options(options)
    if not options.cost.dry_run:  # a dry run writes nothing
        check_log_dir(options.eval.log_dir)
        check_logs_readable(options.eval.log_dir)
    if not (models and settings and variations):
        raise UserError("a sweep needs at least one model, one setting and one variation")
    chosen = [get_variation(name) for name in variations]
    for model in models:
        for variation in chosen:
            check_prefill(model, options.task.prefill, variation.name)
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
        asked = [v.name for v in chosen]
        resolved = [
            resolve_model(
                name, answer_model_args(name, options.model_args, options.task.prefill, asked)
            )
            for name in models
        ]
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
    started = now()
    logs = or_interrupted(
        lambda: eval_set(
            tasks,
            model=resolved,
            model_roles=roles,
            retry_attempts=3,
            **asdict(options.generate),
            **(eval_options(options) | max_samples(options, resolved[0], roles)),
        )[1],
        options.eval.log_dir,
        started,
        lambda header: "setting" in (header.eval.metadata or {}),
    )
    # the calls of this sweep: its retries of earlier runs' logs carry their finished samples
    return finish(logs, options, echo, started)
