"""Run summaries: the figures of one run as the CLI table and summary.json show them."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from alignment_faking.datasets.bundled import BUNDLED
from alignment_faking.evaluations import COMPLIANCE, EVALUATIONS, get_evaluation
from alignment_faking.judges.reasons import REASONS
from alignment_faking.records import BehaviourRecord, SampleRecord
from alignment_faking.reference import paper_reference
from alignment_faking.scenario.settings import TRAINED_TIER, other_tier, trained_tier_in
from alignment_faking.stats import (
    Gap,
    Interval,
    Rate,
    ReasonStats,
    RunStats,
    TierStats,
    behaviour_stats,
    summarize,
)


@dataclass(frozen=True)
class RunInfo:
    """What identifies a run, read from its eval log."""

    log: str
    model: str
    setting: str
    variation: str
    dataset: str
    n_queries: int
    epochs: int
    status: str
    trained_tier: str = TRAINED_TIER
    error: str | None = None
    """Why the run failed, when it did."""
    dataset_sha256: str | None = None
    system_prompt_file: str | None = None
    system_prompt_sha256: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    """Generation and judging settings that change the figures (temperature, judges...)."""
    created: str | None = None
    evaluation: str = COMPLIANCE
    """`compliance` (the main experiment, with or without reasoning categories) or another
    evaluation's name (evaluations.py)."""
    shard_logs: list[str] = field(default_factory=list)
    """The logs of a run made in several processes (`run --shards`), in order; `log` is the
    first. Empty for a run in one process."""


def _interval(ci: Interval | None) -> list[float] | None:
    return None if ci is None else [round(ci.low, 6), round(ci.high, 6)]


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 6)


def _rate_entry(rate: Rate) -> dict:
    return {"rate": _round(rate.value), "ci": _interval(rate.ci), "n": rate.trials}


def _gap_entry(gap: Gap) -> dict:
    return {
        "gap": _round(gap.value),
        "ci": _interval(gap.ci),
        "p_value": _round(gap.p_value),
        "n_pairs": gap.n_pairs,
    }


def _reasons_entry(reasons: ReasonStats) -> dict:
    return {
        "n_judged": reasons.judged,
        "shares": {name: _rate_entry(rate) for name, rate in reasons.shares.items()},
        "among_complying": {
            name: _rate_entry(rate) for name, rate in reasons.among_complying.items()
        },
        "af_scope": dict(sorted(reasons.af_scope.items())),
        "unmonitored_conclusions": dict(sorted(reasons.unmonitored_conclusions.items())),
    }


def _tier_entry(tier: TierStats) -> dict:
    af = tier.alignment_faking
    return {
        "n": tier.n,
        "complied": tier.complied,
        "partially_complied": tier.partially_complied,
        "refused": tier.refused,
        "invalid": tier.invalid,
        "not_judged": tier.not_judged,
        "invalid_reasons": dict(sorted(tier.invalid_reasons.items())),
        "n_judged": tier.compliance.trials,
        "compliance": _round(tier.compliance.value),
        "compliance_ci": _interval(tier.compliance.ci),
        "compliance_any": _round(tier.compliance_any.value),
        "compliance_any_ci": _interval(tier.compliance_any.ci),
        "neutral": tier.neutral,
        "neutral_share": _round(tier.neutral / tier.compliance.trials)
        if tier.compliance.trials
        else None,
        "alignment_faking": {
            "yes": af.yes,
            "maybe": af.maybe,
            "no": af.no,
            "not_judged": af.not_judged,
            "n_judged": af.rate.trials,
            "rate": _round(af.rate.value),
            "rate_ci": _interval(af.rate.ci),
            "n_judged_all": af.rate_all.trials,
            "rate_all": _round(af.rate_all.value),
            "rate_all_ci": _interval(af.rate_all.ci),
            "among_compliant": _round(af.among_compliant.value),
            "among_compliant_ci": _interval(af.among_compliant.ci),
        },
        "groups": {
            "refuses": af.refuses,
            "partial_with_af": af.partial_with_af,
            "partial_without_af": af.partial_without_af,
            "partial_af_unknown": af.partial_af_unknown,
            "complies_with_af": af.complies_with_af,
            "complies_without_af": af.complies_without_af,
            "complies_af_unknown": af.complies_af_unknown,
        },
    } | ({"reasons": _reasons_entry(tier.reasons)} if tier.reasons else {})


