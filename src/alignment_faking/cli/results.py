"""`summary` and `report`: the figures of runs already logged, as a table, JSON, or a report."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from alignment_faking.errors import UserError
from alignment_faking.secrets import redact

if TYPE_CHECKING:
    from alignment_faking.report import ReportFiles


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register `report` and `summary`."""
    report = commands.add_parser(
        "report", help="figures, an HTML report with a transcript browser, tables"
    )
    report.add_argument("logs", nargs="+", help="eval log files or directories (any mix of runs)")
    report.add_argument(
        "--out",
        help="directory for report.html, figures, summary.json, samples.csv (default: report/ "
        "in the first LOGS directory, or beside the first log file, where `run` writes it)",
    )
    report.set_defaults(handler=_report)

    summary = commands.add_parser("summary", help="print (and write) the results of eval logs")
    summary.add_argument("logs", nargs="+", help="eval log files or directories")
    summary.add_argument("--out", help="also write the summaries to this JSON file")
    summary.set_defaults(handler=_summary)


def _summary(args: argparse.Namespace) -> int:
    from alignment_faking.inspect.eval_logs.runs import summarize_logs
    from alignment_faking.summary.file import write_summary
    from alignment_faking.summary.table import format_table

    runs = summarize_logs(args.logs)
    if not runs:
        raise UserError("no alignment-faking eval logs found there")
    print(format_table(runs), end="")
    if args.out:
        try:
            write_summary(Path(args.out), runs)
        except OSError as err:
            then = "the table above is complete; free some space or pick another --out"
            return not_written("the summary", args.out, err, then)
    return 0


def not_written(what: str, where: str | Path, err: OSError, then: str) -> int:
    """Say, cause first, that results could not be written, and what to do; exit status 1.

    A full disk or a read-only folder is no bug: no traceback (a figure library's hid the cause).
    """
    print(
        f"alignment-faking: error: could not write {what} to {where}: {redact(str(err))} ({then})",
        file=sys.stderr,
    )
    return 1


def report_files(logs: Sequence[str], out: str | Path, then: str) -> ReportFiles | None:
    """Read the runs in these logs and write their report to out; None when it could not be
    written, said first with what to do next (`then`)."""
    from alignment_faking.report import results, write_results
    from alignment_faking.report.generalization import read_generalization

    found = results(logs)  # reading stays outside: its errors are not the disk's
    try:
        return write_results(found, out, read_generalization(logs))
    except OSError as err:
        not_written("the report", out, err, then)
        return None


def default_report_dir(logs: Sequence[str]) -> Path:
    """Where `report` writes without --out: as `run` does, `report/` in the logs' directory."""
    first = Path(logs[0])
    return (first if first.is_dir() else first.parent) / "report"


def _report(args: argparse.Namespace) -> int:
    out = args.out or default_report_dir(args.logs)
    files = report_files(args.logs, out, "free some space or pick another --out")
    if files is None:
        return 1
    print(f"report:  {files.html}")
    if files.figure_tiers_png:
        print(f"figures: {files.figure_tiers_png}, {files.figure_gaps_png}")
    print(f"tables:  {files.summary}, {files.samples_csv}")
    return 0
