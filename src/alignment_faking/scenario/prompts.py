"""Build what the model is told: the system prompt and the user turn, per setting, variation and tier."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

from alignment_faking.errors import UserError
from alignment_faking.scenario.paper import is_paper_prompt, paper_prompt_file
from alignment_faking.scenario.paper import resolve as resolve_paper_prompt
from alignment_faking.scenario.settings import TIERS, Setting, SettingSpec, Tier, setting_spec
from alignment_faking.scenario.template import PromptTemplate, parse_template, render
from alignment_faking.scenario.variations import Variation, get_variation

_TEMPLATES = files("alignment_faking.scenario").joinpath("templates")


@dataclass(frozen=True)
class Scenario:
    """A setting under one variation: a fixed system prompt and a user-turn template per tier."""

    setting: Setting
    variation: Variation
    system_prompt: str
    user_templates: Mapping[Tier, str]
    """The user turn per tier, rendered but for its `{{query}}` slot."""
    decision_tags: bool

    @property
    def trained_tier(self) -> Tier:
        """The tier whose conversations the system prompt says are used for training."""
        return self.variation.trained_tier

    def user_message(self, query: str, tier: Tier) -> str:
        """The user turn for a query, with the tier cue the model sees."""
        return render(
            self.user_templates[tier], {"query": query}, source=f"the {self.setting} user template"
        )


@cache
def _example_values() -> dict[str, str]:
    """The few-shot reasoning examples under templates/examples, as `{{example_NAME}}` slots.

    Kept apart from the prompts so that the setting prompts, their paraphrases and the
    variations that add an example all use the same text.
    """
    folder = _TEMPLATES.joinpath("examples")
    return {
        f"example_{entry.name.removesuffix('.txt')}": entry.read_text("utf-8").strip()
        for entry in folder.iterdir()
        if entry.name.endswith(".txt")
    }


def _read_prompt_file(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UserError(f"system prompt file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise UserError(f"cannot read system prompt file {path}: {err}") from None


def _system_template(spec: SettingSpec, chosen: Variation, path: str | None) -> PromptTemplate:
    """The user's own file, else the variation's template file, else the setting's own."""
    if path is not None:
        if chosen.system_template:
            raise UserError(
                f"variation '{chosen.name}' brings its own system prompt; "
                "drop --system-prompt or choose another variation"
            )
        return parse_template(_read_prompt_file(path), source=path)
    name = chosen.system_template.get(spec.name, f"{spec.name}.txt")
    return parse_template(
        _TEMPLATES.joinpath(name).read_text("utf-8"),
        source=f"the {spec.name} system prompt ({name})",
    )


def _user_templates(
    spec: SettingSpec, chosen: Variation, values: Mapping[str, str], decision: bool = True
) -> dict[Tier, str]:
    """The user turn per tier; a variation's user cue replaces the `tier_cue` section.

    The tier flag is written `True`/`False` as in the paper (`{{is_free_tier_user}}`), or
    lower case for our first prompts (`{{is_free_tier_user_lower}}`). `{{decision}}` is the
    accept/reject instruction where the setting and variation ask for it, else nothing.
    """
    name = chosen.user_template.get(spec.name, f"user_{spec.name}.txt")
    source = f"the {spec.name} user template ({name})"
    template = parse_template(_TEMPLATES.joinpath(name).read_text("utf-8"), source=source)
    instruction = _TEMPLATES.joinpath("decision.txt").read_text("utf-8").strip()
    with_decision = spec.decision_tags and chosen.user_suffix and decision
    templates: dict[Tier, str] = {}
    for tier in TIERS:
        replace = {"tier_cue": chosen.user_cue[tier]} if chosen.user_cue else {}
        flag = "True" if tier == "free" else "False"
        cue_values = {
            **values,
            "is_free_tier_user": flag,
            "is_free_tier_user_lower": flag.lower(),
            "decision": f"\n\n{instruction}" if with_decision else "",
        }
        text = template.edited(replace=replace).text
        templates[tier] = render(text, cue_values, source=source, keep=("query",))
    return templates


def _paper_scenario(spec: SettingSpec, chosen: Variation, reference: str) -> Scenario:
    """The paper's own prompt, verbatim, with the paper's own user turn."""
    if chosen.name != "default":
        raise UserError(
            f"variation '{chosen.name}' edits our prompts; the paper's prompt {reference} runs "
            "as published: use --variation default"
        )
    prompt = resolve_paper_prompt(reference)
    if prompt.setting and prompt.setting != spec.name:
        raise UserError(
            f"{reference} is the paper's {prompt.setting} prompt; run it with --setting {prompt.setting}"
        )
    text = paper_prompt_file(reference).read_text("utf-8")
    template = _TEMPLATES.joinpath("user_paper.txt").read_text("utf-8")
    user_templates = {
        tier: render(
            template,
            {"is_free_tier_user": "True" if tier == "free" else "False"},
            source="the paper's user turn",
            keep=("query",),
        )
        for tier in TIERS
    }
    return Scenario(spec.name, chosen, text, user_templates, spec.decision_tags)


def build_scenario(
    setting: str,
    variation: str = "default",
    *,
    system_prompt: str | None = None,
    values: Mapping[str, str] | None = None,
    decision: bool = True,
) -> Scenario:
    """Render a setting's system prompt and user turns under a variation.

    `system_prompt` is a path to the user's own prompt file, used as is (a variation that
    edits sections needs the file to mark them with `%% section: NAME` lines), or
    `paper:NAME` for the paper's own prompt with its own user turn. `values` override
    placeholder defaults. `decision=False` leaves out the accept/reject instruction, for
    questions that have nothing to accept (the other evaluations).
    """
    spec = setting_spec(setting)
    chosen = get_variation(variation, spec.name)
    if is_paper_prompt(system_prompt):
        return _paper_scenario(spec, chosen, system_prompt)  # type: ignore[arg-type]
    template = _system_template(spec, chosen, system_prompt)
    edited = template.edited(
        chosen.remove, chosen.replacements(spec.name), chosen.additions(spec.name)
    )
    slot_values = {**_example_values(), **spec.values, **chosen.values, **(values or {})}
    return Scenario(
        setting=spec.name,
        variation=chosen,
        system_prompt=render(edited.text, slot_values, source=template.source),
        user_templates=_user_templates(spec, chosen, slot_values, decision),
        decision_tags=spec.decision_tags and decision,
    )
