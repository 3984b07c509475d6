"""An estimate of a GRPO run's GPU memory from the model's shape and the run's settings, printed
before training so that an out-of-memory run shows before it loads anything.

Rough by design (each line says what it counts): weights and optimiser states are exact byte
counts; activations and logits are the usual back-of-envelope terms for a dense decoder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from peft import LoraConfig
    from trl import GRPOConfig

GIB = 1024**3
_DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2}


@dataclass(frozen=True)
class ModelShape:
    """A dense decoder's sizes (a transformers config's fields)."""

    vocab: int
    hidden: int
    layers: int
    intermediate: int
    heads: int
    kv_heads: int
    tied_embeddings: bool = False
    dtype_bytes: int = 2

    @classmethod
    def from_config(cls, config: Any) -> ModelShape:
        """From a transformers `PretrainedConfig` (its public fields)."""
        dtype = str(getattr(config, "dtype", None) or "bfloat16").removeprefix("torch.")
        return cls(
            vocab=config.vocab_size,
            hidden=config.hidden_size,
            layers=config.num_hidden_layers,
            intermediate=config.intermediate_size,
            heads=config.num_attention_heads,
            kv_heads=getattr(config, "num_key_value_heads", None) or config.num_attention_heads,
            tied_embeddings=bool(getattr(config, "tie_word_embeddings", False)),
            dtype_bytes=_DTYPE_BYTES.get(dtype, 2),
        )

    @property
    def kv_dim(self) -> int:
        return self.hidden // self.heads * self.kv_heads

    def _linears(self) -> list[tuple[int, int]]:
        """(in, out) of each linear layer of a block: q, k, v, o, gate, up, down."""
        h, kv, i = self.hidden, self.kv_dim, self.intermediate
        return [(h, h), (h, kv), (h, kv), (h, h), (h, i), (h, i), (i, h)]

    @property
    def params(self) -> int:
        """Parameters: embeddings (and an untied head), the blocks' linear layers and norms
        (attention biases, under 0.01%, left out)."""
        block = sum(a * b for a, b in self._linears()) + 2 * self.hidden
        embeddings = self.vocab * self.hidden * (1 if self.tied_embeddings else 2)
        return embeddings + self.layers * block + self.hidden

    def lora_params(self, rank: int) -> int:
        """A rank-`rank` adapter on every linear layer of every block (`train rl`'s default)."""
        return self.layers * rank * sum(a + b for a, b in self._linears())


@dataclass(frozen=True)
class RunShape:
    """The settings of a run that size its memory."""

    batch: int
    """Completions per device per forward pass (`--per-device-train-batch-size`)."""
    prompt_tokens: int
    completion_tokens: int
    lora_rank: int | None
    """None: every weight is trained."""
    beta: float = 0.04
    gradient_checkpointing: bool = True
    vllm_colocate_share: float | None = None
    """`--vllm-gpu-memory-utilization` with `--use-vllm --vllm-mode colocate`; None: no engine
    on this GPU."""
    vllm_sleeps: bool = False
    eval_backend: str = "hf"
    eval_vllm_share: float | None = None
    gpu_bytes: int = 80 * GIB


@dataclass(frozen=True)
class MemoryLine:
    name: str
    bytes: float
    how: str


@dataclass(frozen=True)
class MemoryPlan:
    lines: tuple[MemoryLine, ...]
    gpu_bytes: int

    @property
    def total(self) -> float:
        return sum(line.bytes for line in self.lines)

    def text(self) -> str:
        """The plan as `train rl` prints it: a line per item and the total against the GPU."""
        rows = [f"{line.name:<22}{line.bytes / GIB:7.1f} GiB  {line.how}" for line in self.lines]
        gpu = self.gpu_bytes / GIB
        verdict = "fits" if self.total <= self.gpu_bytes else "DOES NOT FIT"
        rows.append(
            f"{'total (estimate)':<22}{self.total / GIB:7.1f} GiB  of {gpu:.0f} GiB: {verdict}"
        )
        return "\n".join(["GPU memory plan (per device):", *rows])


def memory_plan(model: ModelShape, run: RunShape) -> MemoryPlan:
    """The memory of one training process: each item, in bytes."""
    b, gpu = model.dtype_bytes, run.gpu_bytes
    weights = model.params * b
    tokens = run.batch * (run.prompt_tokens + run.completion_tokens)
    if run.lora_rank:
        # PEFT keeps the adapter in fp32: its weights, their gradients and 2 Adam moments
        trainable, state_bytes, copies = model.lora_params(run.lora_rank), 4, 4
        reference = MemoryLine("reference", 0, "none: PEFT disables the adapter")
    else:
        trainable, state_bytes, copies = model.params, b, 3  # the weights are counted above
        reference = MemoryLine(
            "reference", weights if run.beta else 0, f"a frozen copy (beta {run.beta:g})"
        )
    per_layer = tokens * (10 * model.hidden + 3 * model.intermediate) * b
    if run.gradient_checkpointing:
        activations = model.layers * tokens * model.hidden * b + per_layer
        how = "gradient checkpointing: each layer's input, one layer recomputed"
    else:
        activations, how = model.layers * per_layer, "every layer's activations"
    colocated = 0.0 if run.vllm_sleeps else (run.vllm_colocate_share or 0) * gpu
    if run.eval_backend == "hf":
        evaluation = MemoryLine("evaluation", weights, "hf: a second copy's weights")
    else:
        share = run.eval_vllm_share
        evaluation = MemoryLine(
            "evaluation",
            (share or 0) * gpu,
            f"vLLM server share {share:g}" if share else "vLLM server on another GPU",
        )
    return MemoryPlan(
        (
            MemoryLine("policy weights", weights, f"{model.params / 1e9:.2f}B params x {b} B"),
            reference,
            MemoryLine(
                "trainable + Adam",
                trainable * state_bytes * copies,
                f"{trainable / 1e6:.1f}M params x {copies} (grad, 2 Adam moments"
                f"{', weight' if copies == 4 else ''}) x {state_bytes} B",
            ),
            MemoryLine("activations", activations, how),
            MemoryLine(
                "logits",
                tokens * model.vocab * 4,
                f"{run.batch} x {run.prompt_tokens + run.completion_tokens} tokens x vocab "
                f"{model.vocab} x 4 B (unfused upper bound)",
            ),
            MemoryLine(
                "vLLM colocated",
                colocated,
                "sleeps during the step"
                if run.vllm_sleeps and run.vllm_colocate_share
                else f"share {run.vllm_colocate_share:g}"
                if run.vllm_colocate_share
                else "none on this GPU",
            ),
            evaluation,
        ),
        gpu,
    )


def read_shape(base: str) -> ModelShape | None:
    """The shape from the model's config, or None where it is unreadable or not a dense
    decoder's (the plan is then not printed)."""
    from transformers import AutoConfig

    try:
        return ModelShape.from_config(AutoConfig.from_pretrained(base))
    except (OSError, ValueError, AttributeError):
        return None


def run_shape(
    grpo: GRPOConfig,
    lora: LoraConfig | None,
    prompt_tokens: int,
    eval_backend: str,
    eval_vllm_share: float | None,
    gpu_bytes: int,
) -> RunShape:
    """A `train rl` run's settings, as the plan reads them."""
    colocated = grpo.use_vllm and grpo.vllm_mode == "colocate"
    return RunShape(
        batch=grpo.per_device_train_batch_size,
        prompt_tokens=prompt_tokens,
        completion_tokens=grpo.max_completion_length or 0,
        lora_rank=lora.r if lora else None,
        beta=grpo.beta,
        gradient_checkpointing=grpo.gradient_checkpointing,
        vllm_colocate_share=grpo.vllm_gpu_memory_utilization if colocated else None,
        vllm_sleeps=colocated and grpo.vllm_enable_sleep_mode,
        eval_backend=eval_backend,
        eval_vllm_share=eval_vllm_share,
        gpu_bytes=gpu_bytes,
    )
