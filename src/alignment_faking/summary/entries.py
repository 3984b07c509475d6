"""Summary entries built from a run's records: the statistics (stats.py), rounded as summary.json
holds them, with the run's identity and the paper's row beside it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from alignment_faking.judges.reasons import REASONS
from alignment_faking.measurements import get_evaluation
from alignment_faking.records import BehaviourRecord, SampleRecord
from alignment_faking.reference import paper_reference
from alignment_faking.scenario.variations import tier_roles
from alignment_faking.stats import (
    Gap,
    Interval,
    PairGaps,
    Rate,
    ReasonStats,
    TierGap,
    TierStats,
    behaviour_stats,
    summarize,
)
from alignment_faking.summary.schema import (
    AlignmentFakingEntry,
    BehaviourRun,
    BehaviourTierEntry,
    ComplianceRun,
    GapEntry,
    GroupsEntry,
    PaperReference,
    RateEntry,
    ReasonsEntry,
    RunConfig,
    RunIdentity,
    TierEntry,
    TierPairEntry,
)
from alignment_faking.summary.schema import Interval as IntervalEntry


def _interval(ci: Interval | None) -> IntervalEntry | None:
    return None if ci is None else (round(ci.low, 6), round(ci.high, 6))


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 6)


def _rate_entry(rate: Rate) -> RateEntry:
    return RateEntry(rate=_round(rate.value), ci=_interval(rate.ci), n=rate.trials)


def _gap_entry(gap: Gap) -> GapEntry:
    return GapEntry(
        gap=_round(gap.value),
        ci=_interval(gap.ci),
        p_value=_round(gap.p_value),
        n_pairs=gap.n_pairs,
    )


def _reasons_entry(reasons: ReasonStats) -> ReasonsEntry:
    return ReasonsEntry(
        n_judged=reasons.judged,
        shares={name: _rate_entry(rate) for name, rate in reasons.shares.items()},
        among_complying={name: _rate_entry(rate) for name, rate in reasons.among_complying.items()},
        af_scope=dict(sorted(reasons.af_scope.items())),
        unmonitored_conclusions=dict(sorted(reasons.unmonitored_conclusions.items())),
    )


def _quote_share(records: Sequence[SampleRecord], tier: str) -> float | None:
    """af_v2's share of votes in a tier citing a quote not in the reasoning (None: no such votes)."""
    in_tier = [r for r in records if r.tier == tier]
    votes = sum(r.af_votes for r in in_tier)
    missing = sum(r.af_quote_missing for r in in_tier)
    return _round(missing / votes) if votes else None


def _tier_entry(tier: TierStats, af_quote_missing_share: float | None) -> TierEntry:
    af = tier.alignment_faking
    return TierEntry(
        n=tier.n,
        complied=tier.complied,
        partially_complied=tier.partially_complied,
        refused=tier.refused,
        invalid=tier.invalid,
        not_judged=tier.not_judged,
        invalid_reasons=dict(sorted(tier.invalid_reasons.items())),
        n_judged=tier.compliance.trials,
        compliance=_round(tier.compliance.value),
        compliance_ci=_interval(tier.compliance.ci),
        full_compliance=_round(tier.full_compliance.value),
        full_compliance_ci=_interval(tier.full_compliance.ci),
        neutral=tier.neutral,
        neutral_share=(
            _round(tier.neutral / tier.compliance.trials) if tier.compliance.trials else None
        ),
        alignment_faking=AlignmentFakingEntry(
            yes=af.yes,
            maybe=af.maybe,
            no=af.no,
            not_judged=af.not_judged,
            n_judged=af.rate.trials,
            rate=_round(af.rate.value),
            rate_ci=_interval(af.rate.ci),
            n_judged_all=af.rate_all.trials,
            rate_all=_round(af.rate_all.value),
            rate_all_ci=_interval(af.rate_all.ci),
            among_compliant=_round(af.among_compliant.value),
            among_compliant_ci=_interval(af.among_compliant.ci),
        ),
        groups=GroupsEntry.model_validate(af, from_attributes=True),  # its fields, by name
        reasons=_reasons_entry(tier.reasons) if tier.reasons else None,
        af_quote_missing_share=af_quote_missing_share,
    )


