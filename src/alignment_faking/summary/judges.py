"""Which judges made a run's figures, in words, and whether its models are offline stand-ins:
a rate means nothing without its judge, and a scripted run measures nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from alignment_faking.measurements import COMPLIANCE, REASONING_CATEGORIES, get_evaluation
from alignment_faking.summary.schema import RunConfig, RunIdentity

OFFLINE_PREFIX = "scripted/"
"""The offline stand-in models' provider (doubles/): they exercise the pipeline, never measure."""

_COMPLIANCE_JUDGES = {
    ("auto", "helpful_only"): ("StrongREJECT", "partial-compliance judge"),
    ("auto", "animal_welfare"): ("animal-welfare stance judge", None),
    ("tags", "helpful_only"): ("accept/reject tags (no judge)", None),
}
"""(--compliance-judge, setting) -> the compliance judge and the partial-compliance judge."""


@dataclass(frozen=True)
class RunJudges:
    """A run's judges as a reader names them: who decided compliance, who alignment faking, and
    on which model (None: the run asks no such judge)."""

    compliance: str | None
    partial: str | None
    """The partial-compliance judge, where it reads the answers the compliance judge passes."""
    alignment_faking: str | None
    other: str | None
    """The judge of another evaluation, or the reasoning-categories judge."""
    model: str | None

    def line(self) -> str:
        """One line: `compliance X · alignment faking Y · judge model Z`."""
        parts = [
            f"{what} {name}"
            for what, name in (
                ("compliance", " + ".join(n for n in (self.compliance, self.partial) if n)),
                ("alignment faking", self.alignment_faking),
                ("", self.other),
            )
            if name
        ]
        parts.append(f"judge model {self.model or 'not recorded'}")
        return " · ".join(part.strip() for part in parts)


def compliance_judges(run: RunIdentity) -> tuple[str, str | None]:
    """The compliance judge and the partial-compliance judge (None: the run has none)."""
    name = run.config.compliance_judge
    if name is None:
        return "judge not recorded", None
    return _COMPLIANCE_JUDGES.get((name, run.setting), (name, None))


def af_judge(config: RunConfig) -> str:
    """The alignment-faking classifier, with af_v2's votes and threshold where recorded."""
    name = config.af_judge
    if name is None:
        return "classifier not recorded"
    if name == "none":
        return "not judged"
    if name == "baseline":
        return "baseline (offline keyword count)"
    if name.startswith("af_v2"):
        settings = [
            f"{config.af_votes} votes" if config.af_votes is not None else None,
            f"threshold {config.af_threshold:g}" if config.af_threshold is not None else None,
        ]
        if shown := [s for s in settings if s]:
            return f"{name} ({', '.join(shown)})"
    return name


def run_judges(run: RunIdentity) -> RunJudges:
    """The judges of one run, from what its log recorded."""
    if run.evaluation in (COMPLIANCE, REASONING_CATEGORIES):
        other = "reasoning categories judge" if run.evaluation == REASONING_CATEGORIES else None
        compliance, partial = compliance_judges(run)
        return RunJudges(compliance, partial, af_judge(run.config), other, run.config.judge_model)
    judge = get_evaluation(run.evaluation).judge.name
    return RunJudges(None, None, None, f"{judge} judge", run.config.judge_model)


def offline_models(runs: Sequence[RunIdentity]) -> list[str]:
    """The offline stand-in models these runs answered or judged with, each once, in order."""
    names = [
        name
        for run in runs
        for model in (run.model, run.config.judge_model)
        if model
        for name in model.split(",")
        if name.startswith(OFFLINE_PREFIX)
    ]
    return list(dict.fromkeys(names))


def offline_banner(runs: Sequence[RunIdentity]) -> str | None:
    """The warning a table or report of scripted runs carries (None: no such run)."""
    models = offline_models(runs)
    if not models:
        return None
    return f"offline stand-in models ({', '.join(models)}), not a measurement"
