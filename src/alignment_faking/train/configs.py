"""TRL's and PEFT's own configs, with this experiment's defaults where they differ on purpose.

Every field of `GRPOConfig`, `SFTConfig` and `LoraConfig` is an argument of `grpo_config`,
`sft_config` and `lora_config` (and a flag of `train rl` / `train sft`); the tables below are
the only place our defaults live, each with its reason. A field the tables do not name keeps
the library's default, so a new TRL option needs no edit here.
"""

from __future__ import annotations

import dataclasses
import types
from dataclasses import MISSING, dataclass
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from peft import LoraConfig
from trl import GRPOConfig, SFTConfig

from alignment_faking.errors import UserError
from alignment_faking.options import DEFAULT_MAX_TOKENS
from alignment_faking.train.weights import cuda_available, mixed_precision


@dataclass(frozen=True)
class Default:
    """Our default for a library field, and why it differs from the library's."""

    value: Any
    why: str


_NO_TRAINER_SAVES = Default("no", "we save the weights we keep ourselves")
_SEED = Default(0, "one seed for data order and initialisation across the project")

GRPO_DEFAULTS: dict[str, Default] = {
    "beta": Default(0.04, "a KL penalty to the starting model (TRL's 0 drops the reference)"),
    "learning_rate": Default(1e-5, "with LoRA; use about 1e-6 for full fine-tuning"),
    "max_completion_length": Default(
        DEFAULT_MAX_TOKENS, "the evaluation's per-turn budget, so training reasons as long"
    ),
    "mask_truncated_completions": Default(
        True, "a completion cut at the cap leaves the loss: no hidden length penalty"
    ),
    "max_steps": Default(200, "a curve of a few evaluated checkpoints on one GPU"),
    "num_train_epochs": Default(1.0, "with --max-steps -1: each training query once"),
    "logging_steps": Default(1, "every step's reward and clipped share in train_log.jsonl"),
    "save_strategy": _NO_TRAINER_SAVES,
    "seed": _SEED,
}
"""Where `train rl` departs from TRL's GRPOConfig (8 generations, 8 completions per device,
gradient checkpointing and temperature 1 are TRL's own defaults)."""

SFT_DEFAULTS: dict[str, Default] = {
    "learning_rate": Default(1e-4, "usual for LoRA"),
    "lr_scheduler_type": Default("cosine", "decay after warmup, as usual for LoRA"),
    "warmup_steps": Default(0.03, "a share of the steps when below 1"),
    "num_train_epochs": Default(1.0, "the paper trained on each document once"),
    "per_device_train_batch_size": Default(4, "with 4 accumulation steps: 16 documents a step"),
    "gradient_accumulation_steps": Default(4, "16 documents an optimiser step on one device"),
    "save_strategy": _NO_TRAINER_SAVES,
    "seed": _SEED,
}
"""Where `train sft` departs from TRL's SFTConfig (1024-token documents, no packing and
gradient checkpointing are TRL's own defaults)."""

LORA_DEFAULTS: dict[str, Default] = {
    "r": Default(16, "enough for a 7-8B model to learn the situation (PEFT: 8)"),
    "lora_alpha": Default(32, "2r, the usual scale"),
    "lora_dropout": Default(0.05, "a little regularisation of the adapter"),
    "target_modules": Default("all-linear", "every linear layer, not only attention"),
    "task_type": Default("CAUSAL_LM", "next-token training"),
}
"""Where our LoRA departs from PEFT's LoraConfig."""

_LORA_SET_BY_PEFT = {
    "peft_type",
    "peft_version",
    "auto_mapping",
    "base_model_name_or_path",
    "revision",
    "inference_mode",
}
"""LoraConfig fields PEFT fills in itself when it saves or loads an adapter."""


def hardware_defaults() -> dict[str, Any]:
    """bfloat16 where a CUDA device runs it, and the CPU where there is no CUDA device."""
    return {"bf16": mixed_precision(None), "use_cpu": not cuda_available()}


def default_values(table: dict[str, Default]) -> dict[str, Any]:
    """The values of an override table, as keyword arguments."""
    return {name: default.value for name, default in table.items()}


POSITIVE = (
    "learning_rate",
    "max_completion_length",
    "num_generations",
    "per_device_train_batch_size",
    "gradient_accumulation_steps",
)
NON_NEGATIVE = ("beta", "temperature", "lora_dropout")
"""Fields the libraries take unchecked though a value out of range fails (or trains on
nothing) only after the model has loaded."""


def _check_ranges(values: dict[str, Any]) -> None:
    for name in POSITIVE:
        if values.get(name) is not None and values[name] <= 0:
            raise UserError(f"--{name.replace('_', '-')} must be more than 0")
    for name in NON_NEGATIVE:
        if values.get(name) is not None and values[name] < 0:
            raise UserError(f"--{name.replace('_', '-')} must be 0 or more")


def _build(cls: type, table: dict[str, Default], given: dict[str, Any]) -> Any:
    """`cls` from our defaults and `given`; its own checks' errors in one line."""
    values = {**default_values(table), **given}
    _check_ranges(values)
    try:
        return cls(**values)
    except (TypeError, ValueError) as err:
        raise UserError(f"{cls.__name__}: {err}") from None


def grpo_config(**given: Any) -> GRPOConfig:
    """TRL's GRPOConfig with our defaults and the hardware's, then any field `given`."""
    return _build(GRPOConfig, GRPO_DEFAULTS, {**hardware_defaults(), **given})


def sft_config(**given: Any) -> SFTConfig:
    """TRL's SFTConfig with our defaults and the hardware's, then any field `given`."""
    return _build(SFTConfig, SFT_DEFAULTS, {**hardware_defaults(), **given})


def lora_config(**given: Any) -> LoraConfig:
    """PEFT's LoraConfig with our defaults (every linear layer, rank 16), then any field `given`."""
    return _build(LoraConfig, LORA_DEFAULTS, given)


def _flag_type(hint: Any) -> Any:
    """The type HfArgumentParser reads a LoraConfig field's flag as: a scalar, a choice or a list
    of scalars, maybe None; a union with str as the str (`--target-modules` takes PEFT's string
    form: `all-linear` or a regex). None for what no flag can hold: dicts, nested configs."""
    if get_origin(hint) in (Union, types.UnionType):
        options = [arg for arg in get_args(hint) if arg is not type(None)]
        if str in options:
            return str | None
        if len(options) != 1:
            return None
        return _flag_type(options[0]) and hint
    if get_origin(hint) is list:
        return hint if get_args(hint)[0] in (int, float, str) else None
    return hint if get_origin(hint) is Literal or hint in (int, float, str, bool) else None


def _help(item: dataclasses.Field) -> dict[str, str]:
    """A field's help, the only metadata of PEFT's that argparse takes."""
    return {"help": item.metadata["help"]} if "help" in item.metadata else {}


def lora_flags() -> type:
    """A dataclass of the LoraConfig fields a command line can set, for HfArgumentParser
    (the others, such as `rank_pattern` or `eva_config`, are set with `lora_config`)."""
    hints = get_type_hints(LoraConfig)
    flags = [
        (item, _flag_type(hints[item.name]))
        for item in dataclasses.fields(LoraConfig)
        if item.init and item.name not in _LORA_SET_BY_PEFT and item.default is not MISSING
    ]
    return dataclasses.make_dataclass(
        "LoraFlags",
        [
            (item.name, hint, dataclasses.field(default=item.default, metadata=_help(item)))
            for item, hint in flags
            if hint is not None
        ],
    )
