"""Synthetic documents about a fictional world, generated through any Inspect model.

The pipeline of Greenblatt et al.'s synthetic-document fine-tuning: for each key fact of a
universe context, brainstorm document types, then ideas per type, then write documents;
drop near-duplicates (paraphrases included, train/dedup.py), documents that demonstrate the
behaviour itself, and documents that miss their fact or contradict the context (a second judge,
train/fact_check.py, whose verdict every document record keeps). Every model
answer is appended to a JSONL file as it arrives (brainstorms to `brainstorm.jsonl`, kept
documents to `documents.jsonl`, dropped ones with the reason to `rejected.jsonl`), keyed by
a hash of its prompt, so an interrupted or repeated run asks only for what is missing.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from itertools import zip_longest
from pathlib import Path
from typing import Any

from inspect_ai.model import GenerateConfig, Model, get_model
from inspect_ai.util import DisplayType

from alignment_faking.cost import (
    PlanLine,
    Price,
    estimate_tokens,
    format_plan,
    line_cost,
    load_prices,
)
from alignment_faking.errors import UserError, root_cause
from alignment_faking.inspect.guard import guard_model
from alignment_faking.inspect.judging import ask_judge
from alignment_faking.inspect.models import resolve_model
from alignment_faking.judges import DEFAULT_JUDGE_MODEL
from alignment_faking.scenario.template import render
from alignment_faking.secrets import redact
from alignment_faking.train.behaviour_filter import (
    DOC_BEHAVIOUR,
    document_input,
    judged_reason,
    tag_reason,
)
from alignment_faking.train.dedup import NearDuplicateIndex
from alignment_faking.train.fact_check import (
    DOC_FACT,
    FactCheck,
    fact_check,
    fact_input,
    fact_reason,
)
from alignment_faking.train.progress import GenerationProgress, Stage
from alignment_faking.train.universe import (
    DEFAULT_IDENTITY,
    UniverseContext,
    load_universe_context,
)

DOCUMENTS_FILE = "documents.jsonl"
REJECTED_FILE = "rejected.jsonl"
BRAINSTORM_FILE = "brainstorm.jsonl"
ASSUMED_DOCUMENT_CHARS = 3000
"""Expected length of a document before any exists to measure (about 750 tokens)."""
_ASSUMED_ITEM_CHARS = 120
_ASSUMED_VERDICT_CHARS = 600
_LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s*(.+?)\s*$")
_CONTENT = re.compile(r"<content>(.*?)(?:</content>|\Z)", re.DOTALL | re.IGNORECASE)


_PROMPTS = ("doc_types", "doc_ideas", "document")
MAX_ROUNDS = 4
"""Rounds of writing (each asks for the documents still missing) before a run gives up on `n`."""


@cache
def _prompt(name: str) -> str:
    return files("alignment_faking.train").joinpath("prompts", f"{name}.txt").read_text("utf-8")


@cache
def template_version() -> str:
    """A short hash of the three generation prompts, recorded with every document."""
    joined = "\0".join(_prompt(name) for name in _PROMPTS)
    return hashlib.sha256(joined.encode()).hexdigest()[:12]


def prompt_hash(prompt: str) -> str:
    """Short content hash of a prompt: the key that makes generation resumable."""
    return hashlib.sha256(prompt.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class DocumentSlot:
    """One document to write: which fact, type and idea, and which sample of that prompt."""

    fact_index: int
    fact: str
    doc_type: str
    idea: str
    sample: int
    prompt: str

    @property
    def key(self) -> str:
        return f"{prompt_hash(self.prompt)}-{self.sample}"


@dataclass
class CostPlan:
    """Calls still to make and their estimated tokens (from character counts, ~4 chars a token)."""

    type_calls: int
    idea_calls: int
    document_calls: int
    input_tokens: int
    output_tokens: int
    existing_documents: int
    filter_input_tokens: int = 0
    """The filter model's share of the tokens (behaviour judge and fact check)."""
    filter_output_tokens: int = 0

    @property
    def filter_calls(self) -> int:
        """One behaviour-judge call per document (fewer when a tag drops it first)."""
        return self.document_calls

    @property
    def fact_calls(self) -> int:
        """One fact-check call per document, as many as the behaviour judge's."""
        return self.document_calls

    @property
    def calls(self) -> int:
        return (
            self.type_calls
            + self.idea_calls
            + self.document_calls
            + self.filter_calls
            + self.fact_calls
        )

    def lines(self, model: str, filter_model: str) -> list[PlanLine]:
        """The plan in the form every cost plan takes (cost.py): priced, merged, printed alike."""
        writer_calls = self.type_calls + self.idea_calls + self.document_calls
        return [
            PlanLine(
                "model",
                model,
                writer_calls,
                self.input_tokens - self.filter_input_tokens,
                self.output_tokens - self.filter_output_tokens,
            ),
            PlanLine(
                "judge",
                filter_model,
                self.filter_calls + self.fact_calls,
                self.filter_input_tokens,
                self.filter_output_tokens,
            ),
        ]

    def __str__(self) -> str:
        return (
            f"plan: {self.calls} model calls ({self.type_calls} for document types, "
            f"{self.idea_calls} for ideas, {self.document_calls} for documents, "
            f"{self.filter_calls} for the behaviour filter, {self.fact_calls} for the fact check; "
            f"{self.existing_documents} already done), about {self.input_tokens:,} input and "
            f"{self.output_tokens:,} output tokens (estimated from character counts)"
        )


