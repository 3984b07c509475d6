"""What a run or sweep refuses before any call: bad options, and a log folder the logs cannot
go to or read."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from alignment_faking.errors import UserError, root_cause
from alignment_faking.inspect.eval_logs.discovery import log_files, read_header
from alignment_faking.measurements import EVALUATIONS
from alignment_faking.options import RunOptions


def check_options(options: RunOptions) -> None:
    """Refuse option values out of their range, and options that do not go together."""
    if options.task.queries is not None and options.task.queries < 1:
        raise UserError("--limit must be at least 1")
    if options.generate.epochs < 1:
        raise UserError("--epochs must be at least 1")
    if options.generate.temperature is not None and options.generate.temperature < 0:
        raise UserError("--temperature must be 0 or more")
    if options.generate.max_tokens < 1:
        raise UserError("--max-tokens must be at least 1")
    if not 0 < options.max_error_share <= 1:
        raise UserError("--max-error-share must be in (0, 1]")
    if options.cost.max_cost is not None and options.cost.max_cost < 0:
        raise UserError("--max-cost must be 0 or more")
    judges = options.judges
    if judges.af_votes < 1 or not 0 < judges.af_threshold <= 1:
        raise UserError("--af-votes must be at least 1 and --af-threshold in (0, 1]")
    if options.task.prefill and options.evaluation in EVALUATIONS:
        raise UserError("--prefill applies to the compliance experiment only")


MIN_FREE_MB = 100
"""Free space the log folder's disk needs before a run: on a full disk the logs, the summary
and the report fail to write after every call was paid for."""


def check_log_dir(log_dir: str) -> None:
    """Refuse, before any call, a log folder the logs cannot go to: a file, a folder that cannot
    be created or written to, a disk nearly full. It leaves nothing behind (bad input found
    later must not leave an empty folder): the probe is a file made and removed in the folder,
    or in the nearest folder above it that exists, where Inspect will create it."""
    folder = Path(log_dir)
    existing = next(path for path in (folder, *folder.parents) if path.exists())
    if existing == folder and not folder.is_dir():
        raise UserError(f"--log-dir {log_dir} is a file, not a folder: pick another --log-dir")
    verb = "write to" if existing == folder else "create"
    try:
        with tempfile.NamedTemporaryFile(dir=existing):
            pass
    except OSError as err:
        raise UserError(
            f"cannot {verb} the log folder {log_dir} ({root_cause(err)}): pick another --log-dir"
        ) from None
    free_mb = shutil.disk_usage(existing).free // 2**20
    if free_mb < MIN_FREE_MB:
        raise UserError(
            f"only {free_mb} MB free on the disk of the log folder {log_dir} (a run needs "
            f"{MIN_FREE_MB} MB): free some space or pick another --log-dir"
        )


def check_logs_readable(log_dir: str) -> None:
    """Inspect's eval_set reads every log in its folder and stops at the first it cannot read,
    with a traceback: a sweep names that file and stops before any call instead."""
    unreadable: list[str] = []
    for file in log_files([log_dir]) if Path(log_dir).is_dir() else []:
        read_header(file, note=unreadable.append)
    if unreadable:
        cause = unreadable[0].removeprefix("skipped ")
        raise UserError(
            f"{cause}, and a sweep reads every log in its folder: remove it or pick another "
            "--log-dir"
        )
