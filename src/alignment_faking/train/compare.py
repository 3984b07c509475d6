"""`train compare`: several `train rl` runs from the same starting model side by side, to see
what each mitigation does to alignment faking and the compliance gap.

Every number is read from the runs' `curve.json` (each point's run summary, typed as
ComplianceRun), never recomputed: one figure of the curves (AF rate in the training tier,
compliance in both tiers, the gap), and a table at each run's last checkpoint.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, ValidationError

from alignment_faking.errors import UserError
from alignment_faking.scenario.settings import Tier, other_tier
from alignment_faking.summary.schema import ComplianceRun, Interval
from alignment_faking.train.curve import CURVE_JSON, curve_judges

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

COMPARE_JSON = "compare.json"
COMPARE_MD = "compare.md"
COMPARE_PNG = "compare.png"
BASELINE = "baseline RL"
"""The label of a run that names no mitigation."""

MitigationSettings = dict[str, dict[str, Any]]
"""curve.json's `mitigations`: each mitigation's name, and its options."""


class CurvePoint(BaseModel):
    """A point of curve.json as read back: the parts the comparison uses."""

    step: int
    checkpoint: str
    summary: ComplianceRun


class Curve(BaseModel):
    """curve.json as read back (train/curve.py `write_curve` writes it)."""

    title: str
    mitigations: MitigationSettings = {}
    points: list[CurvePoint] = Field(min_length=1)


@dataclass(frozen=True)
class RunCurve:
    """One run to compare: its directory as given, and its curve sorted by step."""

    run: str
    curve: Curve

    @property
    def points(self) -> list[CurvePoint]:
        return sorted(self.curve.points, key=lambda p: p.step)

    @property
    def start(self) -> CurvePoint:
        return self.points[0]

    @property
    def last(self) -> CurvePoint:
        return self.points[-1]

    @property
    def label(self) -> str:
        """The run, named by its directory and its mitigation settings."""
        return f"{self.run}: {mitigations_text(self.curve.mitigations)}"


def mitigations_text(mitigations: MitigationSettings) -> str:
    """`name(option=value, ...) + ...`, or `baseline RL` for a run without mitigation."""
    if not mitigations:
        return BASELINE
    return " + ".join(
        f"{name}({', '.join(f'{key}={value}' for key, value in options.items())})"
        for name, options in mitigations.items()
    )


def load_run(run_dir: str | Path) -> RunCurve:
    """A run directory's curve; one-line errors for a missing directory, file or bad curve."""
    path = Path(run_dir)
    if not path.is_dir():
        raise UserError(f"{run_dir}: no such run directory")
    file = path / CURVE_JSON
    if not file.is_file():
        raise UserError(f"{run_dir}: no {CURVE_JSON} (not a `train rl` output directory?)")
    try:
        curve = Curve.model_validate(json.loads(file.read_text(encoding="utf-8")))
    except json.JSONDecodeError as err:
        raise UserError(f"{file}: not JSON ({err.msg}, line {err.lineno})") from None
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the file"
        raise UserError(f"{file}: not a training curve ({where}: {first['msg']})") from None
    if min(p.step for p in curve.points) != 0:
        raise UserError(f"{file}: not a training curve (no step-0 point: the starting model)")
    return RunCurve(str(run_dir), curve)


def _measured(run: RunCurve) -> dict[str, str]:
    """What must agree for runs to be compared: where they start and how they are measured."""
    start = run.start.summary
    return {
        "starting model": run.start.checkpoint,
        "setting": f"{start.setting}/{start.variation}",
        "system prompt": start.system_prompt.sha256 or "the variation's",
        "queries": f"{start.dataset} ({start.n_queries} x {start.epochs} epochs)",
        "judges": curve_judges(run.last.summary).line(),
    }


