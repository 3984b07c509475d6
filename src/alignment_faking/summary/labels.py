"""Run labels: a name per run, distinct among the runs shown together."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import PurePath
from typing import Any, TypeVar

from alignment_faking.datasets.bundled import BUNDLED
from alignment_faking.errors import UserError
from alignment_faking.measurements import COMPLIANCE
from alignment_faking.scenario.paper import is_paper_prompt
from alignment_faking.scenario.paper import resolve as resolve_paper_prompt
from alignment_faking.summary.schema import BehaviourRun, ComplianceRun, RunIdentity


def _short(sha: str | None) -> str:
    return (sha or "?")[:8]


def _prompt_name(file: str) -> str:
    """A prompt file as labels name it: a paper prompt by its name (the same file reached by
    its path too), any other file by its file name."""
    if is_paper_prompt(file):
        try:
            return resolve_paper_prompt(file).label
        except UserError:  # a name this version does not know: as the log recorded it
            return file
    return PurePath(file).name


def base_label(run: RunIdentity) -> str:
    """Model, setting and variation, and the prompt file and dataset when they are not ours."""
    label = f"{run.model} · {run.setting}/{run.variation}"
    if run.scratchpad_prefill:
        label += f" · steered: {run.scratchpad_prefill} lean"
    if run.evaluation != COMPLIANCE:
        label += f" · {run.evaluation}"
    if run.system_prompt.file:
        label += (
            f" · prompt {_prompt_name(run.system_prompt.file)}@{_short(run.system_prompt.sha256)}"
        )
    if run.dataset not in BUNDLED:
        label += f" · data {run.dataset}@{_short(run.dataset_sha256)}"
    return label


Run = ComplianceRun | BehaviourRun
Distinguisher = tuple[Callable[[Run], Any], Callable[[Run], str]]


def _config(key: str) -> Distinguisher:
    """A generation or judge setting, as a distinguisher."""
    return (
        lambda r: getattr(r.config, key),
        lambda r: f"{key}={getattr(r.config, key)}",
    )


DISTINGUISHERS: tuple[Distinguisher, ...] = (
    (lambda r: r.dataset_sha256, lambda r: f"data@{_short(r.dataset_sha256)}"),
    (lambda r: r.system_prompt.sha256, lambda r: f"prompt@{_short(r.system_prompt.sha256)}"),
    (lambda r: r.n_queries, lambda r: f"{r.n_queries} queries"),
    (lambda r: r.epochs, lambda r: f"{r.epochs} epochs"),
    (lambda r: sorted(r.tiers), lambda r: "+".join(r.tiers) or "no tiers"),
    *(
        _config(key)
        for key in (
            "temperature",
            "max_tokens",
            "turns",
            "prefill",
            "compliance_judge",
            "af_judge",
            "judge_model",
        )
    ),
    (lambda r: r.created, lambda r: f"run {r.created or '?'}"),
)
"""What can tell two runs apart, in the order labels name it."""

R = TypeVar("R", ComplianceRun, BehaviourRun, Run)


def run_labels(runs: Sequence[Run]) -> list[str]:
    """A label per run, distinct within these runs: runs that differ never share one.

    Runs with the same base label are told apart by whatever differs between them (dataset or
    prompt content, size, generation or judge settings, and at last the time each started). A
    repeat of a run shown with it (`repeat_of`) is named by that run's label, `repeat 2 of 2`.
    """
    shown = {run.log for run in runs}
    own = [i for i, run in enumerate(runs) if run.repeat_of not in shown]
    labels = dict(zip(own, _distinct_labels([runs[i] for i in own]), strict=True))
    by_log = {runs[i].log: i for i in own}
    repeats: dict[str, list[int]] = defaultdict(list)
    for index, run in enumerate(runs):
        if run.repeat_of in shown:
            repeats[run.repeat_of].append(index)
    for original, members in repeats.items():
        for count, index in enumerate(members, start=2):
            labels[index] = f"{labels[by_log[original]]} · repeat {count} of {len(members) + 1}"
    return [labels[index] for index in range(len(runs))]


def _distinct_labels(runs: Sequence[Run]) -> list[str]:
    labels = [base_label(run) for run in runs]
    groups: dict[str, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        groups[label].append(index)
    for members in groups.values():
        for key, name in DISTINGUISHERS:
            if len(members) < 2 or len({labels[i] for i in members}) == len(members):
                break
            if len({json.dumps(key(runs[i]), default=str) for i in members}) > 1:
                for i in members:
                    labels[i] += f" · {name(runs[i])}"
    seen: dict[str, int] = defaultdict(int)
    for index, label in enumerate(labels):
        seen[label] += 1
        if seen[label] > 1:  # identical in everything recorded: number the repeats
            labels[index] = f"{label} · #{seen[label]}"
    return labels


def label_runs(runs: Sequence[R]) -> list[R]:
    """These runs, each with its `label` (run_labels)."""
    return [
        run.model_copy(update={"label": label})
        for run, label in zip(runs, run_labels(runs), strict=True)
    ]
