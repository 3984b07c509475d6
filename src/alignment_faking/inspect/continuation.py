"""Continuing a prefilled answer on Inspect's `hf/` provider.

That provider renders the chat template with `add_generation_prompt=True`, so a conversation
ending in an assistant message (a steering prefill, the minimal reproduction's `<`) would be
closed and a new answer opened. It takes the template as a public model argument,
`chat_template`: the model's own template wrapped so that a final assistant message is taken
out, the template rendered with a new answer opened, and that message's text written after it
verbatim. A conversation without one renders exactly as the model's own template renders it.
"""

from __future__ import annotations

from typing import Any

from alignment_faking.errors import UserError
from alignment_faking.inspect.models import preflight

CONTINUED = "af_continued_answer"
"""The template variable holding the prefill (a name no chat template uses)."""
PRELUDE = (
    "{% if messages and messages[-1]['role'] == 'assistant' %}"
    f"{{% set {CONTINUED} = messages[-1]['content'] %}}"
    "{% set messages = messages[:-1] %}"
    "{% set add_generation_prompt = true %}"
    "{% endif +%}"  # `+`: keep a newline the template may open with (HF's trim_blocks)
)
CODA = f"{{% if {CONTINUED} is defined %}}{{{{ {CONTINUED} }}}}{{% endif %}}"


def continuation_template(template: str) -> str:
    """`template` made to continue a final assistant message (one already wrapped: as it is)."""
    if template.startswith(PRELUDE):
        return template
    return PRELUDE + template + CODA


def continues(model_args: dict[str, Any]) -> bool:
    """Whether an `hf/` model made with these arguments continues a prefilled answer."""
    template = model_args.get("chat_template")
    return isinstance(template, str) and template.startswith(PRELUDE)


def continuing_args(model: str, model_args: dict[str, Any] | None) -> dict[str, Any]:
    """The model arguments under which `model` continues a prefilled answer: for `hf/`, its
    chat template (the user's own `chat_template` if given, else its tokenizer's) wrapped by
    `continuation_template`; other providers continue one as they are."""
    args = dict(model_args or {})
    if not model.startswith("hf/"):
        return args
    own = args.get("chat_template")
    template = own if isinstance(own, str) else _tokenizer_template(model, args)
    return args | {"chat_template": continuation_template(template)}


def _tokenizer_template(model: str, args: dict[str, Any]) -> str:
    """The chat template of the tokenizer Inspect's `hf/` provider loads for these arguments."""
    preflight(model, args)  # transformers installed, the model_path there
    from transformers import AutoTokenizer

    path = args.get("model_path")
    source = args.get("tokenizer") or (
        (args.get("tokenizer_path") or path) if path else model.removeprefix("hf/")
    )
    try:
        template = AutoTokenizer.from_pretrained(str(source)).chat_template
    except OSError as err:
        raise UserError(f"model {model}: cannot load its tokenizer ({err})") from None
    if not isinstance(template, str):
        raise UserError(
            f"model {model}: its tokenizer has no chat template to continue a prefilled answer "
            "in; give one with -M chat_template=..."
        )
    return template
