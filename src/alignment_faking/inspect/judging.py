"""Ask a judge model: one request for all votes where the provider returns several choices, else parallel."""

from __future__ import annotations

import asyncio

from inspect_ai.model import GenerateConfig, Model

from alignment_faking.inspect.caching import answer_cache
from alignment_faking.judges.judge import Judge, JudgeInput
from alignment_faking.judges.verdicts import NotJudged, Verdict

JUDGE_MAX_TOKENS = 2048


def _error(err: BaseException) -> NotJudged:
    # the exception type and first line only: provider errors may echo request details
    first_line = str(err).splitlines()[0][:200] if str(err) else ""
    return NotJudged(f"judge call failed: {type(err).__name__}: {first_line}")


async def ask_judge(
    model: Model, judge: Judge, item: JudgeInput, votes: int = 1, cache: bool = True
) -> list[Verdict | NotJudged]:
    """`votes` verdicts of one judge on one sample; a failed call or answer is NotJudged."""
    prompt, fence = judge.prompt(item)
    config = GenerateConfig(
        temperature=judge.temperature,
        max_tokens=JUDGE_MAX_TOKENS,
        num_choices=votes if votes > 1 else None,
    )
    # identical repeated requests would share one cache entry: cache single verdicts only
    policy = answer_cache(model, cache and votes == 1)
    try:
        output = await model.generate(prompt, config=config, cache=policy)
        answers = [choice.message.text for choice in output.choices][:votes]
    except Exception as err:
        return [_error(err)] * votes
    missing = votes - len(answers)
    if missing > 0:
        single = config.merge(GenerateConfig(num_choices=1))
        extra = await asyncio.gather(
            *(model.generate(prompt, config=single, cache=False) for _ in range(missing)),
            return_exceptions=True,
        )
        verdicts = [judge.verdict(a, fence, item) for a in answers]
        for result in extra:
            verdicts.append(
                _error(result)
                if isinstance(result, BaseException)
                else judge.verdict(result.completion, fence, item)
            )
        return verdicts
    return [judge.verdict(answer, fence, item) for answer in answers]