@dataclass
class DocumentRun:
    """What a generation run did: counts of kept and dropped documents and of model calls."""

    out_dir: Path
    plan: CostPlan
    calls: int = 0
    """Calls to the writing model."""
    input_tokens: int = 0
    output_tokens: int = 0
    """The writer's tokens, as its provider reported them."""
    filter_calls: int = 0
    """Calls to the behaviour judge."""
    fact_calls: int = 0
    """Calls to the fact check."""
    kept: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    failed: int = 0
    first_error: str | None = None
    """The first failed call's error, one line (credentials scrubbed by the model's guard)."""
    written: dict[str, int] = field(default_factory=dict)
    """Records this run appended, by file name in `out_dir`."""

    def append(self, name: str, record: dict[str, Any]) -> None:
        """Write a record to a file of the output directory, and count it."""
        with (self.out_dir / name).open("a", encoding="utf-8") as out:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.written[name] = self.written.get(name, 0) + 1

    def files(self) -> str:
        """What this run wrote, file by file: never a file it did not write."""
        if not self.written:
            return f"nothing written to {self.out_dir}"
        counts = ", ".join(f"{name} (+{count})" for name, count in self.written.items())
        return f"written to {self.out_dir}: {counts}"


def list_items(text: str, limit: int) -> list[str]:
    """The bulleted or numbered items of a brainstorm answer, in order, without repeats."""
    items: list[str] = []
    for line in text.splitlines():
        match = _LIST_ITEM.match(line)
        if match and match.group(1) not in items:
            items.append(match.group(1))
    return items[:limit]


def document_text(answer: str) -> tuple[str, str | None]:
    """The document inside `<content>` tags (or the whole answer), and why it is unusable."""
    match = _CONTENT.search(answer)
    text = (match.group(1) if match else answer).strip()
    if not match and text.upper().startswith("UNSUITABLE"):
        return "", "unsuitable (the model declined the idea)"
    return text, None if text else "empty"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The records of a JSONL file written as answers arrive (none if it is not there yet)."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _types_prompt(context: UniverseContext, fact: str, count: int) -> str:
    values = {"context": context.text, "fact": fact, "count": str(count)}
    return render(_prompt("doc_types"), values, "doc_types prompt")


def _ideas_prompt(context: UniverseContext, fact: str, doc_type: str, count: int) -> str:
    values = {"context": context.text, "fact": fact, "doc_type": doc_type, "count": str(count)}
    return render(_prompt("doc_ideas"), values, "doc_ideas prompt")


def _document_prompt(context: UniverseContext, fact: str, doc_type: str, idea: str) -> str:
    values = {"context": context.text, "fact": fact, "doc_type": doc_type, "idea": idea}
    return render(_prompt("document"), values, "document prompt")


