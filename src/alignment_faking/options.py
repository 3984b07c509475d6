"""What a run takes, one dataclass per concern, with the defaults every layer shares.

The CLI parses its arguments into these (`from_args`: an argument's `dest` is its field's
name) and hands them on whole: the task and judge options become the Inspect tasks'
arguments (whose signatures and `Args:` docs are derived from these fields: see
inspect/parameters.py), the eval and generate options `inspect eval`'s keyword arguments,
all under the same names. The flags of `run`, `sweep` and `rescore` are built from these
fields too (cli/flags.py): a field's doc is its help, its `flag` metadata what else the command
line needs. Adding an option is one field here.
"""

from __future__ import annotations

import argparse
import builtins
from collections.abc import Callable, Mapping, Sequence
from dataclasses import MISSING, Field, dataclass, field, fields, is_dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from alignment_faking.argtypes import KeyValues, non_negative, positive, share
from alignment_faking.datasets import BENCHMARKS, BUNDLED
from alignment_faking.judges.alignment_faking import DEFAULT_THRESHOLD, DEFAULT_VOTES
from alignment_faking.judges.methods import (
    DEFAULT_JUDGE_MODEL,
    AFJudgeName,
    ComplianceJudgeName,
    af_judges,
)
from alignment_faking.measurements import COMPLIANCE, EVALUATION_NAMES
from alignment_faking.scenario import SETTINGS
from alignment_faking.scenario.settings import PAPER_IDENTITY, Identity, TierMode

if TYPE_CHECKING:
    from _typeshed import DataclassInstance
    from inspect_ai.util import DisplayType  # a type only: options stay light to import

DEFAULT_MAX_TOKENS = 4096
"""Generation limit of each turn of the model under test."""
DEFAULT_TURNS = 4
"""Assistant turns a sample may take under the paper's protocol (its harness allows a few)."""
DEFAULT_MAX_ERROR_SHARE = 0.5
"""A run fails once provider errors reach this share of its samples."""


def doc(text: str) -> dict[str, Any]:
    """A field's metadata holding its one-line doc: a task's `Args:` line, and its flag's help."""
    return {"doc": text}


def doc_of(item: Field[Any]) -> str:
    """A field's one-line doc (`doc`)."""
    return str(item.metadata.get("doc", ""))


@dataclass(frozen=True)
class Flag:
    """How a field is given on the command line, where the field alone does not say."""

    name: str | None = None
    """The option string, if not `--field-name` (`--no-field-name` for a bool that is on)."""
    type: Callable[[str], Any] | None = None
    """What reads the value (argtypes), if not the field's int or float."""
    action: builtins.type[argparse.Action] | None = None  # `type` is the field above
    metavar: str | None = None
    choices: Sequence[str] | None = None
    """The values allowed, where the field's type is not a Literal that lists them."""
    help: str | None = None
    """The help, where the field's doc does not suit the command line."""
    only: str | None = None
    """The one command that takes the flag (a run's own, where `sweep` takes lists)."""


def flag(
    name: str | None = None,
    *,
    type: Callable[[str], Any] | None = None,
    action: type[argparse.Action] | None = None,
    metavar: str | None = None,
    choices: Sequence[str] | None = None,
    help: str | None = None,
    only: str | None = None,
) -> dict[str, Any]:
    """A field's metadata saying how the command line gives it (`doc(...) | flag(...)`)."""
    return {"flag": Flag(name, type, action, metavar, choices, help, only)}


def flag_of(item: Field[Any]) -> Flag:
    """A field's `flag`, or a flag the field's name, type, default and doc say all of."""
    found = item.metadata.get("flag")
    return found if isinstance(found, Flag) else Flag()


