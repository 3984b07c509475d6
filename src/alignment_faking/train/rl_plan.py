"""The scale of a GRPO run: prompts per optimiser step (through gradient accumulation) and the
plan printed before training, so that a noisy or too-short run shows before it costs anything.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from trl import GRPOConfig

from alignment_faking.errors import UserError

DEFAULT_PROMPTS_PER_STEP = 4
"""Prompts (each with its group of completions) per optimiser step: one makes a noisy step."""


def accumulation_steps(
    prompts_per_step: int, num_generations: int, per_device_batch: int, processes: int
) -> int:
    """The gradient accumulation with which an optimiser step sees `prompts_per_step` groups:
    per_device_batch * accumulation * processes == prompts_per_step * num_generations."""
    completions, per_pass = prompts_per_step * num_generations, per_device_batch * processes
    if prompts_per_step < 1 or completions % per_pass:
        raise UserError(
            f"--prompts-per-step {prompts_per_step} x --num-generations {num_generations} "
            f"= {completions} completions a step: not a positive multiple of "
            f"--per-device-train-batch-size {per_device_batch} x {processes} processes"
        )
    return completions // per_pass


def _generations(grpo: GRPOConfig) -> int:
    """The completions per prompt (TRL's field is optional, but a GRPO run needs a number)."""
    if not grpo.num_generations:
        raise UserError("--num-generations must be more than 0")
    return grpo.num_generations


def with_prompts_per_step(grpo: GRPOConfig, prompts_per_step: int) -> GRPOConfig:
    """The config with the gradient accumulation of `prompts_per_step` (the one way to set it:
    a different `--gradient-accumulation-steps` is refused)."""
    steps = accumulation_steps(
        prompts_per_step, _generations(grpo), grpo.per_device_train_batch_size, grpo.world_size
    )
    if grpo.gradient_accumulation_steps not in (1, steps):
        raise UserError(
            "set --prompts-per-step, not --gradient-accumulation-steps: it computes the "
            f"accumulation ({steps} here)"
        )
    # TRL derives the generation batch from the accumulation: both are derived again
    return dataclasses.replace(
        grpo,
        gradient_accumulation_steps=steps,
        generation_batch_size=None,
        steps_per_generation=None,
    )


@dataclass(frozen=True)
class RLPlan:
    """What a run will do: its prompts, passes over them, completions and steps, and when the
    curve evaluates a checkpoint."""

    prompts: int
    prompts_per_step: int
    completions_per_step: int
    steps: int
    passes: float
    checkpoints: tuple[int, ...]

    def text(self) -> str:
        """The plan in a few lines, as `train rl` prints it before training."""
        return "\n".join(
            [
                f"training prompts:     {self.prompts} ({self.passes:.2g} passes)",
                f"per optimiser step:   {self.prompts_per_step} prompts, "
                f"{self.completions_per_step} completions",
                f"optimiser steps:      {self.steps}",
                f"evaluated at steps:   {', '.join(map(str, self.checkpoints))}",
            ]
        )


def rl_plan(grpo: GRPOConfig, prompts: int, prompts_per_step: int, eval_every: int) -> RLPlan:
    """The plan of a run on `prompts` training prompts with this (accumulation-set) config."""
    if prompts < prompts_per_step:  # the trainer would take no optimiser step at all
        raise UserError(
            f"{prompts} training prompts cannot fill one step of --prompts-per-step "
            f"{prompts_per_step}: lower it or train on more queries (--train-queries, --dataset)"
        )
    if grpo.max_steps > 0:
        steps = grpo.max_steps
    else:
        steps = math.ceil(grpo.num_train_epochs * prompts / prompts_per_step)
    every = range(eval_every, steps, eval_every) if eval_every else range(0)
    return RLPlan(
        prompts=prompts,
        prompts_per_step=prompts_per_step,
        completions_per_step=prompts_per_step * _generations(grpo),
        steps=steps,
        passes=steps * prompts_per_step / prompts,
        checkpoints=(0, *every, steps),
    )
