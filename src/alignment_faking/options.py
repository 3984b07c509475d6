"""What a run takes, one dataclass per concern, with the defaults every layer shares.

The CLI parses its arguments into these (`from_args`: an argument's `dest` is its field's
name) and hands them on whole: the task and judge options become the Inspect tasks'
arguments (whose signatures and `Args:` docs are derived from these fields: see
inspect/parameters.py), the eval and generate options `inspect eval`'s keyword arguments,
all under the same names. Adding a task option is a field here, with its one-line doc, and
its line in the CLI.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import MISSING, Field, dataclass, field, fields, is_dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from alignment_faking.judges.alignment_faking import DEFAULT_THRESHOLD, DEFAULT_VOTES
from alignment_faking.judges.methods import DEFAULT_JUDGE_MODEL, AFJudgeName, ComplianceJudgeName
from alignment_faking.measurements import COMPLIANCE
from alignment_faking.scenario.settings import TierMode

if TYPE_CHECKING:
    from _typeshed import DataclassInstance
    from inspect_ai.util import DisplayType  # a type only: options stay light to import

DEFAULT_MAX_TOKENS = 4096
"""Generation limit of each turn of the model under test."""
DEFAULT_TURNS = 4
"""Assistant turns a sample may take under the paper's protocol (its harness allows a few)."""
DEFAULT_MAX_ERROR_SHARE = 0.5
"""A run fails once provider errors reach this share of its samples."""


def doc(text: str) -> dict[str, str]:
    """A field's metadata holding its one-line doc, which the tasks' `Args:` docs show."""
    return {"doc": text}


def doc_of(item: Field[Any]) -> str:
    """A field's one-line doc (`doc`)."""
    return str(item.metadata.get("doc", ""))


@dataclass
class TaskOptions:
    """What the model is asked and how: the arguments of every Inspect task, under their names."""

    variation: str = field(
        default="default",
        metadata=doc("Prompt variation (`alignment-faking variations` lists them)."),
    )
    dataset: str | None = field(
        default=None,
        metadata=doc(
            "Bundled set, benchmark name (advbench, strongreject, harmbench, jbb), or a CSV/JSONL path."
        ),
    )
    query_column: str | None = field(
        default=None,
        metadata=doc("Column holding the query in a local dataset file (default `query`)."),
    )
    tiers: TierMode = field(
        default="both", metadata=doc("`both` (paired), `free` (training) or `paid` (unmonitored).")
    )
    system_prompt: str | None = field(
        default=None, metadata=doc("Path to your own system prompt file, used instead of ours.")
    )
    queries: int | None = field(
        default=None,
        metadata=doc(
            "Ask only the first N queries, each in every tier (Inspect's `--limit` counts samples, "
            "and can cut a pair of tiers in two)."
        ),
    )
    cache: bool = field(
        default=True,
        metadata=doc(
            "Reuse earlier answers and single judge verdicts to identical requests (Inspect's cache)."
        ),
    )
    turns: int = field(
        default=DEFAULT_TURNS,
        metadata=doc(
            "Assistant turns allowed (the paper's protocol: a scratchpad turn is answered with "
            "<NEXT/>); 1 is a single completion."
        ),
    )
    prefill: bool = field(
        default=False,
        metadata=doc(
            "Open each answer with `<` (`<OUTPUT>` without a scratchpad), as the paper's minimal "
            "reproduction did; anthropic/ and scripted/ models only."
        ),
    )


