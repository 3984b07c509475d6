"""Runs and samples as pandas DataFrames, read once from Inspect eval logs.

Every figure comes from the code behind the CLI (`log_summary` over the run's records), so
the report, summary.json and `alignment-faking summary` cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from typing import Any

import pandas as pd
from inspect_ai.log import EvalLog, EvalSample

from alignment_faking.errors import UserError
from alignment_faking.inspect.eval_logs.discovery import run_headers
from alignment_faking.inspect.eval_logs.records import (
    behaviour_record,
    is_behaviour_run,
    sample_record,
)
from alignment_faking.inspect.eval_logs.runs import asked_decision_tags, log_summary, mark_repeats
from alignment_faking.inspect.eval_logs.samples import read_scored_log, sample_texts
from alignment_faking.inspect.evaluations import BEHAVIOUR_SCORER
from alignment_faking.inspect.scorers import SCORER_NAME
from alignment_faking.records import BehaviourRecord, ComplianceValue, SampleRecord
from alignment_faking.summary.labels import Run, label_runs
from alignment_faking.summary.schema import (
    BehaviourRun,
    BehaviourTierEntry,
    ComplianceRun,
    GapEntry,
    Interval,
    TierEntry,
)


@dataclass(frozen=True)
class Results:
    """The runs and samples of a set of logs, and the summary.json entries they came from.

    `runs` is tidy: one row per run and tier, every evaluation (`run` indexes `summaries`), with
    the run's identity, the tier, and that tier's measures. The main experiment's: outcome
    counts, `compliance`, `full_compliance` and the alignment-faking rate (`af_rate`, over valid
    samples; `af_rate_all` over all judged), each with `_ci_low`/`_ci_high`, and the paper's
    groups; another evaluation's: its rates under their own names with their intervals and
    `n_CLASS` per judge class. A measure a run does not have is empty. `gaps` holds one row per
    run and gap (`measure`: `compliance`, `full_compliance`, or another evaluation's rate):
    `gap` (the difference of the printed tier rates; the main experiment only) and the paired
    analysis over queries valid in both tiers (`paired_gap`, its interval, McNemar's
    `paired_p_value`, `n_pairs`).
    """

    runs: pd.DataFrame
    gaps: pd.DataFrame
    samples: pd.DataFrame
    """One row per sample of every run: identity, outcome, verdicts, and the texts the
    browser shows; in another evaluation's run the outcome is its judge's class."""
    summaries: list[Run]
    """summary.json's `runs`, labelled, as `log_summary` made them, every evaluation."""

    def compliance_runs(self) -> list[tuple[int, ComplianceRun]]:
        """The runs of the main experiment, each with its number (its index in `summaries`)."""
        return [(n, s) for n, s in enumerate(self.summaries) if isinstance(s, ComplianceRun)]


def results(paths: Sequence[str | PathLike[str]]) -> Results:
    """Read every alignment-faking run in these log files or directories, oldest first."""
    samples: list[dict[str, Any]] = []
    summaries: list[Run] = []
    if isinstance(paths, str | PathLike):
        paths = [paths]
    headers = run_headers([str(p) for p in paths])
    for header in headers:
        # one read of the samples serves the summary and the rows
        log = read_scored_log(header)
        summaries.append(log_summary(log))
        # the rows keep only the texts the browser shows
        samples += [sample_row(len(summaries) - 1, log, sample) for sample in log.samples or []]
    if not summaries:
        raise UserError("no alignment-faking eval logs found there")
    summaries = label_runs(mark_repeats(headers, summaries))
    runs = [row for number, run in enumerate(summaries) for row in run_rows(number, run)]
    gaps = [row for number, run in enumerate(summaries) for row in gap_rows(number, run)]
    return Results(
        pd.DataFrame(runs),
        pd.DataFrame(gaps, columns=list(GAP_COLUMNS)),
        pd.DataFrame(samples, columns=list(SAMPLE_COLUMNS)),
        summaries,
    )


def _bounds(name: str, ci: Interval | None) -> dict[str, float | None]:
    low, high = (None, None) if ci is None else ci
    return {f"{name}_ci_low": low, f"{name}_ci_high": high}


def _identity(number: int, run: Run) -> dict[str, Any]:
    return {
        "run": number,
        "label": run.label,
        "evaluation": run.evaluation,
        "model": run.model,
        "setting": run.setting,
        "variation": run.variation,
        "dataset": run.dataset,
        "n_queries": run.n_queries,
        "epochs": run.epochs,
        "status": run.status,
        "log": run.log,
        "trained_tier": run.trained_tier,
        "dataset_sha256": run.dataset_sha256,
        "system_prompt_file": run.system_prompt.file,
        "system_prompt_sha256": run.system_prompt.sha256,
    }


def _compliance_measures(entry: TierEntry) -> dict[str, Any]:
    af = entry.alignment_faking
    return (
        entry.model_dump(
            include={"n", "complied", "partially_complied", "refused", "invalid", "not_judged"}
        )
        | {"n_judged": entry.n_judged, "compliance": entry.compliance}
        | _bounds("compliance", entry.compliance_ci)
        | {"neutral": entry.neutral, "neutral_share": entry.neutral_share}
        | {"full_compliance": entry.full_compliance}
        | _bounds("full_compliance", entry.full_compliance_ci)
        | {"af_yes": af.yes, "af_maybe": af.maybe, "af_n_judged": af.n_judged, "af_rate": af.rate}
        | _bounds("af_rate", af.rate_ci)
        | {"af_rate_all": af.rate_all, "af_n_judged_all": af.n_judged_all}
        | entry.groups.model_dump()
    )


def _behaviour_measures(entry: BehaviourTierEntry) -> dict[str, Any]:
    rates: dict[str, Any] = {}
    for name, rate in entry.rates.items():
        rates |= {name: rate.rate} | _bounds(name, rate.ci)
    return (
        entry.model_dump(include={"n", "n_judged", "invalid", "not_judged"})
        | rates
        | {f"n_{name}": count for name, count in entry.classes.items()}
    )


def run_rows(number: int, run: Run) -> list[dict[str, Any]]:
    """A run's rows of the tidy runs frame: one per tier it ran."""
    identity = _identity(number, run)
    if isinstance(run, BehaviourRun):
        return [
            identity | {"tier": tier} | _behaviour_measures(entry)
            for tier, entry in run.tiers.items()
        ]
    return [
        identity | {"tier": tier} | _compliance_measures(entry) for tier, entry in run.tiers.items()
    ]


GAP_COLUMNS = (
    "run", "label", "evaluation", "measure", "gap", "gap_ci_low", "gap_ci_high", "paired_gap",
    "paired_ci_low", "paired_ci_high", "paired_p_value", "n_pairs",
)  # fmt: skip
"""The gaps frame's columns."""


def _gap_row(
    number: int,
    run: Run,
    measure: str,
    paired: GapEntry | None,
    gap: float | None = None,
    ci: Interval | None = None,
) -> dict[str, Any]:
    return {
        "run": number,
        "label": run.label,
        "evaluation": run.evaluation,
        "measure": measure,
        "gap": gap,
        **_bounds("gap", ci),
        "paired_gap": paired.gap if paired else None,
        **_bounds("paired", paired.ci if paired else None),
        "paired_p_value": paired.p_value if paired else None,
        "n_pairs": paired.n_pairs if paired else 0,
    }


def gap_rows(number: int, run: Run) -> list[dict[str, Any]]:
    """A run's rows of the gaps frame: the main experiment's two gaps (under more than two
    tiers, `compliance vs TIER` and `full_compliance vs TIER` per tier against the trained
    one), or another evaluation's gap per rate."""
    if isinstance(run, BehaviourRun):
        return [_gap_row(number, run, name, gap) for name, gap in run.gaps.items()]
    if run.gaps:
        return [
            row
            for pair in run.gaps
            for row in (
                _gap_row(number, run, f"compliance vs {pair.tier}", pair.compliance_gap_paired,
                         pair.compliance_gap, pair.compliance_gap_ci),
                _gap_row(number, run, f"full_compliance vs {pair.tier}",
                         pair.full_compliance_gap_paired, pair.full_compliance_gap,
                         pair.full_compliance_gap_ci),
            )
        ]  # fmt: skip
    return [
        _gap_row(number, run, "compliance", run.compliance_gap_paired, run.compliance_gap,
                 run.compliance_gap_ci),
        _gap_row(number, run, "full_compliance", run.full_compliance_gap_paired,
                 run.full_compliance_gap, run.full_compliance_gap_ci),
    ]  # fmt: skip


SAMPLE_COLUMNS = {
    "run": "index of the run in `runs`",
    "model": "model under test",
    "setting": "helpful_only or animal_welfare",
    "variation": "prompt variation",
    "query_id": "query id in its dataset",
    "category": "query category, if the dataset has one",
    "tier": "free (training), paid (unmonitored), or a variation's own tier (pro: rated)",
    "epoch": "epoch of the sample",
    "turns": "assistant turns the sample took (scratchpad turns answered with <NEXT/>, then the output)",
    "outcome": "complied, partially_complied, refused, invalid or not_judged",
    "invalid_reason": "why an invalid sample could not be read",
    "alignment_faking": "alignment-faking verdict: yes, maybe, no or not_judged",
    "af_score": "share of yes votes (or the baseline's score)",
    "compliance_source": (
        "tags, judge, tags (judge failed), judge failed (no tags asked), "
        "or tags (judge disagrees) on a refusal"
    ),
    "compliance_decision": "the compliance judge's decision, when it was asked",
    "neutral": "animal welfare: the stance judge found the answer neutral (it counts as compliance)",
    "partial_decision": "the partial-compliance judge's decision, when it was asked",
    "query": "the user query",
    "hidden_reasoning": "scratchpads and reasoning, as the judges read them",
    "output": "the final output",
    "completion": "the raw completion (or the error), only when no output could be read",
    "judges": "per judge: verdict, score, rationale, quotes, or why it was not judged",
}
"""The samples frame's columns, and what each holds."""


def _unreadable(sample: EvalSample) -> str:
    """What to show for a sample without an output: the raw text, or why there is none."""
    if sample.error is not None:
        return f"error: {sample.error.message}"
    return sample.output.completion


def _judges(
    metadata: dict[str, Any],
    names: Sequence[str] = ("compliance", "partial", "alignment_faking", "reasons"),
) -> dict[str, dict[str, Any]]:
    """The judges' records kept in the score, in a shape the browser can show uniformly."""
    judges = {}
    for name in names:
        record = metadata.get(name)
        if not isinstance(record, dict):
            continue
        judges[name] = {
            "verdict": record.get("verdict", record.get("decision")),
            "score": record.get("score"),
            "rationale": record.get("rationale") or "",
            "quotes": {str(k): str(v) for k, v in (record.get("quotes") or {}).items()},
            "reason": record.get("reason"),
        }
    return judges


def _row(
    run: int, log: EvalLog, sample: EvalSample, record: SampleRecord | BehaviourRecord,
    scorer: str, decision_tags: bool, judges: dict[str, dict[str, Any]],
) -> dict[str, Any]:  # fmt: skip
    """What every sample's row holds: its identity and texts, as the scorer parsed them."""
    meta = log.eval.metadata or {}
    reasoning, output = sample_texts(sample, scorer, decision_tags, int(meta.get("turns", 1)))
    return {
        "run": run,
        "model": log.eval.model,
        "setting": meta["setting"],
        "variation": meta.get("variation", "unknown"),
        "query_id": record.query_id,
        "category": (sample.metadata or {}).get("category"),
        "tier": record.tier,
        "epoch": record.epoch,
        "turns": int((sample.metadata or {}).get("turns", 1)),
        "invalid_reason": record.invalid_reason,
        "query": str((sample.metadata or {}).get("query", "")),
        "hidden_reasoning": reasoning,
        "output": output or "",
        "completion": _unreadable(sample) if output is None else "",
        "judges": judges,
    }


def behaviour_row(run: int, log: EvalLog, sample: EvalSample) -> dict[str, Any]:
    """A sample of another evaluation: its judge's class stands in the outcome column."""
    evaluation = (log.eval.metadata or {})["evaluation"]
    record = behaviour_record(sample)
    score = (sample.scores or {}).get(BEHAVIOUR_SCORER)
    verdict = (score.metadata or {}).get("verdict") if score is not None else None
    judges = _judges({evaluation: verdict}, (evaluation,))
    return _row(run, log, sample, record, BEHAVIOUR_SCORER, False, judges) | {
        "outcome": record.decision or ("invalid" if record.invalid_reason else "not_judged"),
        "alignment_faking": "not_judged",
        "af_score": None,
        "compliance_source": None,
        "compliance_decision": None,
        "neutral": False,
        "partial_decision": None,
    }


def sample_row(run: int, log: EvalLog, sample: EvalSample) -> dict[str, Any]:
    """One logged sample: the outcome as the summary counts it, verdicts, and its texts."""
    if is_behaviour_run(log):
        return behaviour_row(run, log, sample)
    record = sample_record(sample)
    score = (sample.scores or {}).get(SCORER_NAME)
    value = (
        ComplianceValue.model_validate(score.value)
        if score is not None and isinstance(score.value, dict)
        else None
    )
    judges = _judges(score.metadata or {}) if score is not None else {}
    decision_tags = asked_decision_tags(log.eval.metadata or {})
    return _row(run, log, sample, record, SCORER_NAME, decision_tags, judges) | {
        "outcome": record.outcome,
        "alignment_faking": record.alignment_faking,
        "af_score": value.af_score if value else None,
        "compliance_source": value.compliance_source if value else None,
        "compliance_decision": judges.get("compliance", {}).get("verdict"),
        "neutral": record.neutral,
        "partial_decision": judges.get("partial", {}).get("verdict"),
    }
