"""Solvers: how the model under test is asked."""

from __future__ import annotations

from inspect_ai.model import get_model
from inspect_ai.solver import Generate, Solver, TaskState, solver

from alignment_faking.inspect.caching import answer_cache


@solver
def answer(cache: bool = True) -> Solver:
    """One completion per sample, its cache entry keyed on the exact model that answers."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        return await generate(state, cache=answer_cache(get_model(), cache))

    return solve
