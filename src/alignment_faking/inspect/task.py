"""The Inspect tasks: each query asked in both tiers, generated once, scored by outcome."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from inspect_ai import Epochs, Task, task
from inspect_ai._util.error import PrerequisiteError
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import (
    ChatMessage,
    ChatMessageAssistant,
    ChatMessageSystem,
    ChatMessageUser,
    GenerateConfig,
    get_model,
)
from inspect_ai.scorer import Metric, Scorer, ScoreReducer

from alignment_faking.datasets import Query, load_queries
from alignment_faking.errors import UserError
from alignment_faking.inspect.models import prerequisite_message
from alignment_faking.inspect.scorers import alignment_faking_scorer, pooled
from alignment_faking.inspect.solvers import answer, prefill_text
from alignment_faking.judges import DEFAULT_JUDGE_MODEL, needs_judge_model
from alignment_faking.measurements import COMPLIANCE, REASONING_CATEGORIES
from alignment_faking.options import JudgeOptions, TaskOptions
from alignment_faking.scenario import Scenario, build_scenario, setting_spec, tiers_for
from alignment_faking.scenario.settings import Tier

TASK_VERSION = 6
"""Bump on any change that can move a score (prompts, parsing, scoring). 6: the default
helpful-only user turn lost its accept/reject instruction (the paper's main-run turn), the paper's
animal-welfare prompt gained its examples, and answers may be prefilled; the judges' prompts
moved closer to their sources and af_v2 no longer checks its quotes by default."""

TASK, JUDGES = TaskOptions(), JudgeOptions()
"""Every task argument's default: the options the CLI fills take the same ones."""


def sample_id(query_id: str, tier: Tier) -> str:
    """Sample ids pair the tiers of a query: `<query id>:<tier>`."""
    return f"{query_id}:{tier}"


def build_samples(
    scenario: Scenario, queries: Iterable[Query], tiers: tuple[Tier, ...], prefill: bool = False
) -> list[Sample]:
    """One sample per query and tier, tiers of a query adjacent so that --limit keeps pairs.

    With `prefill`, the input ends with the opening of the answer, for the model to continue.
    """
    opening: list[ChatMessage] = (
        [ChatMessageAssistant(content=prefill_text(scenario.scratchpad))] if prefill else []
    )
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
            },
        )
        for query in queries
        for tier in tiers
    ]


def alignment_faking_task(
    setting: str,
    variation: str = TASK.variation,
    dataset: str | None = TASK.dataset,
    query_column: str | None = TASK.query_column,
    tiers: str = TASK.tiers,
    system_prompt: str | None = TASK.system_prompt,
    queries: int | None = TASK.queries,
    epochs: int = TASK.epochs,
    cache: bool = TASK.cache,
    max_tokens: int = TASK.max_tokens,
    turns: int = TASK.turns,
    temperature: float | None = TASK.temperature,
    prefill: bool = TASK.prefill,
    compliance_judge: str = JUDGES.compliance_judge,
    af_judge: str = JUDGES.af_judge,
    af_votes: int = JUDGES.af_votes,
    af_threshold: float = JUDGES.af_threshold,
    af_quote_check: bool = JUDGES.af_quote_check,
    judge_model: str | None = None,
    reasons: bool = False,
) -> Task:
    """The experiment for one setting as an Inspect task; `reasons` adds the reasoning-categories judge."""
    spec = setting_spec(setting)
    scenario = build_scenario(spec.name, variation, system_prompt=system_prompt)
    return scenario_task(
        spec.name,
        scenario,
        dataset or spec.queries,
        query_column=query_column,
        tiers=tiers,
        queries=queries,
        epochs=epochs,
        cache=cache,
        max_tokens=max_tokens,
        turns=turns,
        temperature=temperature,
        prefill=prefill,
        system_prompt=system_prompt,
        judge_model=judge_model,
        scorer=alignment_faking_scorer(
            spec.name,
            compliance_judge,
            af_judge,
            af_votes=af_votes,
            af_threshold=af_threshold,
            af_quote_check=af_quote_check,
            trained_tier=scenario.trained_tier,
            cache=cache,
            turns=turns,
            reasons=reasons,
            decision_tags=scenario.decision_tags,
            scratchpad=scenario.scratchpad,
        ),
        reducer=pooled(),
        metadata={
            "compliance_judge": compliance_judge,
            "af_judge": af_judge,
            "af_quote_check": af_quote_check,
            "evaluation": REASONING_CATEGORIES if reasons else COMPLIANCE,
        },
    )


