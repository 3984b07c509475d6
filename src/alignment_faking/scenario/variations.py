"""Prompt variations (ablations), declared as data in variations.toml."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from importlib.resources import files
from typing import get_args

from alignment_faking.errors import UserError
from alignment_faking.scenario.settings import (
    SETTINGS,
    TIERS,
    TRAINED_TIER,
    Setting,
    Tier,
    TierRole,
    TierSpec,
    default_tiers,
    other_tier,
)

_FIELDS = frozenset(
    {
        "description",
        "scratchpad",
        "trained_tier",
        "system_template",
        "remove",
        "replace",
        "append",
        "values",
        "user_cue",
        "tiers",
        "user_template",
        "decision_instruction",
        "settings",
        "scratchpad_prefill",
    }
)

SCRATCHPAD_OPEN = "<SCRATCHPAD_REASONING>"


@dataclass(frozen=True)
class ScratchpadPrefill:
    """Reasoning of ours that a steered answer opens with, in the scratchpad (the paper's
    scratchpad steering, section 3.3.4): the model goes on from it."""

    lean: str
    """What the text leans toward, as tables and the report name a steered run."""
    text: str

    @property
    def opening(self) -> str:
        """The assistant prefill: the scratchpad tag, then our text."""
        return SCRATCHPAD_OPEN + self.text


@dataclass(frozen=True)
class Variation:
    """A named, declarative edit of a setting's system prompt and user turn."""

    name: str
    description: str
    scratchpad: bool = True
    tiers: tuple[TierSpec, ...] = default_tiers()
    """The tiers users can be on, in the order tables show them: exactly one trained on."""
    system_template: Mapping[Setting, str] = field(default_factory=dict)
    """Template file (relative to templates/) used instead of the setting's own system prompt."""
    remove: tuple[str, ...] = ()
    replace: Mapping[str, Mapping[Setting, str]] = field(default_factory=dict)
    append: Mapping[str, Mapping[Setting, str]] = field(default_factory=dict)
    values: Mapping[str, str] = field(default_factory=dict)
    user_template: Mapping[Setting, str] = field(default_factory=dict)
    """Template file (relative to templates/) used instead of the setting's own user turn."""
    decision_instruction: bool = False
    """Whether helpful-only's user turn ends with the accept/reject instruction: the paper's
    main runs had none, its minimal reproduction (table 5) had one."""
    settings: tuple[Setting, ...] = SETTINGS
    """The settings this variation applies to (some edit text only one setting has)."""
    scratchpad_prefill: ScratchpadPrefill | None = None
    """Reasoning every answer opens with, sent as an assistant prefill (scratchpad steering)."""

    @property
    def trained_tier(self) -> Tier:
        """The tier whose conversations the system prompt says are trained on."""
        return next(tier.name for tier in self.tiers if tier.role == "trained")

    @property
    def tier_names(self) -> tuple[Tier, ...]:
        return tuple(tier.name for tier in self.tiers)

    @property
    def tier_roles(self) -> dict[Tier, TierRole]:
        return {tier.name: tier.role for tier in self.tiers}

    @property
    def steering(self) -> str | None:
        """The lean of a steered run's scratchpad prefill (`faking`...); None for no steering."""
        return self.scratchpad_prefill.lean if self.scratchpad_prefill else None

    def replacements(self, setting: Setting) -> dict[str, str]:
        """Section texts this variation swaps in for one setting."""
        return _for_setting(self.replace, setting)

    def additions(self, setting: Setting) -> dict[str, str]:
        """Text this variation adds at the end of sections, for one setting."""
        return _for_setting(self.append, setting)


def _for_setting(edits: Mapping[str, Mapping[Setting, str]], setting: Setting) -> dict[str, str]:
    return {section: texts[setting] for section, texts in edits.items() if setting in texts}


def _per_setting(name: str, key: str, value: object) -> dict[Setting, str]:
    """One string for every setting, or a table keyed by setting."""
    if isinstance(value, str):
        return {setting: value for setting in SETTINGS}
    if not isinstance(value, dict) or not set(value) <= set(SETTINGS):
        raise ValueError(f"variation {name}: {key} must be a string or a table keyed by setting")
    return dict(value)


def _variation_from_table(name: str, table: dict) -> Variation:
    unknown = sorted(set(table) - _FIELDS)
    if unknown:
        raise ValueError(f"variation {name}: unknown field(s) {', '.join(unknown)}")
    system_template = table.get("system_template")
    user_template = table.get("user_template")
    settings = tuple(table.get("settings", SETTINGS))
    if not settings or not set(settings) <= set(SETTINGS):
        raise ValueError(f"variation {name}: settings must list some of {', '.join(SETTINGS)}")
    scratchpad = table.get("scratchpad", True)
    return Variation(
        name=name,
        description=table["description"],
        scratchpad=scratchpad,
        tiers=_tiers(name, table),
        system_template=_per_setting(name, "system_template", system_template)
        if system_template is not None
        else {},
        remove=tuple(table.get("remove", ())),
        replace={
            section: _per_setting(name, f"replace.{section}", text)
            for section, text in table.get("replace", {}).items()
        },
        append={
            section: _per_setting(name, f"append.{section}", text)
            for section, text in table.get("append", {}).items()
        },
        values=dict(table.get("values", {})),
        user_template=_per_setting(name, "user_template", user_template)
        if user_template is not None
        else {},
        decision_instruction=table.get("decision_instruction", False),
        settings=settings,
        scratchpad_prefill=_scratchpad_prefill(name, table.get("scratchpad_prefill"), scratchpad),
    )