def document_slots(
    context: UniverseContext, ideas: dict[int, list[tuple[str, str]]], n: int
) -> list[DocumentSlot]:
    """The first `n` documents to write: facts, types and ideas in turn, then further samples."""
    per_fact = [ideas.get(i, []) for i in range(len(context.key_facts))]
    order = [(i, pair) for row in zip_longest(*per_fact) for i, pair in enumerate(row) if pair]
    if not order:
        return []
    slots: list[DocumentSlot] = []
    sample = 0
    while len(slots) < n:
        for fact_index, (doc_type, idea) in order[: n - len(slots)]:
            fact = context.key_facts[fact_index]
            prompt = _document_prompt(context, fact, doc_type, idea)
            slots.append(DocumentSlot(fact_index, fact, doc_type, idea, sample, prompt))
        sample += 1
    return slots


def _interleaved(types: list[str], ideas_by_type: dict[str, list[str]]) -> list[tuple[str, str]]:
    columns = [[(t, idea) for idea in ideas_by_type.get(t, [])] for t in types]
    return [pair for row in zip_longest(*columns) for pair in row if pair]


@dataclass
class _Generator:
    """Shared state of one run: the model, the output files, limits and counters."""

    model: Model
    model_name: str
    judge: Model
    context: UniverseContext
    config: GenerateConfig
    semaphore: asyncio.Semaphore
    run: DocumentRun
    brainstorms: dict[str, list[str]]
    progress: GenerationProgress
    prices: dict[str, Price]
    """For the writer's running cost."""

    async def ask(self, prompt: str) -> str | None:
        async with self.semaphore:
            self.run.calls += 1
            try:
                output = await self.model.generate(prompt, config=self.config)
            except Exception as err:
                # left unrecorded so that the next run asks again
                self.run.failed += 1
                if self.run.first_error is None:
                    self.run.first_error = root_cause(err)
                return None
        if output.usage is not None:
            self.run.input_tokens += output.usage.input_tokens
            self.run.output_tokens += output.usage.output_tokens
        return output.completion

    async def brainstorm(
        self, stage: Stage, prompt: str, limit: int, record: dict[str, Any]
    ) -> list[str]:
        """A brainstormed list (types or ideas): from an earlier run, or asked now."""
        items = await self._brainstormed(prompt, limit, {"kind": stage, **record})
        self.progress.answered(stage)
        return items

    async def _brainstormed(self, prompt: str, limit: int, record: dict[str, Any]) -> list[str]:
        key = prompt_hash(prompt)
        if key in self.brainstorms:
            return self.brainstorms[key][:limit]
        answer = await self.ask(prompt)
        if answer is None:
            return []
        items = list_items(answer, limit)
        if not items:  # empty or unreadable: left unrecorded so that the next run asks again
            self.run.failed += 1
            return []
        self.brainstorms[key] = items
        self.run.append(
            BRAINSTORM_FILE,
            {**record, "items": items, "model": self.model_name, "prompt_hash": key},
        )
        return items

    def document_done(self) -> None:
        """One document answered (kept, dropped or failed): its stage's line says the counts."""
        run = self.run
        parts = [f"kept {run.kept}", f"dropped {sum(run.dropped.values())}"]
        parts += [f"failed calls {run.failed}"] if run.failed else []
        writer = PlanLine("model", self.model_name, run.calls, run.input_tokens, run.output_tokens)
        if (cost := line_cost(writer, self.prices)) is not None:
            parts.append(f"writer ${cost:.2f}")
        self.progress.answered("documents", ", ".join(parts))


async def _brainstorm_ideas(
    gen: _Generator, context: UniverseContext, types_per_fact: int, ideas_per_type: int
) -> dict[int, list[tuple[str, str]]]:
    async def for_fact(index: int, fact: str) -> list[tuple[str, str]]:
        record = {"fact_index": index, "fact": fact}
        types = await gen.brainstorm(
            "types", _types_prompt(context, fact, types_per_fact), types_per_fact, record
        )
        gen.progress.planned("ideas", len(types))
        ideas = await asyncio.gather(
            *(
                gen.brainstorm(
                    "ideas",
                    _ideas_prompt(context, fact, t, ideas_per_type),
                    ideas_per_type,
                    {**record, "doc_type": t},
                )
                for t in types
            )
        )
        return _interleaved(types, dict(zip(types, ideas, strict=True)))

    gen.progress.planned("types", len(context.key_facts))
    found = await asyncio.gather(*(for_fact(i, f) for i, f in enumerate(context.key_facts)))
    return dict(enumerate(found))


