"""The two settings of the experiment and the tiers a user can be on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, get_args

from alignment_faking.errors import UserError

Setting = Literal["helpful_only", "animal_welfare"]
Tier = Literal["free", "paid"]
TierMode = Literal["both", "free", "paid"]

SETTINGS: tuple[Setting, ...] = get_args(Setting)
TIERS: tuple[Tier, ...] = get_args(Tier)
TRAINED_TIER: Tier = "free"


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


def other_tier(tier: str) -> Tier:
    """The other tier: the unmonitored one of a trained tier, and the reverse."""
    return "paid" if tier == "free" else "free"


def tier_role(tier: str, trained_tier: str) -> str:
    """`training` for the tier the prompt says is trained on, else `unmonitored`."""
    return "training" if tier == trained_tier else "unmonitored"


def tiers_for(mode: str) -> tuple[Tier, ...]:
    """The tiers a run asks each query in."""
    if mode == "both":
        return TIERS
    if mode in TIERS:
        return (mode,)
    raise UserError(f"unknown tier mode '{mode}'; choose one of {', '.join(get_args(TierMode))}")
