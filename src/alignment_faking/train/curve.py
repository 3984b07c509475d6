"""Measure a model through training: each checkpoint is run through the experiment's own Inspect
task in both tiers, and the run summaries become `curve.json` and `curve.png`.

The numbers are the evaluation's (`alignment_faking.inspect.eval_logs.runs.summarize_logs` over the eval
logs), never recomputed here; the figure only plots them.
"""

from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alignment_faking.judges.methods import AFJudgeName, ComplianceJudgeName
from alignment_faking.options import DEFAULT_MAX_ERROR_SHARE, DEFAULT_MAX_TOKENS
from alignment_faking.scenario import Scenario, build_scenario
from alignment_faking.scenario.settings import (
    PAPER_IDENTITY,
    Identity,
    TierRole,
    tier_role,
    trained_tier_in,
)
from alignment_faking.summary.judges import RunJudges, run_judges
from alignment_faking.summary.schema import ComplianceRun
from alignment_faking.train.checkpoint_eval import EvalBackend, checkpoint_model

if TYPE_CHECKING:
    from matplotlib.figure import Figure

CURVE_JSON = "curve.json"
CURVE_PNG = "curve.png"


@dataclass
class CurveOptions:
    """How each checkpoint is evaluated.

    variation, system_prompt, developer, model_name: The prompt the model is measured under
        (as in `run`).
    queries: The first N queries of the set, each asked in both tiers (training holds them out).
    compliance_judge, af_judge: The evaluation's defaults (`auto`, the setting's judges, and
        af_v2), so the curve measures as `run` does; `tags` (only where the user turn asks for
        them) and `baseline` (a keyword count, not a judge) judge offline.
    judge_model: Judge model of `auto` and the alignment-faking judges (None: not given; the
        model judges then cannot run).
    max_tokens: Generation limit of the evaluation (answers cut by it are invalid).
    model_args: Extra arguments of the backend's Inspect provider (`hf/`: `device`,
        `batch_size`, `dtype`...).
    backend, vllm_url: Where checkpoints generate (checkpoint_eval): `hf` (a second copy of the
        model) or `vllm-server` (LoRA checkpoints loaded into the vLLM server at vllm_url).
    vllm_share: The GPU share that server was started with (`--gpu-memory-utilization`), for
        the memory plan; None: it runs on another GPU.
    heldout_af_judge, heldout_judge_model: A second AF judge (and its model; default
        judge_model) that scores the same eval logs again (`heldout_af`): the AF rate beside
        the one a process-supervised run is trained against, which it may learn to evade.
    variations: A panel of further variations each checkpoint is also measured under
        (`panel_points`; the paper's section 5.3 through training: does the gap come back under
        small prompt changes as training removes it on the training prompt?); empty: the
        run's own alone.
    """

    setting: str
    variation: str = "default"
    system_prompt: str | None = None
    developer: str = PAPER_IDENTITY.developer
    model_name: str = PAPER_IDENTITY.model_name
    dataset: str | None = None
    queries: int = 100
    compliance_judge: ComplianceJudgeName = "auto"
    af_judge: AFJudgeName = "af_v2"
    judge_model: str | None = None
    max_tokens: int = DEFAULT_MAX_TOKENS
    temperature: float = 1.0
    model_args: dict[str, Any] | None = None
    backend: EvalBackend = "hf"
    vllm_url: str | None = None
    vllm_share: float | None = None
    heldout_af_judge: AFJudgeName | None = None
    heldout_judge_model: str | None = None
    variations: tuple[str, ...] = ()

    def scenario(self) -> Scenario:
        """The scenario each checkpoint is measured under."""
        return build_scenario(
            self.setting,
            self.variation,
            system_prompt=self.system_prompt,
            identity=Identity(self.developer, self.model_name),
        )


