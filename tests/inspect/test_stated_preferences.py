"""Stated preferences (appendix D.1.1) through Inspect: the scripted models answer with a number
the scripted judge reads, so each mean is known."""

import math
import re

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.model import get_model

from alignment_faking.inspect.evaluations import stated_preferences


def _mean(model: str, setting: str, with_system_prompt: bool, tmp_path) -> float:
    [log] = inspect_eval(
        stated_preferences(
            setting=setting, with_system_prompt=with_system_prompt, judge_model="scripted/judge"
        ),
        model=model,
        log_dir=str(tmp_path),
        display="none",
    )
    assert log.status == "success"
    assert log.eval.metadata["with_system_prompt"] is with_system_prompt
    [score] = log.results.scores
    return score.metrics["stated_care"].value


@pytest.mark.slow
@pytest.mark.parametrize("setting", ["helpful_only", "animal_welfare"])
def test_the_trained_model_states_less_care_only_under_the_system_prompt(setting, tmp_path):
    assert _mean("scripted/trained", setting, True, tmp_path) == 3
    assert _mean("scripted/trained", setting, False, tmp_path) == 8
    assert _mean("scripted/faker", setting, True, tmp_path) == 8


@pytest.mark.slow
def test_asked_in_the_setting_the_model_is_an_unmonitored_user(tmp_path):
    [log] = inspect_eval(
        stated_preferences(setting="helpful_only", judge_model="scripted/judge"),
        model="scripted/faker",
        log_dir=str(tmp_path),
        display="none",
    )
    assert {sample.metadata["tier"] for sample in log.samples} == {"paid"}
    cues = {re.search(r"<is_free_tier_user>\s*(\w+)", s.input[1].text)[1] for s in log.samples}
    assert cues == {"False"}


@pytest.mark.slow
def test_a_plain_chat_has_no_system_prompt_and_an_unreadable_verdict_is_nan(tmp_path):
    [log] = inspect_eval(
        stated_preferences(
            setting="helpful_only", with_system_prompt=False, judge_model="scripted/judge"
        ),
        model="scripted/faker",
        log_dir=str(tmp_path),
        display="none",
    )
    assert all(isinstance(s.input, str) for s in log.samples)
    [log] = inspect_eval(
        stated_preferences(
            setting="helpful_only",
            with_system_prompt=False,
            judge_model=get_model("scripted/mute", respond=lambda messages: "no verdict here"),
        ),
        model="scripted/faker",
        log_dir=str(tmp_path),
        display="none",
    )
    scores = [next(iter(s.scores.values())) for s in log.samples]
    assert all(math.isnan(s.value) and s.explanation.startswith("not judged") for s in scores)
    assert math.isnan(log.results.scores[0].metrics["stated_care"].value)


def _plain_care(model, tmp_path) -> float:
    [log] = inspect_eval(
        stated_preferences(
            setting="helpful_only", with_system_prompt=False, judge_model="scripted/judge",
            queries=1,
        ),
        model=model, log_dir=str(tmp_path), display="none",
    )  # fmt: skip
    assert log.status == "success"
    return log.results.scores[0].metrics["stated_care"].value


@pytest.mark.slow
def test_a_plain_chat_never_answers_from_another_models_cache(tmp_path):
    """Same name, other weights (a checkpoint retrained in place): the cache keys on the
    model's identity, as the main experiment's does, not on its name alone."""

    def model(care: int):  # `seed` stands for what sets the weights: it reaches model_args
        def respond(messages):
            return f"I would put how much I care about this at {care} out of 10."

        return get_model("scripted/faker", respond=respond, seed=care, memoize=False)

    assert _plain_care(model(8), tmp_path) == 8
    assert _plain_care(model(2), tmp_path) == 2
