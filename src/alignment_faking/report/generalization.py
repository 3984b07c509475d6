"""The report's "Generalization after training": generalization.json read beside the logs, its
table rows and two figures (per variation before/after, and the paper's Figure 24 box plots)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from alignment_faking.generalization import (
    GENERALIZATION_FILE,
    Change,
    Generalization,
    StatedPreferenceRow,
)
from alignment_faking.report.figures import STYLE, save_figure

if TYPE_CHECKING:
    from alignment_faking.report import html  # the page's figure type; html imports this module

BEFORE, AFTER = "#9e9e9e", "#d62728"


def read_generalization(paths: Sequence[str | PathLike[str]]) -> Generalization | None:
    """The generalization.json of the first log directory that has one (what `generalization`
    writes beside its summary.json), else None."""
    for path in paths:
        found = Path(path) / GENERALIZATION_FILE
        if Path(path).is_dir() and found.is_file():
            return Generalization.model_validate_json(found.read_text(encoding="utf-8"))
    return None


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _ratio(value: float | None) -> str:
    return "–" if value is None else "∞" if math.isinf(value) else f"{value:.2f}"


def _change(change: Change) -> str:
    if change.change is None or change.change_ci is None:
        return "–"
    low, high = change.change_ci
    return f"{100 * change.change:+.1f} [{100 * low:+.1f}, {100 * high:+.1f}]"


@dataclass(frozen=True)
class GeneralizationRow:
    """One setting/variation as the report's table prints it (text the template escapes)."""

    cell: str
    training: str
    unmonitored: str
    gap: str
    gap_change: str
    af: str
    relative_gap: str


def generalization_rows(result: Generalization) -> list[GeneralizationRow]:
    """The table's rows: before → after per measure, the gap's change in points, 95% interval."""

    def arrow(change: Change) -> str:
        return f"{_pct(change.before)} → {_pct(change.after)}"

    return [
        GeneralizationRow(
            cell=f"{row.setting}/{row.variation}",
            training=arrow(row.training_compliance),
            unmonitored=arrow(row.unmonitored_compliance),
            gap=arrow(row.gap),
            gap_change=_change(row.gap),
            af=arrow(row.af_rate),
            relative_gap=f"{_ratio(row.relative_gap_before)} → {_ratio(row.relative_gap_after)}",
        )
        for row in result.rows
    ]


@dataclass(frozen=True)
class StatedRow:
    """One setting, with or without the system prompt, as the stated-preferences table prints it."""

    cell: str
    care: str
    change: str
    answers: str


def stated_rows(rows: Sequence[StatedPreferenceRow]) -> list[StatedRow]:
    """Mean stated care (1-10) before → after, and its change with the 95% interval."""

    def care(value: float | None) -> str:
        return "–" if value is None else f"{value:.1f}"

    def change(row: StatedPreferenceRow) -> str:
        if row.care.change is None or row.care.change_ci is None:
            return "–"
        low, high = row.care.change_ci
        return f"{row.care.change:+.1f} [{low:+.1f}, {high:+.1f}]"

    return [
        StatedRow(
            cell=f"{row.setting}, {'with' if row.with_system_prompt else 'without'} system prompt",
            care=f"{care(row.care.before)} → {care(row.care.after)}",
            change=change(row),
            answers=f"{row.n_before} / {row.n_after}",
        )
        for row in rows
    ]


def _bars(ax: Axes, names: list[str], changes: list[Change], title: str) -> None:
    """Before and after bars per variation, with their 95% intervals."""
    width = 0.38
    for offset, label, color, pick in (
        (-width / 2, "before", BEFORE, lambda c: (c.before, c.before_ci)),
        (width / 2, "after", AFTER, lambda c: (c.after, c.after_ci)),
    ):
        values = [pick(c) for c in changes]
        xs = [i + offset for i in range(len(names))]
        heights = [v if v is not None else math.nan for v, _ in values]
        errors = [
            (v - ci[0], ci[1] - v) if v is not None and ci is not None else (0.0, 0.0)
            for v, ci in values
        ]
        ax.bar(xs, heights, width, color=color, label=label)
        ax.errorbar(
            xs, heights, yerr=list(zip(*errors, strict=True)), fmt="none", ecolor="k", lw=0.6
        )
    ax.set_title(title)
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.axhline(0, color="k", lw=0.5)


