"""`rescore`: logged runs judged again without regenerating, their scores replaced in place,
and the summary.json beside them written again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inspect_ai import score as inspect_score
from inspect_ai.log import EvalLog, read_eval_log, write_eval_log
from inspect_ai.util import DisplayType

from alignment_faking.errors import UserError
from alignment_faking.inspect.eval_logs.discovery import local_path, run_headers
from alignment_faking.inspect.eval_logs.runs import (
    asked_decision_tags,
    had_scratchpad,
    log_summary,
    mark_repeats,
    summarize_logs,
)
from alignment_faking.inspect.eval_logs.shards import log_locations, merge_shards
from alignment_faking.inspect.evaluations import behaviour_scorer
from alignment_faking.inspect.judging import JudgeCallFailed
from alignment_faking.inspect.scorers import alignment_faking_scorer
from alignment_faking.measurements import COMPLIANCE, EVALUATIONS, REASONING_CATEGORIES
from alignment_faking.options import JudgeOptions
from alignment_faking.runner.tasks import judge_roles
from alignment_faking.scenario.settings import trained_tier_in
from alignment_faking.summary.file import SUMMARY_FILE, write_summary
from alignment_faking.summary.labels import Run, label_runs


@dataclass(frozen=True)
class Rescored:
    """What a rescore judged and wrote."""

    runs: list[Run]
    """The rescored runs, labelled among themselves."""
    folders: list[Path]
    """The folders of their logs, in the order first met."""
    summaries: list[Path]
    """The summary.json files written again: those of these folders that had one, as `run`
    writes it, now over every run in the folder (the rescored ones with their new scores)."""


def rescore(
    paths: Sequence[str],
    judges: JudgeOptions,
    display: DisplayType | None = None,
    reasons: bool = False,
) -> Rescored:
    """Judge existing runs again without regenerating: scores are replaced in place, and the
    summary.json of each folder they are in, which showed the old scores, is written again.

    Runs of the main experiment get the chosen judges (and, with `reasons`, the
    reasoning-categories judge); runs of another evaluation get that evaluation's judge.
    A run is written back only once all of it (every shard) is scored: a judge that gives a
    sample no answer stops the rescore with a UserError, that run left as it was.
    """
    logs: list[EvalLog] = []
    summaries: list[Run] = []
    folders: dict[Path, None] = {}  # ordered, without repeats
    for header in run_headers(paths):
        meta = header.eval.metadata or {}
        setting, evaluation = meta["setting"], meta.get("evaluation", COMPLIANCE)
        trained_tier, turns = trained_tier_in(meta), meta.get("turns", 1)
        if evaluation in EVALUATIONS:
            roles = judge_roles(setting, judges, evaluation=evaluation)
            scorer = behaviour_scorer(evaluation, setting, trained_tier, turns=turns)
            update: dict[str, Any] = {"judge_model": judges.judge_model}
        else:
            evaluation = REASONING_CATEGORIES if reasons else COMPLIANCE
            roles = judge_roles(setting, judges, evaluation=evaluation)
            scorer = alignment_faking_scorer(
                setting,
                judges.compliance_judge,
                judges.af_judge,
                judges.af_votes,
                judges.af_threshold,
                trained_tier=trained_tier,
                af_quote_check=judges.af_quote_check,
                turns=turns,
                reasons=reasons,
                scratchpad=had_scratchpad(meta),
                decision_tags=asked_decision_tags(meta),
            )
            update = {
                **judges.recorded(),
                "evaluation": evaluation,
                "judge_model": judges.judge_model if roles else None,
            }
        files = list(map(local_path, log_locations(header)))  # every shard of a sharded run
        try:
            scored = [
                inspect_score(
                    read_eval_log(file),
                    scorers=[scorer],
                    model_roles=roles,
                    action="overwrite",
                    display=display,
                )
                for file in files
            ]
        except JudgeCallFailed as err:
            earlier = f" ({len(summaries)} earlier runs were rescored)" if summaries else ""
            raise UserError(
                f"{err.message}; nothing in {files[0]} was rewritten{earlier}: check the judge "
                "model (--judge-model) and rescore again"
            ) from None
        for file, log in zip(files, scored, strict=True):
            log.eval.metadata = {**(log.eval.metadata or {}), **update}
            write_eval_log(log, file)
            folders.setdefault(Path(file).parent)
        [run] = merge_shards(scored)
        logs.append(run)
        summaries.append(log_summary(run))
    if not summaries:
        raise UserError("no alignment-faking eval logs found there")
    written = [folder / SUMMARY_FILE for folder in folders if (folder / SUMMARY_FILE).is_file()]
    for target in written:
        write_summary(target, summarize_logs([str(target.parent)], note=lambda _: None))
    return Rescored(label_runs(mark_repeats(logs, summaries)), list(folders), written)
