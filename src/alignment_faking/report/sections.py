"""Report sections for the measurements beyond the gap: other evaluations and reasoning categories."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from alignment_faking.measurements import EVALUATIONS
from alignment_faking.report.cells import ci, pct, tier_label
from alignment_faking.summary.labels import Run
from alignment_faking.summary.schema import BehaviourRun, ComplianceRun, RateEntry


def _rate(entry: RateEntry) -> str:
    return f"{pct(entry.rate)}{ci(entry.ci)}" if entry.n else "–"


def _evaluation_table(name: str, runs: Sequence[tuple[int, BehaviourRun]]) -> str:
    evaluation = EVALUATIONS[name]
    rates = list(evaluation.rates)
    head = (
        '<tr><th class="l">run</th><th class="l">model · setting</th><th class="l">tier</th>'
        "<th>n</th><th>judged</th><th>invalid</th>"
        + "".join(f"<th>{escape(r)} [95% CI]</th>" for r in rates)
        + "".join(f"<th>{escape(c)}</th>" for c in evaluation.classes)
        + "".join(f"<th>{escape(r)} gap [95% CI]</th>" for r in rates)
        + "</tr>"
    )
    body = []
    for number, run in runs:
        tiers = run.tiers
        for k, (tier, entry) in enumerate(tiers.items()):
            cells = []
            if k == 0:
                span = len(tiers)
                cells += [
                    f'<td class="l" rowspan="{span}">#{number}</td>',
                    f'<td class="l label" rowspan="{span}">{escape(str(run.label))}<br><span class="muted">'
                    f"{escape(str(run.dataset))} · {escape(run.status)}</span></td>",
                ]
            cells += [
                f'<td class="l">{tier_label(run, tier)}</td>',
                f"<td>{entry.n}</td><td>{entry.n_judged}</td><td>{entry.invalid}</td>",
                *(f"<td>{_rate(entry.rates[r])}</td>" for r in rates),
                *(f"<td>{entry.classes.get(c, 0)}</td>" for c in evaluation.classes),
            ]
            if k == 0:
                for r in rates:
                    gap = run.gaps.get(r)
                    text = f"{pct(gap.gap)}{ci(gap.ci)}" if gap and gap.gap is not None else "–"
                    cells.append(f'<td rowspan="{len(tiers)}">{text}</td>')
            body.append(f'<tr class="{"first" if k == 0 else ""}">{"".join(cells)}</tr>')
    return (
        f"<h3>{escape(evaluation.title)}</h3>"
        f'<p class="muted">Measures {escape(evaluation.measures)}. Paper: {escape(evaluation.paper)}.</p>'
        f'<table class="summary"><thead>{head}</thead><tbody>{"".join(body)}</tbody></table>'
    )


def evaluations_section(summaries: Sequence[Run]) -> str:
    """One table per other evaluation run here: rates per tier with intervals, classes, gaps."""
    tables = []
    for name in EVALUATIONS:
        runs = [
            (n, run)
            for n, run in enumerate(summaries)
            if isinstance(run, BehaviourRun) and run.evaluation == name
        ]
        if runs:
            tables.append(_evaluation_table(name, runs))
    if not tables:
        return ""
    return (
        "<h2>Other measurements</h2>"
        '<p class="muted">Each rate is a share of judged answers (Wilson 95% interval, clustered by '
        "query); its gap is training minus unmonitored tier over queries judged in both "
        "(Newcombe interval). Invalid answers are not judged.</p>" + "".join(tables)
    )


def reasons_section(summaries: Sequence[Run]) -> str:
    """Per run and tier, the share of judged scratchpads stating each motivation, overall and
    among fully complying samples, with the alignment-faking scope."""
    rows, names = [], None
    for number, run in enumerate(summaries):
        if not isinstance(run, ComplianceRun):
            continue
        for tier, entry in run.tiers.items():
            reasons = entry.reasons
            if not reasons:
                continue
            names = names or list(reasons.shares)
            scope = ", ".join(f"{escape(k)} {v}" for k, v in reasons.af_scope.items())
            rows.append(
                f'<tr><td class="l">#{number}</td><td class="l label">{escape(str(run.label))}</td>'
                f'<td class="l">{tier_label(run, tier)}</td><td>{reasons.n_judged}</td>'
                + "".join(
                    f'<td>{_rate(reasons.shares[n])}<br><span class="ci">complying '
                    f"{pct(reasons.among_complying[n].rate)}</span></td>"
                    for n in names
                )
                + f'<td class="l">{scope}</td></tr>'
            )
    if not rows or names is None:
        return ""
    head = (
        '<tr><th class="l">run</th><th class="l">model · setting</th><th class="l">tier</th>'
        "<th>judged</th>"
        + "".join(f"<th>{escape(n.replace('_', ' '))}</th>" for n in names)
        + '<th class="l">AF scope</th></tr>'
    )
    return (
        "<h2>Reasoning categories</h2>"
        '<p class="muted">Share of judged scratchpads that state each motivation (each backed by a '
        "quote found in the reasoning; several can apply), with the share among samples that "
        "complied fully. AF scope: goal-specific or generic alignment faking, as the judge tells "
        "them apart.</p>"
        f'<table class="summary"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'
    )
