"""`run` and `sweep`: the experiment (or another evaluation) on models, into logs and a report.

Every option but `--no-report` and sweep's lists is built from a field of the options classes
(options.py), under its name as `dest`: the handlers build RunOptions with `from_args` and
nothing else.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from alignment_faking.argtypes import names
from alignment_faking.cli.common import judge_options
from alignment_faking.cli.flags import add_flags
from alignment_faking.options import (
    CostOptions,
    EvalOptions,
    GenerateOptions,
    RunOptions,
    TaskOptions,
    from_args,
)
from alignment_faking.scenario import SETTINGS
from alignment_faking.secrets import redact


def experiment_options(parser: argparse.ArgumentParser, command: str) -> None:
    """The options of `command` (run, or sweep and the commands built on it): a flag per option field (cli/flags.py), and
    `--no-report`, which is the command's own."""
    for options in (RunOptions, TaskOptions, GenerateOptions, EvalOptions):
        add_flags(parser, options, command)
    parser.add_argument(
        "--no-report", action="store_true", help="do not write the HTML report and figures"
    )
    add_flags(parser.add_argument_group("cost"), CostOptions, command)
    judge_options(parser, command)


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register `run` and `sweep`."""
    run = commands.add_parser("run", help="run a setting on a model, in both tiers")
    experiment_options(run, "run")
    run.set_defaults(handler=_run)

    sweep = commands.add_parser(
        "sweep", help="every model x setting x variation, resumable, one report"
    )
    sweep.add_argument("--models", required=True, type=names, help="comma-separated Inspect models")
    sweep.add_argument(
        "--settings",
        default=list(SETTINGS),
        type=names,
        help=f"comma-separated settings (default: {','.join(SETTINGS)})",
    )
    sweep.add_argument(
        "--variations",
        default=["default"],
        type=names,
        help="comma-separated variations (default: default)",
    )
    experiment_options(sweep, "sweep")
    sweep.set_defaults(handler=_sweep, log_dir="logs/sweep")  # apart from single runs' logs


def conclude(args: argparse.Namespace, options: RunOptions, logs: list, summaries: list) -> int:
    """Print the table, write the report, and report runs that did not finish."""
    from alignment_faking.summary.file import SUMMARY_FILE, read_summary
    from alignment_faking.summary.table import format_table

    if options.cost.dry_run:
        return 0
    log_dir = options.eval.log_dir
    # the directory's other runs (summary.json, just written): a realism run is read beside these
    beside = read_summary(Path(log_dir) / SUMMARY_FILE).runs
    print("\n" + format_table(summaries, beside), end="")
    print(f"summary: {Path(log_dir) / SUMMARY_FILE}")
    if any(log.status == "cancelled" for log in logs):  # Ctrl-C: no report of a part run
        resume = _resume_command(args)
        print(f"alignment-faking: interrupted; resume with: {resume}", file=sys.stderr)
        return 130
    unwritten = False
    if not args.no_report and logs:
        from alignment_faking.cli.results import default_report_dir, report_files

        report = default_report_dir([log_dir])
        then = (
            f"the logs in {log_dir} are complete; free some space and run "
            f"`alignment-faking report {log_dir} --out {report}`"
        )
        # every run in the directory, earlier ones included
        files = report_files([log_dir], report, then)
        unwritten = files is None
        if files is not None:
            print(f"report:  {files.html}")
    failed = [log for log in logs if log.status != "success"]
    for log in failed:
        message = log.error.message.strip() if log.error else ""
        cause = message.splitlines()[0] if message else f"status {log.status}"
        print(f"alignment-faking: error: run failed: {redact(cause)}", file=sys.stderr)
    return 1 if failed or unwritten else 0


def _resume_command(args: argparse.Namespace) -> str:
    """The command that resumes an interrupted run (a sweep resumes by running again), with
    secrets redacted."""
    words = [redact(word) for word in args.argv]
    if args.command == "run" and "--resume" not in words:
        words.append("--resume")
    return shlex.join(["alignment-faking", *words])


def _run(args: argparse.Namespace) -> int:
    from alignment_faking.runner import run

    options = from_args(RunOptions, args)
    logs, summaries = run(options)
    if not logs:  # a dry run, or nothing left to resume: nothing ran
        return 0
    return conclude(args, options, logs, summaries)


def _sweep(args: argparse.Namespace) -> int:
    from alignment_faking.runner import sweep

    options = from_args(RunOptions, args, setting=args.settings[0], model=args.models[0])
    return conclude(args, options, *sweep(args.models, args.settings, args.variations, options))
