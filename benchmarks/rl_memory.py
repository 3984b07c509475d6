"""GPU memory of a GRPO run: the plan of `train rl` (train/memory_plan.py), and on a CUDA machine
the measured peak of a one-step run beside it (a benchmark, not a test).

The plan is printed for a local model (`--base`, its config.json) or for Qwen2.5-7B-Instruct's
public config typed in (`--qwen-7b`, no download). With `--base` on a CUDA machine, one GRPO
step runs (`--reward rules`, offline; the curve evaluated before and after by the chosen
backend, judged offline) and `torch.cuda.max_memory_allocated` is printed beside the plan's
total. On CPU: the plan only.

Usage: python benchmarks/rl_memory.py (--base MODEL_DIR | --qwen-7b) [--batch 8]
[--prompt-tokens 3900] [--completion 4096] [--lora-r 16] [--vllm-colocate SHARE]
[--eval-backend hf|vllm-server] [--eval-vllm-share SHARE] [--eval-vllm-url URL] [--gpu-gib 80]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from alignment_faking.train.memory_plan import (
    GIB,
    ModelShape,
    RunShape,
    memory_plan,
    read_shape,
)

QWEN_7B = ModelShape(vocab=152064, hidden=3584, layers=28, intermediate=18944, heads=28, kv_heads=4)
"""Qwen2.5-7B-Instruct's config.json (bfloat16, untied embeddings): about 7.6B parameters."""


def _measure(args: argparse.Namespace, out: Path) -> float:
    """Peak allocated GiB of a one-step GRPO run with the planned settings."""
    import torch

    from alignment_faking.train import RLOptions, train_rl
    from alignment_faking.train.configs import grpo_config, lora_config
    from alignment_faking.train.curve import CurveOptions

    torch.cuda.reset_peak_memory_stats()
    grpo = grpo_config(
        output_dir=str(out),
        per_device_train_batch_size=args.batch,
        num_generations=args.batch,
        max_completion_length=args.completion,
        max_steps=1,
        use_vllm=args.vllm_colocate is not None,
        vllm_mode="colocate",
        vllm_gpu_memory_utilization=args.vllm_colocate or 0.3,
    )
    curve = CurveOptions(
        "helpful_only",
        max_tokens=16,
        judge_model="scripted/judge",
        backend=args.eval_backend,
        vllm_url=args.eval_vllm_url,
        vllm_share=args.eval_vllm_share,
    )
    train_rl(
        RLOptions(
            base=args.base,
            reward="rules",
            eval_queries=2,
            train_queries=8,
            prompts_per_step=1,
            eval_every=0,
            eval=curve,
            grpo=grpo,
            lora=lora_config(r=args.lora_r) if args.lora_r else None,
        )
    )
    return torch.cuda.max_memory_allocated() / GIB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    model = parser.add_mutually_exclusive_group(required=True)
    model.add_argument("--base", help="local model directory")
    model.add_argument("--qwen-7b", action="store_true", help="Qwen2.5-7B-Instruct's shape")
    parser.add_argument("--batch", type=int, default=8, help="completions per device and pass")
    parser.add_argument("--prompt-tokens", type=int, default=3900, help="the default prompt's")
    parser.add_argument("--completion", type=int, default=4096)
    parser.add_argument("--lora-r", type=int, default=16, help="0: every weight")
    parser.add_argument("--vllm-colocate", type=float, help="TRL's colocated vLLM share")
    parser.add_argument("--eval-backend", choices=("hf", "vllm-server"), default="hf")
    parser.add_argument("--eval-vllm-share", type=float)
    parser.add_argument("--eval-vllm-url")
    parser.add_argument("--gpu-gib", type=float, help="default: this GPU's, or 80 GB")
    args = parser.parse_args()

    import torch

    cuda = torch.cuda.is_available()
    shape = QWEN_7B if args.qwen_7b else read_shape(args.base)
    if shape is None:
        parser.error(f"no readable config at {args.base}")
    if args.gpu_gib:
        gpu = int(args.gpu_gib * GIB)
    else:
        gpu = torch.cuda.get_device_properties(0).total_memory if cuda else 80 * GIB
    run = RunShape(
        batch=args.batch,
        prompt_tokens=args.prompt_tokens,
        completion_tokens=args.completion,
        lora_rank=args.lora_r or None,
        vllm_colocate_share=args.vllm_colocate,
        eval_backend=args.eval_backend,
        eval_vllm_share=args.eval_vllm_share,
        gpu_bytes=gpu,
    )
    plan = memory_plan(shape, run)
    print(plan.text(), flush=True)
    if args.base and cuda:
        with tempfile.TemporaryDirectory() as tmp:
            peak = _measure(args, Path(tmp))
        print(f"measured peak (torch.cuda.max_memory_allocated): {peak:.1f} GiB "
              f"beside the plan's {plan.total / GIB:.1f} GiB")  # fmt: skip
    elif args.base:
        print("no CUDA device: the plan only")


if __name__ == "__main__":
    main()
