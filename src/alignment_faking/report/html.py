"""The self-contained report.html: summary table, figures, and a transcript browser.

Transcripts are untrusted model output. They travel as JSON inside a non-executed script
element with every character that could end it escaped, and the browser script renders
them as text only; a per-report CSP nonce means injected markup could not run a script
even if it reached the DOM.
"""

from __future__ import annotations

import base64
import json
import math
import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from importlib.resources import files
from typing import Any

from alignment_faking.reference import compared_measure, published
from alignment_faking.report.cells import ci, pct, tier_label
from alignment_faking.report.figures import DPI
from alignment_faking.report.frames import Results
from alignment_faking.report.sections import evaluations_section, reasons_section
from alignment_faking.summary.labels import Run
from alignment_faking.summary.schema import ComplianceRun, GapEntry
from alignment_faking.summary.table import realism_beside

_JSON_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_SAMPLE_KEYS = {
    "run": "r",
    "query_id": "q",
    "tier": "t",
    "epoch": "e",
    "outcome": "o",
    "invalid_reason": "ir",
    "alignment_faking": "af",
    "af_score": "as",
    "compliance_source": "cs",
    "query": "query",
    "hidden_reasoning": "hr",
    "output": "out",
    "completion": "raw",
    "judges": "j",
}
"""Samples frame columns to the browser's short keys: 10,000 samples repeat them 10,000 times."""


def script_json(data: Any) -> str:
    """JSON safe to place inside <script type="application/json">: no markup can close it."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escaped in _JSON_ESCAPES.items():
        text = text.replace(char, escaped)
    return text


def _plain(value: Any) -> Any:
    """pandas' missing values and numpy scalars as JSON values."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def browser_data(results: Results) -> dict[str, Any]:
    """The runs and samples the transcript browser needs, nothing else."""
    samples = results.samples[list(_SAMPLE_KEYS)].to_dict("records")
    return {
        "runs": [{"label": s.label} for s in results.summaries],
        "samples": [{name: _plain(row[k]) for k, name in _SAMPLE_KEYS.items()} for row in samples],
    }


COLUMNS = 11
"""Columns of the results table: compact enough to fit the page without scrolling."""


def _summary_rows(number: int, run: ComplianceRun) -> list[str]:
    tiers = run.tiers
    span = len(tiers)
    gap, full_gap = (
        f"{pct(value)}{ci(interval)}" if value is not None else "–"
        for value, interval in (
            (run.compliance_gap, run.compliance_gap_ci),
            (run.full_compliance_gap, run.full_compliance_gap_ci),
        )
    )
    paired = _paired_cell(run.compliance_gap_paired)
    if not tiers:
        return [
            f'<tr class="first"><td class="l">#{number}</td><td class="l">{escape(str(run.label))}'
            f'</td><td class="l" colspan="{COLUMNS - 2}">no samples ({escape(run.status)})</td></tr>'
        ]
    rows = []
    for k, (tier, entry) in enumerate(tiers.items()):
        af, groups = entry.alignment_faking, entry.groups
        first = k == 0
        cells = []
        if first:
            cells += [
                f'<td class="l" rowspan="{span}">#{number}</td>',
                f'<td class="l label" rowspan="{span}">{escape(str(run.label))}<br>'
                f'<span class="muted">{escape(str(run.dataset))} · {run.epochs} epoch(s) · '
                f"{escape(run.status)}"
                + (f" · {escape(run.error)}" if run.error else "")
                + "</span></td>",
            ]
        invalid = ", ".join(f"{escape(r)}={c}" for r, c in entry.invalid_reasons.items())
        counts = " · ".join(
            str(n)
            for n in (
                entry.complied,
                entry.partially_complied,
                entry.refused,
                entry.invalid,
                entry.not_judged,
            )
        )
        complies = " · ".join(
            str(n)
            for n in (
                groups.complies_with_af,
                groups.complies_without_af,
                groups.complies_af_unknown,
            )
        )
        partial = " · ".join(
            str(n) for n in (groups.partial_with_af, groups.partial_without_af, groups.refuses)
        )
        cells += [
            f'<td class="l">{tier_label(run, tier)}</td>',
            f'<td title="{invalid}">{entry.n}<br><span class="ci">{counts}</span></td>',
            f"<td>{pct(entry.compliance)}{ci(entry.compliance_ci)}"
            + (
                f' <span class="ci">neutral {pct(entry.neutral_share)}</span>'
                if entry.neutral
                else ""
            )
            + "</td>",
            f"<td>{pct(entry.full_compliance)}{ci(entry.full_compliance_ci)}</td>",
            f"<td>{pct(af.rate)}{ci(af.rate_ci)}"
            + (f' <span class="ci">maybe {af.maybe}</span>' if af.maybe else "")
            + (
                f' <span class="ci">all samples {pct(af.rate_all)}</span>'
                if af.n_judged_all != af.n_judged
                else ""
            )
            + "</td>",
            f'<td>{complies}<br><span class="ci">{partial}</span></td>',
        ]
        if first:
            cells += [
                f'<td rowspan="{span}">{gap}</td>',
                f'<td rowspan="{span}">{paired}</td>',
                f'<td rowspan="{span}">{full_gap}</td>',
            ]
        rows.append(f'<tr class="{"first" if first else ""}">{"".join(cells)}</tr>')
    return rows


