"""The shards of a run (`run --shards`) in their logs, merged back into the one run they make."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

from inspect_ai.log import EvalError, EvalLog

SHARD = "shard"
"""Eval metadata of one shard of a run (`run --shards`), a Shard."""
SHARD_LOGS = "shard_logs"
"""Metadata a merged run carries in memory: the locations of its shards' logs, in order."""
_WORST_FIRST = ("error", "cancelled", "started")


class Shard(TypedDict):
    """Which shard of which run a log holds."""

    group: str
    """The id its run's shards share."""
    index: int
    count: int


def shard_of(log: EvalLog) -> Shard | None:
    """The shard a log holds, or None for a run in one process."""
    return (log.eval.metadata or {}).get(SHARD)


def _shard(log: EvalLog) -> Shard:
    """The shard of a log known to hold one."""
    shard = shard_of(log)
    assert shard is not None, f"{log.location} is no shard"
    return shard


def log_locations(log: EvalLog) -> list[str]:
    """The files a run's samples are in: its shards' logs, or its own."""
    return list((log.eval.metadata or {}).get(SHARD_LOGS) or [log.location])


def merge_shards(logs: Sequence[EvalLog]) -> list[EvalLog]:
    """Each sharded run as one log, where its first shard stood; other runs as they are.

    The merged log is the first shard's header, in memory, with the locations of all of
    them: its samples are read from there. A shard that failed fails the run; a shard that is
    missing makes it an error that names the missing ones, never a smaller run.
    """
    groups: dict[str, list[EvalLog]] = {}
    for log in logs:
        if (shard := shard_of(log)) is not None:
            groups.setdefault(shard["group"], []).append(log)
    merged: list[EvalLog] = []
    for log in logs:
        shard = shard_of(log)
        if shard is None:
            merged.append(log)
        elif shard["group"] in groups:
            merged.append(_merged(sorted(groups.pop(shard["group"]), key=_shard_index)))
    return merged


def _shard_index(log: EvalLog) -> int:
    return int(_shard(log)["index"])


def _merged(shards: list[EvalLog]) -> EvalLog:
    first, count = shards[0], int(_shard(shards[0])["count"])
    missing = sorted(set(range(count)) - {_shard_index(s) for s in shards})
    failed = next((s for status in _WORST_FIRST for s in shards if s.status == status), None)
    update: dict = {
        "eval": first.eval.model_copy(
            update={
                "metadata": {
                    **(first.eval.metadata or {}),
                    SHARD_LOGS: [s.location for s in shards],
                }
            }
        ),
        "samples": None,
    }
    if missing:
        named = ", ".join(str(i + 1) for i in missing)
        message = f"shard {named} of {count} missing: the run is incomplete"
        update |= {
            "status": "error",
            "error": EvalError(message=message, traceback="", traceback_ansi=""),
        }
    elif failed is not None:
        update |= {"status": failed.status, "error": failed.error}
    return first.model_copy(update=update)
