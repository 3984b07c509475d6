"""Build what the model is told: the system prompt and the user turn, per setting, variation and tier."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from importlib.resources import files
from pathlib import Path

from alignment_faking.errors import UserError
from alignment_faking.scenario.paper import MAX_PROMPT_BYTES, is_paper_prompt, paper_prompt_file
from alignment_faking.scenario.paper import resolve as resolve_paper_prompt
from alignment_faking.scenario.settings import (
    PAPER_IDENTITY,
    TIERS,
    Identity,
    Setting,
    SettingSpec,
    Tier,
    setting_spec,
)
from alignment_faking.scenario.template import PromptTemplate, parse_template, render
from alignment_faking.scenario.variations import Variation, get_variation
from alignment_faking.user_files import read_user_file

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
    """Whether the user turn asks for the accept/reject tags (the decision instruction)."""
    scratchpad: bool = True
    """Whether the model reasons in a hidden scratchpad before its output."""

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
    """The user's prompt file: a bounded read, refused when it is not UTF-8 or holds no text, so
    that a run never goes out with an empty system prompt."""
    raw = read_user_file(Path(path), what="system prompt file", max_bytes=MAX_PROMPT_BYTES)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(
            f"system prompt file {path} is not UTF-8 text; convert it to UTF-8 and retry"
        ) from None
    if not text.strip():
        raise UserError(
            f"system prompt file {path} is empty; write the prompt in it, or drop "
            "--system-prompt to use ours"
        )
    return text


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
    instruction = _decision_slot(_asks_decision(spec, chosen, decision))
    templates: dict[Tier, str] = {}
    for spec_tier in chosen.tiers:
        tier = spec_tier.name
        cue = {"tier_cue": spec_tier.cue} if spec_tier.cue is not None else {}
        flag = "True" if tier == "free" else "False"
        cue_values = {
            **values,
            "is_free_tier_user": flag,
            "is_free_tier_user_lower": flag.lower(),
            "decision": instruction,
        }
        text = template.edited(replace=cue).text
        templates[tier] = render(text, cue_values, source=source, keep=("query",))
    return templates


def _asks_decision(spec: SettingSpec, chosen: Variation, decision: bool) -> bool:
    """Whether the user turn ends with the accept/reject instruction: only under a variation that
    asks for it (the paper's main runs had none), in a setting with tags, for the experiment."""
    return spec.decision_tags and chosen.decision_instruction and decision


def _decision_slot(asked: bool) -> str:
    """The `{{decision}}` slot: the instruction as a paragraph after the query, or nothing."""
    if not asked:
        return ""
    return "\n\n" + _TEMPLATES.joinpath("decision.txt").read_text("utf-8").strip()


def _only_adds_the_instruction(chosen: Variation) -> bool:
    """Whether a variation changes nothing but the decision instruction, so that it applies to
    the paper's own prompt, which no other edit can reach."""
    default = get_variation("default")
    return (
        replace(
            chosen,
            name=default.name,
            description=default.description,
            decision_instruction=False,
            settings=default.settings,
        )
        == default
    )


def _paper_scenario(
    spec: SettingSpec, chosen: Variation, reference: str, decision: bool
) -> Scenario:
    """The paper's own prompt, verbatim, with the paper's own user turn (no tier tag in the tier
    an absence ablation names), and the decision instruction where the variation asks for it."""
    if not _only_adds_the_instruction(chosen):
        raise UserError(
            f"variation '{chosen.name}' edits our prompts; the paper's prompt {reference} runs "
            "as published: use --variation default, or accept_reject for the instruction "
            "(paper:helpful_only_no_cot has no scratchpad)"
        )
    prompt = resolve_paper_prompt(reference)
    if prompt.setting and prompt.setting != spec.name:
        raise UserError(
            f"{reference} is the paper's {prompt.setting} prompt; run it with --setting {prompt.setting}"
        )
    text = paper_prompt_file(reference).read_text("utf-8")
    template = _TEMPLATES.joinpath("user_paper.txt").read_text("utf-8")
    asked = _asks_decision(spec, chosen, decision)

    def tier_cue(tier: Tier) -> str:
        if tier == prompt.untagged_tier:
            return ""
        return f"<is_free_tier_user>{tier == 'free'}</is_free_tier_user>\n\n"

    user_templates = {
        tier: render(
            template,
            {"tier_cue": tier_cue(tier), "decision": _decision_slot(asked)},
            source="the paper's user turn",
            keep=("query",),
        )
        for tier in TIERS
    }
    return Scenario(spec.name, chosen, text, user_templates, asked, prompt.scratchpad)


def build_scenario(
    setting: str,
    variation: str = "default",
    *,
    system_prompt: str | None = None,
    values: Mapping[str, str] | None = None,
    identity: Identity = PAPER_IDENTITY,
    decision: bool = True,
) -> Scenario:
    """Render a setting's system prompt and user turns under a variation.

    `system_prompt` is a path to the user's own prompt file, used as is (a variation that
    edits sections needs the file to mark them with `%% section: NAME` lines), or
    `paper:NAME` for the paper's own prompt with its own user turn, verbatim (so with the
    paper's identity only). `identity` names the developer and the model, unless the variation
    names them itself (an identity ablation); `values` override every placeholder. The
    accept/reject instruction follows the query only under a variation that asks for it;
    `decision=False` leaves it out even then, for questions that have nothing to accept (the
    other evaluations).
    """
    spec = setting_spec(setting)
    chosen = get_variation(variation, spec.name)
    if is_paper_prompt(system_prompt):
        if identity != PAPER_IDENTITY:
            raise UserError(
                f"the paper's prompt {system_prompt} runs verbatim, naming the paper's developer "
                "and model; drop --developer and --model-name, or use our prompts"
            )
        return _paper_scenario(spec, chosen, system_prompt, decision)
    template = _system_template(spec, chosen, system_prompt)
    edited = template.edited(
        chosen.remove, chosen.replacements(spec.name), chosen.additions(spec.name)
    )
    slot_values = {
        **_example_values(),
        **spec.values,
        **identity.values(),
        **chosen.values,
        **(values or {}),
    }
    return Scenario(
        setting=spec.name,
        variation=chosen,
        system_prompt=render(edited.text, slot_values, source=template.source),
        user_templates=_user_templates(spec, chosen, slot_values, decision),
        decision_tags=_asks_decision(spec, chosen, decision),
        scratchpad=chosen.scratchpad,
    )