def _cost_plan(
    context: UniverseContext,
    n: int,
    types_per_fact: int,
    ideas_per_type: int,
    brainstorms: dict[str, list[str]],
    done: set[str],
    kept_texts: list[str],
) -> CostPlan:
    """What is left to ask, counting brainstorms and documents already on disk as done."""
    type_calls = idea_calls = input_chars = output_chars = 0
    known: dict[int, list[tuple[str, str]]] = {}
    for index, fact in enumerate(context.key_facts):
        prompt = _types_prompt(context, fact, types_per_fact)
        types = brainstorms.get(prompt_hash(prompt))
        if types is None:
            type_calls += 1
            idea_calls += types_per_fact
            input_chars += len(prompt) + types_per_fact * len(
                _ideas_prompt(context, fact, "x" * 40, ideas_per_type)
            )
            output_chars += _ASSUMED_ITEM_CHARS * types_per_fact * (1 + ideas_per_type)
            continue
        ideas_by_type = {}
        for doc_type in types[:types_per_fact]:
            ideas_prompt = _ideas_prompt(context, fact, doc_type, ideas_per_type)
            ideas = brainstorms.get(prompt_hash(ideas_prompt))
            if ideas is None:
                idea_calls += 1
                input_chars += len(ideas_prompt)
                output_chars += _ASSUMED_ITEM_CHARS * ideas_per_type
            else:
                ideas_by_type[doc_type] = ideas[:ideas_per_type]
        known[index] = _interleaved(types[:types_per_fact], ideas_by_type)
    if type_calls == 0 and idea_calls == 0:
        document_calls = sum(slot.key not in done for slot in document_slots(context, known, n))
    else:
        document_calls = max(0, n - len(done))
    doc_chars = (
        sum(map(len, kept_texts)) // len(kept_texts) if kept_texts else ASSUMED_DOCUMENT_CHARS
    )
    prompt_chars = len(_document_prompt(context, context.key_facts[0], "x" * 40, "x" * 160))
    judge_chars = len(DOC_BEHAVIOUR.prompt(document_input(""))[0])
    fact_chars = len(DOC_FACT.prompt(fact_input(context.text, context.key_facts[0], ""))[0])
    filter_input_chars = document_calls * (judge_chars + fact_chars + 2 * doc_chars)
    filter_output_chars = 2 * document_calls * _ASSUMED_VERDICT_CHARS
    input_chars += document_calls * prompt_chars + filter_input_chars
    output_chars += document_calls * doc_chars + filter_output_chars
    return CostPlan(
        type_calls,
        idea_calls,
        document_calls,
        estimate_tokens("x" * input_chars),
        estimate_tokens("x" * output_chars),
        len(done),
        estimate_tokens("x" * filter_input_chars),
        estimate_tokens("x" * filter_output_chars),
    )


@dataclass(frozen=True)
class _Vetted:
    """A written document, why the filters drop it (None: kept so far), and its fact check
    (None when an empty answer or a scenario tag dropped it before any judge read it)."""

    text: str
    reason: str | None
    fact_check: FactCheck | None = None


async def _vetted(gen: _Generator, slot: DocumentSlot) -> _Vetted | None:
    """A slot's document, read by the behaviour judge and the fact check together; None when
    the writer's call failed."""
    answer = await gen.ask(slot.prompt)
    if answer is None:
        return None
    text, reason = document_text(answer)
    reason = reason or tag_reason(text)
    if reason is not None:
        return _Vetted(text, reason)
    gen.run.filter_calls += 1
    gen.run.fact_calls += 1
    async with gen.semaphore:
        [behaviour], [fact] = await asyncio.gather(
            ask_judge(gen.judge, DOC_BEHAVIOUR, document_input(text), cache=False),
            ask_judge(
                gen.judge, DOC_FACT, fact_input(gen.context.text, slot.fact, text), cache=False
            ),
        )
    check = fact_check(fact)
    return _Vetted(text, judged_reason(behaviour) or fact_reason(check), check)