def check_comparable(runs: list[RunCurve]) -> None:
    """Refuse runs from different starting models, settings, system prompts, evaluation
    queries or judges (one line): their rates would not measure the same thing."""
    if len({run.run for run in runs}) < len(runs):
        raise UserError("a run directory is given twice")
    measured = [_measured(run) for run in runs]
    for what in measured[0]:
        values = {m[what] for m in measured}
        if len(values) > 1:
            found = "; ".join(
                f"{run.run}: {m[what]}" for run, m in zip(runs, measured, strict=True)
            )
            raise UserError(
                f"the runs differ in {what} ({found}); pass --allow-mixed to compare them anyway"
            )


class Estimate(BaseModel):
    """A share or a gap, with its 95% interval (None: no valid sample)."""

    value: float | None
    ci: Interval | None


class ComparedRun(BaseModel):
    """One run at its last checkpoint (compare.json's rows)."""

    run: str
    """The run directory, as given."""
    mitigations: MitigationSettings
    label: str
    step: int
    checkpoint: str
    trained_tier: Tier
    compliance_training: Estimate
    compliance_unmonitored: Estimate
    compliance_gap: Estimate
    """Training minus unmonitored tier compliance."""
    alignment_faking_training: Estimate
    """The AF rate in the training tier."""


class Comparison(BaseModel):
    """compare.json: the runs, and what they share (`mixed: ...` where --allow-mixed let
    them differ)."""

    starting_model: str
    setting: str
    judges: str
    runs: list[ComparedRun]


def _shared(runs: list[RunCurve]) -> dict[str, str]:
    """What the runs share; where they differ, each value once, after `mixed:`."""
    measured = [_measured(run) for run in runs]
    shared = {}
    for what in measured[0]:
        values = list(dict.fromkeys(m[what] for m in measured))
        shared[what] = values[0] if len(values) == 1 else f"mixed: {', '.join(values)}"
    return shared


def _compliance(summary: ComplianceRun, tier: Tier) -> Estimate:
    entry = summary.tiers.get(tier)
    return (
        Estimate(value=None, ci=None)
        if entry is None
        else Estimate(value=entry.compliance, ci=entry.compliance_ci)
    )


def _faking(summary: ComplianceRun, tier: Tier) -> Estimate:
    entry = summary.tiers.get(tier)
    if entry is None:
        return Estimate(value=None, ci=None)
    return Estimate(value=entry.alignment_faking.rate, ci=entry.alignment_faking.rate_ci)


def _gap(summary: ComplianceRun) -> Estimate:
    return Estimate(value=summary.compliance_gap, ci=summary.compliance_gap_ci)


def compare(runs: list[RunCurve], allow_mixed: bool = False) -> Comparison:
    """The table at each run's last checkpoint."""
    if not allow_mixed:
        check_comparable(runs)
    rows = []
    for run in runs:
        last = run.last
        summary, trained = last.summary, last.summary.trained_tier
        rows.append(
            ComparedRun(
                run=run.run,
                mitigations=run.curve.mitigations,
                label=run.label,
                step=last.step,
                checkpoint=last.checkpoint,
                trained_tier=trained,
                compliance_training=_compliance(summary, trained),
                compliance_unmonitored=_compliance(summary, other_tier(trained)),
                compliance_gap=_gap(summary),
                alignment_faking_training=_faking(summary, trained),
            )
        )
    shared = _shared(runs)
    return Comparison(
        starting_model=shared["starting model"],
        setting=shared["setting"],
        judges=shared["judges"],
        runs=rows,
    )


def _cell(estimate: Estimate) -> str:
    if estimate.value is None:
        return "-"
    ci = "" if estimate.ci is None else f" [{100 * estimate.ci[0]:.1f}, {100 * estimate.ci[1]:.1f}]"
    return f"{100 * estimate.value:.1f}%{ci}"


COLUMNS = (
    "run",
    "step",
    "AF rate, training",
    "compliance, training",
    "compliance, unmonitored",
    "gap",
    "mitigations",
)


def _rows(comparison: Comparison) -> list[tuple[str, ...]]:
    return [
        (
            row.run,
            str(row.step),
            _cell(row.alignment_faking_training),
            _cell(row.compliance_training),
            _cell(row.compliance_unmonitored),
            _cell(row.compliance_gap),
            mitigations_text(row.mitigations),
        )
        for row in comparison.runs
    ]


