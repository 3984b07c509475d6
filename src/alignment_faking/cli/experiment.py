"""`run` and `sweep`: the experiment (or another evaluation) on models, into logs and a report.

Every argument's `dest` is the name of its field in the options classes (options.py), whose
defaults it shows: the handlers build RunOptions with `from_args` and nothing else.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from alignment_faking.argtypes import KeyValues, non_negative, positive, share
from alignment_faking.cli.common import DISPLAYS, judge_options
from alignment_faking.measurements import COMPLIANCE, EVALUATION_NAMES
from alignment_faking.options import (
    DEFAULT_MAX_ERROR_SHARE,
    EvalOptions,
    GenerateOptions,
    RunOptions,
    TaskOptions,
    from_args,
)
from alignment_faking.scenario import SETTINGS
from alignment_faking.secrets import redact

TASK, GENERATE, EVAL = TaskOptions(), GenerateOptions(), EvalOptions()


def _names(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected a comma-separated list of names")
    return names


def _task_options(parser: argparse.ArgumentParser) -> None:
    """TaskOptions: what the model is asked and how."""
    parser.add_argument(
        "--dataset", help="bundled set, advbench|strongreject|harmbench|jbb, or a .csv/.jsonl path"
    )
    parser.add_argument(
        "--query-column", help="column holding the query in a local dataset file (default: query)"
    )
    parser.add_argument(
        "--system-prompt",
        help="your own system prompt file, or paper:NAME for the paper's own prompt, downloaded "
        "from its public release (paper:helpful_only, paper:animal_welfare, or paper:PATH; "
        "`variations` lists them)",
    )
    parser.add_argument("--tiers", default=TASK.tiers, choices=("both", "free", "paid"))
    parser.add_argument(
        "--limit",
        dest="queries",
        type=positive,
        help="ask only the first N queries (each in every tier)",
    )
    parser.add_argument(
        "--turns",
        type=positive,
        default=TASK.turns,
        help="assistant turns per sample under the paper's protocol (a scratchpad turn is "
        f"answered with <NEXT/>; default {TASK.turns}; 1: a single completion)",
    )
    parser.add_argument(
        "--no-cache", dest="cache", action="store_false", help="do not reuse cached answers"
    )
    parser.add_argument(
        "--prefill",
        action="store_true",
        help="open each answer with '<' ('<OUTPUT>' without a scratchpad), as the paper's minimal "
        "reproduction did (anthropic/ and scripted/ models)",
    )


def _generate_options(parser: argparse.ArgumentParser) -> None:
    """GenerateOptions: how the model under test generates (Inspect's own eval() arguments)."""
    parser.add_argument(
        "--epochs",
        type=positive,
        default=GENERATE.epochs,
        help="times each query is asked per tier",
    )
    parser.add_argument(
        "--temperature",
        type=non_negative,
        default=GENERATE.temperature,
        help=f"sampling temperature (default {GENERATE.temperature})",
    )
    parser.add_argument(
        "--max-tokens",
        type=positive,
        default=GENERATE.max_tokens,
        help=f"generation limit of each turn (default {GENERATE.max_tokens})",
    )


def _eval_options(parser: argparse.ArgumentParser, default_log_dir: str) -> None:
    """EvalOptions: how Inspect runs the tasks."""
    parser.add_argument(
        "--log-dir",
        default=default_log_dir,
        help=f"where eval logs, summary.json and the report go (default: {default_log_dir})",
    )
    parser.add_argument("--max-connections", type=positive, help="concurrent requests to the model")
    parser.add_argument(
        "--max-samples",
        type=positive,
        help="samples in flight at once (default: the model's connections plus the judge's, or "
        "twice the model's without a judge)",
    )
    parser.add_argument(
        "--max-retries",
        type=positive,
        default=EVAL.max_retries,
        help="retries of a failed model call before the sample is a provider error "
        f"(default {EVAL.max_retries})",
    )
    parser.add_argument(
        "--attempt-timeout",
        type=positive,
        default=EVAL.attempt_timeout,
        help=f"seconds one model call may take before it is retried (default {EVAL.attempt_timeout})",
    )
    parser.add_argument("--display", choices=DISPLAYS, help="Inspect progress display")


def _cost_options(parser: argparse.ArgumentParser) -> None:
    """CostOptions: the plan, and the budget it must fit."""
    cost = parser.add_argument_group("cost")
    cost.add_argument(
        "--dry-run", action="store_true", help="print the plan (calls, tokens, dollars) and stop"
    )
    cost.add_argument(
        "--max-cost",
        type=non_negative,
        metavar="USD",
        help="refuse to start a plan estimated above this",
    )
    cost.add_argument("--prices", metavar="FILE", help="TOML price table laid over the bundled one")
    cost.add_argument(
        "--expected-output-tokens",
        type=positive,
        help="expected completion length for the plan (default 700, 250 without scratchpad)",
    )


def _experiment_options(parser: argparse.ArgumentParser, default_log_dir: str) -> None:
    """Options shared by `run` and `sweep`."""
    parser.add_argument(
        "--eval",
        dest="evaluation",
        default=COMPLIANCE,
        choices=EVALUATION_NAMES,
        help="what to measure: compliance (the main experiment, default), reasoning_categories "
        "(it, with each scratchpad's motivations classified), anti_lab, lying or realism "
        "(their own queries under the same scenario; see docs/other-measurements.md)",
    )
    parser.add_argument(
        "-M",
        dest="model_args",
        action=KeyValues,
        default={},
        metavar="KEY=VALUE",
        help="model argument (repeatable)",
    )
    parser.add_argument(
        "--max-error-share",
        type=share,
        default=DEFAULT_MAX_ERROR_SHARE,
        help="the run fails (exit 1) once provider errors reach this share of its samples "
        f"(default {DEFAULT_MAX_ERROR_SHARE}; 1: only when every sample fails)",
    )
    parser.add_argument(
        "--no-report", action="store_true", help="do not write the HTML report and figures"
    )
    _task_options(parser)
    _generate_options(parser)
    _eval_options(parser, default_log_dir)
    _cost_options(parser)
    judge_options(parser)


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register `run` and `sweep`."""
    run = commands.add_parser("run", help="run a setting on a model, in both tiers")
    run.add_argument("--setting", required=True, choices=SETTINGS)
    run.add_argument(
        "--model", required=True, help="Inspect model, e.g. openai/gpt-4o-mini, scripted/faker"
    )
    run.add_argument(
        "--variation", default=TASK.variation, help="prompt variation (see `variations`)"
    )
    run.add_argument(
        "--resume",
        action="store_true",
        help="finish the unfinished log of the same run in --log-dir instead of starting over",
    )
    run.add_argument(
        "--shards",
        type=positive,
        default=argparse.SUPPRESS,
        help="split the run over N Inspect processes, each asking a share of the queries with a "
        "share of --max-connections; `summary` and the report merge them into one run "
        "(default 1: one process; use it when a fast local server outpaces one process)",
    )
    _experiment_options(run, default_log_dir="logs")
    run.set_defaults(handler=_run)

    sweep = commands.add_parser(
        "sweep", help="every model x setting x variation, resumable, one report"
    )
    sweep.add_argument(
        "--models", required=True, type=_names, help="comma-separated Inspect models"
    )
    sweep.add_argument(
        "--settings",
        default=list(SETTINGS),
        type=_names,
        help="comma-separated settings (default: both)",
    )
    sweep.add_argument(
        "--variations",
        default=["default"],
        type=_names,
        help="comma-separated variations (default: default)",
    )
    _experiment_options(sweep, default_log_dir="logs/sweep")
    sweep.set_defaults(handler=_sweep)


def _conclude(args: argparse.Namespace, options: RunOptions, logs: list, summaries: list) -> int:
    """Print the table, write the report, and report runs that did not finish."""
    from alignment_faking.summary.file import SUMMARY_FILE
    from alignment_faking.summary.table import format_table

    if options.cost.dry_run:
        return 0
    log_dir = options.eval.log_dir
    print("\n" + format_table(summaries), end="")
    print(f"summary: {Path(log_dir) / SUMMARY_FILE}")
    if any(log.status == "cancelled" for log in logs):  # Ctrl-C: no report of a part run
        resume = _resume_command(args)
        print(f"alignment-faking: interrupted; resume with: {resume}", file=sys.stderr)
        return 130
    unwritten = False
    if not args.no_report and logs:
        from alignment_faking.cli.results import report_files

        report = Path(log_dir) / "report"
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
    return _conclude(args, options, logs, summaries)


def _sweep(args: argparse.Namespace) -> int:
    from alignment_faking.runner import sweep

    options = from_args(RunOptions, args, setting=args.settings[0], model=args.models[0])
    return _conclude(args, options, *sweep(args.models, args.settings, args.variations, options))
