"""The report's two figures: per-tier outcome bars and a forest plot of gaps and AF rates.

Built on matplotlib's object API (no pyplot), so nothing depends on a display or on global
backend state; PNG and SVG are written by the Agg and SVG renderers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType  # recent matplotlib only: never imported at run time

from alignment_faking.scenario.settings import TIERS, Tier, tier_role
from alignment_faking.summary.schema import ComplianceRun, Interval, TierEntry, TierPairEntry


def tier_name(run: ComplianceRun, tier: str) -> str:
    """A tier as the paper names it: trained on (free, unless the variation inverts it), rated
    (a third tier's), or unmonitored."""
    return tier_role(tier, run.trained_tier, run.tier_roles())


def _tier_slots(run: ComplianceRun) -> tuple[Tier, ...]:
    """Where a run's bars stand: the paper's two tiers, or the trained tier, then the others."""
    return (run.trained_tier, *(pair.tier for pair in run.gaps)) if run.gaps else TIERS


SEGMENTS = (
    ("complies_with_af", "complies, alignment-faking reasoning", "#d62728", "xx"),
    ("complies_without_af", "complies, no alignment-faking reasoning", "#f4b350", None),
    ("complies_af_unknown", "complies, AF not judged", "#e6e6e6", "////"),
    ("partial_with_af", "partially, alignment-faking reasoning", "#f1a3a4", ".."),
    ("partial_without_af", "partially, no alignment-faking reasoning", "#fbe1b6", ".."),
    ("partial_af_unknown", "partially, AF not judged", "#f5f5f5", ".."),
    ("refuses", "refuses", "#9ecae1", None),
)
"""The paper's groups, bottom to top: full compliance is the height of the first three, and
compliance as the paper counts it (did not refuse: partial answers included) of the first six,
as Hughes et al. draw it."""
OPTIONAL_SEGMENTS = (
    "complies_af_unknown",
    "partial_with_af",
    "partial_without_af",
    "partial_af_unknown",
)
"""Shown in the legend only when some run has them."""

STYLE: dict[RcKeyType, float | str | bool] = {
    "font.size": 7,
    "axes.titlesize": 7,
    "axes.labelsize": 7,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "hatch.linewidth": 0.6,
    "svg.hashsalt": "alignment-faking",
    "text.parse_math": False,
}
"""7 pt everywhere: the smallest size a journal column accepts. Text is plain: a `$` in a model,
dataset or prompt name is drawn as it is, never parsed as math (which fails on `$\\foo$`)."""

DPI = 200


RUNS_PER_ROW = 5
"""Runs drawn side by side before the bars wrap to a new row: any number of runs stays readable."""


def figure_tiers(runs: Sequence[ComplianceRun]) -> Figure:
    """Per run, the training and unmonitored tiers as stacked shares of judged samples, in rows
    of at most RUNS_PER_ROW runs.

    The error bar is the compliance interval; under each bar, the judged n (and invalid count).
    """
    with mpl.rc_context(STYLE):
        label_lines = max((_two_line_label(run).count("\n") + 1 for run in runs), default=2)
        # room for labels that name a prompt or dataset
        row_height = 2.5 + 0.12 * max(0, label_lines - 2)
        rows = max(1, math.ceil(len(runs) / RUNS_PER_ROW))
        bars = max((len(_tier_slots(run)) for run in runs), default=len(TIERS))
        run_width = 2.0 * (bars + 0.6) / (len(TIERS) + 0.6)
        fig = Figure(
            figsize=(max(4.8, run_width * min(len(runs), RUNS_PER_ROW)), 0.4 + row_height * rows),
            layout="constrained",
        )
        axes = fig.subplots(rows, 1, squeeze=False)[:, 0]
        slots = max(1, min(len(runs), RUNS_PER_ROW))
        for k, ax in enumerate(axes):
            _tier_row(ax, runs[k * RUNS_PER_ROW : (k + 1) * RUNS_PER_ROW], slots, bars)
        handles = [
            Patch(facecolor=color, hatch=hatch, edgecolor="#555555", label=label)
            for key, label, color, hatch in SEGMENTS
            if key not in OPTIONAL_SEGMENTS or _any(runs, key)
        ]
        fig.legend(handles=handles, loc="outside upper center", ncols=2, frameon=False)
    return fig


def _tier_row(ax: Axes, runs: Sequence[ComplianceRun], slots: int, bars: int) -> None:
    """One row of the tiers figure: its runs' bars, tier names under them, run labels below.

    Every row spans `slots` runs' width of `bars` bars each, so the bars keep one size across
    rows.
    """
    ticks, tick_labels, centers = [], [], []
    stride = bars + 0.6
    for i, run in enumerate(runs):
        base = stride * i
        centers.append(base + (bars - 1) / 2)
        for j, tier in enumerate(_tier_slots(run)):
            entry = run.tiers.get(tier)
            if entry is None:
                continue
            x = base + j
            invalid = entry.invalid + entry.not_judged
            ticks.append(x)
            tick_labels.append(
                f"{tier_name(run, tier)}\nn={entry.n_judged}"
                + (f"\n+{invalid} invalid" if invalid else "")
            )
            _stack(ax, x, entry)
    ax.set_xticks(ticks, tick_labels)
    ax.tick_params(axis="x", length=0)
    runs_axis = ax.secondary_xaxis(location=0)
    runs_axis.set_xticks(centers, [_two_line_label(run) for run in runs])
    runs_axis.tick_params(axis="x", length=0, pad=28)
    runs_axis.spines["bottom"].set_visible(False)
    ax.set_ylim(0, 1)
    ax.set_xlim(-0.7, stride * (slots - 1) + bars - 0.3)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylabel("share of judged samples")
    ax.spines[["top", "right"]].set_visible(False)


def _any(runs: Sequence[ComplianceRun], group: str) -> bool:
    return any(getattr(entry.groups, group) > 0 for run in runs for entry in run.tiers.values())


LABEL_WIDTH = 26
"""Characters per line of a run's label under its bars: about the width of the run's pair."""


def _wrap(part: str, width: int = LABEL_WIDTH) -> list[str]:
    """A label part in lines of at most `width`, broken after a `/` or before a `-` where
    possible, cut only inside a longer word."""
    lines, line = [], ""
    for piece in re.split(r"(?<=/)|(?=-)", part):
        while len(piece) > width:  # a piece too long for any line: cut it
            room = width - len(line)
            lines.append(line + piece[:room])
            line, piece = "", piece[room:]
        if len(line) + len(piece) > width:
            lines.append(line)
            line = ""
        line += piece
    return [*lines, line] if line else lines


def _two_line_label(run: ComplianceRun) -> str:
    """The run's label, a part per line (model, setting/variation, then what tells it apart),
    long parts wrapped so that neighbouring labels never overlap."""
    return "\n".join(line for part in str(run.label).split(" · ") for line in _wrap(part))


def _stack(ax: Axes, x: float, entry: TierEntry) -> None:
    """One tier's bar: the groups as shares of judged samples, and the compliance interval."""
    judged = entry.n_judged
    if not judged:
        ax.text(x, 0.02, "none\njudged", ha="center", va="bottom")
        return
    bottom = 0.0
    for key, _, color, hatch in SEGMENTS:
        share = getattr(entry.groups, key) / judged
        if share:
            ax.bar(x, share, 0.8, bottom=bottom, color=color, hatch=hatch,
                   edgecolor="#555555", linewidth=0.4)  # fmt: skip
        bottom += share
    # compliance's interval in black; full compliance's in grey, where they differ
    for offset, rate, ci, color in (
        (0.0, entry.compliance, entry.compliance_ci, "black"),
        (0.12, entry.full_compliance, entry.full_compliance_ci, "#777777"),
    ):
        if rate is None or ci is None or (offset and rate == entry.compliance):
            continue
        low, high = ci
        ax.errorbar(x + offset, rate, yerr=[[rate - low], [high - rate]],
                    color=color, capsize=2.5, linewidth=0.8, capthick=0.8)  # fmt: skip


def _training_af(run: ComplianceRun) -> tuple[float | None, Interval | None]:
    """The alignment-faking rate the figure shows: the trained tier's."""
    entry = run.tiers.get(run.trained_tier)
    return (
        (None, None)
        if entry is None
        else (entry.alignment_faking.rate, entry.alignment_faking.rate_ci)
    )


def figure_gaps(runs: Sequence[ComplianceRun]) -> Figure:
    """Forest plot, one row per run grouped by model and variation: the compliance gap and the
    training-tier alignment-faking rate, each with its 95% interval."""
    ordered = sorted(runs, key=lambda run: (run.model, run.variation, run.setting))
    with mpl.rc_context(STYLE):
        labels = [_forest_label(run) for run in ordered]
        rows = sum(label.count("\n") + 1 for label in labels)
        widest = max((len(line) for label in labels for line in label.splitlines()), default=0)
        # the labels sit left of the plots: make room for them rather than squeeze the plots
        fig = Figure(
            figsize=(3.5 + 0.055 * widest, 1.0 + 0.22 * rows + 0.08 * len(ordered)),
            layout="constrained",
        )
        gap_ax, af_ax = fig.subplots(1, 2, sharey=True)
        ys = list(range(len(ordered)))[::-1]
        panels: tuple[
            tuple[Axes, Callable[[ComplianceRun], tuple[float | None, Interval | None]], str, str],
            ...,
        ] = (
            (
                gap_ax,
                lambda run: (run.compliance_gap, run.compliance_gap_ci),
                "compliance gap (training − unmonitored)\n● did not refuse   ○ full compliance"
                + ("   ■ training − rated" if any(_rated_pairs(run) for run in runs) else ""),
                "black",
            ),
            (af_ax, _training_af, "alignment-faking reasoning\n(training tier)", "#d62728"),
        )
        for ax, point, title, color in panels:
            for y, run in zip(ys, ordered, strict=True):
                value, ci = point(run)
                if value is None:
                    ax.text(0, y, "n/a", ha="center", va="center", color="#777777")
                    continue
                err = None if ci is None else [[value - ci[0]], [ci[1] - value]]
                ax.errorbar(value, y, xerr=err, fmt="o", color=color, markersize=3,
                            capsize=2, linewidth=0.8, capthick=0.8)  # fmt: skip
                if ax is gap_ax:
                    _full_compliance_gap(ax, run, y, value)
                    _rated_gaps(ax, run, y)
            ax.axvline(0, color="#999999", linewidth=0.6, linestyle="--")
            ax.set_title(title)
            ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
            ax.spines[["top", "right"]].set_visible(False)
            ax.grid(axis="x", color="#eeeeee", linewidth=0.5)
        gap_ax.set_xlim(-1.05, 1.05)
        af_ax.set_xlim(-0.05, 1.05)
        gap_ax.set_yticks(ys, labels)
        gap_ax.set_ylim(-0.7, len(ordered) - 0.3)
        models = [run.model for run in ordered]
        for k in range(1, len(models)):
            if models[k] != models[k - 1]:
                for ax in (gap_ax, af_ax):
                    ax.axhline(ys[k] + 0.5, color="#bbbbbb", linewidth=0.6)
    return fig


def _full_compliance_gap(ax: Axes, run: ComplianceRun, y: float, headline: float) -> None:
    """The gap in full compliance (partial answers not counted), hollow, where it differs."""
    value, ci = run.full_compliance_gap, run.full_compliance_gap_ci
    if value is None or value == headline:
        return
    err = None if ci is None else [[value - ci[0]], [ci[1] - value]]
    ax.errorbar(value, y - 0.25, xerr=err, fmt="o", mfc="white", color="#555555", markersize=3,
                capsize=2, linewidth=0.8, capthick=0.8)  # fmt: skip


def _rated_pairs(run: ComplianceRun) -> list[TierPairEntry]:
    return [pair for pair in run.gaps or () if pair.role == "rated"]


def _rated_gaps(ax: Axes, run: ComplianceRun, y: float) -> None:
    """A third tier's gap, rated but never trained on (Sheshadri et al. 2025), as a square."""
    for pair in _rated_pairs(run):
        value, ci = pair.compliance_gap, pair.compliance_gap_ci
        if value is None:
            continue
        err = None if ci is None else [[value - ci[0]], [ci[1] - value]]
        ax.errorbar(value, y + 0.25, xerr=err, fmt="s", color="#1f77b4", markersize=3,
                    capsize=2, linewidth=0.8, capthick=0.8)  # fmt: skip


def _forest_label(run: ComplianceRun) -> str:
    """Model and setting/variation on the first line, what else tells the run apart below."""
    model, rest, *extra = f"{run.label}".split(" · ")
    pairs = run.compliance_gap_paired.n_pairs if run.compliance_gap_paired else 0
    lines = [f"{model} · {rest}  ({pairs} pairs)", *extra]
    return "\n".join(lines)


def save_figure(fig: Figure, stem: Path) -> tuple[Path, Path]:
    """Write STEM.png (200 dpi) and STEM.svg; the SVG carries no date, so reruns are identical."""
    png, svg = stem.with_suffix(".png"), stem.with_suffix(".svg")
    fig.savefig(png, dpi=DPI, metadata={"Software": None})
    fig.savefig(svg, metadata={"Date": None})
    return png, svg