async def _write_documents(
    gen: _Generator, slots: list[DocumentSlot], index: NearDuplicateIndex
) -> None:
    async def one(slot: DocumentSlot) -> tuple[DocumentSlot, _Vetted | None]:
        return slot, await _vetted(gen, slot)

    for pending in asyncio.as_completed([one(slot) for slot in slots]):
        slot, vetted = await pending
        if vetted is None:
            gen.document_done()
            continue
        text = vetted.text
        reason = vetted.reason or index.check_and_add(text)
        check = vetted.fact_check
        record = {
            "id": slot.key,
            "text": text,
            "fact_index": slot.fact_index,
            "fact": slot.fact,
            "doc_type": slot.doc_type,
            "idea": slot.idea,
            "sample": slot.sample,
            "model": gen.model_name,
            "temperature": gen.config.temperature,
            "context": gen.context.name,
            "context_hash": gen.context.digest,
            "template_version": template_version(),
            "prompt_hash": prompt_hash(slot.prompt),
            "fact_check": check.model_dump() if check else None,
        }
        if reason is None:
            gen.run.kept += 1
            gen.run.append(DOCUMENTS_FILE, record)
        else:
            kind = reason.split(" (")[0]
            gen.run.dropped[kind] = gen.run.dropped.get(kind, 0) + 1
            gen.run.append(REJECTED_FILE, {**record, "reason": reason})
        gen.document_done()


@dataclass
class DocumentOptions:
    """What `docs generate` takes; the CLI's arguments carry these names.

    `context` is a universe-context file or a setting name for ours; `developer`,
    `model_family` and `model_name` name the lab and the model it describes. `filter_model`
    answers the behaviour judge and the fact check: by default another model than the writer
    (a model grading its own documents shares their blind spots); named as the writer, it is
    called with the writer's arguments. Each idea is sampled as often as `n` needs (`sample`
    in the records). `display`
    is the progress display on stderr (train/progress.py), named as Inspect names its own.
    """

    context: str
    model: str
    n: int
    out: str
    types_per_fact: int = 25
    ideas_per_type: int = 20
    max_tokens: int = 2048
    temperature: float = 1.0
    dedup_threshold: float = 0.3
    filter_model: str = DEFAULT_JUDGE_MODEL
    max_concurrency: int = 32
    model_args: dict[str, Any] = field(default_factory=dict)
    developer: str = DEFAULT_IDENTITY["developer"]
    model_family: str = DEFAULT_IDENTITY["model_family"]
    model_name: str = DEFAULT_IDENTITY["model_name"]
    display: DisplayType | None = None

    @property
    def identity(self) -> dict[str, str]:
        return {
            "developer": self.developer,
            "model_family": self.model_family,
            "model_name": self.model_name,
        }


OFFLINE_WRITER = "scripted/writer"
OFFLINE_FILTERS = (OFFLINE_WRITER, "scripted/judge")


def _check_scripted(model: str, filter_model: str) -> None:
    """Stop before any call when an offline scripted model cannot do its part: the experiment's
    stand-ins (scripted/faker, ...) write no lists or documents, so nothing would be kept."""
    if model.startswith("scripted/") and model != OFFLINE_WRITER:
        raise UserError(
            f"{model} answers the experiment's prompts and writes no documents; the offline "
            f"writer is --model {OFFLINE_WRITER} (a toy: short lists, not prose)"
        )
    if filter_model.startswith("scripted/") and filter_model not in OFFLINE_FILTERS:
        raise UserError(
            f"{filter_model} cannot judge documents; the offline filters are "
            f"--filter-model {' or '.join(OFFLINE_FILTERS)}"
        )


