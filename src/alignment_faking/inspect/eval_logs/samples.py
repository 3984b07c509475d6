"""Reading a run's samples: streamed or whole, with the hidden reasoning and answer their
scorer parsed."""

from __future__ import annotations

from collections.abc import Iterator

from inspect_ai.log import EvalLog, EvalSample, read_eval_log

from alignment_faking.inspect.eval_logs.records import is_behaviour_run
from alignment_faking.inspect.eval_logs.shards import log_locations
from alignment_faking.inspect.evaluations import BEHAVIOUR_SCORER
from alignment_faking.inspect.scorers import (
    REASONING_KEY,
    SCORER_NAME,
    STEERING_KEY,
    parse_conversation,
)

SCORING_ONLY = {"events", "messages", "attachments", "store"}
"""Sample fields a summary never reads: left out when streaming a log."""


def log_samples(log: EvalLog, exclude: set[str] | None = None) -> Iterator[EvalSample]:
    """The samples of a log: from memory if it holds them, else read from its file.

    The whole file is read at once: Inspect's sample-by-sample reader costs several times
    more CPU per sample and grows with the log (measured: 6 ms against 1 ms at 2,000 samples).
    """
    if log.samples is not None:
        yield from log.samples
    elif log.location:
        for location in log_locations(log):
            yield from read_eval_log(location, exclude_fields=exclude).samples or []


def sample_texts(
    sample: EvalSample, scorer: str, decision_tags: bool, max_turns: int
) -> tuple[str, str | None]:
    """A sample's hidden reasoning and answer, as its scorer parsed and stored them.

    A sample never scored has neither. A log scored before the parse was stored is parsed
    again here, through the scorer's own parser, so the two readings cannot differ.
    """
    score = (sample.scores or {}).get(scorer)
    if score is None:
        return "", None
    metadata = score.metadata or {}
    if REASONING_KEY in metadata:
        return str(metadata[REASONING_KEY]), score.answer
    steering = (sample.metadata or {}).get(STEERING_KEY)
    transcript = parse_conversation(
        sample.messages, sample.output, decision_tags, max_turns, steering
    )
    return transcript.hidden_reasoning, transcript.output


def read_scored_log(header: EvalLog) -> EvalLog:
    """A run's samples (every shard's) with their scores and outputs, without the conversations
    the stored parse stands in for; a log scored before the parse was stored keeps its messages."""
    scorer = BEHAVIOUR_SCORER if is_behaviour_run(header) else SCORER_NAME
    samples: list[EvalSample] = []
    for location in log_locations(header):
        log = read_eval_log(location, exclude_fields=SCORING_ONLY)
        unparsed = (
            sample
            for sample in log.samples or []
            if (score := (sample.scores or {}).get(scorer)) is not None
            and REASONING_KEY not in (score.metadata or {})
        )
        if next(unparsed, None) is not None:
            log = read_eval_log(location, exclude_fields=SCORING_ONLY - {"messages"})
        samples += log.samples or []
    return header.model_copy(update={"samples": samples})
