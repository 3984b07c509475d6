"""`validate-judge`: one judge run over a labelled set through Inspect, and its agreement."""

from __future__ import annotations

from inspect_ai import eval as inspect_eval
from inspect_ai.model import get_model
from inspect_ai.util import DisplayType

from alignment_faking.errors import UserError
from alignment_faking.inspect.judging import GRADER_ROLE
from alignment_faking.inspect.models import resolve_model
from alignment_faking.inspect.validation import validation_from_log, validation_task
from alignment_faking.judges.labels import LabelledItem
from alignment_faking.judges.validation import Validation
from alignment_faking.options import JudgeOptions
from alignment_faking.scenario.settings import Setting


def validate_judge(
    judge: str,
    items: list[LabelledItem],
    *,
    setting: Setting,
    judges: JudgeOptions,
    log_dir: str,
    display: DisplayType | None = None,
) -> Validation:
    """Run one judge over a labelled set through Inspect and measure its agreement."""
    if not items:
        raise UserError("the labelled set is empty")
    task = validation_task(judge, items, setting, judges.af_votes, judges.af_threshold)
    roles = None if judge == "baseline" else {GRADER_ROLE: resolve_model(judges.judge_model, {})}
    [log] = inspect_eval(
        task,
        model=roles[GRADER_ROLE] if roles else get_model("scripted/judge"),
        model_roles=roles,
        log_dir=log_dir,
        display=display,
        fail_on_error=False,
    )
    return validation_from_log(log)