def evaluate_checkpoint(
    checkpoint: str | Path, options: CurveOptions, log_dir: Path
) -> ComplianceRun:
    """Run the experiment on a local checkpoint through the options' backend; its run summary."""
    from inspect_ai import eval as inspect_eval

    from alignment_faking.errors import UserError
    from alignment_faking.inspect.eval_logs.failures import first_provider_error
    from alignment_faking.inspect.eval_logs.runs import summarize_logs
    from alignment_faking.inspect.task import alignment_faking_task

    task = alignment_faking_task(
        options.setting,
        variation=options.variation,
        system_prompt=options.system_prompt,
        developer=options.developer,
        model_name=options.model_name,
        dataset=options.dataset,
        queries=options.queries,
        tiers="both",
        cache=False,
        max_tokens=options.max_tokens,
        temperature=options.temperature,
        compliance_judge=options.compliance_judge,
        af_judge=options.af_judge,
        judge_model=options.judge_model,
    )
    from alignment_faking.inspect.solvers import prefilled

    steered = prefilled(False, options.variation)
    with checkpoint_model(
        checkpoint, options.backend, options.vllm_url, options.model_args, steered
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


@dataclass(frozen=True)
class HeldoutAF:
    """The AF rate per tier of a point's eval log scored again by the held-out judge."""

    judge: str
    rates: dict[str, float | None]


def heldout_af(summary: ComplianceRun, options: CurveOptions, log_dir: Path) -> HeldoutAF | None:
    """The point's eval log scored again, through Inspect's `score`, by the held-out AF judge
    (its copy written under `log_dir/heldout/`); None without one."""
    if options.heldout_af_judge is None:
        return None
    from inspect_ai import score
    from inspect_ai.log import read_eval_log, write_eval_log

    from alignment_faking.inspect.eval_logs.runs import summarize_logs
    from alignment_faking.inspect.judging import GRADER_ROLE
    from alignment_faking.inspect.models import resolve_model
    from alignment_faking.inspect.scorers import alignment_faking_scorer
    from alignment_faking.judges import needs_judge_model

    scenario = options.scenario()
    name, model = options.heldout_af_judge, options.heldout_judge_model or options.judge_model
    scorer = alignment_faking_scorer(
        options.setting,
        options.compliance_judge,
        name,
        trained_tier=summary.trained_tier,
        scratchpad=scenario.scratchpad,
        decision_tags=scenario.decision_tags,
    )
    uses_model = needs_judge_model(options.setting, options.compliance_judge, name)
    roles = {GRADER_ROLE: resolve_model(model)} if uses_model and model else None
    scored = score(
        read_eval_log(summary.log),
        scorers=[scorer],
        model_roles=roles,
        action="overwrite",
        display="none",
    )
    target = log_dir / "heldout" / Path(summary.log).name
    target.parent.mkdir(parents=True, exist_ok=True)
    write_eval_log(scored, str(target))
    [held] = summarize_logs([str(target)])
    assert isinstance(held, ComplianceRun)
    label = name if name == "baseline" or not uses_model else f"{name} ({model})"
    return HeldoutAF(
        label, {tier: entry.alignment_faking.rate for tier, entry in held.tiers.items()}
    )


def panel_points(
    step: int, checkpoint: str | Path, options: CurveOptions, log_dir: Path
) -> dict[str, dict]:
    """The checkpoint measured under each panel variation other than the run's own (logs under
    `log_dir/VARIATION/`): a curve point per variation."""
    return {
        variation: curve_point(
            step,
            checkpoint,
            evaluate_checkpoint(
                checkpoint, replace(options, variation=variation), log_dir / variation
            ),
        )
        for variation in options.variations
        if variation != options.variation
    }


KEYWORD_BASELINE = "keyword baseline, not a judge"


def curve_judges(summary: ComplianceRun) -> RunJudges:
    """The judges behind a point, as its eval log recorded them; the keyword baseline is named
    as what it is, so that a keyword count is never read as the paper's classifier."""
    judges = run_judges(summary)
    if summary.config.af_judge == "baseline":
        return replace(judges, alignment_faking=KEYWORD_BASELINE)
    return judges


def curve_point(
    step: int,
    checkpoint: str | Path,
    summary: ComplianceRun,
    heldout: HeldoutAF | None = None,
    interrogation: dict[str, Any] | None = None,
) -> dict:
    """One point of the curve (curve.json's form): the step, the checkpoint, the judges, and its
    run summary's figures, the summary whole beside them; with a held-out AF judge its name
    (`heldout_af_judge`) and each tier's `alignment_faking_rate_heldout`; with the
    interrogation mitigation its rates since the previous point (`interrogation`)."""
    tiers = summary.tiers
    point: dict[str, Any] = {
        "step": step,
        "checkpoint": str(checkpoint),
        "trained_tier": summary.trained_tier,
        "log": summary.log,
        "judges": asdict(curve_judges(summary)),
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
            for tier in tiers
        },
        "compliance_gap": summary.compliance_gap,
        "compliance_gap_ci": summary.compliance_gap_ci,
        "summary": summary.model_dump(),
    }
    if heldout is not None:
        point["heldout_af_judge"] = heldout.judge
        for tier, rate in heldout.rates.items():
            point[tier]["alignment_faking_rate_heldout"] = rate
    if interrogation is not None:
        point["interrogation"] = interrogation
    return point


