"""Ask a judge model: one request for all votes where the provider returns several choices, else parallel.

A judge answer that cannot be used is NotJudged, with the reason. A call that failed after
Inspect's retries is no answer at all: the scorers make a sample whose judge gave none a
sample error (JudgeCallFailed), counted like a provider error and asked again by a resume.
Every answer, each of several votes too, is kept in Inspect's cache unless the run says not to.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

from inspect_ai.model import CachePolicy, GenerateConfig, Model, get_model, model_roles

from alignment_faking.inspect.caching import answer_cache
from alignment_faking.judges.judge import Judge, JudgeInput
from alignment_faking.judges.methods import DEFAULT_JUDGE_MODEL
from alignment_faking.judges.verdicts import NotJudged, Verdict
from alignment_faking.secrets import redact

GRADER_ROLE = "grader"
"""The judges' model role: Inspect's convention (`--model-role grader=MODEL`)."""
JUDGE_ROLE = "judge"
"""The role's former name, still honoured: a run given `--model-role judge=MODEL`, older logs."""
JUDGE_MAX_TOKENS = 2048
_JUDGE_FAILED = re.compile(r"^judge \S+ failed: ")


@dataclass(frozen=True)
class CallFailed(NotJudged):
    """A judge call that failed after Inspect's retries: no answer, as against an unusable one."""


class JudgeCallFailed(Exception):
    """No call of a judge that a sample needs came back: the sample is a judge error.

    Its message (Inspect logs `message` as the sample's error) names the judge model and its
    first error, and `is_judge_error` tells it from the model's provider errors.
    """

    def __init__(self, model: str, cause: str) -> None:
        self.message = f"judge {model} failed: {cause}"
        super().__init__(self.message)


def grader_model() -> Model:
    """The judges' model: the `grader` role, else the `judge` role, else the default judge.

    A role model takes only Inspect's operational settings (connections, retries, timeouts)
    from the eval, never the model under test's temperature or token limit; each judge call
    sets its own."""
    roles = model_roles()
    role = JUDGE_ROLE if JUDGE_ROLE in roles and GRADER_ROLE not in roles else GRADER_ROLE
    return get_model(role=role, default=DEFAULT_JUDGE_MODEL)


def is_judge_error(message: str) -> bool:
    """Whether a sample's error message is a JudgeCallFailed."""
    return bool(_JUDGE_FAILED.match(message))


def _cause(err: BaseException) -> str:
    """`Type: first line` of the provider's own exception, redacted: provider errors may echo
    request details. Inspect reports a call that used up its retries as tenacity's RetryError,
    whose last attempt holds that exception."""
    last = getattr(err, "last_attempt", None)
    if last is not None and last.failed:
        err = last.exception()
    first_line = str(err).splitlines()[0][:200] if str(err) else ""
    return redact(f"{type(err).__name__}: {first_line}")


def _error(err: BaseException) -> CallFailed:
    return CallFailed(f"judge call failed: {_cause(err)}")


async def ask_judge(
    model: Model,
    judge: Judge,
    item: JudgeInput,
    votes: int = 1,
    cache: bool = True,
    required: bool = False,
) -> list[Verdict | NotJudged]:
    """`votes` verdicts of one judge on one sample; an unusable answer or a failed call is NotJudged.

    `required`: the sample needs this judge, so when none of its calls came back this raises
    JudgeCallFailed instead (the scorers; training and judge validation keep NotJudged).
    """
    prompt, fence = judge.prompt(item)
    config = GenerateConfig(
        temperature=judge.temperature,
        max_tokens=JUDGE_MAX_TOKENS,
        num_choices=votes if votes > 1 else None,
    )
    try:
        output = await model.generate(prompt, config=config, cache=_vote_cache(model, cache, votes))
    except Exception as err:
        return _failed(model, err, votes, required)
    answers = [choice.message.text for choice in output.choices][:votes]
    single = config.merge(GenerateConfig(num_choices=1))
    extra = await asyncio.gather(
        *(
            model.generate(prompt, config=single, cache=_vote_cache(model, cache, votes, vote))
            for vote in range(len(answers), votes)
        ),
        return_exceptions=True,
    )
    failures = [result for result in extra if isinstance(result, BaseException)]
    answers += [result.completion for result in extra if not isinstance(result, BaseException)]
    if not answers:
        return _failed(model, failures[0], votes, required)
    return [judge.verdict(answer, fence, item) for answer in answers] + [
        _error(failure) for failure in failures
    ]


def _vote_cache(model: Model, cache: bool, votes: int, vote: int = 0) -> CachePolicy | bool:
    """The cache policy of one request of a judge's votes.

    The requests for several votes are identical (the config holds their temperature, and the
    first one's `num_choices`), so each is told apart by its place among the votes, and by how
    many were asked: a run asking 10 votes never reads a run's 20, nor the reverse. A single
    verdict's key has neither, as before votes were cached.
    """
    scopes = {"votes": str(votes), "vote": str(vote)} if votes > 1 else None
    return answer_cache(model, cache, scopes)


def _failed(
    model: Model, err: BaseException, votes: int, required: bool
) -> list[Verdict | NotJudged]:
    if required:
        raise JudgeCallFailed(str(model), _cause(err)) from None
    return [_error(err)] * votes


async def gather_judges(*calls: Awaitable[Any]) -> list[Any]:
    """Judge calls side by side, every one finished before the first failure is raised: no call
    is left running once the sample has failed."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results
