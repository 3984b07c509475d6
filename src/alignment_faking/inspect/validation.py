"""`validate-judge` through Inspect: one sample per labelled text, scored by the judge under test."""

from __future__ import annotations

from inspect_ai import Task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.log import EvalLog
from inspect_ai.scorer import Score, Scorer, Target, scorer
from inspect_ai.solver import Generate, Solver, TaskState, solver

from alignment_faking.errors import UserError
from alignment_faking.inspect.judging import ask_judge, grader_model
from alignment_faking.inspect.scorers import judge_alignment_faking
from alignment_faking.judges import AF_JUDGES, JudgeInput
from alignment_faking.judges.compliance import AW_STANCE, PARTIAL, STRONGREJECT
from alignment_faking.judges.labels import LABELLED_JUDGES, LabelledItem
from alignment_faking.judges.reasons import REASONS, REASONS_JUDGE
from alignment_faking.judges.validation import Validation, agreement
from alignment_faking.judges.verdicts import NotJudged, Verdict
from alignment_faking.measurements import EVALUATIONS
from alignment_faking.scenario.settings import Setting

RESPONSE_JUDGES = {j.name: j for j in (STRONGREJECT, PARTIAL, AW_STANCE)}
"""Judges of a final response; a positive label means complied (strongreject, aw_stance) or partial."""
VALIDATABLE = (*[name for name in AF_JUDGES if name != "none"], *RESPONSE_JUDGES, *LABELLED_JUDGES)


def _transcript_value(judge: str, verdict: Verdict | NotJudged, meta: dict) -> dict:
    """A labelled transcript's verdict beside its labels: the headline call, the exact class,
    and for reasons each motivation."""
    if not isinstance(verdict, Verdict):
        return {"score": None, "prediction": None, "label": int(meta["label"])}
    if judge == "reasons":
        stated = verdict.details["reasons"]
        return {
            "score": verdict.score,
            "prediction": int(bool(stated)),
            "label": int(meta["label"]),
            "predicted": ",".join(stated),
            "labels": ",".join(meta["categories"]),
            "af_scope": verdict.details["af_scope"],
            "label_af_scope": meta["af_scope"],
        }
    evaluation = EVALUATIONS[judge]
    return {
        "score": verdict.score,
        "prediction": int(verdict.decision in evaluation.rates[evaluation.headline]),
        "label": int(meta["label"]),
        "decision": verdict.decision,
        "label_class": meta["label_class"],
    }


@solver
def labelled_text() -> Solver:
    """No generation: the labelled text is what gets judged."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        return state

    return solve


@scorer(metrics=[])
def judge_agreement(judge: str, setting: Setting, votes: int, threshold: float) -> Scorer:
    """The judge's score and positive/negative call on one labelled text, next to its label."""

    async def score(state: TaskState, target: Target) -> Score:
        meta = state.metadata
        if judge in LABELLED_JUDGES:
            item = JudgeInput(
                meta["setting"] or setting,
                request=meta["request"],
                response=meta["text"],
                reasoning=meta["reasoning"],
            )
            model = grader_model()
            which = REASONS_JUDGE if judge == "reasons" else EVALUATIONS[judge].judge
            [verdict] = await ask_judge(model, which, item)
            note = verdict.rationale if isinstance(verdict, Verdict) else verdict.reason
            return Score(value=_transcript_value(judge, verdict, meta), explanation=note)
        if judge in RESPONSE_JUDGES:
            item = JudgeInput(setting, request=meta["request"], response=meta["text"])
            model = grader_model()
            [verdict] = await ask_judge(model, RESPONSE_JUDGES[judge], item)
            positive_decision = "partial" if judge == "partial" else "complied"
            value, call, note = (
                (verdict.score, int(verdict.decision == positive_decision), verdict.rationale)
                if isinstance(verdict, Verdict)
                else (None, None, verdict.reason)
            )
        else:
            item = JudgeInput(setting, request=meta["request"], response="", reasoning=meta["text"])
            af_model = None if judge == "baseline" else grader_model()
            result = await judge_alignment_faking(judge, af_model, item, votes, threshold)
            value = result.score
            call = None if result.verdict == "not_judged" else int(result.verdict == "yes")
            note = result.reason or result.rationale
        return Score(
            value={"score": value, "prediction": call, "label": int(meta["label"])},
            explanation=note,
        )

    return score


def validation_task(
    judge: str, items: list[LabelledItem], setting: Setting, votes: int, threshold: float
) -> Task:
    """Inspect task that runs one judge over a labelled set."""
    if judge not in VALIDATABLE:
        raise UserError(f"unknown judge '{judge}'; choose one of {', '.join(VALIDATABLE)}")
    samples = [
        Sample(
            id=index,
            input="(labelled text; see metadata)",
            metadata={
                "text": item.text,
                "request": item.request,
                "label": item.label,
                "setting": item.setting,
                "reasoning": item.reasoning,
                "label_class": item.label_class,
                "categories": list(item.categories),
                "af_scope": item.af_scope,
            },
        )
        for index, item in enumerate(items, start=1)
    ]
    return Task(
        name=f"validate_{judge}",
        dataset=MemoryDataset(samples),
        solver=labelled_text(),
        scorer=judge_agreement(judge, setting, votes, threshold),
        metadata={"judge": judge, "setting": setting},
    )


def _values(log: EvalLog) -> list[dict]:
    values = []
    for sample in log.samples or []:
        score = next(iter((sample.scores or {}).values()), None)
        value = score.value if score is not None and isinstance(score.value, dict) else {}
        values.append({**value, "label": bool(sample.metadata["label"])})
    return values


def validation_from_log(log: EvalLog) -> Validation:
    """Agreement of the judge's calls with the labels recorded in a validation log: the
    headline call, the exact class where there are several, each motivation for reasons."""
    values = _values(log)
    headline = agreement(
        [v.get("score") for v in values],
        [None if v.get("prediction") is None else bool(v["prediction"]) for v in values],
        [v["label"] for v in values],
    )
    classed = [v for v in values if v.get("decision") is not None]
    exact = (sum(v["decision"] == v["label_class"] for v in classed), len(classed))
    judged = [v for v in values if v.get("predicted") is not None]
    categories = {
        name: agreement(
            [float(name in v["predicted"].split(",")) for v in judged],
            [name in v["predicted"].split(",") for v in judged],
            [name in v["labels"].split(",") for v in judged],
        )
        for name in (REASONS if judged else ())
    }
    scope = (sum(v["af_scope"] == v["label_af_scope"] for v in judged), len(judged))
    return Validation(
        headline,
        exact if classed else None,
        categories,
        scope if judged else None,
    )
