"""Fine-tune a model on synthetic documents with LoRA: plain next-token loss, as in pretraining.

The documents teach the model its situation (who trains it, on which tier, and what
training does to a model that resists) without any prompt saying so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from peft import LoraConfig
from trl import SFTConfig

from alignment_faking.errors import UserError
from alignment_faking.train.configs import lora_config, sft_config
from alignment_faking.train.documents import iter_documents
from alignment_faking.train.weights import load_base, merge_adapter, resolve_base

ADAPTER_DIR = "adapter"
MERGED_DIR = "merged"


@dataclass
class SFTOptions:
    """What `train sft` takes: ours, then TRL's SFTConfig and PEFT's LoraConfig whole.

    base: Local path (or hub name) of the model to fine-tune.
    docs: Directory holding `documents.jsonl` (as `docs generate` writes it), or the file.
    merge: Also save the base model with the adapter merged in (`merged/`), for serving
        without PEFT (vLLM, `hf/` in Inspect) and as the base of `train rl`.
    sft: Every trainer setting (configs.sft_config: our defaults, SFT_DEFAULTS, on TRL's: a
        cosine learning rate of 1e-4, one pass, 16 documents a step, 1024 tokens a document).
        Its `output_dir` gets `adapter/` (LoRA weights and tokenizer) and `merged/`.
    lora: The adapter (configs.lora_config: rank 16 on every linear layer).
    """

    base: str
    docs: str
    merge: bool = False
    sft: SFTConfig = field(default_factory=sft_config)
    lora: LoraConfig = field(default_factory=lora_config)


@dataclass(frozen=True)
class SFTResult:
    """Where the trained weights are."""

    adapter: Path
    merged: Path | None


def train_sft(options: SFTOptions) -> SFTResult:
    """Train a LoRA adapter on the documents; save it, and the merged model if asked."""
    from datasets import Dataset

    texts = list(iter_documents(options.docs))
    if not texts:
        raise UserError(f"no documents in {options.docs}")
    dataset = Dataset.from_dict({options.sft.dataset_text_field: texts})
    return fine_tune(options.base, dataset, options.sft, options.lora, options.merge)


def fine_tune(
    base_name: str, dataset: Any, sft: SFTConfig, lora: LoraConfig, merge: bool
) -> SFTResult:
    """SFT with LoRA on a dataset TRL reads (documents' text, or conversations' messages)."""
    from trl import SFTTrainer

    base = resolve_base(base_name)
    assert sft.output_dir is not None  # TrainingArguments sets its default
    out = Path(sft.output_dir)
    model, tokenizer = load_base(base)
    trainer = SFTTrainer(
        model=model,
        args=sft,
        train_dataset=dataset,
        processing_class=tokenizer,
        peft_config=lora,
    )
    trainer.train()
    adapter = out / ADAPTER_DIR
    trainer.save_model(str(adapter))
    tokenizer.save_pretrained(adapter)
    merged = None
    if merge and trainer.accelerator.is_main_process:
        merged = merge_adapter(base, adapter, out / MERGED_DIR)
    return SFTResult(adapter=adapter, merged=merged)