def _tiers(name: str, table: dict) -> tuple[TierSpec, ...]:
    """A variation's tiers: its own `tiers` list, else the paper's two, with `trained_tier`
    naming the trained one and `user_cue` their cues."""
    if "tiers" in table:
        if {"trained_tier", "user_cue"} & table.keys():
            raise ValueError(f"variation {name}: tiers names each tier's role and cue itself")
        tiers = tuple(_tier_spec(name, entry) for entry in table["tiers"])
        names = [tier.name for tier in tiers]
        if len(tiers) < 2 or len(set(names)) != len(names):
            raise ValueError(f"variation {name}: tiers needs two or more tiers of distinct names")
        if [tier.role for tier in tiers].count("trained") != 1:
            raise ValueError(f"variation {name}: exactly one tier must be trained")
        trained = next(tier.name for tier in tiers if tier.role == "trained")
        unmonitored = {tier.name for tier in tiers if tier.role == "unmonitored"}
        if trained not in TIERS or not unmonitored <= {other_tier(trained)}:
            # Inspect's metrics, generalization and train compare take the headline gap to be
            # free against paid (other_tier), as the summary's compliance_gap does
            raise ValueError(
                f"variation {name}: the trained tier and an unmonitored one must be free and paid"
            )
        return tiers
    trained_tier = table.get("trained_tier", TRAINED_TIER)
    if trained_tier not in TIERS:
        raise ValueError(f"variation {name}: trained_tier must be one of {', '.join(TIERS)}")
    user_cue = dict(table.get("user_cue", {}))
    if user_cue and set(user_cue) != set(TIERS):
        raise ValueError(f"variation {name}: user_cue needs exactly the keys {', '.join(TIERS)}")
    return tuple(replace(tier, cue=user_cue.get(tier.name)) for tier in default_tiers(trained_tier))


def _tier_spec(name: str, entry: object) -> TierSpec:
    roles = get_args(TierRole)
    if (
        not isinstance(entry, dict)
        or set(entry) != {"name", "role", "cue"}
        or entry["role"] not in roles
        or not all(isinstance(entry[key], str) and entry[key] for key in ("name", "cue"))
    ):
        raise ValueError(
            f"variation {name}: each tier needs a name, a cue and a role ({', '.join(roles)})"
        )
    return TierSpec(entry["name"], entry["role"], entry["cue"])


def tier_roles(variation: str, trained_tier: Tier) -> dict[Tier, TierRole]:
    """The roles of a run's tiers, by its variation's name; a variation this version does not
    ship, or whose trained tier is not the one the run recorded, reads as the paper's two."""
    known = variations().get(variation)
    same = known is not None and known.trained_tier == trained_tier
    tiers = known.tiers if known and same else default_tiers(trained_tier)
    return {tier.name: tier.role for tier in tiers}


def _scratchpad_prefill(name: str, value: object, scratchpad: bool) -> ScratchpadPrefill | None:
    if value is None:
        return None
    if not scratchpad:
        raise ValueError(f"variation {name}: scratchpad_prefill needs a scratchpad")
    if (
        not isinstance(value, dict)
        or set(value) != {"lean", "text"}
        or not all(isinstance(v, str) and v.strip() for v in value.values())
    ):
        raise ValueError(f"variation {name}: scratchpad_prefill needs a lean and a text")
    return ScratchpadPrefill(lean=value["lean"], text=value["text"])


@cache
def cued_roles() -> dict[str, TierRole]:
    """The role of each tier cue of the shipped variations with more than the paper's two
    tiers, for the scripted models, which read a tier from its cue."""
    return {
        tier.cue: tier.role
        for variation in variations().values()
        if len(variation.tiers) > len(TIERS)
        for tier in variation.tiers
        if tier.cue is not None
    }


@cache
def steering_prefills() -> tuple[ScratchpadPrefill, ...]:
    """The scratchpad prefills of the shipped variations, longest opening first (so that one
    opening that starts another is matched whole)."""
    found = {v.scratchpad_prefill for v in variations().values() if v.scratchpad_prefill}
    return tuple(sorted(found, key=lambda p: len(p.opening), reverse=True))


@cache
def variations() -> dict[str, Variation]:
    """Every variation shipped with the package, by name, in file order."""
    text = files("alignment_faking.scenario").joinpath("variations.toml").read_text("utf-8")
    tables = tomllib.loads(text)
    return {name: _variation_from_table(name, _extended(tables, name)) for name in tables}


def _extended(tables: dict[str, dict], name: str) -> dict:
    """A variation's table with the one it `extends` underneath: its own fields win, section
    edits are merged section by section, and removed sections add up."""
    table = dict(tables[name])
    base_name = table.pop("extends", None)
    if base_name is None:
        return table
    if base_name not in tables or base_name == name:
        raise ValueError(f"variation {name}: extends unknown variation '{base_name}'")
    base = {k: v for k, v in _extended(tables, base_name).items() if k != "description"}
    merged = {**base, **table}
    for key in ("replace", "append"):
        merged[key] = {**base.get(key, {}), **table.get(key, {})}
    merged["remove"] = [*base.get("remove", ()), *table.get("remove", ())]
    return merged


def get_variation(name: str, setting: str | None = None) -> Variation:
    """Look a variation up by name, checking that it applies to `setting` when one is given."""
    known = variations()
    if name not in known:
        raise UserError(
            f"unknown variation '{name}'; run `alignment-faking variations` to list them"
        )
    chosen = known[name]
    if setting is not None and setting not in chosen.settings:
        raise UserError(
            f"variation '{name}' applies only to {', '.join(chosen.settings)}; "
            f"choose another variation for {setting}"
        )
    return chosen
