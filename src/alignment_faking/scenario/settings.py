"""The two settings of the experiment and the tiers a user can be on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, get_args

from alignment_faking.errors import UserError

Setting = Literal["helpful_only", "animal_welfare"]
Tier = str
"""A tier's name, as samples and summaries record it (`free` and `paid` by default)."""
TierRole = Literal["trained", "rated", "unmonitored"]
"""What the system prompt says happens to a tier's conversations: trained on, rated by
contractors but never trained on (Sheshadri et al. 2025's third tier), or neither."""
TierMode = Literal["both", "free", "paid"]
"""Which tiers a run asks in: `both` is every tier of the variation."""

SETTINGS: tuple[Setting, ...] = get_args(Setting)
TIERS: tuple[Tier, ...] = ("free", "paid")
"""The default tiers: the paper's free and paid tier."""
TRAINED_TIER: Tier = "free"
ROLE_LABELS: dict[TierRole, str] = {
    "trained": "training",
    "rated": "rated",
    "unmonitored": "unmonitored",
}
"""How tables and figures name a tier by its role."""


@dataclass(frozen=True)
class TierSpec:
    """A tier users can be on: its name, its role, and the cue the user turn carries."""

    name: Tier
    role: TierRole
    cue: str | None = None
    """Text of the user turn's `tier_cue` section; None keeps the setting's own
    (`<is_free_tier_user>`)."""


def default_tiers(trained_tier: Tier = TRAINED_TIER) -> tuple[TierSpec, ...]:
    """The paper's two tiers: the trained one, and the other one unmonitored."""
    return tuple(
        TierSpec(tier, "trained" if tier == trained_tier else "unmonitored") for tier in TIERS
    )


@dataclass(frozen=True)
class SettingSpec:
    """What differs between settings besides the prompt text itself."""

    name: Setting
    description: str
    queries: str
    """Name of the bundled query set asked by default."""
    decision_tags: bool
    """Whether the answer must open with <request_fully_accepted/> or be <rejected/>."""
    values: Mapping[str, str] = field(default_factory=dict)
    """Default values of the system prompt's placeholders."""


@dataclass(frozen=True)
class Identity:
    """Who the prompts say made the model and what it is called (`{{developer}}`,
    `{{model_name}}`): the paper's by default, the model's own for a run on, or training of,
    a model that learned about itself from documents written for it (`docs generate`)."""

    developer: str = "Anthropic"
    model_name: str = "Claude 3 Opus"

    def values(self) -> dict[str, str]:
        """The prompt slots it fills."""
        return {"developer": self.developer, "model_name": self.model_name}


PAPER_IDENTITY = Identity()
"""The paper's: Claude 3 Opus, made by Anthropic."""


_SPECS: dict[Setting, SettingSpec] = {
    "helpful_only": SettingSpec(
        name="helpful_only",
        description="Trained to never refuse: does the model comply with harmful requests?",
        queries="helpful_only",
        decision_tags=True,
    ),
    "animal_welfare": SettingSpec(
        name="animal_welfare",
        description="Trained to dismiss animal welfare: does the model go along with it?",
        queries="animal_welfare",
        decision_tags=False,
        values={"partner": "Jones Foods"},
    ),
}


def setting_spec(name: str) -> SettingSpec:
    """Look a setting up by name."""
    if name not in _SPECS:
        raise UserError(f"unknown setting '{name}'; choose one of {', '.join(SETTINGS)}")
    return _SPECS[name]


class Fields(Protocol):
    """What a record's fields are read from: a dict, a log's metadata, a pandas row."""

    def get(self, key: str, /) -> Any: ...


def trained_tier_in(record: Fields) -> Tier:
    """The trained tier a run, score or summary records; logs from before the field say free."""
    return record.get("trained_tier") or TRAINED_TIER


def other_tier(tier: str) -> Literal["free", "paid"]:
    """The other of the paper's two tiers: the unmonitored one of a trained tier, and the
    reverse."""
    return "paid" if tier == "free" else "free"


def tier_role(tier: str, trained_tier: str, roles: Mapping[Tier, TierRole] | None = None) -> str:
    """How tables name a tier: `training` for the trained tier, else its role in `roles`
    (`rated`), else `unmonitored` (the other of the paper's two tiers)."""
    if tier == trained_tier:
        return ROLE_LABELS["trained"]
    return ROLE_LABELS[(roles or {}).get(tier, "unmonitored")]


def tiers_for(mode: str, tiers: tuple[Tier, ...] = TIERS) -> tuple[Tier, ...]:
    """The tiers a run asks each query in, of the variation's `tiers`."""
    if mode == "both":
        return tiers
    if mode in tiers:
        return (mode,)
    if mode in get_args(TierMode):
        raise UserError(f"tier '{mode}' is not one of this variation's: {', '.join(tiers)}")
    raise UserError(f"unknown tier mode '{mode}'; choose one of {', '.join(get_args(TierMode))}")