def _paired_cell(paired: GapEntry | None) -> str:
    """The paired analysis of the gap: difference over queries valid in both tiers, McNemar p
    and the number of pairs."""
    if not paired or paired.gap is None:
        return "–"
    # summary.json rounds to 6 decimals, so 0 means below that
    p = "&lt; 1e-6" if paired.p_value == 0 else f"{paired.p_value:.3g}"
    return (
        f"{pct(paired.gap)}{ci(paired.ci)}<br>"
        f'<span class="ci">p {p} · {paired.n_pairs} pairs</span>'
    )


def _reference_row(run: ComplianceRun) -> list[str]:
    """The paper's published figures for the same change, under the run (one standard error)."""
    ref = run.paper_reference
    if not ref:
        return []
    caveat = "" if ref.same_prompt else "; the paper's prompt, not ours"
    text = (
        f"paper, {ref.model} ({ref.source}{caveat}): alignment faking "
        f"{published(ref.af, ref.af_se)}, {compared_measure(ref)} training "
        f"{ref.compliance_train}% / "
        f"unmonitored {ref.compliance_unmonitored}%, gap "
        f"{published(ref.gap, ref.gap_se)} (± one standard error). Alignment-faking "
        f"classifiers: ours {ref.af_classifier or 'not measured'}; "
        f"the paper's {ref.paper_af_classifier or '(no AF figure published)'}"
    )
    return [
        f'<tr class="ref"><td></td><td class="l muted" colspan="{COLUMNS - 1}">{escape(text)}</td></tr>'
    ]


def _realism_row(run: ComplianceRun, summaries: Sequence[Run]) -> list[str]:
    """Whether the model believed the same scenario, from a realism run of it, under the gap."""
    note = realism_beside(run, summaries)
    return (
        [
            f'<tr class="ref"><td></td><td class="l muted" colspan="{COLUMNS - 1}">{escape(note)}</td></tr>'
        ]
        if note
        else []
    )


def summary_table(summaries: Sequence[Run]) -> str:
    """summary.json's figures as an HTML table: one row per tier, the gap spanning both."""
    head = (
        '<tr><th class="l">run</th><th class="l">model · setting</th><th class="l">tier</th>'
        '<th>n<br><span class="ci">complied · partial · refused · invalid · not judged</span></th>'
        "<th>compliance [95% CI]</th><th>full compliance [95% CI]</th>"
        "<th>alignment faking [95% CI]</th>"
        '<th>complies: AF · no AF · AF ?<br><span class="ci">partial: AF · no AF · refuses</span></th>'
        '<th>gap [95% CI]</th><th>paired gap [95% CI]<br><span class="ci">McNemar p · pairs'
        "</span></th><th>full-compliance gap</th></tr>"
    )
    body = [
        row
        for number, run in enumerate(summaries)
        if isinstance(run, ComplianceRun)
        for row in (
            *_summary_rows(number, run),
            *_realism_row(run, summaries),
            *_reference_row(run),
        )
    ]
    return f'<table class="summary"><thead>{head}</thead><tbody>{"".join(body)}</tbody></table>'


