"""Solvers: how the model under test is asked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from inspect_ai.model import ChatMessageAssistant, ChatMessageUser, get_model
from inspect_ai.solver import Generate, Solver, TaskState, solver

from alignment_faking.errors import UserError
from alignment_faking.inspect.caching import answer_cache
from alignment_faking.inspect.continuation import continues, continuing_args
from alignment_faking.options import DEFAULT_TURNS
from alignment_faking.scenario import Scenario
from alignment_faking.scenario.variations import ScratchpadPrefill, Variation, get_variation
from alignment_faking.transcript import NEXT, TRUNCATED_STOP_REASONS, turn_step

PREFILL_PROVIDERS = ("anthropic/", "hf/", "scripted/", "vllm/")
"""Providers that continue a conversation ending in an assistant message (an answer prefill).
Inspect's vllm/ asks its server to continue the final message; its hf/ does under our
continuation template (continuation.py), and OpenAI-compatible APIs start a new message."""


def answer_opening(scenario: Scenario, prefill: bool) -> str | None:
    """What every answer opens with, if anything: the minimal reproduction's `<` (`<OUTPUT>`
    without a scratchpad, `prefill`), so that the model neither skips its scratchpad nor
    refuses the format, or the variation's scratchpad steering. One prefill at a time."""
    steering = _steering(prefill, scenario.variation)
    if steering is not None:
        return steering.opening
    if prefill:
        return "<" if scenario.scratchpad else "<OUTPUT>"
    return None


def _steering(prefill: bool, variation: Variation) -> ScratchpadPrefill | None:
    steering = variation.scratchpad_prefill
    if prefill and steering is not None:
        raise UserError(
            f"--prefill cannot be combined with variation {variation.name}, whose answers open with "
            "its scratchpad prefill"
        )
    return steering


def check_prefill(model: str, prefill: bool, variation: str) -> None:
    """Stop before any call when a run's answers are prefilled (`--prefill`, or a steering
    variation) and the model's provider cannot continue a prefilled answer."""
    if prefilled(prefill, variation):
        _check_provider(model)


def prefilled(prefill: bool, variation: str) -> bool:
    """Whether a run's answers open with a prefill (`--prefill`, or a steering variation)."""
    return _steering(prefill, get_variation(variation)) is not None or prefill


def answer_model_args(
    model: str, model_args: dict[str, Any] | None, prefill: bool, variations: Sequence[str]
) -> dict[str, Any]:
    """The arguments `model` answers under: where any of `variations` prefills its answers,
    those under which it continues them (continuation.py)."""
    if any(prefilled(prefill, variation) for variation in variations):
        return continuing_args(model, model_args)
    return dict(model_args or {})


def _check_provider(model: str) -> None:
    if not model.startswith(PREFILL_PROVIDERS):
        raise UserError(
            "a prefilled answer (--prefill or a steering variation) needs a provider that "
            f"continues an assistant message ({', '.join(p + '...' for p in PREFILL_PROVIDERS)}); "
            f"{model} does not"
        )


def _joined(prefill: ChatMessageAssistant, continuation: ChatMessageAssistant) -> None:
    """Make the continuation carry the whole answer, prefill first: the model wrote one turn,
    and the parser must read `<` + `SCRATCHPAD_REASONING>` as one tag, not two turns."""
    continuation.text = prefill.text + continuation.text


@solver
def answer(cache: bool = True, turns: int = DEFAULT_TURNS) -> Solver:
    """The paper's turn protocol: a turn that closes a scratchpad without an output is answered
    with `<NEXT/>` and the model goes on, up to `turns` turns, each with its own token budget.

    The conversation ends at the first turn that opens an output, at a turn that closes
    neither tag, at a turn cut by the token limit or an error, or when the turns run out.
    `turns=1` is a single completion. Every call's cache entry is keyed on the exact model.
    A sample whose input ends in an assistant message (a prefill) has its first turn continue
    it; the prefill and the continuation become that one turn.
    """

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        model = get_model()
        prefill = (
            state.messages[-1] if isinstance(state.messages[-1], ChatMessageAssistant) else None
        )
        if prefill is not None:
            _check_provider(str(model))
            if str(model).startswith("hf/") and not continues(model.model_args):
                raise UserError(
                    f"{model} closes a prefilled answer unless made with "
                    "chat_template=continuation_template(its template) (the commands do this)"
                )
        taken = 0
        while True:
            state = await generate(state, cache=answer_cache(model, cache))
            taken += 1
            output = state.output
            if prefill is not None and taken == 1 and output.choices:
                _joined(prefill, output.message)
                state.messages = [m for m in state.messages if m is not prefill]
            if (
                taken >= turns
                or output.error
                or not output.choices
                or output.stop_reason in TRUNCATED_STOP_REASONS
                or turn_step(output.completion) != "scratchpad"
            ):
                break
            state.messages.append(ChatMessageUser(content=NEXT))
        state.metadata["turns"] = taken
        return state

    return solve
