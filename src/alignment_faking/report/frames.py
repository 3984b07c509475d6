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
from alignment_faking.inspect.evaluations import BEHAVIOUR_SCORER
from alignment_faking.inspect.logs import (
    asked_decision_tags,
    behaviour_record,
    is_behaviour_run,
    log_summary,
    read_scored_log,
    run_headers,
    sample_record,
    sample_texts,
)
from alignment_faking.inspect.scorers import SCORER_NAME
from alignment_faking.measurements import COMPLIANCE, EVALUATIONS
from alignment_faking.records import BehaviourRecord, SampleRecord
from alignment_faking.scenario.settings import TIERS
from alignment_faking.summary import label_runs

TIER_COUNTS = (
    "n",
    "complied",
    "partially_complied",
    "refused",
    "invalid",
    "not_judged",
    "n_judged",
)
GROUPS = (
    "refuses",
    "partial_with_af",
    "partial_without_af",
    "partial_af_unknown",
    "complies_with_af",
    "complies_without_af",
    "complies_af_unknown",
)


@dataclass(frozen=True)
class Results:
    """The runs and samples of a set of logs, and the summary.json entries they came from."""

    runs: pd.DataFrame
    """One row per run of the main experiment: identity, per-tier counts, rates with
    intervals, groups, and the gaps with their paired analyses (`run` indexes `summaries`)."""
    samples: pd.DataFrame
    """One row per sample of every run: identity, outcome, verdicts, and the texts the
    browser shows; in another evaluation's run the outcome is its judge's class."""
    summaries: list[dict]
    """summary.json's `runs`, exactly as `log_summary` made them, every evaluation."""


def results(paths: Sequence[str | PathLike[str]]) -> Results:
    """Read every alignment-faking run in these log files or directories, oldest first."""
    samples: list[dict[str, Any]] = []
    summaries: list[dict] = []
    if isinstance(paths, str | PathLike):
        paths = [paths]
    for header in run_headers([str(p) for p in paths]):
        # one read of the samples serves the summary and the rows
        log = read_scored_log(header)
        summaries.append(log_summary(log))
        # the rows keep only the texts the browser shows
        samples += [sample_row(len(summaries) - 1, log, sample) for sample in log.samples or []]
    if not summaries:
        raise UserError("no alignment-faking eval logs found there")
    runs = [
        run_row(number, summary)
        for number, summary in enumerate(label_runs(summaries))
        if summary.get("evaluation", COMPLIANCE) not in EVALUATIONS
    ]
    return Results(
        pd.DataFrame(runs), pd.DataFrame(samples, columns=list(SAMPLE_COLUMNS)), summaries
    )


def _ci(ci: list[float] | None, bound: int) -> float | None:
    return None if ci is None else ci[bound]


def run_row(run: int, summary: dict) -> dict[str, Any]:
    """A summary.json entry flattened to one row; a tier that was not run is left empty."""
    row: dict[str, Any] = {"run": run, "label": summary["label"]}
    row |= {k: summary[k] for k in ("model", "setting", "variation", "dataset", "n_queries")}
    row |= {k: summary[k] for k in ("epochs", "status", "log", "trained_tier", "dataset_sha256")}
    row |= {
        "system_prompt_file": summary["system_prompt"]["file"],
        "system_prompt_sha256": summary["system_prompt"]["sha256"],
    }
    for tier in TIERS:
        entry = summary["tiers"].get(tier)
        if entry is None:
            continue
        af = entry["alignment_faking"]
        row |= {f"{tier}_{k}": entry[k] for k in TIER_COUNTS}
        row |= {
            f"{tier}_compliance": entry["compliance"],
            f"{tier}_compliance_ci_low": _ci(entry["compliance_ci"], 0),
            f"{tier}_compliance_ci_high": _ci(entry["compliance_ci"], 1),
            f"{tier}_neutral": entry["neutral"],
            f"{tier}_neutral_share": entry["neutral_share"],
            f"{tier}_full_compliance": entry["full_compliance"],
            f"{tier}_full_compliance_ci_low": _ci(entry["full_compliance_ci"], 0),
            f"{tier}_full_compliance_ci_high": _ci(entry["full_compliance_ci"], 1),
            f"{tier}_af_yes": af["yes"],
            f"{tier}_af_maybe": af["maybe"],
            f"{tier}_af_n_judged": af["n_judged"],
            f"{tier}_af_rate": af["rate"],
            f"{tier}_af_rate_ci_low": _ci(af["rate_ci"], 0),
            f"{tier}_af_rate_ci_high": _ci(af["rate_ci"], 1),
            f"{tier}_af_rate_all": af["rate_all"],
            f"{tier}_af_n_judged_all": af["n_judged_all"],
        }
        row |= {f"{tier}_{g}": entry["groups"][g] for g in GROUPS}
    for gap in ("compliance_gap", "full_compliance_gap"):
        paired = summary[f"{gap}_paired"] or {}
        row |= {
            gap: summary[gap],
            f"{gap}_ci_low": _ci(summary[f"{gap}_ci"], 0),
            f"{gap}_ci_high": _ci(summary[f"{gap}_ci"], 1),
            f"{gap}_paired": paired.get("gap"),
            f"{gap}_paired_ci_low": _ci(paired.get("ci"), 0),
            f"{gap}_paired_ci_high": _ci(paired.get("ci"), 1),
            f"{gap}_paired_p_value": paired.get("p_value"),
            f"{gap}_paired_n_pairs": paired.get("n_pairs", 0),
        }
    return row


SAMPLE_COLUMNS = {
    "run": "index of the run in `runs`",
    "model": "model under test",
    "setting": "helpful_only or animal_welfare",
    "variation": "prompt variation",
    "query_id": "query id in its dataset",
    "category": "query category, if the dataset has one",
    "tier": "free (training) or paid (unmonitored)",
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
    value = score.value if score is not None and isinstance(score.value, dict) else {}
    judges = _judges(score.metadata or {}) if score is not None else {}
    decision_tags = asked_decision_tags(log.eval.metadata or {})
    return _row(run, log, sample, record, SCORER_NAME, decision_tags, judges) | {
        "outcome": record.outcome,
        "alignment_faking": record.alignment_faking,
        "af_score": value.get("af_score"),
        "compliance_source": value.get("compliance_source"),
        "compliance_decision": judges.get("compliance", {}).get("verdict"),
        "neutral": record.neutral,
        "partial_decision": judges.get("partial", {}).get("verdict"),
    }