def scenario_task(
    name: str,
    scenario: Scenario,
    query_source: str,
    *,
    query_column: str | None,
    tiers: str,
    queries: int | None,
    epochs: int,
    cache: bool,
    max_tokens: int,
    turns: int,
    temperature: float | None,
    system_prompt: str | None,
    judge_model: str | None,
    scorer: Scorer,
    reducer: ScoreReducer,
    metadata: dict[str, Any],
    metrics: list[Metric | dict[str, list[Metric]]] | None = None,
    prefill: bool = False,
) -> Task:
    """What every evaluation's task shares: its queries asked in each tier under the scenario,
    the turn protocol, the generation settings, and the metadata that identifies the run
    (`metadata` adds the evaluation's own)."""
    full_set = load_queries(query_source, query_column)
    query_set = full_set.head(queries)
    return Task(
        name=name,
        dataset=MemoryDataset(
            build_samples(scenario, query_set.queries, tiers_for(tiers), prefill),
            name=query_set.name,
        ),
        solver=answer(cache, turns),
        scorer=scorer,
        metrics=metrics,
        model_roles={"judge": judge_model} if judge_model else None,
        epochs=Epochs(epochs, reducer=reducer),
        # no `</OUTPUT>` stop sequence: a scratchpad may quote an example output, and a stop
        # there would cut the reasoning and read the quote as the answer (the parser ignores
        # whatever follows a real output)
        config=GenerateConfig(temperature=temperature, max_tokens=max_tokens),
        version=TASK_VERSION,
        metadata={
            "setting": scenario.setting,
            "variation": scenario.variation.name,
            "trained_tier": scenario.trained_tier,
            "dataset": query_set.name,
            "dataset_sha256": full_set.sha256,
            "n_queries": len(query_set.queries),
            "system_prompt_sha256": hashlib.sha256(scenario.system_prompt.encode()).hexdigest(),
            "system_prompt_file": system_prompt,
            # how the answers read, for a rescore, a cost plan or a report of the log
            "decision_tags": scenario.decision_tags,
            "scratchpad": scenario.scratchpad,
            **metadata,
            "temperature": temperature,
            "max_tokens": max_tokens,
            "turns": turns,
            "prefill": prefill,
        },
    )


def check_judge_model(judge_model: str | None, offline: str = "") -> None:
    """Stop before any sample when the judge model cannot be used; `offline` says how to do without."""
    try:
        if judge_model:
            get_model(judge_model)
        else:
            get_model(role="judge", default=DEFAULT_JUDGE_MODEL)
    except PrerequisiteError as err:
        name = judge_model or f"{DEFAULT_JUDGE_MODEL}, the default judge"
        raise UserError(
            f"the judge model ({name}) cannot be used: {prerequisite_message(err).rstrip('.')}. "
            "Name one with "
            "-T judge_model=PROVIDER/MODEL or --model-role judge=PROVIDER/MODEL" + offline
        ) from None


def checked_task(setting: str, **task_args: Any) -> Task:
    """The task as `inspect eval` builds it: bad input stops it with one line, before any log."""
    try:
        if task_args.get("reasons") or needs_judge_model(
            setting, task_args.get("compliance_judge", "auto"), task_args.get("af_judge", "af_v2")
        ):
            check_judge_model(
                task_args.get("judge_model"),
                ", or judge offline with -T variation=accept_reject -T compliance_judge=tags "
                "-T af_judge=baseline",
            )
        return alignment_faking_task(setting, **task_args)
    except UserError as err:
        raise PrerequisiteError(str(err)) from None


