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
from alignment_faking.errors import UserError
from alignment_faking.judges.reasons import REASONS
from alignment_faking.measurements import COMPLIANCE, EVALUATIONS, get_evaluation
from alignment_faking.records import BehaviourRecord, SampleRecord
from alignment_faking.reference import compared_measure, paper_reference, published
from alignment_faking.scenario.paper import is_paper_prompt
from alignment_faking.scenario.paper import resolve as resolve_paper_prompt
from alignment_faking.scenario.settings import TRAINED_TIER, Tier, other_tier, trained_tier_in
from alignment_faking.stats import (
    Gap,
    Interval,
    Rate,
    ReasonStats,
    RunStats,
    TierGap,
    TierStats,
    behaviour_stats,
    summarize,
)

SCHEMA_VERSION = 2
"""summary.json's format. 2: `compliance` counts partial answers (did not refuse, the paper's
measure), `full_compliance` does not; `compliance_gap` is the difference of the printed tier
rates, the paired analysis is `compliance_gap_paired`; answers without reasoning count as no
alignment faking. Entries without the field are version 1, where `compliance` was full
compliance and `compliance_gap` the paired gap."""


@dataclass(frozen=True)
class RunInfo:
    """What identifies a run, read from its eval log."""

    log: str
    model: str
    setting: str
    variation: str
    dataset: str
    n_queries: int
    """Queries the run's samples cover (Inspect's `--limit` can cut a query's pair in half)."""
    epochs: int
    status: str
    trained_tier: Tier = TRAINED_TIER
    error: str | None = None
    """Why the run failed, when it did."""
    dataset_sha256: str | None = None
    system_prompt_file: str | None = None
    system_prompt_sha256: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    """Generation and judging settings that change the figures (temperature, judges...), the
    generation settings as the model was called with them."""
    created: str | None = None
    evaluation: str = COMPLIANCE
    """`compliance` (the main experiment, with or without reasoning categories) or another
    evaluation's name (measurements.py)."""
    shard_logs: list[str] = field(default_factory=list)
    """The logs of a run made in several processes (`run --shards`), in order; `log` is the
    first. Empty for a run in one process."""
    n_samples: int | None = None
    """Samples the run's logs hold, every epoch (None: not counted)."""
    sample_limit: int | list[int] | None = None
    """Inspect's `--limit` (a count, or a 1-based range), None without one."""


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
        "full_compliance": _round(tier.full_compliance.value),
        "full_compliance_ci": _interval(tier.full_compliance.ci),
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
        "schema_version": SCHEMA_VERSION,
        "log": info.log,
        "shard_logs": info.shard_logs,
        "model": info.model,
        "evaluation": info.evaluation,
        "setting": info.setting,
        "variation": info.variation,
        "dataset": info.dataset,
        "n_queries": info.n_queries,
        "n_samples": info.n_samples,
        "sample_limit": info.sample_limit,
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
    stats = behaviour_stats(records, evaluation.rates, info.trained_tier)
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


def _gaps_entry(name: str, gap: TierGap | None, paired: Gap | None) -> dict:
    """A gap as the difference of the printed tier rates, and its paired analysis beside it."""
    return {
        name: _round(gap.value) if gap else None,
        f"{name}_ci": _interval(gap.ci) if gap else None,
        f"{name}_paired": _gap_entry(paired) if paired else None,
    }


PAPER_AF_CLASSIFIER = (
    "Greenblatt et al.'s own classifier, the mean of its default and strict prompts "
    "(both yes counts 1, one yes 0.5)"
)


def af_classifier(config: dict) -> str | None:
    """Which classifier produced a run's alignment-faking rate: the judge and its model."""
    judge = config.get("af_judge")
    if judge in (None, "none"):
        return None
    if judge == "baseline":
        return "baseline (offline keyword count)"
    return f"{judge} ({config.get('judge_model') or 'judge model not recorded'})"


def _paper_reference(summary: dict) -> dict | None:
    """The paper's row the run repeats, with the classifiers behind both AF figures (the
    paper's is None where its row publishes no AF figure)."""
    reference = paper_reference(summary)
    if reference is None:
        return None
    return reference | {
        "af_classifier": af_classifier(summary["config"]),
        "paper_af_classifier": PAPER_AF_CLASSIFIER if reference["af"] is not None else None,
    }


def _quote_entry(records: Sequence[SampleRecord], tier: str) -> dict:
    """af_v2's share of votes in a tier citing a quote not in the reasoning (None: no such votes)."""
    in_tier = [r for r in records if r.tier == tier]
    votes = sum(r.af_votes for r in in_tier)
    missing = sum(r.af_quote_missing for r in in_tier)
    return {"af_quote_missing_share": _round(missing / votes) if votes else None}


def run_summary(info: RunInfo, records: Iterable[SampleRecord]) -> dict:
    """One run's entry of summary.json (schema in docs/outputs.md)."""
    records = list(records)  # read twice: the figures, and the quote-check share
    stats: RunStats = summarize(records, info.trained_tier, REASONS)
    summary = (
        _identity(info)
        | {
            "tiers": {
                name: _tier_entry(tier) | _quote_entry(records, name)
                for name, tier in stats.tiers.items()
            }
        }
        | _gaps_entry("compliance_gap", stats.gap, stats.paired_gap)
        | _gaps_entry("full_compliance_gap", stats.full_gap, stats.full_paired_gap)
    )
    summary["paper_reference"] = _paper_reference(summary)
    return summary


