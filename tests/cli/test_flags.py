"""The flags of `run`, `sweep` and `rescore` are built from the option fields: none is lost,
each keeps its name, dest, reader, default and choices, and a new field brings its flag."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Literal

import pytest

from alignment_faking.argtypes import positive
from alignment_faking.cli import build_parser
from alignment_faking.cli.flags import add_flags
from alignment_faking.errors import UserError
from alignment_faking.options import RunOptions, TaskOptions, doc, flag, from_args

REQUIRED = "required"
AF_JUDGES = ("af_v2", "af_v2_lenient", "af_v1", "baseline", "none")
DISPLAYS = ("full", "conversation", "rich", "plain", "log", "none")
EVALUATIONS = ("compliance", "reasoning_categories", "anti_lab", "lying", "realism")
JUDGE_FLAGS = [
    ("--judge-model", "judge_model", "store", "openai/gpt-4o", None),
    ("--compliance-judge", "compliance_judge", "store", "auto", ("auto", "tags")),
    ("--af-judge", "af_judge", "store", "af_v2", AF_JUDGES),
    ("--af-votes", "af_votes", "positive", 20, None),
    ("--af-threshold", "af_threshold", "share", 0.4, None),
    ("--af-quote-check", "af_quote_check", "store_true", False, None),
]
EXPERIMENT_FLAGS = [
    ("--eval", "evaluation", "store", "compliance", EVALUATIONS),
    ("-M", "model_args", "KeyValues", {}, None),
    ("--max-error-share", "max_error_share", "share", 0.5, None),
    ("--no-report", "no_report", "store_true", False, None),
    ("--dataset", "dataset", "store", None, None),
    ("--query-column", "query_column", "store", None, None),
    ("--system-prompt", "system_prompt", "store", None, None),
    ("--tiers", "tiers", "store", "both", ("both", "free", "paid")),
    ("--limit", "queries", "positive", None, None),
    ("--turns", "turns", "positive", 4, None),
    ("--no-cache", "cache", "store_false", True, None),
    ("--prefill", "prefill", "store_true", False, None),
    ("--developer", "developer", "store", "Anthropic", None),
    ("--model-name", "model_name", "store", "Claude 3 Opus", None),
    ("--epochs", "epochs", "positive", 1, None),
    ("--temperature", "temperature", "non_negative", 1.0, None),
    ("--max-tokens", "max_tokens", "positive", 4096, None),
    ("--max-connections", "max_connections", "positive", None, None),
    ("--max-samples", "max_samples", "positive", None, None),
    ("--max-retries", "max_retries", "positive", 10, None),
    ("--attempt-timeout", "attempt_timeout", "positive", 600, None),
    ("--display", "display", "store", None, DISPLAYS),
    ("--dry-run", "dry_run", "store_true", False, None),
    ("--max-cost", "max_cost", "non_negative", None, None),
    ("--prices", "prices", "store", None, None),
    ("--expected-output-tokens", "expected_output_tokens", "positive", None, None),
    *JUDGE_FLAGS,
]
FLAGS = {
    "run": [
        ("--setting", "setting", "store", REQUIRED, ("helpful_only", "animal_welfare")),
        ("--model", "model", "store", REQUIRED, None),
        ("--variation", "variation", "store", "default", None),
        ("--resume", "resume", "store_true", False, None),
        ("--shards", "shards", "positive", 1, None),
        ("--log-dir", "log_dir", "store", "logs", None),
        *EXPERIMENT_FLAGS,
    ],
    "sweep": [
        ("--models", "models", "names", REQUIRED, None),
        ("--settings", "settings", "names", ["helpful_only", "animal_welfare"], None),
        ("--variations", "variations", "names", ["default"], None),
        ("--log-dir", "log_dir", "store", "logs/sweep", None),
        *EXPERIMENT_FLAGS,
    ],
    "rescore": [
        ("--out", "out", "store", None, None),
        ("--display", "display", "store", None, DISPLAYS),
        ("--reasons", "reasons", "store_true", False, None),
        *JUDGE_FLAGS,
    ],
}
ACTIONS = {
    argparse._StoreTrueAction: "store_true",
    argparse._StoreFalseAction: "store_false",
    argparse._StoreAction: "store",
}


def _parser(command: str) -> argparse.ArgumentParser:
    [commands] = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return commands.choices[command]


def _flags(parser: argparse.ArgumentParser) -> list[tuple]:
    """Each option as (option string, dest, what reads it, default, choices)."""
    return [
        (
            "/".join(action.option_strings),
            action.dest,
            action.type.__name__
            if action.type
            else ACTIONS.get(type(action), type(action).__name__),
            REQUIRED if action.required else action.default,
            tuple(action.choices) if action.choices else None,
        )
        for action in parser._actions
        if action.option_strings and not isinstance(action, argparse._HelpAction)
    ]


@pytest.mark.parametrize("command", list(FLAGS))
def test_every_flag_keeps_its_name_dest_reader_default_and_choices(command):
    flags = _flags(_parser(command))
    assert sorted(flags, key=str) == sorted(FLAGS[command], key=str)


def test_parsed_flags_become_typed_options_under_their_field_names():
    args = build_parser().parse_args(
        ["run", "--setting", "animal_welfare", "--model", "scripted/faker", "--limit", "3",
         "--no-cache", "--af-votes", "5", "-M", "seed=7", "--eval", "lying", "--max-cost", "2"]
    )  # fmt: skip
    options = from_args(RunOptions, args)
    assert (options.setting, options.model, options.evaluation) == (
        "animal_welfare", "scripted/faker", "lying"
    )  # fmt: skip
    assert (options.task.queries, options.task.cache, options.task.turns) == (3, False, 4)
    assert options.judges.af_votes == 5 and options.model_args == {"seed": 7}
    assert options.cost.max_cost == 2.0 and options.shards == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--af-threshold", "1.5"], "expected a share in (0, 1], got 1.5"),
        (["--tiers", "neither"], "invalid choice: 'neither'"),
        (["--max-retries", "0"], "expected a number of at least 1, got 0"),
    ],
)
def test_a_flag_refuses_what_its_field_cannot_hold_in_one_line(args, message):
    with pytest.raises(UserError, match="see `alignment-faking run --help`") as raised:
        build_parser().parse_args(["run", "--setting", "helpful_only", "--model", "m", *args])
    assert message in str(raised.value) and "\n" not in str(raised.value)


@dataclass
class _WithMore(TaskOptions):
    """Task options with fields a later change might add."""

    shuffle: bool = field(default=False, metadata=doc("Ask the queries in a shuffled order."))
    order: Literal["given", "reversed"] = field(default="given", metadata=doc("TSV column order."))
    rounds: int = field(default=2, metadata=doc("Rounds per query."))
    repeats: int = field(default=1, metadata=doc("Repeats.") | flag("--again", type=positive))
    keep: bool = field(default=True, metadata=doc("Keep the logs."))
    seed: int | None = field(default=None, metadata=doc("Seed.") | flag(only="run"))


def test_a_new_field_brings_its_flag_typed_by_the_field():
    parser = argparse.ArgumentParser()
    add_flags(parser, _WithMore, "sweep")
    added = {action.dest: action for action in parser._actions}
    assert added["shuffle"].option_strings == ["--shuffle"]
    assert added["shuffle"].help == "ask the queries in a shuffled order"
    assert (
        added["order"].choices == ("given", "reversed")
        and added["order"].help == "TSV column order"
    )
    assert "seed" not in added and "variation" not in added  # run's own
    args = parser.parse_args(["--shuffle", "--order", "reversed", "--rounds", "3", "--again", "4",
                              "--no-keep"])  # fmt: skip
    assert from_args(_WithMore, args) == _WithMore(
        shuffle=True, order="reversed", rounds=3, repeats=4, keep=False
    )
    with pytest.raises(SystemExit):
        parser.parse_args(["--again", "0"])  # the flag's own reader, not the field's int
