"""Training open models on the experiment: synthetic documents, SFT on them, RL toward the objective.

Document generation needs only Inspect; SFT and RL need the `train` extra (torch, transformers,
TRL, PEFT), imported only when those functions are first used.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alignment_faking.train.documents import DocumentOptions, DocumentRun, generate_documents
    from alignment_faking.train.rl import RLOptions, RLResult, train_rl
    from alignment_faking.train.sft import SFTOptions, SFTResult, train_sft

_EXPORTS = {
    "DocumentOptions": "documents",
    "DocumentRun": "documents",
    "generate_documents": "documents",
    "SFTOptions": "sft",
    "SFTResult": "sft",
    "train_sft": "sft",
    "RLOptions": "rl",
    "RLResult": "rl",
    "train_rl": "rl",
}


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"alignment_faking.train.{_EXPORTS[name]}"), name)


__all__ = [
    "DocumentOptions",
    "DocumentRun",
    "RLOptions",
    "RLResult",
    "SFTOptions",
    "SFTResult",
    "generate_documents",
    "train_rl",
    "train_sft",
]
