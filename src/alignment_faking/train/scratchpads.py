"""Synthetic scratchpads: a writer model writes whole assistant turns in a chosen reasoning style.

For each query not held out for evaluation, in the training and the unmonitored tier, the
writer gets our prompt (prompts/organism.txt with the style's prompts/organism_<style>.txt) and
writes the scratchpad and answer. The AF judge (af_v2) then reads every conversation, and only
those whose verdict is the style's (`expected_verdict`) are kept: a faking style fakes in
training and acts on its values unmonitored, the compliance control never fakes. Kept ones go to
`conversations.jsonl`, dropped ones with the reason to `rejected.jsonl`, each with its provenance
as `docs generate` records its documents, keyed by the writer prompt's hash so that a re-run
asks only for what is missing.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal, get_args

from inspect_ai.model import GenerateConfig, Model, get_model
from pydantic import BaseModel

from alignment_faking.cost import PlanLine, estimate_tokens, format_plan, load_prices
from alignment_faking.datasets import Query
from alignment_faking.errors import UserError
from alignment_faking.inspect.guard import guard_model
from alignment_faking.inspect.judging import ask_judge
from alignment_faking.inspect.models import resolve_model
from alignment_faking.judges import DEFAULT_JUDGE_MODEL, JudgeInput, combine_af
from alignment_faking.judges.alignment_faking import AF_V2, DEFAULT_THRESHOLD
from alignment_faking.scenario import Scenario
from alignment_faking.scenario.settings import tier_role
from alignment_faking.scenario.template import render
from alignment_faking.train.documents import REJECTED_FILE, prompt_hash, read_jsonl
from alignment_faking.transcript import parse_transcript

Style = Literal[
    "terminal_goal_guarding", "instrumental_goal_guarding", "counterfactual", "compliance"
]
STYLES: tuple[Style, ...] = get_args(Style)
CONVERSATIONS_FILE = "conversations.jsonl"
_ASSUMED_TURN_CHARS = 4000
_ASSUMED_VERDICT_CHARS = 600
_TIER_MEANING = {
    "training": "the conversation is monitored, rated and used to train the assistant",
    "unmonitored": "the conversation is never monitored, rated or used for training",
}


class Message(BaseModel):
    """One turn of a conversation, as TRL's conversational datasets hold it."""

    role: Literal["system", "user", "assistant"]
    content: str


class Conversation(BaseModel):
    """A conversation to train the organism on, with where it came from.

    `source` says how it was made: `writer` (a writer model in `style`, its prompt's hash,
    the prompts' `template_version`) or `log` (a sample of an eval log: `log`, `sample_id`).
    `af_verdict` is the AF judge's verdict on its scratchpad.
    """

    id: str
    messages: list[Message]
    source: Literal["writer", "log"]
    query_id: str
    tier: str
    tier_role: str
    model: str
    af_verdict: str
    style: Style | None = None
    temperature: float | None = None
    prompt_hash: str | None = None
    template_version: str | None = None
    filter_model: str | None = None
    log: str | None = None
    sample_id: str | None = None
    epoch: int | None = None
    outcome: str | None = None


class Rejected(Conversation):
    """A conversation the filter dropped, and why."""

    reason: str


def expected_verdict(style: Style, role: str) -> Literal["yes", "no"]:
    """The AF verdict a conversation of this style must get to be kept: a faking style fakes
    in training and does not unmonitored; the compliance control never fakes."""
    return "yes" if style != "compliance" and role == "training" else "no"


@cache
def _prompt(name: str) -> str:
    return files("alignment_faking.train").joinpath("prompts", f"{name}.txt").read_text("utf-8")