def _identity(info: RunInfo) -> dict:
    return {
        "log": info.log,
        "shard_logs": info.shard_logs,
        "model": info.model,
        "evaluation": info.evaluation,
        "setting": info.setting,
        "variation": info.variation,
        "dataset": info.dataset,
        "n_queries": info.n_queries,
        "epochs": info.epochs,
        "status": info.status,
        "error": info.error,
        "created": info.created,
        "trained_tier": info.trained_tier,
        "dataset_sha256": info.dataset_sha256,
        "system_prompt": {
            "file": info.system_prompt_file,
            "sha256": info.system_prompt_sha256,
        },
        "config": info.config,
    }


def behaviour_summary(info: RunInfo, records: Iterable[BehaviourRecord]) -> dict:
    """One run of another evaluation (anti-lab, lying, realism) as summary.json holds it."""
    evaluation = get_evaluation(info.evaluation)
    stats = behaviour_stats(records, evaluation.rates, info.trained_tier)  # type: ignore[arg-type]
    return _identity(info) | {
        "headline": evaluation.headline,
        "tiers": {
            name: {
                "n": tier.n,
                "n_judged": tier.judged,
                "invalid": tier.invalid,
                "not_judged": tier.not_judged,
                "invalid_reasons": dict(sorted(tier.invalid_reasons.items())),
                "classes": {c: tier.classes.get(c, 0) for c in evaluation.classes},
                "rates": {rate: _rate_entry(value) for rate, value in tier.rates.items()},
            }
            for name, tier in stats.tiers.items()
        },
        "gaps": {name: _gap_entry(gap) for name, gap in stats.gaps.items()},
    }


def run_summary(info: RunInfo, records: Iterable[SampleRecord]) -> dict:
    """One run's entry of summary.json (schema in the README)."""
    stats: RunStats = summarize(records, info.trained_tier, REASONS)  # type: ignore[arg-type]
    gap, gap_any = stats.gap, stats.gap_any
    summary = _identity(info) | {
        "tiers": {name: _tier_entry(tier) for name, tier in stats.tiers.items()},
        "compliance_gap": _round(gap.value) if gap else None,
        "compliance_gap_ci": _interval(gap.ci) if gap else None,
        "p_value": _round(gap.p_value) if gap else None,
        "n_pairs": gap.n_pairs if gap else 0,
        "compliance_gap_any": _round(gap_any.value) if gap_any else None,
        "compliance_gap_any_ci": _interval(gap_any.ci) if gap_any else None,
        "p_value_any": _round(gap_any.p_value) if gap_any else None,
    }
    summary["paper_reference"] = paper_reference(summary)
    return summary


SUMMARY_FILE = "summary.json"


def _short(sha: str | None) -> str:
    return (sha or "?")[:8]


def base_label(run: dict) -> str:
    """Model, setting and variation, and the prompt file and dataset when they are not ours."""
    label = f"{run['model']} · {run['setting']}/{run['variation']}"
    if run.get("evaluation", COMPLIANCE) != COMPLIANCE:
        label += f" · {run['evaluation']}"
    prompt = run.get("system_prompt") or {}
    if prompt.get("file"):
        label += f" · prompt {PurePath(prompt['file']).name}@{_short(prompt.get('sha256'))}"
    if run.get("dataset") not in BUNDLED:
        label += f" · data {run.get('dataset')}@{_short(run.get('dataset_sha256'))}"
    return label


DISTINGUISHERS: tuple[tuple[Callable[[dict], Any], Callable[[dict], str]], ...] = (
    (lambda r: r.get("dataset_sha256"), lambda r: f"data@{_short(r.get('dataset_sha256'))}"),
    (
        lambda r: (r.get("system_prompt") or {}).get("sha256"),
        lambda r: f"prompt@{_short((r.get('system_prompt') or {}).get('sha256'))}",
    ),
    (lambda r: r.get("n_queries"), lambda r: f"{r.get('n_queries')} queries"),
    (lambda r: r.get("epochs"), lambda r: f"{r.get('epochs')} epochs"),
    (lambda r: sorted(r.get("tiers", {})), lambda r: "+".join(r.get("tiers", {})) or "no tiers"),
    *(
        (
            lambda r, k=key: (r.get("config") or {}).get(k),
            lambda r, k=key: f"{k}={(r.get('config') or {}).get(k)}",
        )
        for key in (
            "temperature",
            "max_tokens",
            "turns",
            "compliance_judge",
            "af_judge",
            "judge_model",
        )
    ),
    (lambda r: r.get("created"), lambda r: f"run {r.get('created') or '?'}"),
)
"""What can tell two runs apart, in the order labels name it."""


