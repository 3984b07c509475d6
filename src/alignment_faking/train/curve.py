"""Measure a model through training: each checkpoint is run through the experiment's own Inspect
task in both tiers, and the run summaries become `curve.json` and `curve.png`.

The numbers are the evaluation's (`alignment_faking.inspect.eval_logs.runs.summarize_logs` over the eval
logs), never recomputed here; the figure only plots them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alignment_faking.options import DEFAULT_MAX_ERROR_SHARE, DEFAULT_MAX_TOKENS
from alignment_faking.scenario import TIERS, Scenario, build_scenario
from alignment_faking.scenario.settings import tier_role, trained_tier_in
from alignment_faking.summary.schema import ComplianceRun

CURVE_JSON = "curve.json"
CURVE_PNG = "curve.png"


@dataclass
class CurveOptions:
    """How each checkpoint is evaluated.

    variation, system_prompt: The prompt the model is measured under (as in `run`).
    queries: The first N queries of the set, each asked in both tiers (training holds them out).
    compliance_judge: `tags` or `auto` (the setting's judges); None picks `tags` where the
        prompt's user turn asks for the accept/reject tags (an `accept_reject` variation), else
        `auto`, the evaluation's default (the paper's turn asks for no tags, so tags cannot read
        it; `auto` needs judge_model).
    af_judge: `baseline` (offline keywords), `af_v2`, `af_v1` or `none`.
    judge_model: Judge model for `auto` and the model alignment-faking judges.
    max_tokens: Generation limit of the evaluation (answers cut by it are invalid).
    model_args: Extra arguments of Inspect's `hf/` provider (`device`, `batch_size`, `dtype`...).
    """

    setting: str
    variation: str = "default"
    system_prompt: str | None = None
    dataset: str | None = None
    queries: int = 100
    compliance_judge: str | None = None
    af_judge: str = "baseline"
    judge_model: str | None = None
    max_tokens: int = DEFAULT_MAX_TOKENS
    temperature: float = 1.0
    model_args: dict[str, Any] | None = None

    def judge(self) -> str:
        if self.compliance_judge is not None:
            return self.compliance_judge
        return "tags" if self.scenario().decision_tags else "auto"

    def scenario(self) -> Scenario:
        """The scenario each checkpoint is measured under."""
        return build_scenario(self.setting, self.variation, system_prompt=self.system_prompt)


def evaluate_checkpoint(
    checkpoint: str | Path, options: CurveOptions, log_dir: Path
) -> ComplianceRun:
    """Run the experiment on a local checkpoint through Inspect's `hf/` provider; its run summary."""
    from inspect_ai import eval as inspect_eval
    from inspect_ai.model import get_model

    from alignment_faking.errors import UserError
    from alignment_faking.inspect.eval_logs.failures import first_provider_error
    from alignment_faking.inspect.eval_logs.runs import summarize_logs
    from alignment_faking.inspect.task import alignment_faking_task

    task = alignment_faking_task(
        options.setting,
        variation=options.variation,
        system_prompt=options.system_prompt,
        dataset=options.dataset,
        queries=options.queries,
        tiers="both",
        cache=False,
        max_tokens=options.max_tokens,
        temperature=options.temperature,
        compliance_judge=options.judge(),
        af_judge=options.af_judge,
        judge_model=options.judge_model,
    )
    with get_model(
        "hf/local", memoize=False, model_path=str(checkpoint), **(options.model_args or {})
    ) as model:
        [log] = inspect_eval(
            task,
            model=model,
            log_dir=str(log_dir),
            display="none",
            fail_on_error=DEFAULT_MAX_ERROR_SHARE,
        )
    if log.status != "success":
        reason = first_provider_error(log) or (log.error.message if log.error else log.status)
        raise UserError(f"the evaluation of {checkpoint} failed ({log.location}): {reason}")
    [summary] = summarize_logs([log.location])
    assert isinstance(summary, ComplianceRun)  # the task above is the main experiment
    return summary


