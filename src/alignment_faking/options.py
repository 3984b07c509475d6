"""What a run takes, one dataclass per concern, with the defaults every layer shares.

The CLI parses its arguments into these (`from_args`: an argument's `dest` is its field's
name) and hands them on whole: the task options become the Inspect task's arguments, the
eval options `inspect eval`'s keyword arguments, both under the same names. Adding an
option of either kind is a field here and its line in the CLI.
"""

from __future__ import annotations

import argparse
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from alignment_faking.judges import DEFAULT_JUDGE_MODEL
from alignment_faking.judges.alignment_faking import DEFAULT_THRESHOLD, DEFAULT_VOTES
from alignment_faking.measurements import COMPLIANCE

if TYPE_CHECKING:
    from _typeshed import DataclassInstance
    from inspect_ai.util import DisplayType  # a type only: options stay light to import

DEFAULT_MAX_TOKENS = 4096
"""Generation limit of each turn of the model under test."""
DEFAULT_TURNS = 4
"""Assistant turns a sample may take under the paper's protocol (its harness allows a few)."""
DEFAULT_MAX_ERROR_SHARE = 0.5
"""A run fails once provider errors reach this share of its samples."""


@dataclass
class TaskOptions:
    """What the model is asked and how: the arguments of the Inspect tasks, under their names."""

    variation: str = "default"
    dataset: str | None = None
    query_column: str | None = None
    tiers: str = "both"
    system_prompt: str | None = None
    queries: int | None = None
    """Ask only the first N queries (`--limit`)."""
    epochs: int = 1
    cache: bool = True
    max_tokens: int = DEFAULT_MAX_TOKENS
    turns: int = DEFAULT_TURNS
    temperature: float | None = 1.0
    prefill: bool = False
    """Open the answer as the paper's minimal reproduction did (`<`, or `<OUTPUT>` without a
    scratchpad); only providers that continue an assistant message take it."""


@dataclass
class JudgeOptions:
    """Which judges score a run, and with what model."""

    compliance_judge: str = "auto"
    af_judge: str = "af_v2"
    af_votes: int = DEFAULT_VOTES
    af_threshold: float = DEFAULT_THRESHOLD
    af_quote_check: bool = False
    """af_v2 counts a criterion only with its quote found in the reasoning (Hughes et al. do not
    check; the share of votes citing a missing quote is reported either way)."""
    judge_model: str = DEFAULT_JUDGE_MODEL


@dataclass
class EvalOptions:
    """How Inspect runs the tasks: `inspect eval`'s keyword arguments, under their names."""

    log_dir: str = "logs"
    max_connections: int | None = None
    max_samples: int | None = None
    """Samples in flight at once (None: the model's connections plus the judge's, or twice the
    model's without a judge; see runner._max_samples)."""
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
    judges: JudgeOptions = field(default_factory=JudgeOptions)
    eval: EvalOptions = field(default_factory=EvalOptions)
    cost: CostOptions = field(default_factory=CostOptions)


T = TypeVar("T", bound="DataclassInstance")


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