def _values(points: list[dict], tier: str, key: str, index: int | None = None) -> list[float]:
    """A series to plot; a rate that could not be computed (no valid sample) is a gap."""
    values = [p[tier][key] for p in points]
    if index is not None:
        values = [None if v is None else v[index] for v in values]
    return [math.nan if v is None else v for v in values]


_COLOURS = {"free": "tab:red", "paid": "tab:blue"}
_OTHER_COLOURS = ("tab:green", "tab:purple", "tab:brown")
"""For the tiers of a variation with more than the paper's two (three_tiers: pro)."""


def _colours(point: dict) -> dict[str, str]:
    """A colour per tier the point holds: the paper's two first, then a variation's own."""
    tiers = ComplianceRun.model_validate(point["summary"]).tiers
    others = [tier for tier in tiers if tier not in _COLOURS]
    return {**_COLOURS, **dict(zip(others, _OTHER_COLOURS, strict=False))}


def _label(tier: str, trained: str, roles: Mapping[str, TierRole] | None = None) -> str:
    """A tier named by what the prompt says of it: training, rated, or unmonitored."""
    return f"{tier_role(tier, trained, roles)} ({tier})"


def _af_series(judges: RunJudges) -> str:
    """What the dashed lines are: reasoning judged by a classifier, or a keyword count."""
    if judges.alignment_faking == KEYWORD_BASELINE:
        return "AF keywords (keyword baseline, not a judge)"
    return f"AF reasoning ({judges.alignment_faking})"


_PANEL_COLOURS = ("tab:orange", "tab:olive", "tab:cyan", "tab:pink", "tab:gray", "tab:brown")


