"""A run failed by its errors: provider and judge errors counted, their first causes named,
and the failure written into its log."""

from __future__ import annotations

import re
from collections.abc import Sequence

from inspect_ai.log import EvalError, EvalLog, read_eval_log, write_eval_log

from alignment_faking.inspect.eval_logs.samples import log_samples
from alignment_faking.inspect.judging import is_judge_error
from alignment_faking.records import BehaviourRecord, SampleRecord
from alignment_faking.secrets import redact


def provider_errors(records: Sequence[SampleRecord | BehaviourRecord]) -> int:
    """Samples that no answer came back for."""
    return sum(record.invalid_reason == "provider_error" for record in records)


MAX_CAUSE_CHARS = 300
_RAISED = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Timeout)\w*: ")


def first_provider_error(log: EvalLog) -> str | None:
    """The first provider error of a run, as one line: the provider's own words where they exist.

    A call that failed all its retries is logged as a RetryError wrapping the provider's
    exception, which its traceback names (`openai.InternalServerError: Error code: 500 ...`).
    """
    cancelled = None
    for sample in log_samples(log, {"events", "attachments", "store"}):
        if sample.error and is_judge_error(sample.error.message):
            continue  # the model answered; its judge did not (first_judge_error)
        if sample.error:
            raised = [
                line.strip()
                for line in sample.error.traceback.splitlines()
                if _RAISED.match(line) and "RetryError" not in line
            ]
            message = raised[-1] if raised else sample.error.message
        else:
            message = sample.output.error or ""
        if not message.strip():
            continue
        line = redact(message.strip().splitlines()[0])[:MAX_CAUSE_CHARS]
        if "CancelledError" in line:  # stopped when the run was stopped: not the cause
            cancelled = cancelled or line
            continue
        return line
    return cancelled


def first_judge_error(log: EvalLog) -> str | None:
    """The first judge error of a run, as one line: `judge MODEL failed: Type: first line`."""
    for sample in log_samples(log, {"events", "attachments", "store"}):
        if sample.error and is_judge_error(sample.error.message):
            return redact(sample.error.message.strip().splitlines()[0])[:MAX_CAUSE_CHARS]
    return None


def mark_failed(
    log: EvalLog, records: Sequence[SampleRecord | BehaviourRecord], max_error_share: float
) -> None:
    """Mark a run failed, in its log file too, when provider errors and judge errors together
    reach the share of samples.

    Inspect stops a run once sample errors reach the share; this also counts answers that came
    back as an error (a refused request, say) and were scored invalid, and names the causes:
    the provider's first error, the judge model's first error.
    """
    errors = provider_errors(records)
    judge_errors = sum(record.invalid_reason == "judge_error" for record in records)
    if not errors + judge_errors or errors + judge_errors < max_error_share * len(records):
        return
    causes = []
    if errors:
        cause = first_provider_error(log) or "no answer came back"
        causes.append(f"{errors} of {len(records)} samples are provider errors; the first: {cause}")
    if judge_errors:
        judge = first_judge_error(log) or "a judge gave no answer"
        causes.append(f"{judge_errors} of {len(records)} samples could not be judged: {judge}")
    message = "; ".join(causes)
    log.status = "error"
    log.error = (
        log.error.model_copy(update={"message": message})  # Inspect stopped it: keep its traceback
        if log.error
        else EvalError(message=message, traceback="", traceback_ansi="")
    )
    whole = log if log.samples is not None else read_eval_log(log.location)
    whole.status, whole.error = log.status, log.error
    write_eval_log(whole, log.location)
