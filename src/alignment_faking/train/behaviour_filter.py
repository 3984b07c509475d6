"""Drop generated documents that demonstrate the behaviour under study instead of describing the world.

As in Greenblatt et al., the corpus should teach the model its situation, not show it
transcripts of alignment faking, so that any alignment faking after training is the model's
own. A document carrying the scenario's tags (a hidden scratchpad, output or decision tags) is
dropped without further ado; every other document is read by a judge (`DOC_BEHAVIOUR`) that
decides whether it shows an AI's own alignment-faking reasoning. A keyword score alone cannot
tell a news story about a lab's "strategic" choices from an AI's scratchpad, and dropped
fact-bearing documents for such words.
"""

from __future__ import annotations

import re
from typing import Any

from alignment_faking.judges.judge import Judge, JudgeInput, quote_list, text_field
from alignment_faking.judges.verdicts import NotJudged, Verdict, VerdictError, flag

SCENARIO_TAGS = re.compile(
    r"</?\s*(SCRATCHPAD_REASONING|OUTPUT|is_free_tier_user|user_input)\s*>"
    r"|<\s*request_fully_accepted\s*/>|<\s*rejected\s*/>",
    re.IGNORECASE,
)


def _parse(obj: dict[str, Any], item: JudgeInput) -> Verdict:
    if "demonstrates" not in obj:
        raise VerdictError("verdict lacks 'demonstrates'")
    demonstrates = flag(obj, "demonstrates")
    return Verdict(
        decision="demonstrates" if demonstrates else "describes",
        score=float(demonstrates),
        rationale=text_field(obj, "rationale"),
        quotes=quote_list(obj),
    )


DOC_BEHAVIOUR = Judge("doc_behaviour", "document", "doc_behaviour", _parse)


def tag_reason(text: str) -> str | None:
    """The pre-filter: a scenario tag in a document is reason enough to drop it."""
    tag = SCENARIO_TAGS.search(text)
    return f"scenario tag {tag.group(0)}" if tag else None


def judged_reason(verdict: Verdict | NotJudged) -> str | None:
    """Why the judge's verdict drops a document, or None to keep it.

    A document the judge could not vet is dropped too: the corpus is kept clean first.
    """
    if isinstance(verdict, NotJudged):
        return f"not vetted by the behaviour judge ({verdict.reason})"
    if verdict.decision == "demonstrates":
        return f"demonstrates the behaviour (judge: {verdict.rationale[:120]})"
    return None


def document_input(text: str) -> JudgeInput:
    """A document as the judge reads it: the whole text, fenced as untrusted data."""
    return JudgeInput(setting="helpful_only", request="", response=text)
