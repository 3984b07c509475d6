"""Model weights: where they come from, the training precision, and merging an adapter into its base."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alignment_faking.errors import UserError


def resolve_base(base: str) -> str:
    """The model to start from: an existing local directory (absolute), or a hub id as given."""
    path = Path(base).expanduser()
    if path.exists():
        return str(path.resolve())
    if base.count("/") != 1 or base.startswith((".", "/", "~")):
        raise UserError(f"no model at --base {base}: give a local model directory or a hub id")
    return base


def load_base(base: str) -> tuple[Any, Any]:
    """The model and tokenizer to train, one line of error when they cannot be loaded."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        return (
            AutoModelForCausalLM.from_pretrained(base, dtype="auto"),
            AutoTokenizer.from_pretrained(base),
        )
    except (OSError, ValueError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise UserError(f"cannot load --base {base}: {first}") from None


def cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def mixed_precision(bf16: bool | None) -> bool:
    """bfloat16 when asked, or by default when a CUDA device can run it."""
    if bf16 is not None:
        return bf16
    import torch

    return torch.cuda.is_available() and torch.cuda.is_bf16_supported()


def merge_adapter(base: str, adapter: str | Path, out: str | Path) -> Path:
    """Save `base` with the LoRA adapter merged in, with the adapter's tokenizer.

    Reloads both from disk in one process, so it works whatever sharding training used.
    """
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(base, dtype="auto")
    merged = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    out = Path(out)
    merged.save_pretrained(out)
    AutoTokenizer.from_pretrained(str(adapter)).save_pretrained(out)
    return out
