"""Runs in Inspect eval logs: read back as plain records (a sharded run as one), the unfinished
ones a resume must finish, and a failed run marked in its log."""

from __future__ import annotations

import re
import sys
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import urlparse

from inspect_ai.event import ModelEvent
from inspect_ai.log import (
    EvalError,
    EvalLog,
    EvalSample,
    EvalSampleSummary,
    list_eval_logs,
    read_eval_log,
    read_eval_log_sample_summaries,
    write_eval_log,
)

from alignment_faking.cost import PlanLine
from alignment_faking.errors import UserError, root_cause
from alignment_faking.inspect.compat import eval_zip_events
from alignment_faking.inspect.evaluations import BEHAVIOUR_SCORER
from alignment_faking.inspect.judging import GRADER_ROLE, JUDGE_ROLE, is_judge_error
from alignment_faking.inspect.scorers import REASONING_KEY, SCORER_NAME, parse_conversation
from alignment_faking.measurements import COMPLIANCE, EVALUATIONS
from alignment_faking.records import (
    BehaviourRecord,
    BehaviourValue,
    ComplianceValue,
    SampleRecord,
)
from alignment_faking.scenario import get_variation, setting_spec
from alignment_faking.scenario.paper import is_paper_prompt
from alignment_faking.scenario.paper import resolve as resolve_paper_prompt
from alignment_faking.scenario.settings import trained_tier_in
from alignment_faking.secrets import redact
from alignment_faking.summary.entries import behaviour_summary, run_summary
from alignment_faking.summary.labels import Run, label_runs
from alignment_faking.summary.schema import RunConfig, RunIdentity, SystemPrompt

Note = Callable[[str], None]


def _stderr(message: str) -> None:
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


def read_header(file: str, note: Note = _stderr) -> EvalLog | None:
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


def run_headers(paths: Sequence[str], note: Note = _stderr) -> list[EvalLog]:
    """Headers of the alignment-faking runs logged there, oldest first, a sharded run as one.

    Runs that never started are skipped (and noted); so is an attempt that a retry of the
    same task (`--resume`, a re-run sweep) superseded: a retry keeps the task's id.
    """
    latest: dict[str, EvalLog] = {}
    for file in log_files(paths):
        header = read_header(file, note)
        if header is None or "setting" not in (header.eval.metadata or {}):
            continue
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


def summarize_logs(paths: Sequence[str], note: Note = _stderr) -> list[Run]:
    """Summaries of every alignment-faking run logged in the given files or directories, labelled."""
    return label_runs([log_summary(log) for log in run_headers(paths, note)])


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
    transcript = parse_conversation(sample.messages, sample.output, decision_tags, max_turns)
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


def is_behaviour_run(log: EvalLog) -> bool:
    """Whether a log holds one of the other evaluations (anti-lab, lying, realism)."""
    return (log.eval.metadata or {}).get("evaluation") in EVALUATIONS


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


def log_summary(
    log: EvalLog, records: Sequence[SampleRecord | BehaviourRecord] | None = None
) -> Run:
    """The summary.json entry of a run, whichever evaluation it is."""
    records = run_records(log) if records is None else records
    info = run_info(log, records)
    if is_behaviour_run(log):
        return behaviour_summary(info, [r for r in records if isinstance(r, BehaviourRecord)])
    return run_summary(info, [r for r in records if isinstance(r, SampleRecord)])


GENERATION_CONFIG = (
    "temperature", "max_tokens", "top_p", "top_k", "seed", "reasoning_effort", "reasoning_tokens",
)  # fmt: skip
"""Generation settings that change what the model writes, recorded in a run's summary when set."""
RUN_CONFIG = ("turns", "prefill", "compliance_judge", "af_judge", "af_quote_check")
"""Task metadata that changes a run's figures, recorded in its summary."""


def asked_decision_tags(meta: Mapping[str, Any]) -> bool:
    """Whether a run's user turn asked for the accept/reject tags, from its task metadata.

    Logs from before task version 6 do not record it: their helpful-only turn always asked.
    """
    return bool(meta.get("decision_tags", setting_spec(meta["setting"]).decision_tags))


def had_scratchpad(meta: Mapping[str, Any]) -> bool:
    """Whether a run's scenario had a hidden scratchpad, from its task metadata.

    Logs from before task version 6 do not record it: the paper prompt they name says, else
    their variation.
    """
    if "scratchpad" in meta:
        return bool(meta["scratchpad"])
    prompt = meta.get("system_prompt_file")
    if is_paper_prompt(prompt):
        return resolve_paper_prompt(prompt).scratchpad
    return get_variation(meta["variation"]).scratchpad


def generation_config(log: EvalLog) -> dict[str, Any]:
    """The generation settings the model under test was called with, as the log records them.

    Not the task's metadata: that holds the task's arguments, which `inspect eval --temperature`
    or `--max-tokens` override in the plan's config. Inspect calls the model with its own
    config overlaid by the plan's, so that is what is read here.
    """
    config = log.eval.model_generate_config.merge(log.plan.config)
    return {key: value for key in GENERATION_CONFIG if (value := getattr(config, key)) is not None}


def run_args(log: EvalLog) -> dict[str, Any]:
    """What a run was asked with, as a resume matches it: its task's arguments and the model
    under test's epochs and generation settings (Inspect's own eval() arguments)."""
    epochs = {"epochs": log.eval.config.epochs or 1}
    return log.eval.task_args | epochs | generation_config(log)