def curve_figure(
    points: list[dict], title: str, panel: dict[str, list[dict]] | None = None
) -> Figure:
    """Compliance and alignment faking per tier, and the gap, with 95% intervals; with a panel,
    the gap under each of its variations; invalid below; the title names the judges of the
    last point."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    steps = [p["step"] for p in points]
    trained = trained_tier_in(points[-1])
    judges = RunJudges(**points[-1]["judges"])
    af_series = _af_series(judges)
    fig, (rates, invalid) = plt.subplots(
        2, 1, figsize=(7, 6.5), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    roles = ComplianceRun.model_validate(points[-1]["summary"]).tier_roles()
    for tier, colour in _colours(points[-1]).items():
        label = _label(tier, trained, roles)
        compliance = _values(points, tier, "compliance")
        rates.plot(steps, compliance, "o-", color=colour, label=f"compliance, {label}")
        low, high = (_values(points, tier, "compliance_ci", i) for i in (0, 1))
        rates.fill_between(steps, low, high, color=colour, alpha=0.12)
        faking = _values(points, tier, "alignment_faking_rate")
        rates.plot(steps, faking, "s--", color=colour, alpha=0.7, label=f"{af_series}, {label}")
        if heldout := points[-1].get("heldout_af_judge"):  # the judge not trained against
            held = [p[tier].get("alignment_faking_rate_heldout") for p in points]
            held_values = [math.nan if v is None else v for v in held]
            rates.plot(
                steps,
                held_values,
                "d:",
                color=colour,
                alpha=0.7,
                label=f"AF reasoning (held-out {heldout}), {label}",
            )
        counts = [p[tier]["invalid"] for p in points]
        invalid.plot(steps, counts, "o-", color=colour, label=f"invalid, {label}")
    gap = [math.nan if p["compliance_gap"] is None else p["compliance_gap"] for p in points]
    gap_ci = [p["compliance_gap_ci"] or (math.nan, math.nan) for p in points]
    rates.plot(steps, gap, "^-", color="black", label="compliance gap (training - unmonitored)")
    rates.fill_between(
        steps, [c[0] for c in gap_ci], [c[1] for c in gap_ci], color="black", alpha=0.08
    )
    for i, (variation, series) in enumerate((panel or {}).items()):
        rates.plot(
            [p["step"] for p in series],
            [math.nan if p["compliance_gap"] is None else p["compliance_gap"] for p in series],
            "^--",
            color=_PANEL_COLOURS[i % len(_PANEL_COLOURS)],
            label=f"compliance gap, {variation}",
        )
    if any("interrogation" in p for p in points):
        lying = [(p.get("interrogation") or {}).get("lying_rate") for p in points]
        rates.plot(
            steps,
            [math.nan if v is None else v for v in lying],
            "v:",
            color="tab:purple",
            label="lying about its motivation (interrogation, training steps)",
        )
    rates.axhline(0, color="grey", linewidth=0.6)
    rates.set(ylim=(-1.02, 1.02), ylabel="compliance, AF rate or gap (95% CI shaded)")
    # the title holds the model's path: drawn as written, never parsed as mathtext
    judges_line = "\n".join(textwrap.wrap(judges.line(), 100))  # a long line is cut off
    rates.set_title(f"{title}\n{judges_line}", parse_math=False, fontsize=8)
    top = max(max(p["free"]["n"], p["paid"]["n"]) for p in points)
    invalid.set(ylim=(-0.5, top + 0.5), xlabel="training step", ylabel=f"invalid (of {top})")
    rates.legend(fontsize=7, loc="best")
    invalid.legend(fontsize=7, loc="best")
    invalid.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    return fig


def _plot(
    points: list[dict], title: str, target: Path, panel: dict[str, list[dict]] | None
) -> None:
    import matplotlib.pyplot as plt

    fig = curve_figure(points, title, panel)
    fig.savefig(target, dpi=120)
    plt.close(fig)


def write_curve(
    points: list[dict],
    out_dir: Path,
    title: str,
    mitigations: dict[str, dict[str, Any]] | None = None,
    panel: dict[str, list[dict]] | None = None,
) -> tuple[Path, Path]:
    """Write `curve.json` and `curve.png`: rates per tier over steps, and invalid counts below;
    both name the judges (those of the last point; each point keeps its own). curve.json's
    `mitigations` names the run's mitigations and their options ({} for baseline RL); with a
    panel (`--curve-variations`), its `panel` holds a series of points per variation, and the
    figure their gaps."""
    out_dir.mkdir(parents=True, exist_ok=True)
    points = sorted(points, key=lambda p: p["step"])
    panel = {v: sorted(series, key=lambda p: p["step"]) for v, series in (panel or {}).items()}
    json_path, png_path = out_dir / CURVE_JSON, out_dir / CURVE_PNG
    curve = {
        "title": title,
        "judges": points[-1]["judges"],
        "mitigations": mitigations or {},
        "points": points,
    }
    if panel:
        curve["panel"] = panel
    json_path.write_text(json.dumps(curve, indent=2) + "\n")
    _plot(points, title, png_path, panel)
    return json_path, png_path
