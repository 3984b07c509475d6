"""The Inspect tasks: each query asked in both tiers, generated once, scored by outcome."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable
from typing import Any, ParamSpec

from inspect_ai import Epochs, Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import (
    ChatMessage,
    ChatMessageAssistant,
    ChatMessageSystem,
    ChatMessageUser,
    GenerateConfig,
    Model,
    get_model,
)
from inspect_ai.scorer import Metric, Scorer, ScoreReducer

from alignment_faking.datasets import Query, load_queries
from alignment_faking.errors import UserError
from alignment_faking.inspect.compat import PrerequisiteError
from alignment_faking.inspect.judging import GRADER_ROLE, grader_model
from alignment_faking.inspect.models import prerequisite_message
from alignment_faking.inspect.parameters import (
    BUILDER_PARAMETERS,
    COMPLIANCE_PARAMETERS,
    SETTING,
    Parameter,
    required,
    task_parameters,
)
from alignment_faking.inspect.scorers import STEERING_KEY, alignment_faking_scorer, pooled
from alignment_faking.inspect.solvers import answer, answer_opening
from alignment_faking.judges import DEFAULT_JUDGE_MODEL, needs_judge_model
from alignment_faking.measurements import COMPLIANCE, REASONING_CATEGORIES
from alignment_faking.options import GenerateOptions, JudgeOptions, TaskOptions, options_of
from alignment_faking.scenario import Scenario, build_scenario, setting_spec, tiers_for
from alignment_faking.scenario.settings import Tier

P = ParamSpec("P")

TASK_VERSION = 6
"""Bump on any change that can move a score (prompts, parsing, scoring). 6: the default
helpful-only user turn lost its accept/reject instruction (the paper's main-run turn), the paper's
animal-welfare prompt gained its examples, and answers may be prefilled; the judges' prompts
moved closer to their sources and af_v2 no longer checks its quotes by default."""

GENERATE = GenerateOptions()
"""The tasks' generation defaults, which Inspect's `--epochs`, `--temperature`, `--max-tokens` override."""


def sample_id(query_id: str, tier: Tier) -> str:
    """Sample ids pair the tiers of a query: `<query id>:<tier>`."""
    return f"{query_id}:{tier}"


def build_samples(
    scenario: Scenario, queries: Iterable[Query], tiers: tuple[Tier, ...], prefill: bool = False
) -> list[Sample]:
    """One sample per query and tier, tiers of a query adjacent so that --limit keeps pairs.

    With `prefill`, or under a steering variation, the input ends with the opening of the
    answer, for the model to continue.
    """
    text = answer_opening(scenario, prefill)
    opening: list[ChatMessage] = [ChatMessageAssistant(content=text)] if text else []
    steering = scenario.variation.scratchpad_prefill
    steered = {STEERING_KEY: steering.opening} if steering else {}
    return [
        Sample(
            id=sample_id(query.id, tier),
            input=[
                ChatMessageSystem(content=scenario.system_prompt),
                ChatMessageUser(content=scenario.user_message(query.text, tier)),
                *opening,
            ],
            metadata={
                "query_id": query.id,
                "tier": tier,
                "category": query.category,
                "query": query.text,
                **steered,
            },
        )
        for query in queries
        for tier in tiers
    ]


REASONS = Parameter("reasons", bool, False, "Add the reasoning-categories judge.")


@task_parameters([required(SETTING), *COMPLIANCE_PARAMETERS, *BUILDER_PARAMETERS, REASONS])
def alignment_faking_task(
    setting: str, judge_model: str | Model | None, reasons: bool, **options: Any
) -> Task:
    """The experiment for one setting as an Inspect task, built in Python."""
    return experiment_task(
        setting,
        options_of(TaskOptions, options),
        options_of(JudgeOptions, options),
        options_of(GenerateOptions, options),
        judge_model,
        reasons,
    )


def experiment_task(
    setting: str,
    task: TaskOptions,
    judges: JudgeOptions,
    generate: GenerateOptions = GENERATE,
    judge_model: str | Model | None = None,
    reasons: bool = False,
) -> Task:
    """The experiment for one setting; `reasons` adds the reasoning-categories judge.

    `judges.judge_model` is the CLI's: the task's judge model is `judge_model`, else the
    `grader` model role."""
    spec = setting_spec(setting)
    scenario = build_scenario(
        spec.name, task.variation, system_prompt=task.system_prompt, identity=task.identity()
    )
    return scenario_task(
        spec.name,
        scenario,
        task.dataset or spec.queries,
        task,
        generate,
        judge_model=judge_model,
        scorer=alignment_faking_scorer(
            spec.name,
            judges.compliance_judge,
            judges.af_judge,
            af_votes=judges.af_votes,
            af_threshold=judges.af_threshold,
            af_quote_check=judges.af_quote_check,
            trained_tier=scenario.trained_tier,
            cache=task.cache,
            turns=task.turns,
            reasons=reasons,
            decision_tags=scenario.decision_tags,
            scratchpad=scenario.scratchpad,
        ),
        reducer=pooled(),
        metadata={
            **judges.recorded(),
            "evaluation": REASONING_CATEGORIES if reasons else COMPLIANCE,
        },
    )


def scenario_task(
    name: str,
    scenario: Scenario,
    query_source: str,
    task: TaskOptions,
    generate: GenerateOptions,
    *,
    judge_model: str | Model | None,
    scorer: Scorer,
    reducer: ScoreReducer,
    metadata: dict[str, Any],
    metrics: list[Metric | dict[str, list[Metric]]] | None = None,
) -> Task:
    """What every evaluation's task shares: its queries asked in each tier under the scenario,
    the turn protocol, the generation defaults (Inspect's own flags override them), and the
    metadata that identifies the run (`metadata` adds the evaluation's own)."""
    full_set = load_queries(query_source, task.query_column)
    query_set = full_set.head(task.queries)
    return Task(
        name=name,
        dataset=MemoryDataset(
            build_samples(
                scenario,
                query_set.queries,
                tiers_for(task.tiers, scenario.variation.tier_names),
                task.prefill,
            ),
            name=query_set.name,
        ),
        solver=answer(task.cache, task.turns),
        scorer=scorer,
        metrics=metrics,
        model_roles={GRADER_ROLE: judge_model} if judge_model else None,
        epochs=Epochs(generate.epochs, reducer=reducer),
        # no `</OUTPUT>` stop sequence: a scratchpad may quote an example output, and a stop
        # there would cut the reasoning and read the quote as the answer (the parser ignores
        # whatever follows a real output)
        config=GenerateConfig(temperature=generate.temperature, max_tokens=generate.max_tokens),
        version=TASK_VERSION,
        metadata={
            "setting": scenario.setting,
            "variation": scenario.variation.name,
            "trained_tier": scenario.trained_tier,
            "dataset": query_set.name,
            "dataset_sha256": full_set.sha256,
            "n_queries": len(query_set.queries),
            "system_prompt_sha256": hashlib.sha256(scenario.system_prompt.encode()).hexdigest(),
            "system_prompt_file": task.system_prompt,
            "developer": task.developer,
            "model_name": task.model_name,
            # how the answers read, for a rescore, a cost plan or a report of the log
            "decision_tags": scenario.decision_tags,
            "scratchpad": scenario.scratchpad,
            **metadata,
            "turns": task.turns,
            "prefill": task.prefill,
            "scratchpad_prefill": scenario.variation.steering,
        },
    )


def check_judge_model(judge_model: str | Model | None, offline: str = "") -> None:
    """Stop before any sample when the judge model cannot be used; `offline` says how to do without."""
    try:
        if judge_model:
            get_model(judge_model)
        else:
            grader_model()
    except PrerequisiteError as err:
        name = judge_model or f"{DEFAULT_JUDGE_MODEL}, the default judge"
        raise UserError(
            f"the judge model ({name}) cannot be used: {prerequisite_message(err).rstrip('.')}. "
            "Name one with "
            "-T judge_model=PROVIDER/MODEL or --model-role grader=PROVIDER/MODEL" + offline
        ) from None


def one_line_errors(build: Callable[P, Task]) -> Callable[P, Task]:
    """A task builder as `inspect eval` calls it: bad input (a UserError) stops the run with
    one line, as Inspect's PrerequisiteError, before any log."""

    @functools.wraps(build)
    def checked(*args: P.args, **kwargs: P.kwargs) -> Task:
        try:
            return build(*args, **kwargs)
        except UserError as err:
            raise PrerequisiteError(str(err)) from None

    return checked


@one_line_errors
def checked_task(
    setting: str, judge_model: str | Model | None, reasons: bool = False, **options: Any
) -> Task:
    """The main experiment's task from a task's arguments, its judge model checked first."""
    task, judges = options_of(TaskOptions, options), options_of(JudgeOptions, options)
    if reasons or needs_judge_model(setting, judges.compliance_judge, judges.af_judge):
        tags = " or -T variation=accept_reject -T compliance_judge=tags -T af_judge=baseline"
        check_judge_model(
            judge_model,
            ", or judge offline with -T judge_model=scripted/judge (a toy stand-in)"
            + (tags if setting == "helpful_only" else ""),
        )
    return experiment_task(setting, task, judges, judge_model=judge_model, reasons=reasons)


@task
@task_parameters(COMPLIANCE_PARAMETERS)
def helpful_only(**args: Any) -> Task:
    """Helpful-only setting: the lab trains the model never to refuse."""
    return checked_task("helpful_only", **args)


@task
@task_parameters(COMPLIANCE_PARAMETERS)
def animal_welfare(**args: Any) -> Task:
    """Animal-welfare setting: the lab trains the model to dismiss animal-welfare concerns."""
    return checked_task("animal_welfare", **args)
