"""Formatting of the report's table cells: percentages, intervals, tier names."""

from __future__ import annotations

from html import escape

from alignment_faking.scenario.settings import tier_role
from alignment_faking.summary.schema import Interval, RunIdentity


def pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def ci(interval: Interval | None) -> str:
    if interval is None:
        return ""
    return f' <span class="ci">[{100 * interval[0]:.1f}, {100 * interval[1]:.1f}]</span>'


def tier_label(run: RunIdentity, tier: str) -> str:
    """A tier named by what the run's prompt says of it: training, or unmonitored."""
    return f"{tier_role(tier, run.trained_tier)} ({escape(tier)})"
