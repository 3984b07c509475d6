"""Finding the runs logged in files and folders: readable logs only, superseded attempts and
runs that never started skipped."""

from __future__ import annotations

import sys
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlparse

from inspect_ai.log import (
    EvalLog,
    list_eval_logs,
    read_eval_log,
    read_eval_log_sample_summaries,
)

from alignment_faking.errors import UserError, root_cause
from alignment_faking.inspect.eval_logs.shards import merge_shards
from alignment_faking.judges.preferences import STATED_PREFERENCES
from alignment_faking.secrets import redact

Note = Callable[[str], None]


def note_to_stderr(message: str) -> None:
    """Where a skipped file is noted unless the caller says."""
    print(message, file=sys.stderr)


def local_path(name: str) -> str:
    """A local file path from the `file:` URIs Inspect uses for log names."""
    return urlparse(name).path if name.startswith("file:") else name


def log_files(paths: Sequence[str]) -> list[str]:
    """Eval log files named directly or found in directories, oldest first."""
    files: list[str] = []
    for path in map(local_path, paths):
        if Path(path).is_dir():
            files += [info.name for info in reversed(list_eval_logs(path))]
        elif Path(path).exists():
            files.append(path)
        else:
            raise UserError(f"no eval log or log directory at {path}")
    return files


UNREADABLE = (OSError, ValueError, KeyError, zipfile.BadZipFile)
"""What reading a file that is no eval log raises: garbage, empty, cut short by a kill or a
full disk (a zip without its end record), a zip or JSON of something else."""


def read_header(file: str, note: Note = note_to_stderr) -> EvalLog | None:
    """A log's header; None, and a note, for a file that is not a readable eval log: one bad
    file in a folder must not stop every command that reads the folder."""
    try:
        return read_eval_log(file, header_only=True)
    except UNREADABLE as err:
        note(f"skipped {local_path(file)}: not a readable eval log ({redact(root_cause(err))})")
        return None


def never_started(header: EvalLog) -> bool:
    """A log of a run that stopped before any sample finished (a bad key, a crash at start)."""
    if header.status == "success" or header.status == "started":
        return False
    if header.results is not None and header.results.completed_samples:
        return False
    return not read_eval_log_sample_summaries(header.location)


def run_headers(paths: Sequence[str], note: Note = note_to_stderr) -> list[EvalLog]:
    """Headers of the alignment-faking runs logged there, oldest first, a sharded run as one.

    Runs that never started are skipped (and noted); so is an attempt that a retry of the
    same task (`--resume`, a re-run sweep) superseded: a retry keeps the task's id.
    """
    latest: dict[str, EvalLog] = {}
    for file in log_files(paths):
        header = read_header(file, note)
        if header is None or "setting" not in (header.eval.metadata or {}):
            continue
        if (header.eval.metadata or {}).get("evaluation") == STATED_PREFERENCES:
            continue  # no run of summary.json: `generalization` reads these logs itself
        if never_started(header):
            why = header.error.message.splitlines()[0] if header.error else header.status
            note(f"skipped {local_path(file)}: the run never started ({redact(why)})")
            continue
        earlier = latest.pop(header.eval.task_id, None)
        if earlier is not None:
            note(
                f"skipped {local_path(earlier.location)}: superseded by its retry {local_path(file)}"
            )
        latest[header.eval.task_id] = header
    return merge_shards(list(latest.values()))