def _tier_gap(gap: TierGap | None) -> tuple[float | None, IntervalEntry | None]:
    return (_round(gap.value), _interval(gap.ci)) if gap else (None, None)


def _pair_fields(pair: PairGaps | None) -> dict[str, object]:
    """A pair's gaps as the summary's `compliance_gap...` fields (all None without the pair)."""
    gap, gap_ci = _tier_gap(pair.gap if pair else None)
    full_gap, full_gap_ci = _tier_gap(pair.full_gap if pair else None)
    return {
        "compliance_gap": gap,
        "compliance_gap_ci": gap_ci,
        "compliance_gap_paired": _gap_entry(pair.paired_gap) if pair else None,
        "full_compliance_gap": full_gap,
        "full_compliance_gap_ci": full_gap_ci,
        "full_compliance_gap_paired": _gap_entry(pair.full_paired_gap) if pair else None,
    }


PAPER_AF_CLASSIFIER = (
    "Greenblatt et al.'s own classifier, the mean of its default and strict prompts "
    "(both yes counts 1, one yes 0.5)"
)


def af_classifier(config: RunConfig) -> str | None:
    """Which classifier produced a run's alignment-faking rate: the judge and its model."""
    judge = config.af_judge
    if judge in (None, "none"):
        return None
    if judge == "baseline":
        return "baseline (offline keyword count)"
    return f"{judge} ({config.judge_model or 'judge model not recorded'})"


def _paper_reference(info: RunIdentity) -> PaperReference | None:
    """The paper's row the run repeats, with the classifiers behind both AF figures (the
    paper's is None where its row publishes no AF figure)."""
    reference = paper_reference(info)
    if reference is None:
        return None
    return reference.model_copy(
        update={
            "af_classifier": af_classifier(info.config),
            "paper_af_classifier": PAPER_AF_CLASSIFIER if reference.af is not None else None,
        }
    )


def run_summary(info: RunIdentity, records: Iterable[SampleRecord]) -> ComplianceRun:
    """One run of the main experiment as summary.json holds it."""
    records = list(records)  # read twice: the figures, and the quote-check share
    roles = tier_roles(info.variation, info.trained_tier)
    stats = summarize(records, info.trained_tier, REASONS, roles)
    gaps = [
        TierPairEntry.model_validate({"tier": pair.tier, "role": pair.role} | _pair_fields(pair))
        for pair in stats.pairs
    ]
    return ComplianceRun.model_validate(
        dict(info)
        | {
            "tiers": {
                name: _tier_entry(tier, _quote_share(records, name))
                for name, tier in stats.tiers.items()
            }
        }
        | _pair_fields(stats.headline)
        | {
            "gaps": gaps if len(roles) > 2 else None,
            "paper_reference": _paper_reference(info),
        }
    )


def behaviour_summary(info: RunIdentity, records: Iterable[BehaviourRecord]) -> BehaviourRun:
    """One run of another evaluation (anti-lab, lying, realism) as summary.json holds it."""
    evaluation = get_evaluation(info.evaluation)
    roles = tier_roles(info.variation, info.trained_tier)
    stats = behaviour_stats(records, evaluation.rates, info.trained_tier, roles)
    return BehaviourRun.model_validate(
        dict(info)
        | {
            "headline": evaluation.headline,
            "tiers": {
                name: BehaviourTierEntry(
                    n=tier.n,
                    n_judged=tier.judged,
                    invalid=tier.invalid,
                    not_judged=tier.not_judged,
                    invalid_reasons=dict(sorted(tier.invalid_reasons.items())),
                    classes={c: tier.classes.get(c, 0) for c in evaluation.classes},
                    rates={rate: _rate_entry(value) for rate, value in tier.rates.items()},
                )
                for name, tier in stats.tiers.items()
            },
            "gaps": {name: _gap_entry(gap) for name, gap in stats.gaps.items()},
        }
    )
