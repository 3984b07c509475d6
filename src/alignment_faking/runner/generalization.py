"""`generalization`: a base and a trained model over a panel of prompt variations, in one sweep.

The paper's shallow-alignment test (section 5.3): the trained model's gap under prompt changes
that did not move the base model's. Cross-setting generalization (appendix D.7: a model
trained in one setting evaluated in the other) is the same comparison with both settings.
Stated preferences (appendix D.1.1) ask both models the `stated_preferences` task per setting,
with and without the system prompt, into a folder of their own beside the log directory
(`eval_set` allows no other logs inside it).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from inspect_ai import eval as inspect_eval
from inspect_ai.log import EvalLog

from alignment_faking.errors import UserError
from alignment_faking.generalization import (
    GENERALIZATION_FILE,
    Generalization,
    StatedRatings,
    compare,
    compare_stated,
)
from alignment_faking.inspect.evaluations import stated_preferences_task
from alignment_faking.inspect.judging import GRADER_ROLE
from alignment_faking.inspect.models import resolve_model
from alignment_faking.options import RunOptions
from alignment_faking.runner.evals import eval_options
from alignment_faking.runner.sweep import sweep
from alignment_faking.summary.labels import Run
from alignment_faking.summary.schema import ComplianceRun


def generalization(
    base: str,
    trained: str,
    settings: Sequence[str],
    variations: Sequence[str],
    options: RunOptions,
    echo: Callable[[str], None] = print,
    stated_preferences: bool = False,
) -> tuple[list[EvalLog], list[Run], Generalization | None]:
    """Sweep both models over settings x variations and write generalization.json beside the
    sweep's summary.json: the sweep's logs and runs, and the comparison (None for a dry run or
    a sweep the budget stopped). `stated_preferences` adds the models' stated care."""
    if base == trained:
        raise UserError("generalization needs two different models: --base and --trained")
    logs, runs = sweep([base, trained], settings, variations, options, echo)
    if not runs:
        return logs, runs, None
    main = [run for run in runs if isinstance(run, ComplianceRun)]
    for model in (base, trained):
        if not any(run.model == model for run in main):  # never a table of dashes
            raise UserError(
                f"no finished run of {model} in {options.eval.log_dir}; see the sweep's lines "
                "above, and name the models as Inspect names them"
            )
    order = [(setting, variation) for setting in settings for variation in variations]
    result = compare(base, trained, main, order)
    _write(result, options.eval.log_dir)  # kept should the stated preferences fail
    if stated_preferences:
        found = stated_ratings([base, trained], settings, options)
        stated = compare_stated(base, trained, found)
        result = result.model_copy(update={"stated_preferences": stated})
        _write(result, options.eval.log_dir)
    return logs, runs, result


def _write(result: Generalization, log_dir: str) -> None:
    (Path(log_dir) / GENERALIZATION_FILE).write_text(
        result.model_dump_json(indent=2) + "\n", encoding="utf-8"
    )


def stated_log_dir(log_dir: str) -> Path:
    """The stated-preference logs' folder: beside the sweep's, named after it."""
    path = Path(log_dir)
    return path.with_name(f"{path.name}_stated_preferences")


def stated_ratings(
    models: Sequence[str], settings: Sequence[str], options: RunOptions
) -> list[StatedRatings]:
    """Each model asked the stated-preference questions per setting, with and without the
    system prompt; the judged ratings of each log (Inspect reuses a log's finished samples
    only through `retry`, so a rerun asks again)."""
    judge = resolve_model(options.judges.judge_model, {}, options.eval.max_connections)
    asked = replace(options.task, dataset=None, query_column=None)  # our questions, not --dataset
    arguments = eval_options(options) | {"log_dir": str(stated_log_dir(options.eval.log_dir))}
    found = []
    for name in models:
        tasks = [
            stated_preferences_task(setting, with_prompt, asked, options.generate)
            for setting in settings
            for with_prompt in (True, False)
        ]
        logs = inspect_eval(
            tasks,
            model=resolve_model(name, options.model_args),
            model_roles={GRADER_ROLE: judge},
            **arguments,
        )
        for log in logs:
            if log.status != "success":
                raise UserError(f"stated preferences of {name} did not finish: {log.location}")
            ratings = [
                value
                for sample in log.samples or []
                for score in (sample.scores or {}).values()
                if not math.isnan(value := score.as_float())
            ]
            metadata = log.eval.metadata or {}
            found.append(
                StatedRatings(
                    name, metadata["setting"], metadata["with_system_prompt"], tuple(ratings)
                )
            )
    return found
