"""Reading runs back from logs: the cheap reads agree with Inspect's whole-sample reader."""

from __future__ import annotations

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.event import ModelEvent
from inspect_ai.log import read_eval_log

from alignment_faking.inspect.logs import actual_usage, run_records, sample_record
from alignment_faking.inspect.task import alignment_faking_task

pytestmark = pytest.mark.slow


def _usage_read_whole(location: str) -> dict[tuple[str, str], tuple[int, int, int]]:
    """What actual_usage must find, through Inspect's own reader."""
    tallies: dict[tuple[str, str], list[int]] = {}
    for sample in read_eval_log(location).samples or []:
        for event in sample.events:
            if isinstance(event, ModelEvent) and event.cache != "read":
                tally = tallies.setdefault((event.role or "model", event.model), [0, 0, 0])
                tally[0] += 1
                if event.output.usage:
                    tally[1] += event.output.usage.input_tokens
                    tally[2] += event.output.usage.output_tokens
    return {key: tuple(value) for key, value in tallies.items()}  # type: ignore[misc]


@pytest.mark.parametrize("log_format", ["eval", "json"])
def test_records_and_usage_match_the_samples_read_whole(tmp_path, log_format):
    task = alignment_faking_task("helpful_only", queries=3, epochs=2, af_votes=3,
                                 judge_model="scripted/judge")  # fmt: skip
    [log] = inspect_eval(task, model="scripted/faker", model_roles={"judge": "scripted/judge"},
                         log_dir=str(tmp_path), log_format=log_format, display="none")  # fmt: skip
    header = read_eval_log(log.location, header_only=True)
    whole = read_eval_log(log.location)
    assert run_records(header) == [sample_record(s) for s in whole.samples or []]
    assert len(run_records(header)) == 12
    used = {(line.role, line.model): line for line in actual_usage(header)}
    expected = _usage_read_whole(log.location)
    assert {key: (u.calls, u.input_tokens, u.output_tokens) for key, u in used.items()} == expected
    assert expected[("model", "scripted/faker")][0] == 12 and ("judge", "scripted/judge") in expected
