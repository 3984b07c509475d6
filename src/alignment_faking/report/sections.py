"""What each table of the report shows, chosen from summary.json's entries: the results table,
one table per other evaluation, and the reasoning categories. templates/ lays them out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from alignment_faking.measurements import EVALUATIONS, Evaluation
from alignment_faking.reference import compared_measure, published, row_label
from alignment_faking.summary.labels import Run
from alignment_faking.summary.schema import BehaviourRun, ComplianceRun, ReasonsEntry
from alignment_faking.summary.table import realism_beside


@dataclass(frozen=True)
class SummaryRow:
    """A run of the main experiment in the results table, with the notes printed under it."""

    number: int
    """The run's index in the report's runs."""
    run: ComplianceRun
    realism: str | None
    """Whether the model believed the same scenario, from a realism run of it."""
    reference: str | None
    """The paper's published figures for the same change."""


def summary_rows(summaries: Sequence[Run]) -> list[SummaryRow]:
    return [
        SummaryRow(number, run, realism_beside(run, summaries), _reference(run))
        for number, run in enumerate(summaries)
        if isinstance(run, ComplianceRun)
    ]


def _reference(run: ComplianceRun) -> str | None:
    """The paper's figures for the run's change (one standard error), and which classifier
    measured each alignment-faking rate."""
    ref = run.paper_reference
    if not ref:
        return None
    return (
        f"{row_label(ref)}: {ref.model} ({ref.source}): alignment faking "
        f"{published(ref.af, ref.af_se)}, {compared_measure(ref)} training "
        f"{ref.compliance_train}% / "
        f"unmonitored {ref.compliance_unmonitored}%, gap "
        f"{published(ref.gap, ref.gap_se)} (± one standard error). Alignment-faking "
        f"classifiers: ours {ref.af_classifier or 'not measured'}; "
        f"the paper's: {ref.paper_af_classifier or '(no AF figure published)'}"
    )


@dataclass(frozen=True)
class EvaluationTable:
    """The runs of one other evaluation: its rates per tier, its judge's classes, its gaps."""

    evaluation: Evaluation
    runs: list[tuple[int, BehaviourRun]]
    """Each run with its index in the report's runs."""


def evaluation_tables(summaries: Sequence[Run]) -> list[EvaluationTable]:
    """A table per other evaluation run here, in the order EVALUATIONS lists them."""
    tables = [
        EvaluationTable(
            evaluation,
            [
                (number, run)
                for number, run in enumerate(summaries)
                if isinstance(run, BehaviourRun) and run.evaluation == name
            ],
        )
        for name, evaluation in EVALUATIONS.items()
    ]
    return [table for table in tables if table.runs]


@dataclass(frozen=True)
class ReasonsRow:
    """The motivations the reasoning-categories judge found in one tier of a run."""

    number: int
    run: ComplianceRun
    tier: str
    reasons: ReasonsEntry


def reasons_rows(summaries: Sequence[Run]) -> list[ReasonsRow]:
    return [
        ReasonsRow(number, run, tier, entry.reasons)
        for number, run in enumerate(summaries)
        if isinstance(run, ComplianceRun)
        for tier, entry in run.tiers.items()
        if entry.reasons is not None
    ]
