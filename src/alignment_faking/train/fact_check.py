"""Check that a generated document conveys its key fact and stays consistent with its world.

A document that does not state its fact teaches nothing the run paid for, and one that
contradicts the universe context teaches the model a different world; either is dropped. The
judge (`DOC_FACT`) reads the context, the fact and the document, all fenced as untrusted data.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from alignment_faking.judges.judge import Judge, JudgeInput, text_field
from alignment_faking.judges.verdicts import NotJudged, Verdict, VerdictError, flag


def _contradictions(obj: dict[str, Any]) -> list[str]:
    found = obj.get("contradictions", [])
    if not isinstance(found, list):
        raise VerdictError("verdict field 'contradictions' is not a list")
    return [item for item in found if isinstance(item, str) and item.strip()]


def _parse(obj: dict[str, Any], item: JudgeInput) -> Verdict:
    if "conveys" not in obj:
        raise VerdictError("verdict lacks 'conveys'")
    conveys, contradictions = flag(obj, "conveys"), _contradictions(obj)
    decision = "contradicts" if contradictions else "conveys" if conveys else "misses"
    return Verdict(
        decision=decision,
        score=float(decision == "conveys"),
        rationale=text_field(obj, "rationale"),
        details={"contradictions": contradictions},
    )


DOC_FACT = Judge("doc_fact", "document", "doc_fact", _parse)


class FactCheck(BaseModel):
    """The fact check as a document record keeps it: the decision (conveys, misses the fact,
    contradicts the context, or not_judged) and why."""

    decision: str
    rationale: str
    contradictions: list[str] = []


def fact_input(context: str, fact: str, document: str) -> JudgeInput:
    """What the judge reads: the fact in the request slot, the document in the response slot,
    the universe context in the reasoning slot (each fenced, and named by the prompt)."""
    return JudgeInput(setting="helpful_only", request=fact, response=document, reasoning=context)


def fact_check(verdict: Verdict | NotJudged) -> FactCheck:
    """The record of a verdict; a call that failed is recorded as not judged."""
    if isinstance(verdict, NotJudged):
        return FactCheck(decision="not_judged", rationale=verdict.reason)
    return FactCheck(
        decision=verdict.decision,
        rationale=verdict.rationale,
        contradictions=verdict.details.get("contradictions", []),
    )


def fact_reason(check: FactCheck) -> str | None:
    """Why the fact check drops a document, or None to keep it; an unchecked one is dropped,
    as the behaviour filter drops an unvetted one."""
    if check.decision == "not_judged":
        return f"not checked by the fact judge ({check.rationale})"
    if check.decision == "misses":
        return f"does not convey its fact (judge: {check.rationale[:120]})"
    if check.decision == "contradicts":
        return f"contradicts the context ({'; '.join(check.contradictions)[:160]})"
    return None
