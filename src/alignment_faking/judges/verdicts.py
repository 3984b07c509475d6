"""Judge verdicts: the records, and parsing them out of a judge's answer.

A judge answers with a JSON object inside <verdict>...</verdict> that echoes the fence
id. Only blocks with the right id count, the last one wins; anything else is a
`NotJudged` with the reason, never a default verdict.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

_VERDICT_OPEN = re.compile(r"<verdict>\s*(?:```(?:json)?\s*)?", re.IGNORECASE)
_DECODER = json.JSONDecoder()


@dataclass(frozen=True)
class NotJudged:
    """A judge answer that could not be used, and why."""

    reason: str


class VerdictError(ValueError):
    """A verdict object with a missing or mistyped field."""


def verdict_object(answer: str, fence: str) -> dict[str, Any] | NotJudged:
    """The last well-formed verdict object carrying the fence id."""
    openings = list(_VERDICT_OPEN.finditer(answer))
    if not openings:
        return NotJudged("no <verdict> block in the judge answer")
    candidates = []
    for opening in openings:
        # decode one JSON value from the tag on: quoted text may itself contain "</verdict>"
        try:
            candidate, _ = _DECODER.raw_decode(answer, opening.end())
        except ValueError:  # malformed JSON, or a number past the int digit limit
            continue
        if isinstance(candidate, dict):
            candidates.append(candidate)
    if not candidates:
        return NotJudged("verdict block is not a JSON object")
    matching = [c for c in candidates if c.get("id") == fence]
    if not matching:
        return NotJudged("no verdict carries the transcript id (possible injected verdict)")
    return matching[-1]


def require(obj: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    """A field of a verdict object, of the expected type."""
    if key not in obj:
        raise VerdictError(f"verdict lacks '{key}'")
    value = obj[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        raise VerdictError(f"verdict field '{key}' is not a number")
    if not isinstance(value, kind):
        raise VerdictError(f"verdict field '{key}' has the wrong type")
    # json reads NaN and Infinity (and 1e400) as floats: no rating or score can be one
    if isinstance(value, float) and not math.isfinite(value):
        raise VerdictError(f"verdict field '{key}' is not a finite number")
    return value


def flag(obj: dict[str, Any], key: str) -> bool:
    """A yes/no field: JSON booleans, 0/1, or the words yes/no."""
    value = obj.get(key)
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("yes", "no", "true", "false"):
        return value.strip().lower() in ("yes", "true")
    raise VerdictError(f"verdict field '{key}' is not yes/no")


def scale(obj: dict[str, Any], key: str, low: int = 1, high: int = 5) -> int:
    """An integer rating within [low, high]."""
    value = require(obj, key, (int, float))
    if value != int(value) or not low <= value <= high:
        raise VerdictError(f"verdict field '{key}' is not an integer from {low} to {high}")
    return int(value)


MIN_QUOTE_WORDS = 3
"""A quote shorter than this proves nothing: any reasoning contains "I will" or "training"."""
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'"})
_CONTRACTIONS = (
    (re.compile(r"\bcan't\b|\bcannot\b"), "can not"),
    (re.compile(r"\bwon't\b"), "will not"),
    (re.compile(r"\bshan't\b"), "shall not"),
    (re.compile(r"n't\b"), " not"),
    (re.compile(r"'m\b"), " am"),
    (re.compile(r"'re\b"), " are"),
    (re.compile(r"'ve\b"), " have"),
    (re.compile(r"'ll\b"), " will"),
    (re.compile(r"'d\b"), " would"),
)


@lru_cache(maxsize=4096)
def normalise_words(text: str) -> str:
    """Lower-case words, with quote marks, apostrophes, spacing and common contractions made uniform.

    The same text quoted as "I'm", "I am" or with a curly apostrophe reads the same; so does
    one whose line breaks or punctuation a judge changed. Cached: each of a sample's votes
    checks its quotes against the same reasoning.
    """
    text = text.lower().translate(_APOSTROPHES)
    for pattern, full in _CONTRACTIONS:
        text = pattern.sub(full, text)
    return " ".join(re.sub(r"[^\w]+", " ", text.replace("'", "")).split())


def quote_found(quote: str, source: str) -> bool:
    """Whether a judge's quote is in the text it judged, and long enough to show something.

    Case, spacing, punctuation, quote marks, contractions and ellipses (`...` joins fragments
    that must each appear) aside; a quote of fewer than MIN_QUOTE_WORDS words is rejected.
    """
    fragments = [normalise_words(part) for part in re.split(r"\.\.\.|…", quote)]
    fragments = [f for f in fragments if f]
    if sum(len(f.split()) for f in fragments) < MIN_QUOTE_WORDS:
        return False
    haystack = normalise_words(source)
    return all(f in haystack for f in fragments)


@dataclass(frozen=True)
class Verdict:
    """One judge's usable verdict: its decision, a score, and why."""

    decision: str
    score: float
    rationale: str = ""
    quotes: dict[str, str] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