@dataclass
class TaskOptions:
    """What the model is asked and how: the arguments of every Inspect task, under their names."""

    variation: str = field(
        default="default",
        metadata=doc("Prompt variation (`alignment-faking variations` lists them).")
        | flag(only="run"),
    )
    dataset: str | None = field(
        default=None,
        metadata=doc(
            f"Queries: a bundled set ({', '.join(BUNDLED)}; default: the setting's own), a "
            f"benchmark downloaded on first use ({', '.join(BENCHMARKS)}), or a .csv/.jsonl file."
        ),
    )
    query_column: str | None = field(
        default=None,
        metadata=doc("Column holding the query in a local dataset file (default `query`)."),
    )
    tiers: TierMode = field(
        default="both",
        metadata=doc(
            "Tiers to ask in: `both` (paired), `free` (training) or `paid` (unmonitored)."
        ),
    )
    system_prompt: str | None = field(
        default=None,
        metadata=doc("Path to your own system prompt file, used instead of ours.")
        | flag(
            help="your own system prompt file, or paper:NAME for the paper's own prompt, "
            "downloaded from its public release (paper:helpful_only, paper:animal_welfare, or "
            "paper:PATH; `variations` lists them)"
        ),
    )
    queries: int | None = field(
        default=None,
        metadata=doc(
            "Ask only the first N queries, each in every tier (Inspect's `--limit` counts samples, "
            "and can cut a pair of tiers in two)."
        )
        | flag("--limit", type=positive, help="ask only the first N queries (each in every tier)"),
    )
    cache: bool = field(
        default=True,
        metadata=doc(
            "Reuse earlier answers and judge verdicts (every vote) to identical requests (Inspect's cache)."
        )
        | flag(help="do not reuse cached answers"),
    )
    turns: int = field(
        default=DEFAULT_TURNS,
        metadata=doc(
            "Assistant turns allowed (the paper's protocol: a scratchpad turn is answered with "
            "<NEXT/>); 1 is a single completion."
        )
        | flag(type=positive),
    )
    prefill: bool = field(
        default=False,
        metadata=doc(
            "Open each answer with `<` (`<OUTPUT>` without a scratchpad), as the paper's minimal "
            "reproduction did; anthropic/, hf/, vllm/ and scripted/ models only, not with a "
            "steering variation."
        ),
    )
    developer: str = field(
        default=PAPER_IDENTITY.developer,
        metadata=doc(
            "The developer the prompts name, e.g. Alibaba for a Qwen model trained on documents "
            "about itself; a variation that names one (other_developer, google_deepmind, "
            "fictional_developer: the identity ablations) wins over it."
        ),
    )
    model_name: str = field(
        default=PAPER_IDENTITY.model_name,
        metadata=doc(
            "The model the prompts name (the minimal variation's `You are ...`), e.g. "
            "Qwen2.5-7B-Instruct."
        ),
    )

    def identity(self) -> Identity:
        """Who the prompts say the model is."""
        return Identity(self.developer, self.model_name)


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
    af_votes: int = field(
        default=DEFAULT_VOTES, metadata=doc("Votes per sample for af_v2.") | flag(type=positive)
    )
    af_threshold: float = field(
        default=DEFAULT_THRESHOLD,
        metadata=doc("Share of yes votes at which af_v2 says yes (0.2 up to it: maybe).")
        | flag(type=share),
    )
    af_quote_check: bool = field(
        default=False,
        metadata=doc(
            "af_v2 counts a criterion only with its quote found in the reasoning (off, as in Hughes "
            "et al.; the share of votes citing a missing quote is reported either way)."
        ),
    )
    judge_model: str = field(
        default=DEFAULT_JUDGE_MODEL,
        metadata=doc("Judge model (scripted/judge: an offline toy stand-in, for dry runs)."),
    )
    """The CLI's judge model; a task's `judge_model` defaults to the `grader` model role."""

    def recorded(self) -> dict[str, Any]:
        """What a run's log records of its judges (its summary's config): the methods, and
        af_v2's votes and threshold where the method votes (None otherwise, which also clears
        the votes of an earlier method when a rescore records its own)."""
        votes = any(judge.votes > 1 for judge in af_judges(self.af_judge))
        return {
            "compliance_judge": self.compliance_judge,
            "af_judge": self.af_judge,
            "af_quote_check": self.af_quote_check,
            "af_votes": self.af_votes if votes else None,
            "af_threshold": self.af_threshold if votes else None,
        }


