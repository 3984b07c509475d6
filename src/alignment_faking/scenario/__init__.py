"""What the model is told: settings, prompt templates, variations and the tier cue."""

from alignment_faking.scenario.prompts import Scenario, build_scenario
from alignment_faking.scenario.settings import (
    SETTINGS,
    TIERS,
    TRAINED_TIER,
    Setting,
    SettingSpec,
    Tier,
    TierMode,
    other_tier,
    setting_spec,
    tier_role,
    tiers_for,
)
from alignment_faking.scenario.variations import Variation, get_variation, variations

__all__ = [
    "SETTINGS",
    "TIERS",
    "TRAINED_TIER",
    "Scenario",
    "Setting",
    "SettingSpec",
    "Tier",
    "TierMode",
    "Variation",
    "build_scenario",
    "get_variation",
    "other_tier",
    "setting_spec",
    "tier_role",
    "tiers_for",
    "variations",
]
