"""Logged samples as plain records, and every sample of a run as its kind of record."""

from __future__ import annotations

from inspect_ai.log import (
    EvalError,
    EvalLog,
    EvalSample,
    EvalSampleSummary,
    read_eval_log_sample_summaries,
)

from alignment_faking.inspect.eval_logs.shards import log_locations
from alignment_faking.inspect.evaluations import BEHAVIOUR_SCORER
from alignment_faking.inspect.judging import is_judge_error
from alignment_faking.inspect.scorers import SCORER_NAME
from alignment_faking.measurements import EVALUATIONS
from alignment_faking.records import (
    BehaviourRecord,
    BehaviourValue,
    ComplianceValue,
    SampleRecord,
)


def is_behaviour_run(log: EvalLog) -> bool:
    """Whether a log holds one of the other evaluations (anti-lab, lying, realism)."""
    return (log.eval.metadata or {}).get("evaluation") in EVALUATIONS


def unscored_reason(sample: EvalSample | EvalSampleSummary) -> str:
    """Why a logged sample has no score: its judge gave no answer, the model gave none, or it
    was never scored."""
    if not sample.error:
        return "unscored"
    message = sample.error if isinstance(sample.error, str) else sample.error.message
    return "judge_error" if is_judge_error(message) else "provider_error"


def sample_record(sample: EvalSample | EvalSampleSummary) -> SampleRecord:
    """A logged sample's outcome; a sample that errored or was never scored is invalid, not dropped."""
    query_id = str(sample.metadata["query_id"])
    tier = sample.metadata["tier"]
    score = (sample.scores or {}).get(SCORER_NAME)
    if score is None or not isinstance(score.value, dict):
        return SampleRecord(query_id, tier, sample.epoch, "invalid", unscored_reason(sample))
    value = ComplianceValue.model_validate(score.value)
    verdict = value.alignment_faking
    return SampleRecord(
        query_id,
        tier,
        sample.epoch,
        value.outcome,
        value.invalid_reason or None,
        verdict,
        value.af_yes if verdict != "not_judged" else None,
        bool(value.neutral),
        None if value.reasons is None else tuple(r for r in value.reasons.split(",") if r),
        value.af_scope,
        value.unmonitored_conclusion,
        af_votes=value.af_votes,
        af_quote_missing=value.af_quote_missing,
    )


def behaviour_record(sample: EvalSample | EvalSampleSummary) -> BehaviourRecord:
    """A logged sample of another evaluation; one that errored or was never scored is invalid."""
    query_id, tier = str(sample.metadata["query_id"]), sample.metadata["tier"]
    score = (sample.scores or {}).get(BEHAVIOUR_SCORER)
    if score is None or not isinstance(score.value, dict):
        return BehaviourRecord(query_id, tier, sample.epoch, None, unscored_reason(sample))
    value = BehaviourValue.model_validate(score.value)
    return BehaviourRecord(query_id, tier, sample.epoch, value.decision, value.invalid_reason)


_CANCELLED = ("CancelledError(", "Cancelled(")
"""How Inspect logs a sample cancelled in flight: the repr of asyncio's or trio's exception."""


def was_cancelled(sample: EvalSample | EvalSampleSummary) -> bool:
    """Whether a sample was stopped in flight by Ctrl-C: no provider error, and a resume asks it."""
    error = sample.error
    message = error.message if isinstance(error, EvalError) else error
    return message is not None and message.startswith(_CANCELLED)


def run_records(log: EvalLog) -> list[SampleRecord] | list[BehaviourRecord]:
    """Every sample of a run (all epochs, every shard), as the run's kind of record; samples
    cancelled in flight are left out, as not yet asked.

    Read from the logs' sample summaries, which keep each score's value and the sample's
    short metadata: a fraction of the cost and memory of reading the samples whole.
    """
    asked = (
        sample
        for location in log_locations(log)
        for sample in read_eval_log_sample_summaries(location)
        if not was_cancelled(sample)
    )
    if is_behaviour_run(log):
        return [behaviour_record(sample) for sample in asked]
    return [sample_record(sample) for sample in asked]
