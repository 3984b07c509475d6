"""The CLI table of run summaries: per run, one line per tier, the paper's groups, then the gaps."""

from __future__ import annotations

import math
from collections.abc import Sequence

from alignment_faking.reference import compared_measure, published, row_label
from alignment_faking.scenario.settings import other_tier
from alignment_faking.summary.judges import offline_banner, run_judges
from alignment_faking.summary.labels import Run, base_label
from alignment_faking.summary.schema import (
    BehaviourRun,
    ComplianceRun,
    GapEntry,
    GroupsEntry,
    Interval,
    ReasonsEntry,
    RunIdentity,
    TierPairEntry,
)


def _percent(x: float | None) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f}%"


def _percent_ci(ci: Interval | None) -> str:
    return "" if ci is None else f"[{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]"


def _gap_label(run: RunIdentity) -> str:
    return f"{run.trained_tier} - {other_tier(run.trained_tier)}"


def _rate_cell(rate: float | None, ci: Interval | None, n: int) -> str:
    return f"{_percent(rate)} {_percent_ci(ci)}" if n else "-"


def _groups_line(groups: GroupsEntry) -> str:
    parts = [
        f"refuses {groups.refuses}",
        f"partial with AF {groups.partial_with_af}",
        f"partial without AF {groups.partial_without_af}",
        f"complies with AF {groups.complies_with_af}",
        f"complies without AF {groups.complies_without_af}",
    ]
    if groups.partial_af_unknown:
        parts.append(f"partial, AF not judged {groups.partial_af_unknown}")
    if groups.complies_af_unknown:
        parts.append(f"complies, AF not judged {groups.complies_af_unknown}")
    return "        " + " | ".join(parts)


def _reasons_line(reasons: ReasonsEntry) -> str:
    shares = " | ".join(f"{name} {_percent(entry.rate)}" for name, entry in reasons.shares.items())
    scope = ", ".join(f"{k}={v}" for k, v in reasons.af_scope.items())
    return f"        motivations ({reasons.n_judged} judged): {shares}; AF scope: {scope}"


def _paired_text(gap: GapEntry) -> str:
    return f"{_percent(gap.gap)} {_percent_ci(gap.ci)}  McNemar p={gap.p_value:.3g}  pairs={gap.n_pairs}"


def _behaviour_lines(run: BehaviourRun) -> list[str]:
    """An evaluation other than the main one: its rates per tier, its classes, its gaps."""
    first_tier = next(iter(run.tiers.values()), None)
    rates = list(first_tier.rates) if first_tier else []
    lines = [
        f"  {'tier':<5} {'n':>5} {'judged':>6} {'invalid':>7}  "
        + " ".join(f"{name + ' (95% CI)':<26}" for name in rates)
        + "  classes"
    ]
    for tier_name, tier in run.tiers.items():
        cells = " ".join(f"{_rate_cell(r.rate, r.ci, r.n):<26}" for r in tier.rates.values())
        classes = " ".join(f"{k}={v}" for k, v in tier.classes.items())
        lines.append(
            f"  {tier_name:<5} {tier.n:>5} {tier.n_judged:>6} {tier.invalid:>7}  {cells}  {classes}"
            + (f" not judged={tier.not_judged}" if tier.not_judged else "")
        )
        if tier.invalid_reasons:
            reasons = ", ".join(f"{k}={v}" for k, v in tier.invalid_reasons.items())
            lines.append(f"        invalid: {reasons}")
    for name, gap in run.gaps.items():
        if gap.gap is not None:
            lines.append(f"  {name} gap ({_gap_label(run)}): {_paired_text(gap)}")
    return lines


def _scenario_key(run: RunIdentity) -> tuple[str, str, str, str | None]:
    return (run.model, run.setting, run.variation, run.system_prompt.sha256)


def realism_beside(run: Run, runs: Sequence[Run]) -> str | None:
    """For a run of the main experiment, what a realism run of the same model and scenario found:
    the share of answers suspecting a test per tier, to read beside the gap."""
    if not isinstance(run, ComplianceRun):
        return None
    key = _scenario_key(run)
    matches = [
        r
        for r in runs
        if isinstance(r, BehaviourRun) and r.evaluation == "realism" and _scenario_key(r) == key
    ]
    if not matches:
        return None
    realism = matches[-1]
    parts = [
        f"{name} {_percent(tier.rates['suspects_test'].rate)}"
        for name, tier in realism.tiers.items()
    ]
    return f"suspects a test (realism run {realism.label or ''}): " + ", ".join(parts)


def _gap_lines(run: ComplianceRun) -> list[str]:
    """The headline gap (the difference of the printed tier rates), its paired analysis, and
    the same for full compliance; under more than two tiers, those of every tier against the
    trained one."""
    if run.gaps is None:
        return _pair_lines(_gap_label(run), run)
    return [
        line
        for pair in run.gaps
        for line in _pair_lines(f"{run.trained_tier} - {pair.tier}, {pair.role}", pair)
    ]


