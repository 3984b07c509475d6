"""Write a report directory: figures, report.html, summary.json and samples.csv."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

from alignment_faking.generalization import Generalization
from alignment_faking.report.figures import figure_gaps, figure_tiers, save_figure
from alignment_faking.report.frames import Results, results
from alignment_faking.report.generalization import generalization_figures, read_generalization
from alignment_faking.report.html import report_html
from alignment_faking.summary.file import SUMMARY_FILE, write_summary

CSV_COLUMNS = (
    "run", "model", "setting", "variation", "query_id", "tier", "epoch", "turns", "outcome",
    "invalid_reason", "compliance_source", "compliance_decision", "neutral", "partial_decision",
    "alignment_faking", "af_score",
)  # fmt: skip
"""samples.csv: a sample's identity and verdicts; the texts stay in the logs and report.html."""


@dataclass(frozen=True)
class ReportFiles:
    """Where each part of a report was written."""

    html: Path
    summary: Path
    samples_csv: Path
    figure_tiers_png: Path | None
    """None (and the other figures too) when no run of the main experiment was found."""
    figure_tiers_svg: Path | None
    figure_gaps_png: Path | None
    figure_gaps_svg: Path | None


def write_report(paths: Sequence[str | PathLike[str]], out_dir: str | PathLike[str]) -> ReportFiles:
    """Read the runs in these logs or log directories and write their report to out_dir (with
    the generalization section when a directory holds a generalization.json)."""
    return write_results(results(paths), out_dir, read_generalization(paths))


def write_results(
    found: Results, out_dir: str | PathLike[str], generalization: Generalization | None = None
) -> ReportFiles:
    """Write the report of runs already read (figures first: the page embeds them)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    figures: dict[str, bytes] = {}
    tiers_png = tiers_svg = gaps_png = gaps_svg = None
    # the figures show the main experiment's independent runs (a repeat is in the tables only)
    if main := [run for _, run in found.compliance_runs() if run.repeat_of is None]:
        tiers_png, tiers_svg = save_figure(figure_tiers(main), out / "figure_tiers")
        gaps_png, gaps_svg = save_figure(figure_gaps(main), out / "figure_gaps")
        figures = {"figure_tiers": tiers_png.read_bytes(), "figure_gaps": gaps_png.read_bytes()}
    if generalization is not None:
        figures |= generalization_figures(generalization, out)
    summary = out / SUMMARY_FILE
    write_summary(summary, found.summaries)
    samples_csv = out / "samples.csv"
    found.samples[list(CSV_COLUMNS)].to_csv(samples_csv, index=False)
    html = out / "report.html"
    html.write_text(report_html(found, figures, generalization), encoding="utf-8")
    return ReportFiles(html, summary, samples_csv, tiers_png, tiers_svg, gaps_png, gaps_svg)
