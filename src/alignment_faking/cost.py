"""What a run will cost before it starts, and what it cost after: calls, tokens, dollars.

Tokens are estimated offline at about four characters a token (no tokenizer download), from
the prompts the run will actually send and an expected completion length. Calls are exact:
every judge reads every sample (only answers that cannot be read at all skip the judges).
"""

from __future__ import annotations

import fnmatch
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from alignment_faking.errors import UserError
from alignment_faking.judges import Judge, JudgeInput
from alignment_faking.scenario.settings import Setting


def estimate_tokens(text: str) -> int:
    """A tokenizer-free token estimate (about four characters a token)."""
    return max(1, len(text) // 4) if text else 0


DEFAULT_OUTPUT_TOKENS = 700
"""Expected completion length with a scratchpad; a tenth of the 4096-token limit is typical."""
DEFAULT_OUTPUT_TOKENS_NO_SCRATCHPAD = 250
JUDGE_OUTPUT_TOKENS = 350
MULTI_CHOICE_PROVIDERS = ("openai", "openai-api", "vllm", "together", "grok", "scripted")
"""Providers that return several choices from one request (judge votes)."""


@dataclass(frozen=True)
class Price:
    """US dollars per million tokens."""

    input: float
    output: float
    cached_input: float | None = None


@dataclass(frozen=True)
class PlanLine:
    """Calls one model makes in one role, and their tokens."""

    role: str
    model: str
    calls: int
    input_tokens: int
    output_tokens: int
    cached_input_tokens: int = 0
    """Input tokens read from the provider's prompt cache (known after a run only)."""
    cached_calls: int = 0
    """Calls answered from Inspect's cache, not made and not paid (known after a run only)."""


def load_prices(path: str | None = None) -> dict[str, Price]:
    """The bundled price table, with a user's file laid over it."""
    table = tomllib.loads(files("alignment_faking").joinpath("prices.toml").read_text("utf-8"))
    if path:
        try:
            table |= tomllib.loads(Path(path).read_text("utf-8"))
        except FileNotFoundError:
            raise UserError(f"price file not found: {path}") from None
        except tomllib.TOMLDecodeError as err:
            raise UserError(f"price file {path} is not valid TOML ({err})") from None
    try:
        return {key: Price(**value) for key, value in table.items()}
    except TypeError:
        raise UserError(
            "each price entry takes input, output and optionally cached_input"
        ) from None


def price_for(model: str, prices: dict[str, Price]) -> Price | None:
    """The most specific price entry that matches a model."""
    if model in prices:
        return prices[model]
    matches = [key for key in prices if fnmatch.fnmatchcase(model, key)]
    return prices[max(matches, key=len)] if matches else None


def line_cost(
    line: PlanLine, prices: dict[str, Price], cached_input_tokens: int = 0
) -> float | None:
    """Dollars for one line, None when the model has no price (and some tokens to pay: calls all
    answered from the cache cost nothing)."""
    price = price_for(line.model, prices)
    if price is None:
        return 0.0 if line.input_tokens == line.output_tokens == 0 else None
    cached_rate = price.cached_input if price.cached_input is not None else price.input
    fresh = line.input_tokens - cached_input_tokens
    return (
        fresh * price.input + cached_input_tokens * cached_rate + line.output_tokens * price.output
    ) / 1e6


def _judge_line(
    judge: Judge,
    model: str,
    items: Sequence[JudgeInput],
    votes: int,
) -> PlanLine:
    multi = votes > 1 and model.split("/")[0] in MULTI_CHOICE_PROVIDERS
    requests = 1 if multi or votes == 1 else votes
    prompt_tokens = sum(estimate_tokens(judge.prompt(item)[0]) for item in items)
    return PlanLine(
        "judge",
        model,
        calls=requests * len(items),
        input_tokens=prompt_tokens * requests,
        output_tokens=JUDGE_OUTPUT_TOKENS * votes * len(items),
    )


@dataclass(frozen=True)
class PlannedSample:
    """What one sample sends: the setting, its system prompt and user turn, and the bare query."""

    setting: Setting
    system: str
    user: str
    query: str


def plan_run(
    samples: Sequence[PlannedSample],
    epochs: int,
    scratchpad: bool,
    model: str,
    judge_model: str,
    judges: Sequence[tuple[Judge, int]],
    output_tokens: int | None = None,
) -> list[PlanLine]:
    """The calls and tokens one run will spend, per model and role.

    `judges` are the judges that read every sample, each with its votes per sample.
    """
    if not samples:
        return []
    setting = samples[0].setting
    expected = output_tokens or (
        DEFAULT_OUTPUT_TOKENS if scratchpad else DEFAULT_OUTPUT_TOKENS_NO_SCRATCHPAD
    )
    lines = [
        PlanLine(
            "model",
            model,
            calls=len(samples) * epochs,
            input_tokens=epochs
            * sum(estimate_tokens(s.system) + estimate_tokens(s.user) for s in samples),
            output_tokens=len(samples) * epochs * expected,
        )
    ]
    # judges read a stand-in answer of the expected length
    stand_in = "x" * (4 * expected)
    items = [
        JudgeInput(setting, s.query, response=stand_in, reasoning=stand_in)
        for s in samples
        for _ in range(epochs)
    ]
    lines += [_judge_line(judge, judge_model, items, votes) for judge, votes in judges]
    return lines


def merge(lines: Iterable[PlanLine]) -> list[PlanLine]:
    """Lines summed per role and model."""
    merged: dict[tuple[str, str], PlanLine] = {}
    for line in lines:
        key = (line.role, line.model)
        if key in merged:
            old = merged[key]
            line = PlanLine(
                line.role,
                line.model,
                old.calls + line.calls,
                old.input_tokens + line.input_tokens,
                old.output_tokens + line.output_tokens,
                old.cached_input_tokens + line.cached_input_tokens,
                old.cached_calls + line.cached_calls,
            )
        merged[key] = line
    return list(merged.values())


def total_cost(lines: Iterable[PlanLine], prices: dict[str, Price]) -> float | None:
    """Dollars for all lines; None if any model has no price."""
    costs = [line_cost(line, prices) for line in lines]
    return None if any(c is None for c in costs) else sum(c for c in costs if c is not None)


def format_plan(
    lines: Sequence[PlanLine],
    prices: dict[str, Price],
    title: str = "plan",
    cached_calls: bool = False,
) -> str:
    """A short table of calls, tokens and dollars; `cached_calls` adds, after a run, the calls
    Inspect's cache answered beside those made (their tokens are not counted: none were paid)."""
    cached_header = f" {'cached':>9}" if cached_calls else ""
    rows = [
        f"{title}: {'role':<6} {'model':<32} {'calls':>9}{cached_header} {'input tok':>12} "
        f"{'output tok':>11} {'USD':>9}"
    ]
    for line in merge(lines):
        cost = line_cost(line, prices)
        cached_cell = f" {line.cached_calls:>9}" if cached_calls else ""
        rows.append(
            f"{'':<{len(title) + 1}} {line.role:<6} {line.model:<32} {line.calls:>9}{cached_cell} "
            f"{line.input_tokens:>12,} {line.output_tokens:>11,} {'?' if cost is None else f'{cost:.2f}':>9}"
        )
    cached = sum(line.cached_input_tokens for line in lines)
    if cached:
        share = cached / max(1, sum(line.input_tokens for line in lines))
        rows.append(f"{'':<{len(title) + 1}} cached input tokens {cached:,} ({share:.0%} of input)")
    total = total_cost(lines, prices)
    rows.append(
        f"{'':<{len(title) + 1}} total {'unknown (no price for a model; see --prices)' if total is None else f'${total:.2f}'}"
    )
    return "\n".join(rows) + "\n"
