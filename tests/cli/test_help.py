"""Every option of the main commands says what it does and what it defaults to, in --help."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from alignment_faking.cli import build_parser, main
from alignment_faking.datasets import BENCHMARKS, BUNDLED


def _subparser(parser: argparse.ArgumentParser, *path: str) -> argparse.ArgumentParser:
    for name in path:
        [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        parser = commands.choices[name]
    return parser


def _shown(default: object) -> str:
    """A default as its help line shows it."""
    return ",".join(default) if isinstance(default, list) else str(default)


def _options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [
        a for a in parser._actions if a.option_strings and not isinstance(a, argparse._HelpAction)
    ]


def _help_of(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    formatter = parser._get_formatter()
    return formatter._expand_help(action) if action.help else ""


def _undocumented(parser: argparse.ArgumentParser, own: bool = True) -> list[str]:
    """Options without a help line (only `own` ones need one), or whose help does not show
    their default (a default that is off, None or empty shows nothing)."""
    missing = []
    for action in _options(parser):
        text = _help_of(parser, action)
        name = action.option_strings[-1]
        if own and not text.strip():
            missing.append(f"{name}: no help")
        default = action.default
        if default is None or isinstance(default, bool) or default in ({}, []):
            continue
        if default is argparse.SUPPRESS:
            continue
        if _shown(default) not in text:
            missing.append(f"{name}: default {default!r} not in {text!r}")
    return missing


@pytest.mark.parametrize("command", [("run",), ("sweep",), ("docs", "generate"), ("report",)])
def test_every_option_has_help_that_shows_its_default(command):
    assert _undocumented(_subparser(build_parser(), *command)) == []


@pytest.mark.parametrize("command", ["sft", "rl"])
def test_the_training_commands_show_every_default_and_help_our_own_flags(command):
    pytest.importorskip("trl")
    from alignment_faking.cli import training
    from alignment_faking.train import configs

    builder = training.sft_parser if command == "sft" else training.rl_parser
    parser, _ = builder(configs, f"alignment-faking train {command}")
    assert _undocumented(parser, own=False) == []  # TRL's and PEFT's flags: defaults shown
    ours = [a for a in _options(parser) if a.dest in _OWN[command]]
    assert {a.dest for a in ours} == _OWN[command]
    assert [a.option_strings[-1] for a in ours if not (a.help or "").strip()] == []
    help = parser.format_help()
    assert "default: None" not in help  # no default is shown where there is none
    beta = next(a for a in _options(parser) if a.dest == "beta") if command == "rl" else None
    assert beta is None or "(default: 0.04)" in _help_of(parser, beta)  # ours, not TRL's 0


_COMMON_OWN = {"output_dir", "base", "merge"}
_OWN = {
    "sft": _COMMON_OWN | {"docs"},
    "rl": _COMMON_OWN | {
        "setting", "variation", "system_prompt", "dataset", "query_column", "eval_queries",
        "train_queries", "reward", "reward_judge_model", "eval_every", "eval_compliance_judge",
        "eval_af_judge", "judge_model", "eval_max_tokens", "eval_model_arg", "curve_variations",
    },
}  # fmt: skip


def test_dataset_help_lists_the_bundled_sets_and_the_benchmarks_apart():
    action = next(a for a in _options(_subparser(build_parser(), "run")) if a.dest == "dataset")
    bundled, _, downloaded = action.help.partition("benchmark")
    assert all(name in bundled for name in BUNDLED)
    assert all(name in downloaded and name not in bundled for name in BENCHMARKS)


@pytest.mark.slow
def test_report_writes_into_the_logs_directory_without_out(tmp_path: Path, capsys):
    logs = tmp_path / "logs"
    args = ["run", "--setting", "helpful_only", "--model", "scripted/faker", "--limit", "1",
            "--log-dir", str(logs), "--display", "none", "--no-report", "--af-judge", "baseline",
            "--compliance-judge", "tags", "--variation", "accept_reject"]  # fmt: skip
    assert main(args) == 0
    assert not (logs / "report").exists()
    capsys.readouterr()
    assert main(["report", str(logs)]) == 0
    assert (logs / "report" / "report.html").is_file()
    assert f"report:  {logs / 'report' / 'report.html'}" in capsys.readouterr().out


def test_the_docs_commands_help_names_the_offline_writer(capsys):
    with pytest.raises(SystemExit):
        main(["docs", "generate", "--help"])
    assert "scripted/writer" in capsys.readouterr().out
