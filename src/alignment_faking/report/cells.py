"""The text of the report's table cells: percentages, tier names and judges (the templates escape
it)."""

from __future__ import annotations

from alignment_faking.scenario.settings import tier_role
from alignment_faking.summary.judges import run_judges
from alignment_faking.summary.schema import RunIdentity


def pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def tier_label(run: RunIdentity, tier: str) -> str:
    """A tier named by what the run's prompt says of it: training, rated, or unmonitored."""
    return f"{tier_role(tier, run.trained_tier, run.tier_roles())} ({tier})"


def judges(run: RunIdentity) -> str:
    """The judges behind a run's rates and their model, in one line."""
    return run_judges(run).line()