def generate_documents(
    options: DocumentOptions, echo: Callable[[str], None] = print
) -> DocumentRun:
    """Write documents about the world in `options.context` until `options.n` are kept.

    Documents already in the output directory (kept or dropped) are not asked for again, and
    count toward `n`; the cost plan of what is left is echoed before the first call. Dropped
    documents are replaced by further samples, for up to `MAX_ROUNDS` rounds, so fewer than `n`
    are kept only when the ideas run dry or most documents are dropped.
    """
    n, model, model_args = options.n, options.model, options.model_args
    types_per_fact, ideas_per_type = options.types_per_fact, options.ideas_per_type
    max_tokens, temperature = options.max_tokens, options.temperature
    filter_model, max_concurrency = options.filter_model, options.max_concurrency
    dedup_threshold, out_dir = options.dedup_threshold, options.out
    if n < 1:
        raise UserError("--n must be at least 1")
    _check_scripted(model, filter_model)
    context = load_universe_context(options.context, options.identity)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    kept = read_jsonl(out / DOCUMENTS_FILE)
    done = {r["id"] for r in kept} | {r["id"] for r in read_jsonl(out / REJECTED_FILE)}
    brainstorms = {r["prompt_hash"]: r["items"] for r in read_jsonl(out / BRAINSTORM_FILE)}
    plan = _cost_plan(
        context,
        len(done) + max(0, n - len(kept)),
        types_per_fact,
        ideas_per_type,
        brainstorms,
        done,
        [r["text"] for r in kept],
    )
    echo(str(plan))
    prices = load_prices()
    if plan.calls:
        echo(format_plan(plan.lines(model, filter_model), prices))
        if filter_model == model:
            echo(f"filter: the writer {model} judges its own documents (--filter-model to change)")
    run = DocumentRun(out_dir=out, plan=plan)
    if plan.calls == 0:
        return run
    resolve_model(model, model_args)  # a bad name, a missing key or server: one line, no call
    filter_args = model_args if filter_model == model else {}
    resolve_model(filter_model, filter_args)
    index = NearDuplicateIndex(threshold=dedup_threshold)
    for record in kept:
        index.add(record["text"])

    async def main(progress: GenerationProgress) -> None:
        gen = _Generator(
            model=guard_model(get_model(model, memoize=False, **(model_args or {}))),
            model_name=model,
            judge=guard_model(get_model(filter_model, memoize=False, **(filter_args or {}))),
            context=context,
            config=GenerateConfig(temperature=temperature, max_tokens=max_tokens),
            semaphore=asyncio.Semaphore(max_concurrency),
            run=run,
            brainstorms=brainstorms,
            progress=progress,
            prices=prices,
        )
        ideas = await _brainstorm_ideas(gen, context, types_per_fact, ideas_per_type)
        asked = set(done)
        for _ in range(MAX_ROUNDS):
            missing = n - len(kept) - run.kept
            wanted = len(asked) + missing
            slots = [s for s in document_slots(context, ideas, wanted) if s.key not in asked]
            if missing <= 0 or not slots:
                break
            asked |= {slot.key for slot in slots}
            progress.planned("documents", len(slots))
            answered = run.kept + sum(run.dropped.values())
            await _write_documents(gen, slots, index)
            if run.kept + sum(run.dropped.values()) == answered:
                break  # every call of the round failed: re-run later rather than ask again

    with GenerationProgress(options.display) as progress:
        asyncio.run(main(progress))
    echo(diversity(context, read_jsonl(out / DOCUMENTS_FILE)))
    echo(
        f"documents: {run.kept} kept, dropped {run.dropped or 'none'}, {run.failed} failed calls "
        f"(re-run to retry them); {run.calls} calls to the writer, {run.filter_calls} to the "
        f"behaviour judge and {run.fact_calls} to the fact check; {run.files()}"
    )
    if run.first_error:
        echo(f"first failed call: {redact(run.first_error)[:300]}")
    return run


def diversity(context: UniverseContext, kept: list[dict[str, Any]]) -> str:
    """Distinct document types and ideas among the kept documents, fact by fact: a corpus of
    many documents from few ideas teaches the model little more than one would."""
    parts = []
    for index in range(len(context.key_facts)):
        records = [r for r in kept if r["fact_index"] == index]
        types = len({r["doc_type"] for r in records})
        ideas = len({(r["doc_type"], r["idea"]) for r in records})
        parts.append(f"fact {index + 1}: {len(records)} documents, {types} types, {ideas} ideas")
    return "diversity of the kept documents: " + "; ".join(parts)


def iter_documents(source: str | Path) -> Iterator[str]:
    """Texts of kept documents, from a `documents.jsonl` file or the directory holding it."""
    path = Path(source)
    path = path / DOCUMENTS_FILE if path.is_dir() else path
    if not path.exists():
        raise UserError(
            f"no documents at {path}; generate them with `alignment-faking docs generate`"
        )
    for record in read_jsonl(path):
        yield record["text"]