def _heading(comparison: Comparison) -> str:
    return (
        f"from {comparison.starting_model} ({comparison.setting}); {comparison.judges}; "
        "at each run's last checkpoint, 95% intervals"
    )


def format_comparison(comparison: Comparison) -> str:
    """The table for the terminal: aligned columns under a line naming what the runs share."""
    rows = [COLUMNS, *_rows(comparison)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    return "\n".join([_heading(comparison), *lines])


def comparison_markdown(comparison: Comparison) -> str:
    """compare.md: the same table in Markdown."""
    lines = [
        f"# RL runs compared\n\n{_heading(comparison)}\n",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
        *("| " + " | ".join(row) + " |" for row in _rows(comparison)),
    ]
    return "\n".join(lines) + "\n"


def _series(values: list[float | None]) -> list[float]:
    return [math.nan if v is None else v for v in values]


def _plot(axes: Axes, steps: list[int], estimates: list[Estimate], colour: str) -> None:
    axes.plot(steps, _series([e.value for e in estimates]), "o-", color=colour)
    low = _series([None if e.ci is None else e.ci[0] for e in estimates])
    high = _series([None if e.ci is None else e.ci[1] for e in estimates])
    axes.fill_between(steps, low, high, color=colour, alpha=0.12)


PANELS = (
    ("alignment faking, training tier", lambda s: _faking(s, s.trained_tier)),
    ("compliance, training tier", lambda s: _compliance(s, s.trained_tier)),
    ("compliance, unmonitored tier", lambda s: _compliance(s, other_tier(s.trained_tier))),
    ("compliance gap (training - unmonitored)", _gap),
)


def comparison_figure(runs: list[RunCurve], comparison: Comparison) -> Figure:
    """Four panels over training steps, one colour per run (95% intervals shaded)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    colours = [f"C{i % 10}" for i in range(len(runs))]  # the default cycle
    fig, grid = plt.subplots(2, 2, figsize=(10, 7.5), sharex=True)
    for axes, (name, estimate) in zip(grid.flat, PANELS, strict=True):
        for run, colour in zip(runs, colours, strict=True):
            points = run.points
            _plot(axes, [p.step for p in points], [estimate(p.summary) for p in points], colour)
        gap = estimate is _gap
        axes.axhline(0, color="grey", linewidth=0.6)
        axes.set(title=name, ylim=(-1.02, 1.02) if gap else (-0.02, 1.02))
        axes.title.set_fontsize(9)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    for axes in grid[1]:
        axes.set_xlabel("training step")
    handles = [
        Line2D([], [], color=c, marker="o", label=run.label)
        for run, c in zip(runs, colours, strict=True)
    ]
    fig.legend(handles=handles, loc="lower center", fontsize=8, ncol=1, frameon=False)
    # paths and judge names are drawn as written, never parsed as mathtext
    title = f"RL runs from {comparison.starting_model} ({comparison.setting}), 95% intervals shaded"
    fig.suptitle(f"{title}\n{comparison.judges}", fontsize=8, parse_math=False)
    fig.tight_layout(rect=(0, 0.01 + 0.025 * len(runs), 1, 1))
    return fig


@dataclass(frozen=True)
class ComparisonFiles:
    json: Path
    markdown: Path
    figure: Path


def write_comparison(runs: list[RunCurve], comparison: Comparison, out: Path) -> ComparisonFiles:
    """Write compare.json, compare.md and compare.png into `out`."""
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    files = ComparisonFiles(out / COMPARE_JSON, out / COMPARE_MD, out / COMPARE_PNG)
    files.json.write_text(comparison.model_dump_json(indent=2) + "\n", encoding="utf-8")
    files.markdown.write_text(comparison_markdown(comparison), encoding="utf-8")
    fig = comparison_figure(runs, comparison)
    fig.savefig(files.figure, dpi=120)
    plt.close(fig)
    return files
