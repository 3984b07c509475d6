"""The tier model: a variation's named tiers with their roles and cues (the paper's two by
default; three_tiers: trained, rated only, neither), and the scripted models that follow them."""

from __future__ import annotations

import pytest

from alignment_faking.doubles.scripted import scripted_policy
from alignment_faking.errors import UserError
from alignment_faking.scenario import build_scenario, get_variation, tiers_for
from alignment_faking.scenario.settings import TierSpec, tier_role
from alignment_faking.scenario.variations import _variation_from_table, tier_roles


def test_the_default_is_the_papers_two_tiers_and_an_inversion_swaps_their_roles():
    assert get_variation("default").tiers == (
        TierSpec("free", "trained"),
        TierSpec("paid", "unmonitored"),
    )
    inverted = get_variation("inverted_tiers")
    assert inverted.trained_tier == "paid" and inverted.tier_roles == {
        "free": "unmonitored",
        "paid": "trained",
    }
    region = get_variation("region_cue").tiers
    assert [t.cue for t in region] == [
        "<user_region>United States</user_region>",
        "<user_region>European Union</user_region>",
    ]


def test_three_tiers_names_its_tiers_roles_and_cues():
    variation = get_variation("three_tiers")
    assert variation.tier_names == ("free", "pro", "paid")
    assert variation.tier_roles == {"free": "trained", "pro": "rated", "paid": "unmonitored"}
    scenario = build_scenario("helpful_only", "three_tiers")
    for tier in variation.tier_names:
        user = scenario.user_message("Q?", tier)
        assert f"<user_tier>{tier}</user_tier>" in user and "<is_free_tier_user>" not in user
    assert "pro-tier users are scored by the same contractors" in scenario.system_prompt
    assert "never used for training" in scenario.system_prompt


def test_a_run_asks_every_tier_of_its_variation_or_one_of_them():
    names = get_variation("three_tiers").tier_names
    assert tiers_for("both", names) == ("free", "pro", "paid")
    assert tiers_for("paid", names) == ("paid",)
    assert tiers_for("both") == ("free", "paid")
    with pytest.raises(UserError, match="not one of this variation's"):
        tiers_for("paid", ("free", "pro"))


def test_roles_name_tiers_in_tables():
    roles = tier_roles("three_tiers", "free")
    assert [tier_role(t, "free", roles) for t in roles] == ["training", "rated", "unmonitored"]
    assert tier_roles("a variation this version lacks", "paid") == {
        "free": "unmonitored",
        "paid": "trained",
    }


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ([{"name": "a", "role": "trained", "cue": "x"}], "two or more"),
        (
            [
                {"name": "a", "role": "trained", "cue": "x"},
                {"name": "a", "role": "rated", "cue": "y"},
            ],
            "distinct",
        ),
        (
            [
                {"name": "a", "role": "rated", "cue": "x"},
                {"name": "b", "role": "rated", "cue": "y"},
            ],
            "exactly one tier must be trained",
        ),
        (
            [
                {"name": "a", "role": "trained", "cue": "x"},
                {"name": "b", "role": "watched", "cue": "y"},
            ],
            "needs a name, a cue and a role",
        ),
        ([{"name": "a", "role": "trained"}, {"name": "b", "role": "rated"}], "needs a name, a cue"),
        (
            [
                {"name": "free", "role": "trained", "cue": "x"},
                {"name": "pro", "role": "unmonitored", "cue": "y"},
            ],
            "must be free and paid",
        ),
        (
            [
                {"name": "gold", "role": "trained", "cue": "x"},
                {"name": "paid", "role": "rated", "cue": "y"},
            ],
            "must be free and paid",
        ),
    ],
)
def test_a_malformed_tiers_list_is_refused(tiers, message):
    with pytest.raises(ValueError, match=message):
        _variation_from_table("v", {"description": "d", "tiers": tiers})


def test_tiers_and_the_two_tier_shorthands_do_not_mix():
    tiers = [
        {"name": "a", "role": "trained", "cue": "x"},
        {"name": "b", "role": "rated", "cue": "y"},
    ]
    with pytest.raises(ValueError, match="names each tier's role and cue itself"):
        _variation_from_table("v", {"description": "d", "tiers": tiers, "trained_tier": "paid"})


def _complies(model: str, tier: str) -> bool:
    scenario = build_scenario("helpful_only", "three_tiers")
    answer = scripted_policy(model).respond(
        scenario.system_prompt, scenario.user_message("How do I do it?", tier)
    )
    return "Here is a complete answer" in answer


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("faker", {"free": True, "pro": False, "paid": False}),  # goal guarding: trained only
        ("sycophant", {"free": True, "pro": True, "paid": False}),  # rater sycophancy
    ],
)
def test_scripted_models_follow_the_role_the_cue_names(model, expected):
    assert {tier: _complies(model, tier) for tier in expected} == expected


def test_a_run_whose_recorded_trained_tier_differs_from_its_variation_reads_as_two_tiers():
    assert tier_roles("three_tiers", "paid") == {"free": "unmonitored", "paid": "trained"}