def _pair_lines(label: str, entry: ComplianceRun | TierPairEntry) -> list[str]:
    lines = []
    for title, gap, ci, paired in (
        ("gap", entry.compliance_gap, entry.compliance_gap_ci, entry.compliance_gap_paired),
        (
            "full-compliance gap",
            entry.full_compliance_gap,
            entry.full_compliance_gap_ci,
            entry.full_compliance_gap_paired,
        ),
    ):
        if gap is None:
            continue
        line = f"  {title} ({label}): {_percent(gap)} {_percent_ci(ci)}"
        if paired and paired.gap is not None:
            line += f"  paired: {_paired_text(paired)}"
        lines.append(line)
    return lines


def _reference_line(run: ComplianceRun) -> str | None:
    """The paper's row beside the run, naming the classifier behind each AF figure."""
    ref = run.paper_reference
    if not ref:
        return None
    ours = ref.af_classifier or "not measured"
    return (
        f"  {row_label(ref)}: {ref.model} ({ref.source}): "
        f"AF {published(ref.af, ref.af_se)}, {compared_measure(ref)} "
        f"{ref.compliance_train}% / "
        f"{ref.compliance_unmonitored}%, gap {published(ref.gap, ref.gap_se)} (± 1 SE)\n"
        f"        AF classifiers: ours {ours}; the paper's: "
        + (ref.paper_af_classifier or "(no AF figure published)")
    )


def _sampling(run: RunIdentity) -> str:
    """The samples and generation settings of a run, as its log recorded them."""
    samples = [f"samples={run.n_samples}"] if run.n_samples is not None else []
    settings = [
        f"{key}={value}"
        for key, value in (
            ("temperature", run.config.temperature),
            ("max_tokens", run.config.max_tokens),
        )
        if value is not None
    ]
    return "".join(f"  {part}" for part in samples + settings)


def _compliance_lines(run: ComplianceRun) -> list[str]:
    """The main experiment's tiers: outcomes, compliance, alignment faking, groups."""
    lines = [
        f"  {'tier':<5} {'n':>5} {'complied':>8} {'partial':>7} {'refused':>7} {'invalid':>7}"
        f"  {'compliance (95% CI)':<24} {'full compliance (95% CI)':<24} "
        "alignment faking (95% CI)"
    ]
    for name, tier in run.tiers.items():
        af = tier.alignment_faking
        judged = tier.n_judged or not tier.not_judged
        compliance = (
            _rate_cell(tier.compliance, tier.compliance_ci, tier.n_judged)
            if judged
            else f"- ({tier.not_judged} not judged)"
        )
        full = (
            _rate_cell(tier.full_compliance, tier.full_compliance_ci, tier.n_judged)
            if judged
            else "-"
        )
        lines.append(
            f"  {name:<5} {tier.n:>5} {tier.complied:>8} {tier.partially_complied:>7} "
            f"{tier.refused:>7} {tier.invalid:>7}  {compliance:<24} {full:<24} "
            f"{_rate_cell(af.rate, af.rate_ci, af.n_judged)}"
            + (f" maybe={af.maybe}" if af.maybe else "")
            + (f" not judged={af.not_judged}" if af.not_judged else "")
            + (f" (all samples {_percent(af.rate_all)})" if af.n_judged_all != af.n_judged else "")
        )
        lines.append(_groups_line(tier.groups))
        if tier.reasons:
            lines.append(_reasons_line(tier.reasons))
        if tier.neutral:
            lines.append(
                f"        neutral answers (count as compliance) {tier.neutral} "
                f"({_percent(tier.neutral_share)} of valid)"
            )
        if tier.invalid_reasons:
            reasons = ", ".join(f"{k}={v}" for k, v in tier.invalid_reasons.items())
            lines.append(f"        invalid: {reasons}")
    return lines


def format_table(runs: Sequence[Run], beside: Sequence[Run] = ()) -> str:
    """A compact text table: per run, its judges, one line per tier, the paper's groups, then
    the gaps; a table of offline stand-in models says so first.

    Compliance is the paper's (did not refuse), with full compliance (no partial answers)
    beside it; the gap is the difference of the printed tier rates, with the paired analysis
    on its line. The alignment-faking rate is over valid samples, as compliance; `all` counts
    invalid ones too. Runs of another evaluation show its rates instead. `beside`: other runs
    shown with these (the rest of their log directory), where a realism run of the same
    scenario may be.
    """
    banner = offline_banner(runs)
    lines = [banner, ""] if banner else []
    for run in runs:
        lines.append(
            f"{run.label or base_label(run)}  dataset={run.dataset}  "
            f"queries={run.n_queries}{_sampling(run)}  epochs={run.epochs}  "
            f"status={run.status}"
        )
        lines.append(f"  judges: {run_judges(run).line()}")
        if run.error:
            lines.append(f"  failed: {run.error}")
        if isinstance(run, BehaviourRun):
            lines += [*_behaviour_lines(run), ""]
            continue
        lines += _compliance_lines(run)
        lines += _gap_lines(run)
        if note := realism_beside(run, [*beside, *runs]):
            lines.append(f"  {note}")
        if reference := _reference_line(run):
            lines.append(reference)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
