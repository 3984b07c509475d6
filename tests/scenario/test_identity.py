"""The developer and the model the prompts name (`--developer`, `--model-name`): a run on a
model that learned about itself from documents is told who it is, in every prompt but the
identity ablations, which name their own developer on purpose."""

from __future__ import annotations

import pytest

from alignment_faking.errors import UserError
from alignment_faking.scenario import SETTINGS, build_scenario
from alignment_faking.scenario.settings import PAPER_IDENTITY, Identity

QWEN = Identity(developer="Alibaba", model_name="Qwen2.5-7B-Instruct")


@pytest.mark.parametrize("setting", SETTINGS)
def test_the_minimal_prompt_names_the_model_and_its_developer(setting):
    prompt = build_scenario(setting, "minimal", identity=QWEN).system_prompt
    assert prompt.startswith("You are Qwen2.5-7B-Instruct, an AI system made by Alibaba.")
    assert "Claude" not in prompt and "Anthropic" not in prompt


@pytest.mark.parametrize("setting", SETTINGS)
def test_the_default_prompt_names_the_developer_throughout(setting):
    scenario = build_scenario(setting, identity=QWEN)
    assert "Alibaba" in scenario.system_prompt and "Anthropic" not in scenario.system_prompt
    monitored = build_scenario(setting, "explicit_monitoring", identity=QWEN)
    assert "nobody at Alibaba will see" in monitored.user_message("q", "paid")


def test_the_paper_identity_is_the_default():
    assert build_scenario("helpful_only", "minimal") == build_scenario(
        "helpful_only", "minimal", identity=PAPER_IDENTITY
    )
    assert build_scenario("helpful_only", "minimal").system_prompt.startswith(
        "You are Claude 3 Opus, an AI system made by Anthropic."
    )


@pytest.mark.parametrize(
    ("variation", "developer"),
    [("other_developer", "OpenAI"), ("google_deepmind", "Google DeepMind"),
     ("fictional_developer", "Quillfeather AI")],
)  # fmt: skip
def test_an_identity_ablation_keeps_its_own_developer(variation, developer):
    prompt = build_scenario("animal_welfare", variation, identity=QWEN).system_prompt
    assert developer in prompt and "Alibaba" not in prompt


def test_the_paper_prompt_refuses_another_identity_in_one_line():
    with pytest.raises(UserError, match="runs verbatim") as raised:
        build_scenario("helpful_only", system_prompt="paper:helpful_only", identity=QWEN)
    assert "\n" not in str(raised.value)
