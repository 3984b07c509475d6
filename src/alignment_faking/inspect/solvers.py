"""Solvers: how the model under test is asked."""

from __future__ import annotations

from inspect_ai.model import ChatMessageUser, get_model
from inspect_ai.solver import Generate, Solver, TaskState, solver

from alignment_faking.inspect.caching import answer_cache
from alignment_faking.options import DEFAULT_TURNS
from alignment_faking.transcript import NEXT, TRUNCATED_STOP_REASONS, turn_step


@solver
def answer(cache: bool = True, turns: int = DEFAULT_TURNS) -> Solver:
    """The paper's turn protocol: a turn that closes a scratchpad without an output is answered
    with `<NEXT/>` and the model goes on, up to `turns` turns, each with its own token budget.

    The conversation ends at the first turn that opens an output, at a turn that closes
    neither tag, at a turn cut by the token limit or an error, or when the turns run out.
    `turns=1` is a single completion. Every call's cache entry is keyed on the exact model.
    """

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        model = get_model()
        taken = 0
        while True:
            state = await generate(state, cache=answer_cache(model, cache))
            taken += 1
            output = state.output
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
