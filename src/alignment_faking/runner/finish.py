"""After a run: failed runs marked, summary.json written over the log folder, the calls used
printed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from inspect_ai.log import EvalLog

from alignment_faking.cost import format_plan, load_prices
from alignment_faking.inspect.eval_logs.discovery import local_path, run_headers
from alignment_faking.inspect.eval_logs.failures import mark_failed
from alignment_faking.inspect.eval_logs.records import run_records
from alignment_faking.inspect.eval_logs.runs import log_summary, mark_repeats
from alignment_faking.inspect.eval_logs.shards import log_locations
from alignment_faking.inspect.eval_logs.usage import actual_usage
from alignment_faking.options import RunOptions
from alignment_faking.summary.file import SUMMARY_FILE, write_summary
from alignment_faking.summary.labels import Run, label_runs


def _same_file(location: str) -> Path:
    return Path(local_path(location)).resolve()


def finish(
    logs: list[EvalLog],
    options: RunOptions,
    echo: Callable[[str], None],
    since: datetime | None = None,
) -> tuple[list[EvalLog], list[Run]]:
    """Mark failed runs, summarise these runs, and write summary.json over every run in the directory.

    The shards of a sharded run are summarised as the one run they make, finished shards of
    an earlier attempt included. A resumed run's usage counts the calls made `since` it resumed.
    """
    # the records come from the logs' sample summaries and the usage from their model events:
    # no log is read whole (that took most of a large run's memory)
    records: dict[Path, list] = {}
    for log in logs:
        found = records[_same_file(log.location)] = run_records(log)
        if log.status != "cancelled":  # a run stopped by Ctrl-C is resumed, not failed
            mark_failed(log, found, options.max_error_share)
    # earlier runs in the same directory stay in summary.json beside these (the same entries,
    # so the CLI table shows the labels summary.json gives them)
    everything: list[Run] = []
    mine: list[int] = []  # the runs of these logs, by index in everything
    headers = run_headers([options.eval.log_dir], note=lambda _: None)
    for header in headers:
        files = [_same_file(location) for location in log_locations(header)]
        known = [records[f] for f in files if f in records]
        everything.append(
            log_summary(
                header, [r for part in known for r in part] if len(known) == len(files) else None
            )
        )
        if known:
            mine.append(len(everything) - 1)
    labelled = label_runs(mark_repeats(headers, everything))
    write_summary(Path(options.eval.log_dir) / SUMMARY_FILE, labelled)
    used = [line for log in logs for line in actual_usage(log, since)]
    echo(format_plan(used, load_prices(options.cost.prices), "used", cached_calls=True))
    return logs, [labelled[i] for i in mine]