def _judge_model(log: EvalLog) -> str | None:
    """The judge model: the one a rescore used, else the run's `grader` role (`judge` in logs
    written before it took Inspect's name)."""
    metadata = log.eval.metadata or {}
    if "judge_model" in metadata:
        return metadata["judge_model"]
    roles = log.eval.model_roles or {}
    judge = roles.get(GRADER_ROLE, roles.get(JUDGE_ROLE))
    if judge is None:
        return None
    return ",".join(c.model for c in (judge if isinstance(judge, list) else [judge]))


def run_info(log: EvalLog, records: Sequence[SampleRecord | BehaviourRecord]) -> RunIdentity:
    """What identifies the run of a log, its sizes counted from the samples it holds.

    The task's metadata says how many queries the task was built with; Inspect's `--limit` or
    `--sample-id` ask fewer, and an interrupted run holds fewer still, so the counts a
    summary shows are those of the samples present (`records`, every shard's, as read once by
    the caller).
    """
    meta = log.eval.metadata or {}
    limit = log.eval.config.limit
    return RunIdentity(
        log=log.location,
        shard_logs=meta.get(SHARD_LOGS, []),
        model=log.eval.model,
        evaluation=meta.get("evaluation", COMPLIANCE),
        setting=meta.get("setting", log.eval.task),
        variation=meta.get("variation", "unknown"),
        dataset=meta.get("dataset", log.eval.dataset.name or "unknown"),
        n_queries=len({record.query_id for record in records}),
        n_samples=len(records),
        sample_limit=list(limit) if isinstance(limit, tuple) else limit,
        epochs=log.eval.config.epochs or 1,
        status=log.status,
        error=log.error.message.splitlines()[0] if log.error and log.error.message else None,
        created=log.eval.created,
        trained_tier=trained_tier_in(meta),
        dataset_sha256=meta.get("dataset_sha256"),
        system_prompt=SystemPrompt(
            file=meta.get("system_prompt_file"), sha256=meta.get("system_prompt_sha256")
        ),
        config=RunConfig.model_validate(
            generation_config(log)
            | {key: meta[key] for key in RUN_CONFIG if meta.get(key) is not None}
            | ({"judge_model": judge} if (judge := _judge_model(log)) else {})
        ),
    )


def actual_usage(log: EvalLog, since: datetime | None = None) -> list[PlanLine]:
    """Calls really made (cache hits excluded) and their tokens, per role and model.

    `since`: count only the calls made from then on; a resumed run's log carries the samples
    its earlier attempt finished, with the events of the calls that attempt made.
    """
    tallies: dict[tuple[str, str], list[int]] = {}
    for event in _model_events(log):
        if event.get("cache") == "read":
            continue
        if since is not None and datetime.fromisoformat(event["timestamp"]) < since:
            continue
        role = event.get("role") or "model"  # the cost table's names: model, judge (the grader)
        role = JUDGE_ROLE if role == GRADER_ROLE else role
        tally = tallies.setdefault((role, event["model"]), [0, 0, 0, 0])
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
        PlanLine(role, model, calls, tokens_in, tokens_out, cached_input_tokens=cached)
        for (role, model), (calls, tokens_in, tokens_out, cached) in tallies.items()
    ]


def last_log(
    log_dir: str, task_name: str, model: str, task_args: dict[str, Any], note: Note = _stderr
) -> EvalLog | None:
    """The header of the newest log in the directory of the same run in one process, if any."""
    return next(
        (h for h in same_runs(log_dir, task_name, model, task_args, note) if shard_of(h) is None),
        None,
    )


def unfinished(header: EvalLog) -> bool:
    """Whether a retry of a log has samples to ask: the run stopped early, or it finished with
    samples that errored (provider errors under --max-error-share do not fail a run)."""
    if header.status != "success":
        return True
    return any(s.error for s in read_eval_log_sample_summaries(header.location))


def same_runs(
    log_dir: str, task_name: str, model: str, task_args: dict[str, Any], note: Note = _stderr
) -> list[EvalLog]:
    """Headers of the logs in the directory of this task, model and arguments, newest first;
    files that are not readable logs are skipped (and noted)."""
    if not Path(log_dir).is_dir():
        return []
    headers = [read_header(info.name, note) for info in list_eval_logs(log_dir)]
    return [
        header
        for header in headers
        if header is not None
        and header.eval.task_registry_name == task_name
        and header.eval.model == model
        and all(run_args(header).get(k) == v for k, v in task_args.items())
    ]


def unfinished_shards(
    log_dir: str, task_name: str, model: str, task_args: dict[str, Any], count: int
) -> tuple[str, list[tuple[int, str | None]]] | None:
    """The newest sharded run of the same run, if any: its group id, and each shard left to do
    with its unfinished log (None for a shard that never wrote one); none left: nothing to resume."""
    shards = [
        (shard, h)
        for h in same_runs(log_dir, task_name, model, task_args)
        if (shard := shard_of(h)) is not None and shard["count"] == count
    ]
    if not shards:
        return None
    group = shards[0][0]["group"]
    newest: dict[int, EvalLog] = {}
    for shard, header in shards:  # newest first: a retry's log wins over the attempt it retried
        if shard["group"] == group:
            newest.setdefault(int(shard["index"]), header)
    todo = [
        (index, None if index not in newest else newest[index].location)
        for index in range(count)
        if index not in newest or unfinished(newest[index])
    ]
    return group, todo


def finished_samples(log_file: str) -> frozenset[tuple[str, int]]:
    """(sample id, epoch) of the samples a log holds that a retry keeps (those without an error)."""
    log = read_eval_log(log_file, exclude_fields=SCORING_ONLY)
    return frozenset((str(s.id), s.epoch) for s in log.samples or [] if s.error is None)


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
