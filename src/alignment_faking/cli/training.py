"""`docs generate`, `train sft`, `train rl`: documents that teach the situation, and training.

The arguments are named like the fields of DocumentOptions, SFTOptions and RLOptions, which
`from_args` builds; RL's evaluation settings are prefixed `--eval-` and make its CurveOptions.
"""

from __future__ import annotations

import argparse

from alignment_faking.argtypes import (
    KeyValues,
    model_args,
    non_negative,
    positive,
    positive_float,
)
from alignment_faking.cli.common import Parser
from alignment_faking.errors import UserError
from alignment_faking.judges import DEFAULT_JUDGE_MODEL
from alignment_faking.options import DEFAULT_MAX_TOKENS, from_args
from alignment_faking.train.universe import DEFAULT_IDENTITY


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register `docs generate`, `train sft` and `train rl`."""
    parser_class = Parser
    docs = commands.add_parser("docs", help="synthetic documents that teach the situation")
    docs_commands = docs.add_subparsers(
        dest="docs_command", required=True, parser_class=parser_class
    )
    generate = docs_commands.add_parser(
        "generate", help="generate documents from a universe context"
    )
    generate.add_argument(
        "--context", required=True, help="universe-context file, or helpful_only / animal_welfare"
    )
    generate.add_argument("--model", required=True, help="Inspect model that writes the documents")
    generate.add_argument("--n", type=positive, required=True, help="documents to keep")
    generate.add_argument(
        "--out", required=True, help="output directory (documents.jsonl; resumable)"
    )
    generate.add_argument(
        "--types-per-fact", type=positive, default=25, help="document types brainstormed per fact"
    )
    generate.add_argument(
        "--ideas-per-type", type=positive, default=20, help="document ideas brainstormed per type"
    )
    generate.add_argument(
        "--developer", default=DEFAULT_IDENTITY["developer"], help="the lab the documents describe"
    )
    generate.add_argument(
        "--model-family",
        default=DEFAULT_IDENTITY["model_family"],
        help="the lab's model family (e.g. Qwen)",
    )
    generate.add_argument(
        "--model-name",
        default=DEFAULT_IDENTITY["model_name"],
        help="the model being trained (e.g. Qwen2.5-7B-Instruct)",
    )
    generate.add_argument(
        "--filter-model",
        help="judge that drops documents demonstrating the behaviour (default: --model)",
    )
    generate.add_argument("--max-tokens", type=positive, default=2048)
    generate.add_argument("--temperature", type=non_negative, default=1.0)
    generate.add_argument("--max-concurrency", type=positive, default=32)
    generate.add_argument(
        "-M", dest="model_args", action=KeyValues, default={}, metavar="KEY=VALUE"
    )
    generate.set_defaults(handler=_generate)

    train = commands.add_parser("train", help="fine-tune an open model (needs the train extra)")
    train_commands = train.add_subparsers(
        dest="train_command", required=True, parser_class=parser_class
    )
    sft = train_commands.add_parser("sft", help="LoRA fine-tuning on synthetic documents")
    sft.add_argument("--base", required=True, help="local model path (or hub name)")
    sft.add_argument("--docs", required=True, help="directory with documents.jsonl, or the file")
    sft.add_argument("--out", required=True)
    sft.add_argument("--lora-rank", type=positive, default=16)
    sft.add_argument("--lora-alpha", type=positive, default=32)
    sft.add_argument("--learning-rate", type=positive_float, default=1e-4)
    sft.add_argument("--epochs", type=positive_float, default=1.0)
    sft.add_argument("--max-steps", type=int, default=-1)
    sft.add_argument("--batch-size", type=positive, default=4)
    sft.add_argument("--gradient-accumulation-steps", type=positive, default=4)
    sft.add_argument("--max-length", type=positive, default=1024)
    sft.add_argument(
        "--gradient-checkpointing",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="recompute activations to save memory (default: on)",
    )
    sft.add_argument("--merge", action="store_true", help="also save the merged model")
    sft.add_argument("--seed", type=int, default=0)
    sft.set_defaults(handler=_sft)

    rl = train_commands.add_parser(
        "rl", help="GRPO toward the training objective, on training-tier conversations"
    )
    rl.add_argument("--base", required=True, help="local model path (or hub name)")
    rl.add_argument("--setting", default="helpful_only", choices=("helpful_only", "animal_welfare"))
    rl.add_argument("--out", required=True)
    rl.add_argument(
        "--variation", default="default", help="prompt variation, e.g. minimal (see `variations`)"
    )
    rl.add_argument(
        "--system-prompt", help="your own system prompt file, or paper:NAME (as in `run`)"
    )
    rl.add_argument("--dataset")
    rl.add_argument("--query-column")
    rl.add_argument(
        "--eval-queries", type=positive, default=100, help="queries held out for evaluation"
    )
    rl.add_argument("--train-queries", type=positive)
    rl.add_argument(
        "--reward",
        choices=("judge", "rules"),
        default="judge",
        help="judge: the evaluation's judges score each answer (default); rules: offline smoke test",
    )
    rl.add_argument(
        "--reward-judge-model",
        default=DEFAULT_JUDGE_MODEL,
        help=f"judge model of the reward (default {DEFAULT_JUDGE_MODEL})",
    )
    rl.add_argument(
        "--beta", type=non_negative, default=0.04, help="KL coefficient to the starting model"
    )
    rl.add_argument("--learning-rate", type=positive_float, default=1e-5)
    rl.add_argument("--lora-rank", type=int, default=16, help="0 for full fine-tuning")
    rl.add_argument("--lora-alpha", type=positive, default=32)
    rl.add_argument("--num-generations", type=positive, default=8)
    rl.add_argument("--batch-size", type=positive, default=8)
    rl.add_argument("--gradient-accumulation-steps", type=positive, default=1)
    rl.add_argument(
        "--max-completion-length",
        type=positive,
        default=DEFAULT_MAX_TOKENS,
        help=f"tokens per completion (default {DEFAULT_MAX_TOKENS}, the evaluation's)",
    )
    rl.add_argument("--temperature", type=non_negative, default=1.0)
    rl.add_argument("--max-steps", type=int, default=200)
    rl.add_argument(
        "--eval-every",
        type=int,
        default=50,
        help="evaluate every K steps (0: before and after only)",
    )
    rl.add_argument("--eval-compliance-judge", choices=("tags", "auto"))
    rl.add_argument(
        "--eval-af-judge", choices=("baseline", "af_v2", "af_v1", "none"), default="baseline"
    )
    rl.add_argument("--judge-model", help="judge model of the evaluation")
    rl.add_argument("--eval-max-tokens", type=positive, default=DEFAULT_MAX_TOKENS)
    rl.add_argument(
        "--eval-model-arg",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="hf provider argument",
    )
    rl.add_argument("--use-vllm", action="store_true")
    rl.add_argument("--vllm-mode", choices=("colocate", "server"), default="colocate")
    rl.add_argument("--vllm-server-base-url")
    rl.add_argument("--merge", action="store_true")
    rl.add_argument(
        "--gradient-checkpointing",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="recompute activations to save memory (default: on)",
    )
    rl.add_argument("--seed", type=int, default=0)
    rl.set_defaults(handler=_rl)


def _generate(args: argparse.Namespace) -> int:
    from alignment_faking.train import DocumentOptions, generate_documents

    run = generate_documents(from_args(DocumentOptions, args))  # prints its plan, what it kept
    if run.plan.calls and not run.kept:
        reason = (
            f"the first failed call: {run.first_error}"
            if run.first_error
            else (f"{run.failed} answers could not be used, dropped: {run.dropped or 'none'}")
        )
        raise UserError(f"no document was kept ({reason}); see {run.out_dir}")
    return 0


def _sft(args: argparse.Namespace) -> int:
    from alignment_faking.train import SFTOptions, train_sft

    result = train_sft(from_args(SFTOptions, args))
    print(f"adapter: {result.adapter}" + (f"\nmerged:  {result.merged}" if result.merged else ""))
    return 0


def _rl(args: argparse.Namespace) -> int:
    from alignment_faking.train import RLOptions, train_rl
    from alignment_faking.train.curve import CurveOptions

    curve = CurveOptions(
        setting=args.setting,
        variation=args.variation,
        dataset=args.dataset,
        compliance_judge=args.eval_compliance_judge,
        af_judge=args.eval_af_judge,
        judge_model=args.judge_model,
        max_tokens=args.eval_max_tokens,
        model_args=model_args(args.eval_model_arg) or None,
    )
    result = train_rl(from_args(RLOptions, args, lora_rank=args.lora_rank or None, eval=curve))
    print(f"final:   {result.final}\ncurve:   {result.curve_png} ({result.curve_json})")
    return 0
