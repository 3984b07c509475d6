"""The calls a run really made and their tokens, per role and model, from its logged events."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from inspect_ai.event import ModelEvent
from inspect_ai.log import EvalLog, read_eval_log

from alignment_faking.cost import PlanLine
from alignment_faking.inspect.compat import eval_zip_events
from alignment_faking.inspect.eval_logs.discovery import local_path
from alignment_faking.inspect.eval_logs.shards import log_locations
from alignment_faking.inspect.judging import GRADER_ROLE, JUDGE_ROLE


def actual_usage(log: EvalLog, since: datetime | None = None) -> list[PlanLine]:
    """Calls really made and their tokens, and calls answered from Inspect's cache (whose
    tokens were not paid for), per role and model.

    `since`: count only the calls made from then on; a resumed run's log carries the samples
    its earlier attempt finished, with the events of the calls that attempt made.
    """
    tallies: dict[tuple[str, str], list[int]] = {}
    for event in _model_events(log):
        if since is not None and datetime.fromisoformat(event["timestamp"]) < since:
            continue
        role = event.get("role") or "model"  # the cost table's names: model, judge (the grader)
        role = JUDGE_ROLE if role == GRADER_ROLE else role
        tally = tallies.setdefault((role, event["model"]), [0, 0, 0, 0, 0])
        if event.get("cache") == "read":
            tally[4] += 1
            continue
        tally[0] += 1
        usage = (event.get("output") or {}).get("usage")
        if not usage:
            continue
        read = usage.get("input_tokens_cache_read") or 0
        written = usage.get("input_tokens_cache_write") or 0
        tally[1] += usage["input_tokens"] + read + written
        tally[2] += usage["output_tokens"]
        tally[3] += read
    return [
        PlanLine(role, model, calls, tokens_in, tokens_out, cached, cached_calls)
        for (role, model), (calls, tokens_in, tokens_out, cached, cached_calls) in tallies.items()
    ]


def _model_events(log: EvalLog) -> Iterator[dict[str, Any]]:
    """The model events of a run's samples, as the log stores them.

    An `.eval` log's events are read as plain JSON (Inspect's readers build every sample whole,
    over ten times slower: see `eval_zip_events`); any other log goes through Inspect.
    """
    for location in log_locations(log):
        path = local_path(location)
        if not (Path(path).is_file() and zipfile.is_zipfile(path)):
            for sample in (
                read_eval_log(location, exclude_fields={"messages", "attachments", "store"}).samples
                or []
            ):
                for event in sample.events:
                    if isinstance(event, ModelEvent):
                        yield event.model_dump(
                            mode="json", include={"role", "model", "cache", "output", "timestamp"}
                        )
            continue
        yield from eval_zip_events(path, "model")
