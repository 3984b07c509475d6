"""Which registered task a run calls, with which arguments, and the judges' model role."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

from inspect_ai import Task
from inspect_ai.model import Model

from alignment_faking.errors import UserError
from alignment_faking.inspect.compat import PrerequisiteError
from alignment_faking.inspect.evaluations import (
    anti_lab,
    lying,
    measurement_task,
    realism,
    reasoning_categories,
)
from alignment_faking.inspect.judging import GRADER_ROLE
from alignment_faking.inspect.models import resolve_model
from alignment_faking.inspect.parameters import BEHAVIOUR_PARAMETERS, COMPLIANCE_PARAMETERS
from alignment_faking.inspect.task import animal_welfare, experiment_task, helpful_only
from alignment_faking.judges import needs_judge_model
from alignment_faking.measurements import (
    COMPLIANCE,
    EVALUATIONS,
    REASONING_CATEGORIES,
    get_evaluation,
)
from alignment_faking.options import GenerateOptions, JudgeOptions, RunOptions
from alignment_faking.scenario import setting_spec

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
        tags = ", or --af-judge baseline, --compliance-judge tags and --variation accept_reject"
        raise UserError(
            f"judge {err} (pick another with --judge-model, or run offline with --judge-model "
            f"scripted/judge, a toy stand-in{tags if setting == 'helpful_only' else ''})"
        ) from None


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
        """What a resume finds this run's log by (logs.runs.run_args): its arguments and settings."""
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