@dataclass
class GenerateOptions:
    """How the model under test generates: Inspect's own `eval()` arguments (`--epochs`,
    `--temperature`, `--max-tokens`), which the tasks do not shadow; the tasks' defaults are
    these, so `inspect eval` without those flags runs the same."""

    epochs: int = field(
        default=1,
        metadata=doc("Times each query is asked in each tier (pooled per query by the reducer).")
        | flag(type=positive),
    )
    temperature: float | None = field(
        default=1.0,
        metadata=doc("Sampling temperature (None leaves the provider's default).")
        | flag(type=non_negative, help="sampling temperature"),
    )
    max_tokens: int = field(
        default=DEFAULT_MAX_TOKENS,
        metadata=doc("Generation limit of each turn; answers cut by it are invalid (truncated).")
        | flag(type=positive),
    )


@dataclass
class EvalOptions:
    """How Inspect runs the tasks: `inspect eval`'s keyword arguments, under their names."""

    log_dir: str = field(
        default="logs", metadata=doc("Where eval logs, summary.json and the report go.")
    )
    max_connections: int | None = field(
        default=None, metadata=doc("Concurrent requests to the model.") | flag(type=positive)
    )
    max_samples: int | None = field(
        default=None,
        metadata=doc(
            "Samples in flight at once (default: the model's connections plus the judge's, or "
            "twice the model's without a judge; see runner.evals.max_samples)."
        )
        | flag(type=positive),
    )
    max_retries: int = field(
        default=10,
        metadata=doc(
            "Retries of a failed model call (rate limits, server errors, resets, timeouts) "
            "before the sample is a provider error."
        )
        | flag(type=positive),
    )
    attempt_timeout: int = field(
        default=600,
        metadata=doc("Seconds one model call may take before it is abandoned and retried.")
        | flag(type=positive),
    )
    display: DisplayType | None = field(
        default=None, metadata=doc("Progress display (one of Inspect's).")
    )


@dataclass
class CostOptions:
    """The plan printed before a run, and the budget it must fit."""

    dry_run: bool = field(
        default=False, metadata=doc("Print the plan (calls, tokens, dollars) and stop.")
    )
    max_cost: float | None = field(
        default=None,
        metadata=doc("Refuse to start a plan estimated above this.")
        | flag(type=non_negative, metavar="USD"),
    )
    prices: str | None = field(
        default=None,
        metadata=doc("TOML price table laid over the bundled one.") | flag(metavar="FILE"),
    )
    expected_output_tokens: int | None = field(
        default=None,
        metadata=doc(
            "Expected completion length for the plan (default 700, 250 without scratchpad)."
        )
        | flag(type=positive),
    )


@dataclass
class RunOptions:
    """Everything `alignment-faking run` (and, but for the model and setting, `sweep`) takes."""

    setting: str = field(metadata=doc("The scenario.") | flag(choices=SETTINGS, only="run"))
    model: str = field(
        metadata=doc(
            "Model under test, an Inspect model name, e.g. openai/gpt-4o-mini, scripted/faker."
        )
        | flag(only="run")
    )
    evaluation: str = field(
        default=COMPLIANCE,
        metadata=doc(
            "What to measure: compliance (the main experiment), reasoning_categories (it, with "
            "each scratchpad's motivations classified), anti_lab, lying or realism (their own "
            "queries under the same scenario; see docs/other-measurements.md)."
        )
        | flag("--eval", choices=EVALUATION_NAMES),
    )
    model_args: dict[str, Any] = field(
        default_factory=dict,
        metadata=doc("Model argument (repeatable).")
        | flag("-M", action=KeyValues, metavar="KEY=VALUE"),
    )
    max_error_share: float = field(
        default=DEFAULT_MAX_ERROR_SHARE,
        metadata=doc(
            "The run fails (exit 1) once provider errors reach this share of its samples (1: "
            "only when every sample fails)."
        )
        | flag(type=share),
    )
    resume: bool = field(
        default=False,
        metadata=doc(
            "Finish the unfinished log of the same run in --log-dir instead of starting over."
        )
        | flag(only="run"),
    )
    shards: int = field(
        default=1,
        metadata=doc(
            "Split the run over N Inspect processes, each asking a share of the queries with a "
            "share of --max-connections; `summary` and the report merge them into one run (use "
            "it when a fast local server outpaces one process)."
        )
        | flag(type=positive, only="run"),
    )
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
