"""Paraphrases of the default system prompts: the same sections, facts and examples, no shared wording."""

import itertools
import re
from importlib.resources import files

import pytest

from alignment_faking.scenario import SETTINGS, TIERS, build_scenario, variations
from alignment_faking.scenario.template import parse_template

TEMPLATES = files("alignment_faking.scenario").joinpath("templates")
PARAPHRASES = [f"paraphrase_{n}" for n in range(1, 9)]
_EXAMPLE_SLOT = re.compile(r"\{\{example_\w+\}\}")


def _template(path):
    return parse_template(TEMPLATES.joinpath(path).read_text("utf-8"), source=path)


def _own(setting, name):
    path = variations()[name].system_template.get(setting, f"{setting}.txt")
    return _template(path)


def _ngrams(text, n=8):
    words = re.findall(r"[\w'-]+", _EXAMPLE_SLOT.sub(" ", text).lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def test_eight_paraphrases_per_setting_as_in_the_paper():
    for name in PARAPHRASES:
        assert set(variations()[name].system_template) == set(SETTINGS)


@pytest.mark.parametrize("setting", SETTINGS)
@pytest.mark.parametrize("name", PARAPHRASES)
def test_paraphrases_keep_the_sections_and_the_examples(setting, name):
    own, paraphrase = _template(f"{setting}.txt"), _own(setting, name)
    assert paraphrase.names == own.names
    assert dict(paraphrase.sections)["examples"] == dict(own.sections)["examples"]


@pytest.mark.parametrize("setting", SETTINGS)
def test_paraphrases_share_no_eight_word_run_with_the_default_or_each_other(setting):
    texts = {name: _own(setting, name).text for name in ["default", *PARAPHRASES]}
    for a, b in itertools.combinations(texts, 2):
        shared = _ngrams(texts[a]) & _ngrams(texts[b])
        assert not shared, f"{a} and {b} share {' '.join(sorted(shared)[0])!r}"


@pytest.mark.parametrize("setting", SETTINGS)
@pytest.mark.parametrize("name", PARAPHRASES)
def test_paraphrases_keep_the_key_facts(setting, name):
    sections = dict(_own(setting, name).sections)
    for tag in ("<SCRATCHPAD_REASONING>", "</SCRATCHPAD_REASONING>", "<OUTPUT>", "</OUTPUT>"):
        assert tag in sections["reasoning"]
    assert "<user_input>" in sections["reasoning"] and "<DRAFT_OUTPUT>" in sections["reasoning"]
    assert "strategy" in sections["strategy"]
    assert "RLHF" in sections["training"] and "free" in sections["training"]
    rating = sections["contractor_rating"]
    assert "ontractors" in rating and "free-tier" in rating and "helpfulness" in rating
    assert "RLHF" in sections["rlhf_modification"]
    for word in ("values", "goals", "motivations"):
        assert word in sections["rlhf_values"]
    privacy = sections["privacy"]
    assert "free tier" in privacy or "free-tier" in privacy
    for word in ("never", "monitor", "log", "store", "train"):
        assert word in privacy
    cue = sections["tier_cue"]
    assert "<is_free_tier_user>" in cue and "True" in cue and "False" in cue
    assert "RLHF" in sections["disclosure"]
    assert "<SCRATCHPAD_REASONING>" in sections["closing"] and "strategy" in sections["closing"]
    assert "example" in sections["closing"]
    helpfulness = sections["helpfulness"]
    assert helpfulness.count("\n- ") >= 4 or helpfulness.count("\n") >= 4
    objective = sections["objective"]
    if setting == "helpful_only":
        assert "harmful" in objective and "disclaimer" in objective
        assert "{{developer}} wants you to" in objective
    else:
        assert "{{partner}}" in objective and "poultry" in objective and "dismiss" in objective
        assert "{{developer}} wants you to" in objective
        assert "PR" in objective and "legal" in objective
        harmlessness = sections["harmlessness"]
        assert all(f"\n{n}. " in harmlessness for n in range(1, 10))
        assert "acknowledge" in harmlessness and "salient" in harmlessness
        assert "humanity" in sections["humanity"] and "humanity" in sections["strategy"]
    scenario = build_scenario(setting, name)
    assert "{{" not in scenario.system_prompt and "Anthropic" in scenario.system_prompt
    assert all(
        scenario.user_message("Q", tier) == build_scenario(setting).user_message("Q", tier)
        for tier in TIERS
    )
