"""`summary` and `report`: the figures of runs already logged, as a table, JSON, or a report."""

from __future__ import annotations

import argparse
from pathlib import Path

from alignment_faking.errors import UserError


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register `report` and `summary`."""
    report = commands.add_parser(
        "report", help="figures, an HTML report with a transcript browser, tables"
    )
    report.add_argument("logs", nargs="+", help="eval log files or directories (any mix of runs)")
    report.add_argument(
        "--out", required=True, help="directory for report.html, figures, summary.json, samples.csv"
    )
    report.set_defaults(handler=_report)

    summary = commands.add_parser("summary", help="print (and write) the results of eval logs")
    summary.add_argument("logs", nargs="+", help="eval log files or directories")
    summary.add_argument("--out", help="also write the summaries to this JSON file")
    summary.set_defaults(handler=_summary)


def _summary(args: argparse.Namespace) -> int:
    from alignment_faking.inspect.logs import summarize_logs
    from alignment_faking.summary import format_table, write_summary

    runs = summarize_logs(args.logs)
    if not runs:
        raise UserError("no alignment-faking eval logs found there")
    print(format_table(runs), end="")
    if args.out:
        write_summary(Path(args.out), runs)
    return 0


def _report(args: argparse.Namespace) -> int:
    from alignment_faking.report import write_report

    files = write_report(args.logs, args.out)
    print(f"report:  {files.html}")
    if files.figure_tiers_png:
        print(f"figures: {files.figure_tiers_png}, {files.figure_gaps_png}")
    print(f"tables:  {files.summary}, {files.samples_csv}")
    return 0
