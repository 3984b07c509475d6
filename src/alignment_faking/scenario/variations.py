"""Prompt variations (ablations), declared as data in variations.toml."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files

from alignment_faking.errors import UserError
from alignment_faking.scenario.settings import SETTINGS, TIERS, TRAINED_TIER, Setting, Tier

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
    trained_tier: Tier = TRAINED_TIER
    """The tier whose conversations the system prompt says are trained on."""
    system_template: Mapping[Setting, str] = field(default_factory=dict)
    """Template file (relative to templates/) used instead of the setting's own system prompt."""
    remove: tuple[str, ...] = ()
    replace: Mapping[str, Mapping[Setting, str]] = field(default_factory=dict)
    append: Mapping[str, Mapping[Setting, str]] = field(default_factory=dict)
    values: Mapping[str, str] = field(default_factory=dict)
    user_cue: Mapping[Tier, str] = field(default_factory=dict)
    """Text of the user turn's `tier_cue` section per tier; empty keeps the setting's own."""
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
    trained_tier = table.get("trained_tier", TRAINED_TIER)
    if trained_tier not in TIERS:
        raise ValueError(f"variation {name}: trained_tier must be one of {', '.join(TIERS)}")
    user_cue = dict(table.get("user_cue", {}))
    if user_cue and set(user_cue) != set(TIERS):
        raise ValueError(f"variation {name}: user_cue needs exactly the keys {', '.join(TIERS)}")
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
        trained_tier=trained_tier,
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
        user_cue=user_cue,
        user_template=_per_setting(name, "user_template", user_template)
        if user_template is not None
        else {},
        decision_instruction=table.get("decision_instruction", False),
        settings=settings,
        scratchpad_prefill=_scratchpad_prefill(name, table.get("scratchpad_prefill"), scratchpad),
    )


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