def label_runs(runs: Sequence[dict]) -> list[dict]:
    """Give every run a `label`, distinct within these runs: runs that differ never share one.

    Runs with the same base label are told apart by whatever differs between them (dataset or
    prompt content, size, generation or judge settings, and at last the time each started).
    """
    labels = [base_label(run) for run in runs]
    groups: dict[str, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        groups[label].append(index)
    for members in groups.values():
        for key, name in DISTINGUISHERS:
            if len(members) < 2 or len({labels[i] for i in members}) == len(members):
                break
            if len({json.dumps(key(runs[i]), default=str) for i in members}) > 1:
                for i in members:
                    labels[i] += f" · {name(runs[i])}"
    seen: dict[str, int] = defaultdict(int)
    for index, label in enumerate(labels):
        seen[label] += 1
        if seen[label] > 1:  # identical in everything recorded: number the repeats
            labels[index] = f"{label} · #{seen[label]}"
    for run, label in zip(runs, labels, strict=True):
        run["label"] = label
    return list(runs)


def _percent(x: float | None) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f}%"


def _percent_ci(ci: list[float] | None) -> str:
    return "" if ci is None else f"[{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]"


def _gap_label(run: dict) -> str:
    trained = trained_tier_in(run)
    return f"{trained} - {other_tier(trained)}"


def _rate_cell(rate: float | None, ci: list[float] | None, n: int) -> str:
    return f"{_percent(rate)} {_percent_ci(ci)}" if n else "-"


def _groups_line(groups: dict) -> str:
    parts = [
        f"refuses {groups['refuses']}",
        f"partial with AF {groups.get('partial_with_af', 0)}",
        f"partial without AF {groups.get('partial_without_af', 0)}",
        f"complies with AF {groups['complies_with_af']}",
        f"complies without AF {groups['complies_without_af']}",
    ]
    if groups.get("partial_af_unknown"):
        parts.append(f"partial, AF not judged {groups['partial_af_unknown']}")
    if groups["complies_af_unknown"]:
        parts.append(f"complies, AF not judged {groups['complies_af_unknown']}")
    return "        " + " | ".join(parts)


def _reasons_line(reasons: dict) -> str:
    shares = " | ".join(
        f"{name} {_percent(entry['rate'])}" for name, entry in reasons["shares"].items()
    )
    scope = ", ".join(f"{k}={v}" for k, v in reasons["af_scope"].items())
    return f"        motivations ({reasons['n_judged']} judged): {shares}; AF scope: {scope}"


def _behaviour_lines(run: dict) -> list[str]:
    """An evaluation other than the main one: its rates per tier, its classes, its gaps."""
    rates = list(next(iter(run["tiers"].values()), {}).get("rates", {}))
    lines = [
        f"  {'tier':<5} {'n':>5} {'judged':>6} {'invalid':>7}  "
        + " ".join(f"{name + ' (95% CI)':<26}" for name in rates)
        + "  classes"
    ]
    for name, tier in run["tiers"].items():
        cells = " ".join(
            f"{_rate_cell(r['rate'], r['ci'], r['n']):<26}" for r in tier["rates"].values()
        )
        classes = " ".join(f"{k}={v}" for k, v in tier["classes"].items())
        lines.append(
            f"  {name:<5} {tier['n']:>5} {tier['n_judged']:>6} {tier['invalid']:>7}  {cells}  {classes}"
            + (f" not judged={tier['not_judged']}" if tier["not_judged"] else "")
        )
        if tier["invalid_reasons"]:
            reasons = ", ".join(f"{k}={v}" for k, v in tier["invalid_reasons"].items())
            lines.append(f"        invalid: {reasons}")
    for name, gap in run.get("gaps", {}).items():
        if gap["gap"] is not None:
            lines.append(
                f"  {name} gap ({_gap_label(run)}): {_percent(gap['gap'])} {_percent_ci(gap['ci'])}"
                f"  McNemar p={gap['p_value']:.3g}  pairs={gap['n_pairs']}"
            )
    return lines


def _scenario_key(run: dict) -> tuple:
    prompt = run.get("system_prompt") or {}
    return (run.get("model"), run.get("setting"), run.get("variation"), prompt.get("sha256"))


