"""The tasks' parameters, defined once: each @task's signature and `Args:` doc come from the
option fields (options.py), so a new task option is one field there.

Inspect reads a task's parameters from its signature (`inspect.signature`, which honours
`__signature__`): what `-T` may name, the defaults a log records, and the docs `inspect list`
shows. A task function takes `**args` and gets them bound, defaults applied, by that signature.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, replace
from typing import Any, get_type_hints

from inspect_ai import Task
from inspect_ai.model import Model

from alignment_faking.options import GenerateOptions, JudgeOptions, TaskOptions, doc_of
from alignment_faking.scenario.settings import Setting


@dataclass(frozen=True)
class Parameter:
    """One task parameter: its name, type, default and one-line doc."""

    name: str
    annotation: Any
    default: Any
    doc: str


def option_parameters(options: type[Any], leave_out: Iterable[str] = ()) -> list[Parameter]:
    """The fields of an options dataclass as task parameters, in their order."""
    hints = get_type_hints(options)
    skipped = set(leave_out)
    return [
        Parameter(item.name, hints[item.name], item.default, doc_of(item))
        for item in fields(options)
        if item.name not in skipped
    ]


def required(parameter: Parameter) -> Parameter:
    """The parameter without its default (a builder's leading, positional ones)."""
    return replace(parameter, default=inspect.Parameter.empty)


SETTING = Parameter(
    "setting", Setting, "helpful_only", "The setting whose scenario the queries are asked under."
)
JUDGE_MODEL = Parameter(
    "judge_model",
    str | Model | None,
    None,
    "Judge model (else Inspect's `grader` model role, or `judge`, its former name; default "
    "openai/gpt-4o).",
)
COMPLIANCE_PARAMETERS = [
    *option_parameters(TaskOptions),
    *option_parameters(JudgeOptions, leave_out={"judge_model"}),
    JUDGE_MODEL,
]
"""The main experiment's task parameters: what is asked, its judges, and their model."""
BEHAVIOUR_PARAMETERS = [
    SETTING,
    *option_parameters(TaskOptions, leave_out={"prefill"}),  # no accept/reject to prefill
    JUDGE_MODEL,
]
"""The other evaluations' task parameters: the setting, what is asked, their judge's model."""
BUILDER_PARAMETERS = option_parameters(GenerateOptions)
"""What the Python builders take besides a task's parameters: the generation settings that
`inspect eval` takes as its own flags (a built task keeps them as its defaults)."""


def _args_doc(parameters: list[Parameter]) -> str:
    return "\n".join(["Args:", *(f"    {p.name}: {p.doc}" for p in parameters)])


def task_parameters(
    parameters: list[Parameter],
) -> Callable[[Callable[..., Task]], Callable[..., Task]]:
    """Give a task function taking `**args` these parameters: its signature (checked when
    called, defaults applied) and the `Args:` section of its doc. Apply it below `@task`."""
    signature = inspect.Signature(
        [
            inspect.Parameter(
                p.name,
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                default=p.default,
                annotation=p.annotation,
            )
            for p in parameters
        ],
        return_annotation=Task,
    )

    def decorate(build: Callable[..., Task]) -> Callable[..., Task]:
        @functools.wraps(build)
        def task_function(*args: Any, **kwargs: Any) -> Task:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            return build(**bound.arguments)

        task_function.__signature__ = signature  # type: ignore[attr-defined]
        task_function.__doc__ = (
            f"{inspect.cleandoc(build.__doc__ or '')}\n\n{_args_doc(parameters)}"
        )
        return task_function

    return decorate
