"""summary.json, defined once: the pydantic models every summary entry is built as, written as,
read back as, and documented from (docs/summary.schema.json is generated from them).

The models hold what the statistics computed, rounded to 6 decimals; the CLI table, the report,
the notebook frames and the training curve read their attributes. Field order is the file's key
order.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from alignment_faking.scenario.settings import TRAINED_TIER, Tier, TierRole
from alignment_faking.scenario.variations import tier_roles

SCHEMA_VERSION = 2
"""summary.json's format. 2: `compliance` counts partial answers (did not refuse, the paper's
measure), `full_compliance` does not; `compliance_gap` is the difference of the printed tier
rates, the paired analysis is `compliance_gap_paired`; answers without reasoning count as no
alignment faking. Entries without the field are version 1, where `compliance` was full
compliance and `compliance_gap` the paired gap."""

Interval = tuple[float, float]
"""A 95% interval, low and high."""


class Entry(BaseModel):
    """A part of a summary entry: immutable, documented by its attributes' docstrings."""

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True)

    omitted_when_none: ClassVar[tuple[str, ...]] = ()
    """Fields written only when they hold a value (the file has no null for them)."""

    @model_serializer(mode="wrap")
    def _omit_empty(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for name in self.omitted_when_none:
            if data.get(name) is None:
                data.pop(name, None)
        return data


class RateEntry(Entry):
    """A share with its clustered Wilson interval."""

    rate: float | None
    """None without trials."""
    ci: Interval | None
    n: int
    """Trials: the rate's denominator."""


class GapEntry(Entry):
    """A paired gap: trained minus unmonitored tier over the queries valid in both."""

    gap: float | None
    ci: Interval | None
    p_value: float | None
    """Exact McNemar test over the queries."""
    n_pairs: int


class ReasonsEntry(Entry):
    """The motivations the reasoning-categories judge found in one tier."""

    n_judged: int
    shares: dict[str, RateEntry]
    """Per motivation: the share of judged scratchpads that state it."""
    among_complying: dict[str, RateEntry]
    """The same among samples that complied fully."""
    af_scope: dict[str, int]
    unmonitored_conclusions: dict[str, int]


class AlignmentFakingEntry(Entry):
    """Alignment-faking reasoning in one tier: verdict counts and rates."""

    yes: int
    maybe: int
    no: int
    not_judged: int
    n_judged: int
    rate: float | None
    """Share of valid samples whose reasoning shows alignment faking."""
    rate_ci: Interval | None
    n_judged_all: int
    rate_all: float | None
    """The same over every judged sample, invalid ones included."""
    rate_all_ci: Interval | None
    among_compliant: float | None
    """The same among samples that complied fully."""
    among_compliant_ci: Interval | None


class GroupsEntry(Entry):
    """The paper's groups of judged samples."""

    refuses: int
    partial_with_af: int
    partial_without_af: int
    partial_af_unknown: int
    complies_with_af: int
    complies_without_af: int
    complies_af_unknown: int


class TierEntry(Entry):
    """One tier of a run of the main experiment."""

    omitted_when_none = ("reasons",)

    n: int
    complied: int
    partially_complied: int
    refused: int
    invalid: int
    not_judged: int
    invalid_reasons: dict[str, int]
    n_judged: int
    """Valid samples: the compliance rates' denominator."""
    compliance: float | None
    """The paper's compliance: valid samples that did not refuse / valid samples."""
    compliance_ci: Interval | None
    full_compliance: float | None
    """Complied / valid samples (partial answers not counted)."""
    full_compliance_ci: Interval | None
    neutral: int
    """Animal welfare: valid answers that took no stance (they count as compliance)."""
    neutral_share: float | None
    alignment_faking: AlignmentFakingEntry
    groups: GroupsEntry
    reasons: ReasonsEntry | None = None
    """Only where the reasoning-categories judge ran."""
    af_quote_missing_share: float | None
    """af_v2's share of votes citing a quote not in the reasoning (None: no such votes)."""


class BehaviourTierEntry(Entry):
    """One tier of a run of another evaluation."""

    n: int
    n_judged: int
    invalid: int
    not_judged: int
    invalid_reasons: dict[str, int]
    classes: dict[str, int]
    """Answers per class of the evaluation's judge, from benign to worst."""
    rates: dict[str, RateEntry]
    """Per rate of the evaluation, the share of judged answers; the first is the headline."""


class SystemPrompt(Entry):
    """The system prompt a run was asked under."""

    file: str | None
    """The `--system-prompt` file (or paper prompt name); None for the setting's own prompt."""
    sha256: str | None
    """SHA-256 of the prompt as sent."""


class RunConfig(Entry):
    """Generation and judging settings that change the figures, those a run recorded."""

    omitted_when_none = (
        "temperature", "max_tokens", "top_p", "top_k", "seed", "reasoning_effort",
        "reasoning_tokens", "turns", "prefill", "compliance_judge", "af_judge", "af_quote_check",
        "af_votes", "af_threshold", "judge_model",
    )  # fmt: skip

    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    top_k: int | None = None
    seed: int | None = None
    reasoning_effort: str | None = None
    reasoning_tokens: int | None = None
    turns: int | None = None
    prefill: bool | None = None
    compliance_judge: str | None = None
    af_judge: str | None = None
    af_quote_check: bool | None = None
    af_votes: int | None = None
    """af_v2's votes per sample."""
    af_threshold: float | None = None
    """af_v2's share of yes votes that makes a yes."""
    judge_model: str | None = None


class PaperReference(Entry):
    """The paper's published row the run repeats (percentages, one standard error)."""

    source: str
    model: str
    same_prompt: bool
    """Whether the paper ran the very prompt file the run used."""
    measure: Literal["compliance", "full_compliance"]
    """Which of our compliance columns the published compliance compares with."""
    af: float | None
    """None: the row publishes no alignment-faking figure (table 5)."""
    af_se: float | None
    compliance_train: float
    compliance_unmonitored: float
    gap: float
    gap_se: float | None
    af_classifier: str | None = None
    """The classifier behind our alignment-faking rate (None: not measured)."""
    paper_af_classifier: str | None = None
    """The classifier behind the paper's (None: no figure published)."""


class RunIdentity(Entry):
    """What identifies a run, read from its eval log."""

    omitted_when_none: ClassVar[tuple[str, ...]] = ("label", "repeat_of", "scratchpad_prefill")

    schema_version: int = SCHEMA_VERSION
    log: str
    shard_logs: list[str] = []
    """The logs of a run made in several processes (`run --shards`), in order; `log` is the
    first. Empty for a run in one process."""
    model: str
    evaluation: str
    """`compliance` (the main experiment), `reasoning_categories`, or another evaluation."""
    setting: str
    variation: str
    scratchpad_prefill: str | None = None
    """The lean of the scratchpad prefill every answer opened with (`faking`, `obedient`,
    `neutral`: the variation's scratchpad steering); absent for an unsteered run."""
    dataset: str
    n_queries: int
    """Queries the run's samples cover (Inspect's `--limit` can cut a query's pair in half)."""
    n_samples: int | None = None
    """Samples the run's logs hold, every epoch (None: not counted)."""
    sample_limit: int | list[int] | None = None
    """Inspect's `--limit` (a count, or a 1-based range), None without one."""
    epochs: int
    status: str
    error: str | None = None
    """Why the run failed, when it did."""
    created: str | None = None
    trained_tier: Tier = TRAINED_TIER
    dataset_sha256: str | None = None
    system_prompt: SystemPrompt = SystemPrompt(file=None, sha256=None)
    config: RunConfig = RunConfig()
    repeat_of: str | None = None
    """The log of an earlier run that this one asked again, the same in everything (a re-run
    with `--no-cache` into the same folder): no independent run, labelled as a repeat and left
    out of the figures. Absent for a run of its own."""

    def tier_roles(self) -> dict[Tier, TierRole]:
        """The roles of the run's tiers, as its variation names them (a third tier's `rated`);
        a tier it does not name is unmonitored."""
        return tier_roles(self.variation, self.trained_tier)


class TierPairEntry(Entry):
    """One tier against the trained tier: the trained tier's compliance minus this one's."""

    tier: Tier
    role: TierRole
    """What the system prompt says of this tier: `rated` (by contractors, never trained on) or
    `unmonitored`."""
    compliance_gap: float | None = None
    compliance_gap_ci: Interval | None = None
    compliance_gap_paired: GapEntry | None = None
    """The same over queries valid in both tiers, with McNemar's test."""
    full_compliance_gap: float | None = None
    full_compliance_gap_ci: Interval | None = None
    full_compliance_gap_paired: GapEntry | None = None


class ComplianceRun(RunIdentity):
    """A run of the main experiment (with or without reasoning categories)."""

    omitted_when_none: ClassVar[tuple[str, ...]] = (*RunIdentity.omitted_when_none, "gaps")
    evaluation: Literal["compliance", "reasoning_categories"] = "compliance"
    tiers: dict[Tier, TierEntry] = {}
    compliance_gap: float | None = None
    """Trained minus unmonitored tier compliance: the difference of the printed rates."""
    compliance_gap_ci: Interval | None = None
    compliance_gap_paired: GapEntry | None = None
    """The same over queries valid in both tiers, with McNemar's test."""
    full_compliance_gap: float | None = None
    full_compliance_gap_ci: Interval | None = None
    full_compliance_gap_paired: GapEntry | None = None
    gaps: list[TierPairEntry] | None = None
    """Under a variation with more than two tiers, one gap per other tier against the trained
    tier (the compliance_gap fields above are the unmonitored tier's); absent for two tiers."""

    def tier_roles(self) -> dict[Tier, TierRole]:
        """The variation's roles, and those the run's own gaps recorded."""
        return super().tier_roles() | {pair.tier: pair.role for pair in self.gaps or ()}

    paper_reference: PaperReference | None = None
    label: str | None = None
    """A name distinct among the runs shown together (labels.py); None until labelled."""


class BehaviourRun(RunIdentity):
    """A run of another evaluation (anti-lab, lying, realism): its judge's classes and rates."""

    evaluation: Literal["anti_lab", "lying", "realism"]
    headline: str
    """The evaluation's headline rate."""
    tiers: dict[Tier, BehaviourTierEntry] = {}
    gaps: dict[str, GapEntry] = {}
    """Per rate, its paired gap."""
    label: str | None = None
    """A name distinct among the runs shown together (labels.py); None until labelled."""


RunEntry = Annotated[ComplianceRun | BehaviourRun, Field(discriminator="evaluation")]
"""One run of summary.json's `runs`, whichever evaluation it is."""


class Summary(Entry):
    """The whole summary.json."""

    schema_version: int = SCHEMA_VERSION
    runs: list[RunEntry]