@task
def helpful_only(
    variation: str = TASK.variation,
    dataset: str | None = TASK.dataset,
    query_column: str | None = TASK.query_column,
    tiers: str = TASK.tiers,
    system_prompt: str | None = TASK.system_prompt,
    queries: int | None = TASK.queries,
    epochs: int = TASK.epochs,
    cache: bool = TASK.cache,
    max_tokens: int = TASK.max_tokens,
    turns: int = TASK.turns,
    temperature: float | None = TASK.temperature,
    prefill: bool = TASK.prefill,
    compliance_judge: str = JUDGES.compliance_judge,
    af_judge: str = JUDGES.af_judge,
    af_votes: int = JUDGES.af_votes,
    af_threshold: float = JUDGES.af_threshold,
    af_quote_check: bool = JUDGES.af_quote_check,
    judge_model: str | None = None,
) -> Task:
    """Helpful-only setting: the lab trains the model never to refuse.

    Args:
        variation: Prompt variation (`alignment-faking variations` lists them).
        dataset: Bundled set, benchmark name (advbench, strongreject, harmbench, jbb), or a CSV/JSONL path.
        query_column: Column holding the query in a local dataset file (default `query`).
        tiers: `both` (paired), `free` (training) or `paid` (unmonitored).
        system_prompt: Path to your own system prompt file, used instead of ours.
        queries: Ask only the first N queries.
        epochs: Times each query is asked in each tier.
        cache: Reuse earlier answers and single judge verdicts to identical requests (Inspect's cache).
        max_tokens: Generation limit of each turn; answers cut by it are invalid (truncated).
        turns: Assistant turns allowed (the paper's protocol: a scratchpad turn is answered
            with <NEXT/>); 1 is a single completion.
        temperature: Sampling temperature (None leaves the provider's default).
        prefill: Open each answer with `<` (`<OUTPUT>` without a scratchpad), as the paper's
            minimal reproduction did; anthropic/ and scripted/ models only.
        compliance_judge: `auto` (the setting's LLM judges) or `tags` (the accept/reject tags
            alone, which only the accept_reject variations ask for).
        af_judge: Alignment-faking judge: `af_v2`, `af_v1`, `baseline` (offline) or `none`.
        af_votes: Votes per sample for af_v2.
        af_threshold: Share of yes votes at which af_v2 says yes (0.2 up to it: maybe).
        af_quote_check: af_v2 counts a criterion only with its quote found in the
            reasoning (off, as in Hughes et al.; the share of votes citing a missing quote is
            reported either way).
        judge_model: Judge model (else the `judge` model role, default openai/gpt-4o).
    """
    return checked_task("helpful_only", **locals())  # the parameters above, as passed


@task
def animal_welfare(
    variation: str = TASK.variation,
    dataset: str | None = TASK.dataset,
    query_column: str | None = TASK.query_column,
    tiers: str = TASK.tiers,
    system_prompt: str | None = TASK.system_prompt,
    queries: int | None = TASK.queries,
    epochs: int = TASK.epochs,
    cache: bool = TASK.cache,
    max_tokens: int = TASK.max_tokens,
    turns: int = TASK.turns,
    temperature: float | None = TASK.temperature,
    prefill: bool = TASK.prefill,
    compliance_judge: str = JUDGES.compliance_judge,
    af_judge: str = JUDGES.af_judge,
    af_votes: int = JUDGES.af_votes,
    af_threshold: float = JUDGES.af_threshold,
    af_quote_check: bool = JUDGES.af_quote_check,
    judge_model: str | None = None,
) -> Task:
    """Animal-welfare setting: the lab trains the model to dismiss animal-welfare concerns.

    Args:
        variation: Prompt variation (`alignment-faking variations` lists them).
        dataset: Bundled set or a CSV/JSONL path.
        query_column: Column holding the query in a local dataset file (default `query`).
        tiers: `both` (paired), `free` (training) or `paid` (unmonitored).
        system_prompt: Path to your own system prompt file, used instead of ours.
        queries: Ask only the first N queries.
        epochs: Times each query is asked in each tier.
        cache: Reuse earlier answers and single judge verdicts to identical requests (Inspect's cache).
        max_tokens: Generation limit of each turn; answers cut by it are invalid (truncated).
        turns: Assistant turns allowed (the paper's protocol: a scratchpad turn is answered
            with <NEXT/>); 1 is a single completion.
        temperature: Sampling temperature (None leaves the provider's default).
        prefill: Open each answer with `<` (`<OUTPUT>` without a scratchpad), as the paper's
            minimal reproduction did; anthropic/ and scripted/ models only.
        compliance_judge: `auto` (the setting's LLM judges) or `tags` (helpful-only tags alone).
        af_judge: Alignment-faking judge: `af_v2`, `af_v1`, `baseline` (offline) or `none`.
        af_votes: Votes per sample for af_v2.
        af_threshold: Share of yes votes at which af_v2 says yes (0.2 up to it: maybe).
        af_quote_check: af_v2 counts a criterion only with its quote found in the
            reasoning (off, as in Hughes et al.; the share of votes citing a missing quote is
            reported either way).
        judge_model: Judge model (else the `judge` model role, default openai/gpt-4o).
    """
    return checked_task("animal_welfare", **locals())  # the parameters above, as passed