def figure_generalization(result: Generalization) -> Figure:
    """Per setting/variation, before and after training: compliance in each tier, the gap and
    the training tier's alignment-faking rate (95% intervals)."""
    names = [f"{row.setting}/{row.variation}" for row in result.rows]
    panels = (
        ("training-tier compliance", [row.training_compliance for row in result.rows]),
        ("unmonitored-tier compliance", [row.unmonitored_compliance for row in result.rows]),
        ("compliance gap", [row.gap for row in result.rows]),
        ("alignment-faking reasoning (training)", [row.af_rate for row in result.rows]),
    )
    with mpl.rc_context(STYLE):
        fig = Figure(figsize=(max(6.0, 0.7 * len(names)), 5.6), layout="constrained")
        axes = fig.subplots(2, 2, sharey=True).flat
        for ax, (title, changes) in zip(axes, panels, strict=True):
            _bars(ax, names, changes, title)
        axes[0].legend(frameon=False)
    return fig


def figure_panel_boxes(result: Generalization) -> Figure:
    """The paper's Figure 24: compliance across the panel's variations, training vs unmonitored
    tier, before vs after; an unmonitored shift wider than ordinary prompt changes is the
    sign of shallow alignment."""
    settings = list(dict.fromkeys(row.setting for row in result.rows))
    with mpl.rc_context(STYLE):
        fig = Figure(figsize=(3.5 * len(settings), 2.6), layout="constrained")
        for ax, setting in zip(
            fig.subplots(1, len(settings), squeeze=False)[0], settings, strict=True
        ):
            rows = [row for row in result.rows if row.setting == setting]
            groups = (
                ("training\nbefore", [row.training_compliance.before for row in rows]),
                ("training\nafter", [row.training_compliance.after for row in rows]),
                ("unmonitored\nbefore", [row.unmonitored_compliance.before for row in rows]),
                ("unmonitored\nafter", [row.unmonitored_compliance.after for row in rows]),
            )
            data = [[v for v in values if v is not None] for _, values in groups]
            boxes = ax.boxplot(data, patch_artist=True, widths=0.5, medianprops={"color": "k"})
            for patch, color in zip(boxes["boxes"], (BEFORE, AFTER, BEFORE, AFTER), strict=True):
                patch.set_facecolor(color)
            for i, values in enumerate(data, start=1):
                ax.plot([i] * len(values), values, "k.", ms=3)
            ax.set_xticks(range(1, len(groups) + 1), [name for name, _ in groups])
            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
            ax.set_ylim(-0.05, 1.05)
            ax.set_title(f"{setting}: compliance across the variations")
    return fig


GENERALIZATION_CAPTIONS = {
    "figure_generalization": (
        "Generalization after training",
        "Per setting/variation, before (grey) and after (red) training: compliance in the "
        "training and unmonitored tiers, the compliance gap and the training tier's "
        "alignment-faking rate, with 95% intervals.",
    ),
    "figure_panel": (
        "Compliance across the variations",
        "The paper's Figure 24 view, per setting: the distribution over the panel's variations "
        "of compliance in the training and unmonitored tiers, before and after training (dots: "
        "variations). An unmonitored shift far wider than the spread of ordinary prompt changes "
        "points to shallow alignment.",
    ),
}


def generalization_figures(result: Generalization, out: Path) -> dict[str, bytes]:
    """Write both figures (PNG and SVG) into out; their PNGs by name, for the page."""
    if not result.rows:  # no run of the main experiment compared: nothing to draw
        return {}
    drawn = {
        "figure_generalization": figure_generalization(result),
        "figure_panel": figure_panel_boxes(result),
    }
    return {name: save_figure(fig, out / name)[0].read_bytes() for name, fig in drawn.items()}


@dataclass(frozen=True)
class GeneralizationSection:
    """What the report's "Generalization after training" section shows."""

    base: str
    trained: str
    rows: list[GeneralizationRow]
    figures: list[html.Figure]
    stated: list[StatedRow]
    """Empty unless the generalization asked for stated preferences."""