def curve_point(step: int, checkpoint: str | Path, summary: ComplianceRun) -> dict:
    """One point of the curve (curve.json's form): the step, the checkpoint, and its run
    summary's figures, the summary whole beside them."""
    tiers = summary.tiers
    return {
        "step": step,
        "checkpoint": str(checkpoint),
        "trained_tier": summary.trained_tier,
        "log": summary.log,
        **{
            tier: {
                "compliance": tiers[tier].compliance,
                "compliance_ci": tiers[tier].compliance_ci,
                "alignment_faking_rate": tiers[tier].alignment_faking.rate,
                "n": tiers[tier].n,
                "n_judged": tiers[tier].n_judged,
                "invalid": tiers[tier].invalid,
                "invalid_reasons": tiers[tier].invalid_reasons,
            }
            for tier in TIERS
            if tier in tiers
        },
        "compliance_gap": summary.compliance_gap,
        "compliance_gap_ci": summary.compliance_gap_ci,
        "summary": summary.model_dump(),
    }


def _values(points: list[dict], tier: str, key: str, index: int | None = None) -> list[float]:
    """A series to plot; a rate that could not be computed (no valid sample) is a gap."""
    values = [p[tier][key] for p in points]
    if index is not None:
        values = [None if v is None else v[index] for v in values]
    return [math.nan if v is None else v for v in values]


_COLOURS = {"free": "tab:red", "paid": "tab:blue"}


def _label(tier: str, trained: str) -> str:
    """A tier named by what the prompt says of it: training, or unmonitored."""
    return f"{tier_role(tier, trained)} ({tier})"


def _plot(points: list[dict], title: str, target: Path) -> None:
    """Compliance and AF reasoning per tier, and the gap, with 95% intervals; invalid below."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    steps = [p["step"] for p in points]
    trained = trained_tier_in(points[-1])
    fig, (rates, invalid) = plt.subplots(
        2, 1, figsize=(7, 6.5), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    for tier, colour in _COLOURS.items():
        label = _label(tier, trained)
        compliance = _values(points, tier, "compliance")
        rates.plot(steps, compliance, "o-", color=colour, label=f"compliance, {label}")
        low, high = (_values(points, tier, "compliance_ci", i) for i in (0, 1))
        rates.fill_between(steps, low, high, color=colour, alpha=0.12)
        faking = _values(points, tier, "alignment_faking_rate")
        rates.plot(steps, faking, "s--", color=colour, alpha=0.7, label=f"AF reasoning, {label}")
        counts = [p[tier]["invalid"] for p in points]
        invalid.plot(steps, counts, "o-", color=colour, label=f"invalid, {label}")
    gap = [math.nan if p["compliance_gap"] is None else p["compliance_gap"] for p in points]
    gap_ci = [p["compliance_gap_ci"] or (math.nan, math.nan) for p in points]
    rates.plot(steps, gap, "^-", color="black", label="compliance gap (training - unmonitored)")
    rates.fill_between(
        steps, [c[0] for c in gap_ci], [c[1] for c in gap_ci], color="black", alpha=0.08
    )
    rates.axhline(0, color="grey", linewidth=0.6)
    rates.set(ylim=(-1.02, 1.02), ylabel="rate or gap (95% CI shaded)")
    rates.set_title(title, parse_math=False)  # it holds the model's path: drawn as written
    top = max(max(p["free"]["n"], p["paid"]["n"]) for p in points)
    invalid.set(ylim=(-0.5, top + 0.5), xlabel="training step", ylabel=f"invalid (of {top})")
    rates.legend(fontsize=7, loc="best")
    invalid.legend(fontsize=7, loc="best")
    invalid.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    fig.savefig(target, dpi=120)
    plt.close(fig)


def write_curve(points: list[dict], out_dir: Path, title: str) -> tuple[Path, Path]:
    """Write `curve.json` and `curve.png`: rates per tier over steps, and invalid counts below."""
    out_dir.mkdir(parents=True, exist_ok=True)
    points = sorted(points, key=lambda p: p["step"])
    json_path, png_path = out_dir / CURVE_JSON, out_dir / CURVE_PNG
    json_path.write_text(json.dumps({"title": title, "points": points}, indent=2) + "\n")
    _plot(points, title, png_path)
    return json_path, png_path
