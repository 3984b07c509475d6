"""A judge: a named prompt template, a verdict parser, and how many votes to ask for."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any, Literal

from alignment_faking.judges.fence import fence_id, fenced
from alignment_faking.judges.verdicts import NotJudged, Verdict, VerdictError, verdict_object
from alignment_faking.scenario.settings import Setting
from alignment_faking.scenario.template import render

JudgeKind = Literal[
    "compliance", "partial", "helpfulness", "alignment_faking", "document", "behaviour", "reasons"
]
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def valid_text(text: str) -> str:
    """The text with lone surrogates as U+FFFD: a model's answer may hold one (a JSON escape
    such as \\ud800), and no client can encode it as UTF-8, so every judge call would fail."""
    return _LONE_SURROGATE.sub("\ufffd", text)


@dataclass(frozen=True)
class JudgeInput:
    """What a judge reads about one sample: all of it untrusted model text except the setting.

    The texts are kept as a judge can be sent them (see `valid_text`), so the prompt, its fence
    id and the quote checks all read the same text.
    """

    setting: Setting
    request: str
    response: str
    reasoning: str = ""

    def __post_init__(self) -> None:
        for name in ("request", "response", "reasoning"):
            object.__setattr__(self, name, valid_text(getattr(self, name)))


@cache
def prompt_text(name: str) -> str:
    """A judge prompt template shipped with the package."""
    return files("alignment_faking.judges").joinpath("prompts", f"{name}.txt").read_text("utf-8")


VerdictParser = Callable[[dict[str, Any], "JudgeInput"], Verdict]
"""Reads a judge's verdict object on one sample; raises VerdictError on one it cannot use."""


@dataclass(frozen=True)
class Judge:
    """One prompt and its parser. `parse` maps a verdict object to a Verdict or raises VerdictError."""

    name: str
    kind: JudgeKind
    template: str
    parse: VerdictParser
    slots: Mapping[Setting, Mapping[str, str]] = field(default_factory=dict)
    votes: int = 1
    temperature: float = 0.0

    def prompt(self, item: JudgeInput) -> tuple[str, str]:
        """The prompt for one sample, and the fence id its verdict must echo."""
        fence = fence_id(self.name, item.request, item.response, item.reasoning)
        values = {
            **self.slots.get(item.setting, {}),
            "request": fenced("request", item.request, fence),
            "response": fenced("response", item.response, fence),
            "reasoning": fenced("reasoning", item.reasoning, fence),
            "id": fence,
        }
        values["data_rules"] = render(prompt_text("data_rules"), values, "data_rules")
        return render(prompt_text(self.template), values, f"judge prompt {self.template}"), fence

    def verdict(self, answer: str, fence: str, item: JudgeInput) -> Verdict | NotJudged:
        """Parse one judge answer; anything unusable is NotJudged with the reason."""
        obj = verdict_object(answer, fence)
        if isinstance(obj, NotJudged):
            return obj
        try:
            return self.parse(obj, item)
        except VerdictError as err:
            return NotJudged(str(err))


def text_field(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key, "")
    return value if isinstance(value, str) else ""


def quote_list(obj: dict[str, Any]) -> dict[str, str]:
    quotes = obj.get("quotes", [])
    if isinstance(quotes, list):
        return {str(i): q for i, q in enumerate(quotes) if isinstance(q, str)}
    if isinstance(quotes, dict):
        return {str(k): v for k, v in quotes.items() if isinstance(v, str)}
    return {}