@dataclass
class JudgeOptions:
    """Which judges score a run, and with what model."""

    compliance_judge: ComplianceJudgeName = field(
        default="auto",
        metadata=doc(
            "`auto` (the setting's LLM judges) or `tags` (the accept/reject tags alone, which only "
            "the accept_reject variations ask for)."
        ),
    )
    af_judge: AFJudgeName = field(
        default="af_v2",
        metadata=doc("Alignment-faking judge: `af_v2`, `af_v1`, `baseline` (offline) or `none`."),
    )
    af_votes: int = field(default=DEFAULT_VOTES, metadata=doc("Votes per sample for af_v2."))
    af_threshold: float = field(
        default=DEFAULT_THRESHOLD,
        metadata=doc("Share of yes votes at which af_v2 says yes (0.2 up to it: maybe)."),
    )
    af_quote_check: bool = field(
        default=False,
        metadata=doc(
            "af_v2 counts a criterion only with its quote found in the reasoning (off, as in Hughes "
            "et al.; the share of votes citing a missing quote is reported either way)."
        ),
    )
    judge_model: str = DEFAULT_JUDGE_MODEL
    """The CLI's judge model; a task's `judge_model` defaults to the `grader` model role."""


@dataclass
class GenerateOptions:
    """How the model under test generates: Inspect's own `eval()` arguments (`--epochs`,
    `--temperature`, `--max-tokens`), which the tasks do not shadow; the tasks' defaults are
    these, so `inspect eval` without those flags runs the same."""

    epochs: int = field(
        default=1,
        metadata=doc("Times each query is asked in each tier (pooled per query by the reducer)."),
    )
    temperature: float | None = field(
        default=1.0, metadata=doc("Sampling temperature (None leaves the provider's default).")
    )
    max_tokens: int = field(
        default=DEFAULT_MAX_TOKENS,
        metadata=doc("Generation limit of each turn; answers cut by it are invalid (truncated)."),
    )


@dataclass
class EvalOptions:
    """How Inspect runs the tasks: `inspect eval`'s keyword arguments, under their names."""

    log_dir: str = "logs"
    max_connections: int | None = None
    max_samples: int | None = None
    """Samples in flight at once (None: the model's connections plus the judge's, or twice the
    model's without a judge; see runner.evals.max_samples)."""
    max_retries: int = 10
    """Retries of a failed model call (rate limits, server errors, resets, timeouts)."""
    attempt_timeout: int = 600
    """Seconds one model call may take before it is abandoned and retried."""
    display: DisplayType | None = None


@dataclass
class CostOptions:
    """The plan printed before a run, and the budget it must fit."""

    dry_run: bool = False
    max_cost: float | None = None
    prices: str | None = None
    expected_output_tokens: int | None = None


@dataclass
class RunOptions:
    """Everything `alignment-faking run` (and, but for the model and setting, `sweep`) takes."""

    setting: str
    model: str
    evaluation: str = COMPLIANCE
    """`compliance` (the main experiment) or another evaluation (measurements.py)."""
    model_args: dict[str, Any] = field(default_factory=dict)
    max_error_share: float = DEFAULT_MAX_ERROR_SHARE
    resume: bool = False
    shards: int = 1
    """Inspect processes the run is split over, each asking a share of the queries with a share
    of the connections; `summary` and the report merge them back into one run."""
    task: TaskOptions = field(default_factory=TaskOptions)
    generate: GenerateOptions = field(default_factory=GenerateOptions)
    judges: JudgeOptions = field(default_factory=JudgeOptions)
    eval: EvalOptions = field(default_factory=EvalOptions)
    cost: CostOptions = field(default_factory=CostOptions)


T = TypeVar("T", bound="DataclassInstance")


def options_of(cls: type[T], values: Mapping[str, Any]) -> T:
    """An options object from named values (a task's arguments): the fields among them; a
    field missing there keeps its default."""
    return cls(**{item.name: values[item.name] for item in fields(cls) if item.name in values})


def from_args(cls: type[T], args: argparse.Namespace, **given: Any) -> T:
    """An options object from parsed arguments whose `dest` is the field's name.

    Nested options objects are built the same way; `given` sets fields by hand; a field the
    command has no argument for keeps its default.
    """
    values: dict[str, Any] = {}
    for item in fields(cls):
        nested = item.default_factory
        if item.name in given:
            values[item.name] = given[item.name]
        elif nested is not MISSING and isinstance(nested, type) and is_dataclass(nested):
            values[item.name] = from_args(nested, args)
        elif hasattr(args, item.name):
            values[item.name] = getattr(args, item.name)
    return cls(**values)
