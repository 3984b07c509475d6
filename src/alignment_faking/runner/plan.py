"""A run's cost plan, from the very messages its task will send, and the budget it must fit."""

from __future__ import annotations

from collections.abc import Callable

from inspect_ai import Task
from inspect_ai.dataset import Sample

from alignment_faking.cost import (
    PlanLine,
    PlannedSample,
    format_plan,
    load_prices,
    plan_run,
    total_cost,
)
from alignment_faking.errors import UserError
from alignment_faking.inspect.eval_logs.runs import had_scratchpad
from alignment_faking.judges import sample_judges
from alignment_faking.measurements import (
    COMPLIANCE,
    EVALUATIONS,
    REASONING_CATEGORIES,
    get_evaluation,
)
from alignment_faking.options import JudgeOptions, RunOptions
from alignment_faking.scenario.settings import Setting


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
