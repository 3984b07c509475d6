"""The self-contained report.html: summary table, figures, and a transcript browser.

The markup is in templates/ (jinja2), which autoescape every value they print; this module
hands them the typed summary entries, and marks safe only our own CSS and script and the
transcripts' JSON. Transcripts are untrusted model output. They travel as JSON inside a non-executed script
element with every character that could end it escaped, and the browser script renders
them as text only; a per-report CSP nonce means injected markup could not run a script
even if it reached the DOM.
"""

from __future__ import annotations

import base64
import html
import json
import math
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from jinja2.ext import Extension
from markupsafe import Markup

from alignment_faking.generalization import Generalization
from alignment_faking.report.cells import judges, pct, tier_label
from alignment_faking.report.figures import DPI
from alignment_faking.report.frames import Results
from alignment_faking.report.generalization import (
    GENERALIZATION_CAPTIONS,
    GeneralizationSection,
    generalization_rows,
    stated_rows,
)
from alignment_faking.report.sections import evaluation_tables, reasons_rows, summary_rows
from alignment_faking.summary.judges import offline_banner, run_judges
from alignment_faking.summary.labels import Run
from alignment_faking.summary.schema import ComplianceRun

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


def _browser_run(run: Run) -> dict[str, Any]:
    """A run as the browser names it: its label, and per judge record its samples carry
    (frames._judges) the judge that gave it, on `model`."""
    named = run_judges(run)
    judges: dict[str, str | None]
    if named.compliance is None:  # another evaluation: its one judge
        judges = {run.evaluation: named.other}
    else:
        judges = {
            "compliance": named.compliance,
            "partial": named.partial,
            "alignment_faking": named.alignment_faking,
            "reasons": named.other,
        }
    return {
        "label": run.label,
        "judges": {record: name for record, name in judges.items() if name},
        "model": named.model or "judge model not recorded",
    }


def browser_data(results: Results) -> dict[str, Any]:
    """The runs and samples the transcript browser needs, nothing else."""
    samples = results.samples[list(_SAMPLE_KEYS)].to_dict("records")
    return {
        "runs": [_browser_run(s) for s in results.summaries],
        "samples": [{name: _plain(row[k]) for k, name in _SAMPLE_KEYS.items()} for row in samples],
    }


PAGE = "page.html.j2"


class _OneLine(Extension):
    """The parts' templates are written one element per line and render as the one line each
    table of report.html has always been: a line break and the indentation after it are dropped.
    PAGE keeps its lines."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return source if name == PAGE else re.sub(r"\n[ \t]*", "", source)


def _escaped(value: object) -> Markup:
    """Autoescape of every value a template prints, with the standard library's entities
    (&#x27; where markupsafe writes &#39;), which report.html has always used: jinja2 applies
    `finalize` before its own escape, which leaves Markup alone. Markup (a macro's output, or
    what is marked safe below) passes through."""
    return value if isinstance(value, Markup) else Markup(html.escape(str(value)))


TEMPLATES = Environment(
    loader=PackageLoader("alignment_faking.report"),
    autoescape=True,
    finalize=_escaped,
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    extensions=[_OneLine],
)
TEMPLATES.filters["pct"] = pct
TEMPLATES.globals["tier_label"] = tier_label
TEMPLATES.globals["judges"] = judges


def _asset(name: str) -> Markup:
    """Our own stylesheet or script, inlined as it is: HTML-escaping would break it."""
    text = files("alignment_faking.report").joinpath("assets", name).read_text(encoding="utf-8")
    return Markup(text)  # safe on purpose: the package's own file, not data


SCREEN_SCALE = 1.5
"""Figures are drawn at 1.5 times their printed size: their 7 pt text reads as about 10 pt."""


@dataclass(frozen=True)
class Figure:
    """An embedded PNG figure, as wide as its printed size times SCREEN_SCALE (never wider than
    the page), so its text has one size whatever the number of runs drawn."""

    alt: str
    caption: str
    judges: str
    """Which judges made the figures' rates."""
    width: int
    data: str
    """The PNG in base64."""

    @classmethod
    def of(cls, png: bytes, alt: str, caption: str, judges: str) -> Figure:
        width_px = int.from_bytes(png[16:20], "big")  # the PNG header's width
        width = round(width_px / DPI * 96 * SCREEN_SCALE)
        return cls(alt, caption, judges, width, base64.b64encode(png).decode("ascii"))


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


def figure_judges(runs: Sequence[Run]) -> str:
    """The judges behind the figures' rates: one line when the runs drawn share them, else
    each run's."""
    drawn = [run for run in runs if isinstance(run, ComplianceRun)]
    lines = {run.label: judges(run) for run in drawn}
    if len(set(lines.values())) == 1:
        return f"Judges: {next(iter(lines.values()))}."
    return "Judges: " + "; ".join(f"{label}: {line}" for label, line in lines.items()) + "."


def report_html(
    results: Results, figures: Mapping[str, bytes], generalization: Generalization | None = None
) -> str:
    """The whole report as one HTML page that needs no network (with a generalization section
    when given one; its figures are among `figures` under GENERALIZATION_CAPTIONS' names)."""
    drawn_by = figure_judges(results.summaries)
    shown = {name: png for name, png in figures.items() if name in FIGURE_CAPTIONS}
    section = None
    if generalization is not None:
        section = GeneralizationSection(
            generalization.base,
            generalization.trained,
            generalization_rows(generalization),
            [
                Figure.of(png, *GENERALIZATION_CAPTIONS[name], drawn_by)
                for name, png in figures.items()
                if name in GENERALIZATION_CAPTIONS
            ],
            stated_rows(generalization.stated_preferences),
        )
    return TEMPLATES.get_template(PAGE).render(
        nonce=secrets.token_urlsafe(16),
        offline=offline_banner(results.summaries),
        n_runs=len(results.summaries),
        n_samples=len(results.samples),
        made=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        summary_rows=summary_rows(results.summaries),
        reasons_rows=reasons_rows(results.summaries),
        evaluation_tables=evaluation_tables(results.summaries),
        figures=[Figure.of(png, *FIGURE_CAPTIONS[name], drawn_by) for name, png in shown.items()],
        generalization=section,
        css=_asset("report.css"),
        script=_asset("browser.js"),
        # safe on purpose: script_json escapes for a script element, which HTML-escaping is not
        data=Markup(script_json(browser_data(results))),
    )
