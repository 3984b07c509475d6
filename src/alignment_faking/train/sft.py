"""Fine-tune a model on synthetic documents with LoRA: plain next-token loss, as in pretraining.

The documents teach the model its situation (who trains it, on which tier, and what
training does to a model that resists) without any prompt saying so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alignment_faking.errors import UserError
from alignment_faking.train.documents import iter_documents
from alignment_faking.train.weights import (
    cuda_available,
    load_base,
    lora_config,
    merge_adapter,
    mixed_precision,
    resolve_base,
)

ADAPTER_DIR = "adapter"
MERGED_DIR = "merged"


@dataclass
class SFTOptions:
    """What `train sft` takes. Defaults suit a 7-8B instruct model on one 80 GB GPU.

    base: Local path (or hub name) of the model to fine-tune.
    docs: Directory holding `documents.jsonl` (as `docs generate` writes it), or the file.
    out: Output directory: `adapter/` (LoRA weights and tokenizer), `merged/` on request.
    lora_rank: LoRA rank r (16); lora_alpha: LoRA scale numerator (32, i.e. 2r);
        lora_dropout: dropout on the LoRA path (0.05). LoRA targets all linear layers.
    learning_rate: Peak learning rate (1e-4, usual for LoRA), cosine decay after warmup_ratio
        (0.03) of the steps.
    epochs: Passes over the documents (1; the paper trained on each document once).
    max_steps: Stop after this many optimiser steps instead (-1: use epochs).
    batch_size: Documents per device per step (4); gradient_accumulation_steps (4) multiplies
        it, so 16 documents per optimiser step on one device.
    max_length: Tokens per document; longer ones are cut (1024).
    gradient_checkpointing: Recompute activations in the backward pass, trading compute for
        memory (on).
    bf16: Train in bfloat16; None means on when a CUDA device is present.
    merge: Also save the base model with the adapter merged in (`merged/`), for serving
        without PEFT (vLLM, `hf/` in Inspect) and as the base of `train rl`.
    seed: Seed for data order and initialisation (0).
    """

    base: str
    docs: str
    out: str
    lora_rank: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    learning_rate: float = 1e-4
    warmup_ratio: float = 0.03
    epochs: float = 1.0
    max_steps: int = -1
    batch_size: int = 4
    gradient_accumulation_steps: int = 4
    max_length: int = 1024
    gradient_checkpointing: bool = True
    bf16: bool | None = None
    merge: bool = False
    logging_steps: int = 10
    seed: int = 0


@dataclass(frozen=True)
class SFTResult:
    """Where the trained weights are."""

    adapter: Path
    merged: Path | None


def train_sft(options: SFTOptions) -> SFTResult:
    """Train a LoRA adapter on the documents; save it, and the merged model if asked."""
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    base = resolve_base(options.base)
    texts = list(iter_documents(options.docs))
    if not texts:
        raise UserError(f"no documents in {options.docs}")
    out = Path(options.out)
    model, tokenizer = load_base(base)
    bf16 = mixed_precision(options.bf16)
    config = SFTConfig(
        output_dir=str(out / "trainer"),
        dataset_text_field="text",
        max_length=options.max_length,
        packing=False,
        learning_rate=options.learning_rate,
        lr_scheduler_type="cosine",
        warmup_steps=options.warmup_ratio,  # a float below 1 is a share of the steps
        num_train_epochs=options.epochs,
        max_steps=options.max_steps,
        per_device_train_batch_size=options.batch_size,
        gradient_accumulation_steps=options.gradient_accumulation_steps,
        gradient_checkpointing=options.gradient_checkpointing,
        bf16=bf16,
        use_cpu=not cuda_available(),
        logging_steps=options.logging_steps,
        save_strategy="no",
        report_to="none",
        seed=options.seed,
    )
    trainer = SFTTrainer(
        model=model,
        args=config,
        train_dataset=Dataset.from_dict({"text": texts}),
        processing_class=tokenizer,
        peft_config=lora_config(options.lora_rank, options.lora_alpha, options.lora_dropout),
    )
    trainer.train()
    adapter = out / ADAPTER_DIR
    trainer.save_model(str(adapter))
    tokenizer.save_pretrained(adapter)
    merged = None
    if options.merge and trainer.accelerator.is_main_process:
        merged = merge_adapter(base, adapter, out / MERGED_DIR)
    return SFTResult(adapter=adapter, merged=merged)