SUMMARY_FILE = "summary.json"


def _short(sha: str | None) -> str:
    return (sha or "?")[:8]


def _prompt_name(file: str) -> str:
    """A prompt file as labels name it: a paper prompt by its name (the same file reached by
    its path too), any other file by its file name."""
    if is_paper_prompt(file):
        try:
            return resolve_paper_prompt(file).label
        except UserError:  # a name this version does not know: as the log recorded it
            return file
    return PurePath(file).name


def base_label(run: dict) -> str:
    """Model, setting and variation, and the prompt file and dataset when they are not ours."""
    label = f"{run['model']} · {run['setting']}/{run['variation']}"
    if run.get("evaluation", COMPLIANCE) != COMPLIANCE:
        label += f" · {run['evaluation']}"
    prompt = run.get("system_prompt") or {}
    if prompt.get("file"):
        label += f" · prompt {_prompt_name(prompt['file'])}@{_short(prompt.get('sha256'))}"
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
            "prefill",
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
    first_tier: dict[str, Any] = next(iter(run["tiers"].values()), {})
    rates = list(first_tier.get("rates", {}))
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


def _gap_lines(run: dict) -> list[str]:
    """The headline gap (the difference of the printed tier rates), its paired analysis, and
    the same for full compliance."""
    lines = []
    for name, title in (("compliance_gap", "gap"), ("full_compliance_gap", "full-compliance gap")):
        if run.get(name) is None:
            continue
        line = (
            f"  {title} ({_gap_label(run)}): {_percent(run[name])} {_percent_ci(run[name + '_ci'])}"
        )
        if (paired := run.get(name + "_paired")) and paired["gap"] is not None:
            line += (
                f"  paired: {_percent(paired['gap'])} {_percent_ci(paired['ci'])}  "
                f"McNemar p={paired['p_value']:.3g}  pairs={paired['n_pairs']}"
            )
        lines.append(line)
    return lines


def _reference_line(run: dict) -> str | None:
    """The paper's row beside the run, naming the classifier behind each AF figure."""
    ref = run.get("paper_reference")
    if not ref:
        return None
    ours = ref.get("af_classifier") or "not measured"
    return (
        f"  paper, {ref['model']} ({ref['source']}"
        + ("" if ref["same_prompt"] else "; the paper's prompt, not ours")
        + f"): AF {published(ref['af'], ref['af_se'])}, {compared_measure(ref)} "
        f"{ref['compliance_train']}% / "
        f"{ref['compliance_unmonitored']}%, gap {published(ref['gap'], ref['gap_se'])} (± 1 SE)\n"
        f"        AF classifiers: ours {ours}; the paper's "
        + (ref["paper_af_classifier"] or "(no AF figure published)")
    )


def _sampling(run: dict) -> str:
    """The samples and generation settings of a run, as its log recorded them."""
    config = run.get("config") or {}
    samples = [f"samples={run['n_samples']}"] if run.get("n_samples") is not None else []
    settings = [f"{key}={config[key]}" for key in ("temperature", "max_tokens") if key in config]
    return "".join(f"  {part}" for part in samples + settings)


def format_table(runs: Sequence[dict]) -> str:
    """A compact text table: per run, one line per tier, the paper's groups, then the gaps.

    Compliance is the paper's (did not refuse), with full compliance (no partial answers)
    beside it; the gap is the difference of the printed tier rates, with the paired analysis
    on its line. The alignment-faking rate is over valid samples, as compliance; `all` counts
    invalid ones too. Runs of another evaluation show its rates instead.
    """
    lines = []
    for run in runs:
        lines.append(
            f"{run.get('label') or base_label(run)}  dataset={run['dataset']}  "
            f"queries={run['n_queries']}{_sampling(run)}  epochs={run['epochs']}  "
            f"status={run['status']}"
        )
        if run.get("error"):
            lines.append(f"  failed: {run['error']}")
        if run.get("evaluation", COMPLIANCE) != COMPLIANCE and "gaps" in run:
            lines += [*_behaviour_lines(run), ""]
            continue
        lines.append(
            f"  {'tier':<5} {'n':>5} {'complied':>8} {'partial':>7} {'refused':>7} {'invalid':>7}"
            f"  {'compliance (95% CI)':<24} {'full compliance (95% CI)':<24} "
            "alignment faking (95% CI)"
        )
        for name, tier in run["tiers"].items():
            af = tier["alignment_faking"]
            judged = tier["n_judged"] or not tier["not_judged"]
            compliance = (
                _rate_cell(tier["compliance"], tier["compliance_ci"], tier["n_judged"])
                if judged
                else f"- ({tier['not_judged']} not judged)"
            )
            full = (
                _rate_cell(tier["full_compliance"], tier["full_compliance_ci"], tier["n_judged"])
                if judged
                else "-"
            )
            lines.append(
                f"  {name:<5} {tier['n']:>5} {tier['complied']:>8} {tier['partially_complied']:>7} "
                f"{tier['refused']:>7} {tier['invalid']:>7}  {compliance:<24} {full:<24} "
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
        lines += _gap_lines(run)
        if note := realism_beside(run, runs):
            lines.append(f"  {note}")
        if reference := _reference_line(run):
            lines.append(reference)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def write_summary(target: Path, runs: list[dict]) -> None:
    """Write run summaries as summary.json's `{"schema_version": ..., "runs": [...]}`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    document = {"schema_version": SCHEMA_VERSION, "runs": runs}
    target.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