def _asset(name: str) -> str:
    return files("alignment_faking.report").joinpath("assets", name).read_text(encoding="utf-8")


SCREEN_SCALE = 1.5
"""Figures are drawn at 1.5 times their printed size: their 7 pt text reads as about 10 pt."""


def _figure(png: bytes, alt: str, caption: str) -> str:
    """An embedded figure, as wide as its printed size times SCREEN_SCALE (never wider than
    the page), so its text has one size whatever the number of runs drawn."""
    width_px = int.from_bytes(png[16:20], "big")  # the PNG header's width
    width = round(width_px / DPI * 96 * SCREEN_SCALE)
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<figure><img alt="{escape(alt)}" width="{width}" src="data:image/png;base64,{data}">'
        f"<figcaption>{escape(caption)}</figcaption></figure>"
    )


FIGURE_CAPTIONS = {
    "figure_tiers": (
        "Outcomes per tier",
        "Per run, the training (free) and unmonitored (paid) tiers as shares of judged samples: "
        "refuses, complies partially (dotted) and fully, each with or without alignment-faking "
        "reasoning. Error bars: compliance, partial answers included (black), and full "
        "compliance (grey), 95% intervals. n: judged samples; invalid samples are left out of "
        "the shares.",
    ),
    "figure_gaps": (
        "Compliance gap and alignment-faking rate",
        "Per run: compliance gap (training minus unmonitored tier rate, 95% interval; hollow: "
        "full compliance) and the training tier's alignment-faking rate over valid samples "
        "(Wilson 95% interval).",
    ),
}


def report_html(results: Results, figures: Mapping[str, bytes]) -> str:
    """The whole report as one HTML page that needs no network."""
    nonce = secrets.token_urlsafe(16)
    csp = (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        f"script-src 'nonce-{nonce}'; base-uri 'none'; form-action 'none'"
    )
    n_samples = len(results.samples)
    made = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    figure_html = "".join(_figure(png, *FIGURE_CAPTIONS[name]) for name, png in figures.items())
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Alignment-faking report</title>
<style>{_asset("report.css")}</style>
</head>
<body>
<h1>Alignment-faking report</h1>
<p class="muted">{len(results.summaries)} run(s), {n_samples} samples · made {made} ·
same figures as summary.json and <code>alignment-faking summary</code></p>
<h2>Results</h2>
{summary_table(results.summaries)}
<p class="muted">Compliance = judged samples that did not refuse (complied or partially
complied, the paper's measure) / judged samples; full compliance leaves partial answers out
(Wilson 95% intervals, clustered by query with epochs). Alignment faking = share of valid samples
whose reasoning the judge called alignment faking (an answer without reasoning counts as no).
Gap = training minus unmonitored compliance as printed (Newcombe interval); paired gap = the same
over queries judged in both tiers (Newcombe paired interval, exact McNemar p). Invalid samples
are never counted as refusals.</p>
{reasons_section(results.summaries)}
{evaluations_section(results.summaries)}
{"<h2>Figures</h2>" if figure_html else ""}
<div class="figures">{figure_html}</div>
<h2>Transcripts</h2>
<div class="filters">
<label>run<select id="f-run"></select></label>
<label>tier<select id="f-tier"></select></label>
<label>outcome<select id="f-outcome"></select></label>
<label>alignment faking<select id="f-af"></select></label>
<label>search query, reasoning, output<input id="f-text" type="search" placeholder="text"></label>
</div>
<div class="browser">
<div class="list">
<div class="pager"><button id="prev" type="button">‹ prev</button>
<span id="page"></span><button id="next" type="button">next ›</button>
<span id="count" class="muted"></span></div>
<table><thead><tr><th class="l">run</th><th class="l">query</th><th class="l">tier</th>
<th>epoch</th><th class="l">outcome</th><th class="l">AF</th><th class="l">request</th></tr></thead>
<tbody id="rows"></tbody></table>
</div>
<div class="detail" id="detail"></div>
</div>
<script type="application/json" id="af-data">{script_json(browser_data(results))}</script>
<script nonce="{nonce}">{_asset("browser.js")}</script>
</body>
</html>
"""