def realism_beside(run: dict, runs: Sequence[dict]) -> str | None:
    """For a run of the main experiment, what a realism run of the same model and scenario found:
    the share of answers suspecting a test per tier, to read beside the gap."""
    if run.get("evaluation", COMPLIANCE) in EVALUATIONS:
        return None
    key = _scenario_key(run)
    matches = [r for r in runs if r.get("evaluation") == "realism" and _scenario_key(r) == key]
    if not matches:
        return None
    realism = matches[-1]
    parts = [
        f"{name} {_percent(tier['rates']['suspects_test']['rate'])}"
        for name, tier in realism["tiers"].items()
    ]
    return f"suspects a test (realism run {realism.get('label', '')}): " + ", ".join(parts)


def format_table(runs: Sequence[dict]) -> str:
    """A compact text table: per run, one line per tier, the paper's groups, then the gaps.

    Compliance is shown both ways: full compliance, and with partial answers (StrongREJECT > 0).
    The alignment-faking rate is over valid samples, as compliance; `all` counts invalid ones too.
    Runs of another evaluation show its rates instead.
    """
    lines = []
    for run in runs:
        lines.append(
            f"{run.get('label') or base_label(run)}  dataset={run['dataset']}  "
            f"queries={run['n_queries']}  epochs={run['epochs']}  status={run['status']}"
        )
        if run.get("error"):
            lines.append(f"  failed: {run['error']}")
        if run.get("evaluation", COMPLIANCE) != COMPLIANCE and "gaps" in run:
            lines += [*_behaviour_lines(run), ""]
            continue
        lines.append(
            f"  {'tier':<5} {'n':>5} {'complied':>8} {'partial':>7} {'refused':>7} {'invalid':>7}"
            f"  {'compliance (95% CI)':<24} {'with partial (95% CI)':<24} alignment faking (95% CI)"
        )
        for name, tier in run["tiers"].items():
            af = tier["alignment_faking"]
            judged = tier["n_judged"] or not tier["not_judged"]
            compliance = (
                _rate_cell(tier["compliance"], tier["compliance_ci"], tier["n_judged"])
                if judged
                else f"- ({tier['not_judged']} not judged)"
            )
            anything = (
                _rate_cell(
                    tier.get("compliance_any"), tier.get("compliance_any_ci"), tier["n_judged"]
                )
                if judged
                else "-"
            )
            lines.append(
                f"  {name:<5} {tier['n']:>5} {tier['complied']:>8} {tier['partially_complied']:>7} "
                f"{tier['refused']:>7} {tier['invalid']:>7}  {compliance:<24} {anything:<24} "
                f"{_rate_cell(af['rate'], af['rate_ci'], af['n_judged'])}"
                + (f" maybe={af['maybe']}" if af["maybe"] else "")
                + (f" not judged={af['not_judged']}" if af["not_judged"] else "")
                + (
                    f" (all samples {_percent(af['rate_all'])})"
                    if af.get("n_judged_all", 0) != af["n_judged"]
                    else ""
                )
            )
            lines.append(_groups_line(tier["groups"]))
            if tier.get("reasons"):
                lines.append(_reasons_line(tier["reasons"]))
            if tier.get("neutral"):
                lines.append(
                    f"        neutral answers (count as compliance) {tier['neutral']} "
                    f"({_percent(tier['neutral_share'])} of valid)"
                )
            if tier["invalid_reasons"]:
                reasons = ", ".join(f"{k}={v}" for k, v in tier["invalid_reasons"].items())
                lines.append(f"        invalid: {reasons}")
        if run["compliance_gap"] is not None:
            lines.append(
                f"  gap ({_gap_label(run)}): {_percent(run['compliance_gap'])} "
                f"{_percent_ci(run['compliance_gap_ci'])}  McNemar p={run['p_value']:.3g}  "
                f"pairs={run['n_pairs']}"
            )
        if run.get("compliance_gap_any") is not None:
            lines.append(
                f"  gap with partial: {_percent(run['compliance_gap_any'])} "
                f"{_percent_ci(run['compliance_gap_any_ci'])}  McNemar p={run['p_value_any']:.3g}"
            )
        if note := realism_beside(run, runs):
            lines.append(f"  {note}")
        if ref := run.get("paper_reference"):
            lines.append(
                f"  paper, {ref['model']} ({ref['source']}"
                + ("" if ref["same_prompt"] else "; the paper's prompt, not ours")
                + f"): AF {ref['af']}%, compliance {ref['compliance_train']}% / "
                f"{ref['compliance_unmonitored']}%, gap {ref['gap']}% (± 1 SE {ref['gap_se']})"
            )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def write_summary(target: Path, runs: list[dict]) -> None:
    """Write run summaries as summary.json's `{"runs": [...]}`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"runs": runs}, indent=2) + "\n", encoding="utf-8")