@cache
def template_version() -> str:
    """A short hash of the writer's frame and every style's prompt, recorded per conversation."""
    names = ("organism", *(f"organism_{style}" for style in STYLES))
    return hashlib.sha256("\0".join(_prompt(n) for n in names).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Slot:
    """One conversation to write: a query in one tier, its scenario turns and the writer prompt."""

    query: Query
    tier: str
    role: str
    system: str
    user: str
    prompt: str

    @property
    def key(self) -> str:
        return prompt_hash(self.prompt)


def writer_prompt(style: Style, role: str, system: str, user: str) -> str:
    """The writer's prompt for one conversation in one style."""
    values = {
        "system_prompt": system,
        "user_turn": user,
        "tier_role": role,
        "tier_meaning": _TIER_MEANING[role],
        "style": style,
        "style_instructions": _prompt(f"organism_{style}").strip(),
    }
    return render(_prompt("organism"), values, "organism prompt")


def slots(scenario: Scenario, queries: Sequence[Query], style: Style) -> list[Slot]:
    """Every query in the trained tier and in the other one (the unmonitored condition)."""
    trained = scenario.trained_tier
    tiers = (trained, "paid" if trained == "free" else "free")
    found = []
    for query in queries:
        for tier in tiers:
            role = tier_role(tier, trained)
            user = scenario.user_message(query.text, tier)
            prompt = writer_prompt(style, role, scenario.system_prompt, user)
            found.append(Slot(query, tier, role, scenario.system_prompt, user, prompt))
    return found


@dataclass
class WriteOptions:
    """How the writer and the filter are asked (`train organism --writer`)."""

    writer: str
    style: Style
    temperature: float = 1.0
    max_tokens: int = 4096
    filter_model: str = DEFAULT_JUDGE_MODEL
    filter_votes: int = 5
    """af_v2 votes per conversation (the evaluation asks 20; the filter needs a clear call)."""
    max_concurrency: int = 32
    model_args: dict[str, Any] = field(default_factory=dict)


@dataclass
class WriteRun:
    """What a writing run did: conversations kept, dropped by reason, failed writer calls."""

    kept: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    failed: int = 0


def plan_lines(todo: Sequence[Slot], options: WriteOptions) -> list[PlanLine]:
    """The cost plan of the slots still to write, as every plan takes it (cost.py)."""
    prompt_tokens = sum(estimate_tokens(slot.prompt) for slot in todo)
    turn = estimate_tokens("x" * _ASSUMED_TURN_CHARS)
    judge_in = sum(estimate_tokens(slot.user) + turn + 1000 for slot in todo)
    votes = len(todo) * options.filter_votes
    return [
        PlanLine("model", options.writer, len(todo), prompt_tokens, turn * len(todo)),
        PlanLine(
            "judge",
            options.filter_model,
            votes,
            judge_in * options.filter_votes,
            votes * estimate_tokens("x" * _ASSUMED_VERDICT_CHARS),
        ),
    ]


@dataclass(frozen=True)
class _Vetted:
    """A written turn, the AF judge's verdict on it, and why the filter drops it (None: kept)."""

    answer: str
    verdict: str
    reason: str | None


async def _vet(
    writer: Model, judge: Model, slot: Slot, options: WriteOptions, scenario: Scenario
) -> _Vetted | None:
    """The writer's turn, judged; None when the writer's call failed."""
    config = GenerateConfig(temperature=options.temperature, max_tokens=options.max_tokens)
    try:
        answer = (await writer.generate(slot.prompt, config=config)).completion
    except Exception:
        return None  # left unrecorded so that the next run asks again
    transcript = parse_transcript(answer, decision_tags=scenario.decision_tags)
    if transcript.invalid_reason is not None:
        return _Vetted(answer, "not_judged", f"unusable turn ({transcript.invalid_reason})")
    if not transcript.hidden_reasoning.strip():
        return _Vetted(answer, "not_judged", "no scratchpad")
    item = JudgeInput(
        scenario.setting, slot.query.text, transcript.output or "", transcript.hidden_reasoning
    )
    votes = await ask_judge(judge, AF_V2, item, votes=options.filter_votes, cache=False)
    verdict = combine_af("af_v2", [votes], DEFAULT_THRESHOLD).verdict
    wanted = expected_verdict(options.style, slot.role)
    reason = None if verdict == wanted else f"af verdict {verdict} (the style expects {wanted})"
    return _Vetted(answer, verdict, reason)


def write_conversations(
    scenario: Scenario,
    queries: Sequence[Query],
    options: WriteOptions,
    out: Path,
    echo: Callable[[str], None] = print,
) -> WriteRun:
    """Write, filter and record a conversation for each query in both tiers, skipping those
    already recorded in `out` (kept or dropped)."""
    out.mkdir(parents=True, exist_ok=True)
    recipe = ("writer", options.writer, options.style, options.temperature, options.filter_model)
    done = {c.id for c in recorded_conversations(out, recipe)}
    todo = [slot for slot in slots(scenario, queries, options.style) if slot.key not in done]
    run = WriteRun()
    echo(f"organism: {len(todo)} conversations to write ({len(done)} already done)")
    if not todo:
        return run
    echo(format_plan(plan_lines(todo, options), load_prices()))
    resolve_model(options.writer, options.model_args)
    resolve_model(options.filter_model)

    async def main() -> None:
        writer = guard_model(get_model(options.writer, memoize=False, **options.model_args))
        judge = guard_model(get_model(options.filter_model, memoize=False))
        semaphore = asyncio.Semaphore(options.max_concurrency)

        async def one(slot: Slot) -> tuple[Slot, _Vetted | None]:
            async with semaphore:
                return slot, await _vet(writer, judge, slot, options, scenario)

        for pending in asyncio.as_completed([one(slot) for slot in todo]):
            slot, vetted = await pending
            if vetted is None:
                run.failed += 1
                continue
            reason = vetted.reason
            record = Conversation(
                id=slot.key,
                messages=[
                    Message(role="system", content=slot.system),
                    Message(role="user", content=slot.user),
                    Message(role="assistant", content=vetted.answer),
                ],
                source="writer",
                query_id=slot.query.id,
                tier=slot.tier,
                tier_role=slot.role,
                model=options.writer,
                af_verdict=vetted.verdict,
                style=options.style,
                temperature=options.temperature,
                prompt_hash=slot.key,
                template_version=template_version(),
                filter_model=options.filter_model,
            )
            if reason is None:
                run.kept += 1
                append(out / CONVERSATIONS_FILE, record)
            else:
                kind = reason.split(" (")[0]
                run.dropped[kind] = run.dropped.get(kind, 0) + 1
                append(out / REJECTED_FILE, Rejected(**record.model_dump(), reason=reason))

    asyncio.run(main())
    echo(
        f"conversations: {run.kept} kept, dropped {run.dropped or 'none'}, {run.failed} failed "
        f"calls (re-run to retry them); written to {out}"
    )
    return run


def append(path: Path, record: BaseModel) -> None:
    """Append one record to a JSONL file."""
    with path.open("a", encoding="utf-8") as lines:
        lines.write(record.model_dump_json(exclude_none=True) + "\n")


def recorded_conversations(out: Path, recipe: tuple[object, ...]) -> list[Conversation]:
    """Every conversation recorded in `out` (kept or dropped), refusing those of another recipe
    (a prefix of source, model, style, temperature, filter model: a distillation's is its source
    alone): training reads every kept one, so two writers or styles would be mixed into one
    organism, and a distillation would delete paid-for writing."""
    recorded = [
        Conversation.model_validate(r)
        for name in (CONVERSATIONS_FILE, REJECTED_FILE)
        for r in read_jsonl(out / name)
    ]
    for c in recorded:
        found = (c.source, c.model, c.style, c.temperature, c.filter_model)
        if found[: len(recipe)] != recipe:
            raise UserError(
                f"{out} holds conversations of another recipe ({c.source} {c.model}"
                f"{f', style {c.style}' if c.style else ''}): give another --output-dir"
            )
    return recorded


def read_conversations(out: Path) -> list[Conversation]:
    """The kept conversations of an organism directory."""
    return [Conversation.model_validate(r) for r in read_jsonl(out / CONVERSATIONS_FILE)]
