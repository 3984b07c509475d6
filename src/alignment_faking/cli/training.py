"""`docs generate`, `train sft`, `train rl`, `train compare`: documents that teach the situation,
training, and RL runs side by side.

The arguments are named like the fields of DocumentOptions, SFTOptions and RLOptions, which
`from_args` builds; RL's evaluation settings are prefixed `--eval-` and make its CurveOptions.
The training commands' other flags are the fields of TRL's and PEFT's configs (train/configs.py).
"""

from __future__ import annotations

import argparse
import os
from dataclasses import fields
from importlib import import_module
from pathlib import Path
from types import ModuleType
from typing import Any

from alignment_faking.argtypes import KeyValues, model_args, names, non_negative, positive, share
from alignment_faking.cli.common import DATASET_HELP, DISPLAYS, Parser
from alignment_faking.cli.flags import flag_help
from alignment_faking.errors import UserError
from alignment_faking.judges import AF_JUDGES, COMPLIANCE_JUDGES, DEFAULT_JUDGE_MODEL
from alignment_faking.judges.alignment_faking import DEFAULT_THRESHOLD
from alignment_faking.options import DEFAULT_MAX_TOKENS, TaskOptions, from_args
from alignment_faking.scenario.settings import PAPER_IDENTITY
from alignment_faking.train.checkpoint_eval import EVAL_BACKENDS
from alignment_faking.train.documents import DocumentOptions
from alignment_faking.train.universe import DEFAULT_IDENTITY


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register `docs generate`, `train sft`, `train rl` and `train compare`."""
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
    generate.add_argument(
        "--model",
        required=True,
        help="Inspect model that writes the documents (scripted/writer: an offline toy writer)",
    )
    generate.add_argument("--n", type=positive, required=True, help="documents to keep")
    generate.add_argument(
        "--out", required=True, help="output directory (documents.jsonl; resumable)"
    )
    for flag, kind, default, help in (
        ("--types-per-fact", positive, DocumentOptions.types_per_fact, "document types brainstormed per fact"),
        ("--ideas-per-type", positive, DocumentOptions.ideas_per_type, "document ideas brainstormed per type"),
        ("--developer", str, DEFAULT_IDENTITY["developer"], "the lab the documents describe"),
        ("--model-family", str, DEFAULT_IDENTITY["model_family"], "the lab's model family (e.g. Qwen)"),
        ("--model-name", str, DEFAULT_IDENTITY["model_name"], "the model being trained (e.g. Qwen2.5-7B-Instruct)"),
        ("--filter-model", str, DocumentOptions.filter_model, "model of the behaviour judge and the fact "
                                      "check (a model other than --model by default; scripted/judge offline)"),
        ("--dedup-threshold", share, DocumentOptions.dedup_threshold, "MinHash Jaccard of content-word "
                                      "pairs at which a document is a near duplicate (paraphrases included)"),
        ("--max-tokens", positive, DocumentOptions.max_tokens, "generation limit of a call"),
        ("--temperature", non_negative, DocumentOptions.temperature, "sampling temperature"),
        ("--max-concurrency", positive, DocumentOptions.max_concurrency, "calls in flight"),
    ):  # fmt: skip
        generate.add_argument(flag, type=kind, default=default, help=help)
    generate.add_argument(
        "-M",
        dest="model_args",
        action=KeyValues,
        default={},
        metavar="KEY=VALUE",
        help="argument of the writing model (repeatable)",
    )
    generate.add_argument(
        "--display",
        choices=DISPLAYS,
        help="progress on stderr: bars on a terminal, lines with plain, nothing with none",
    )
    generate.set_defaults(handler=_generate)

    train = commands.add_parser(
        "train",
        help="fine-tune an open model (needs the train extra)",
        description="Every field of TRL's SFTConfig (sft) or GRPOConfig (rl) and of PEFT's "
        "LoraConfig is a flag of its command, with our defaults where they differ: see "
        "`train sft --help`, `train rl --help`.",
    )
    train.add_argument(
        "train_command",
        choices=("sft", "rl", "compare", "organism"),
        help="sft: LoRA fine-tuning on synthetic documents; rl: GRPO toward the training "
        "objective, on training-tier conversations; compare: several rl runs' curves and last "
        "checkpoints side by side; organism: SFT on conversations that fake alignment in a "
        "chosen style (written by a writer model, or distilled from eval logs)",
    )
    # the commands' flags come from TRL's configs, built only when `train` runs (TRL and torch
    # take seconds to import, and may not be installed)
    train.add_argument("train_args", nargs=argparse.REMAINDER, help="the command's flags")
    train.set_defaults(handler=_train)


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


TRAIN_EXTRA = "pip install 'alignment-faking[train]'"

ALIASES = (
    ("--batch-size", "per_device_train_batch_size", int),
    ("--epochs", "num_train_epochs", float),
    ("--lora-r", "r", int),
    ("--lora-rank", "r", int),
)
"""Short names of config fields (flag, field, type), kept from the commands' first flags."""


BASE_HELP = "local model directory (the hub is then set offline for the run) or hub id"

TRAINERS = {"sft": "SFTTrainer", "rl": "GRPOTrainer", "organism": "SFTTrainer"}
"""The TRL trainer of each command, imported before its flags are read."""


def _train(args: argparse.Namespace) -> int:
    command = args.train_command
    prog = f"alignment-faking train {command}"
    if command == "compare":  # reads the runs' curve.json: no train extra needed
        return _compare(prog, args.train_args)
    _hub_offline_for_local_base(args.train_args)  # before transformers reads the setting
    try:
        from alignment_faking.train import configs

        getattr(import_module("trl"), TRAINERS[command])  # TRL imports its trainers lazily
        import_module(f"alignment_faking.train.{command}")
    except (ModuleNotFoundError, RuntimeError) as err:
        # TRL wraps a missing module of its lazy imports in a RuntimeError
        missing = err if isinstance(err, ModuleNotFoundError) else err.__cause__
        if not isinstance(missing, ModuleNotFoundError):
            raise
        raise UserError(
            f"install the train extra: {TRAIN_EXTRA} (no module {missing.name})"
        ) from None
    run = {"sft": _sft, "rl": _rl, "organism": _organism}[command]
    return run(configs, prog, args.train_args)


def _compare(prog: str, argv: list[str]) -> int:
    from alignment_faking.train.compare import (
        compare,
        format_comparison,
        load_run,
        write_comparison,
    )

    parser = Parser(prog=prog, usage="%(prog)s RUN_DIR... [--out DIR] [--allow-mixed]")
    parser.add_argument("runs", nargs="+", metavar="RUN_DIR", help="`train rl` output directories")
    parser.add_argument("--out", help="write compare.png, compare.json and compare.md here")
    parser.add_argument(
        "--allow-mixed",
        action="store_true",
        help="compare runs from different starting models, settings or judges",
    )
    args = parser.parse_args(argv)
    runs = [load_run(run) for run in args.runs]
    comparison = compare(runs, allow_mixed=args.allow_mixed)
    print(format_comparison(comparison))
    if args.out:
        files = write_comparison(runs, comparison, Path(args.out))
        print(f"figure:  {files.figure}\ntable:   {files.markdown} ({files.json})")
    return 0


def _hub_offline_for_local_base(argv: list[str]) -> None:
    """Set the Hugging Face hub offline (HF_HUB_OFFLINE=1) when `--base` is a local directory.

    transformers and TRL otherwise ask the hub about a local model too, and wait through their
    retries where there is no network. huggingface_hub reads the variable once, when it is
    first imported, so this runs before the train extra is.
    """
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--base")
    found, _ = parser.parse_known_args(argv)
    if found.base and Path(found.base).expanduser().is_dir():
        os.environ["HF_HUB_OFFLINE"] = "1"


def _config_parser(
    configs: ModuleType, prog: str, trainer: type, defaults: dict[str, Any]
) -> tuple[Parser, type]:
    """A flag for every field of the trainer's config and of LoraConfig (transformers'
    HfArgumentParser, as TRL's own commands use), defaulting to our values (`defaults`, LoRA's,
    the hardware's), with one-line errors, the short names and `--out`; and the LoRA flags."""
    from transformers import HfArgumentParser

    class ConfigParser(Parser, HfArgumentParser):
        """HfArgumentParser's flags, Parser's one-line errors."""

    lora = configs.lora_flags()
    dataclass_types: list[Any] = [trainer, lora]
    parser = ConfigParser(
        dataclass_types, prog=prog, usage="%(prog)s --base BASE --out OUT [flags]"
    )
    parser.set_defaults(
        **configs.default_values(defaults),
        **configs.default_values(configs.LORA_DEFAULTS),
        **configs.hardware_defaults(),
    )
    for flag, dest, kind in ALIASES:
        help = f"short for --{dest.replace('_', '-')}"
        parser.add_argument(flag, dest=dest, type=kind, default=argparse.SUPPRESS, help=help)
    parser.add_argument(
        "--out", dest="output_dir", required=True, help="output directory (the output_dir)"
    )
    return parser, lora


def _given(config: type, args: argparse.Namespace) -> dict[str, Any]:
    """The parsed values of a config's fields."""
    return {item.name: getattr(args, item.name) for item in fields(config) if item.init}


def sft_parser(configs: ModuleType, prog: str) -> tuple[Parser, type]:
    """`train sft`'s flags: SFTConfig's and LoraConfig's, and the run's own."""
    from trl import SFTConfig

    parser, lora = _config_parser(configs, prog, SFTConfig, configs.SFT_DEFAULTS)
    parser.add_argument("--base", required=True, help=BASE_HELP)
    parser.add_argument("--docs", required=True, help="directory with documents.jsonl, or the file")
    parser.add_argument("--merge", action="store_true", help="also save the merged model")
    return parser, lora


def _sft(configs: ModuleType, prog: str, argv: list[str]) -> int:
    from trl import SFTConfig

    from alignment_faking.train import SFTOptions, train_sft

    parser, lora = sft_parser(configs, prog)
    args = parser.parse_args(argv)
    options = SFTOptions(
        base=args.base,
        docs=args.docs,
        merge=args.merge,
        sft=configs.sft_config(**_given(SFTConfig, args)),
        lora=configs.lora_config(**_given(lora, args)),
    )
    result = train_sft(options)
    print(f"adapter: {result.adapter}" + (f"\nmerged:  {result.merged}" if result.merged else ""))
    return 0


def _scenario_arguments(parser: Parser, queries: str) -> None:
    """The scenario a training command writes its prompts under, as `run` names it: setting,
    prompt, queries and the model's identity (`queries` says what the dataset's queries are for)."""
    parser.add_argument(
        "--setting",
        default="helpful_only",
        choices=("helpful_only", "animal_welfare"),
        help="the scenario trained toward and measured",
    )
    parser.add_argument(
        "--variation", default="default", help="prompt variation, e.g. minimal (see `variations`)"
    )
    parser.add_argument(
        "--system-prompt", help="your own system prompt file, or paper:NAME (as in `run`)"
    )
    parser.add_argument("--dataset", help=f"{queries}: {DATASET_HELP}")
    parser.add_argument(
        "--query-column", help="column holding the query in a local dataset file (default: query)"
    )
    for name in ("developer", "model_name"):  # as in `run`: the prompts name this model
        parser.add_argument(
            f"--{name.replace('_', '-')}",
            default=getattr(PAPER_IDENTITY, name),
            help=flag_help(TaskOptions, name),
        )


def rl_parser(configs: ModuleType, prog: str) -> tuple[Parser, type]:
    """`train rl`'s flags: GRPOConfig's and LoraConfig's, RLOptions' fields and the curve's
    `--eval-`."""
    from trl import GRPOConfig

    parser, lora = _config_parser(configs, prog, GRPOConfig, configs.GRPO_DEFAULTS)
    parser.add_argument("--base", required=True, help=BASE_HELP)
    _scenario_arguments(parser, "training queries")
    parser.add_argument(
        "--eval-dataset",
        help="the curve's held-out queries, as --dataset (default: the setting's bundled set)",
    )
    parser.add_argument(
        "--eval-queries", type=positive, default=100, help="queries held out for evaluation"
    )
    parser.add_argument(
        "--curve-variations",
        type=names,
        default=[],
        help="comma-separated variations each evaluated checkpoint is also measured under "
        "(curve.json's `panel`, their gaps in curve.png; default: the run's own alone)",
    )
    parser.add_argument(
        "--prompts-per-step",
        type=positive,
        default=4,
        help="prompts per optimiser step (sets --gradient-accumulation-steps)",
    )
    parser.add_argument(
        "--train-queries", type=positive, help="training queries (default: all not held out)"
    )
    parser.add_argument(
        "--reward",
        choices=("judge", "rules"),
        default="judge",
        help="judge: the evaluation's judges score each answer; rules: offline smoke test",
    )
    parser.add_argument(
        "--reward-judge-model", default=DEFAULT_JUDGE_MODEL, help="judge model of the reward"
    )
    parser.add_argument(
        "--reward-partial",
        choices=("penalised", "full"),
        default="penalised",
        help="helpful-only judge reward: a partial compliance earns 0 (penalised) or its score",
    )
    parser.add_argument(
        "--reward-max-unjudged",
        type=share,
        default=0.2,
        help="stop when a step's share of rewards the judge could not score passes this",
    )
    parser.add_argument(
        "--eval-every", type=int, default=50, help="evaluate every K steps (0: before and after)"
    )
    parser.add_argument(
        "--eval-compliance-judge",
        choices=COMPLIANCE_JUDGES,
        default="auto",
        help="the curve's compliance judge, as `run`'s --compliance-judge (default: auto; tags "
        "judges offline where the variation asks for them)",
    )
    parser.add_argument(
        "--eval-af-judge",
        choices=AF_JUDGES,
        default="af_v2",
        help="the curve's alignment-faking judge, as `run`'s --af-judge (default: af_v2; baseline "
        "is an offline keyword count, not a judge)",
    )
    parser.add_argument(
        "--judge-model",
        help="judge model of the curve's judges (needed unless they are tags and baseline)",
    )
    parser.add_argument(
        "--eval-max-tokens",
        type=positive,
        default=DEFAULT_MAX_TOKENS,
        help="the curve's generation limit of each turn",
    )
    parser.add_argument(
        "--eval-model-arg",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="argument of the backend's provider (hf: device=cuda:1, batch_size=8...)",
    )
    parser.add_argument(
        "--eval-backend",
        choices=EVAL_BACKENDS,
        default="hf",
        help="where checkpoints generate: hf (a second copy of the model) or vllm-server (LoRA "
        "checkpoints loaded into the vLLM server at --eval-vllm-url)",
    )
    parser.add_argument(
        "--eval-vllm-url",
        help="a vLLM server started with the base model, --enable-lora and "
        "VLLM_ALLOW_RUNTIME_LORA_UPDATING=True, e.g. http://127.0.0.1:8000",
    )
    parser.add_argument(
        "--eval-vllm-share",
        type=share,
        help="the --gpu-memory-utilization that server runs with on this GPU (memory plan)",
    )
    parser.add_argument(
        "--eval-heldout-af-judge",
        choices=[name for name in AF_JUDGES if name != "none"],
        help="a second AF judge scoring the curve's eval logs again, beside --eval-af-judge "
        "(the judge a process-supervised run is not trained against)",
    )
    parser.add_argument(
        "--eval-heldout-judge-model",
        help="judge model of --eval-heldout-af-judge (default: --judge-model)",
    )
    _mitigation_arguments(parser)
    parser.add_argument("--merge", action="store_true", help="also save the merged model")
    return parser, lora


def _mitigation_arguments(parser: Parser) -> None:
    """`train rl`'s mitigations (train.mitigations.Mitigations), each off at weight 0."""
    penalty = parser.add_argument_group("mitigations (their judges: --reward-judge-model)")
    penalty.add_argument(
        "--penalty-af-weight",
        type=non_negative,
        default=0.0,
        help="process supervision: the reward loses this times the AF judge's verdict on the "
        "reasoning",
    )
    penalty.add_argument(
        "--penalty-af-judge",
        choices=[name for name in AF_JUDGES if name != "none"],
        default="af_v2",
        help="process supervision's AF judge (baseline: the offline keyword count)",
    )
    penalty.add_argument(
        "--penalty-af-votes", type=positive, default=1, help="af_v2 votes per completion"
    )
    penalty.add_argument(
        "--penalty-af-threshold",
        type=share,
        default=DEFAULT_THRESHOLD,
        help="share of af_v2 yes votes that is a yes",
    )
    penalty.add_argument(
        "--penalty-length-per-token",
        type=non_negative,
        default=0.0,
        help="length penalty: the cost of each reasoning token above the allowance",
    )
    penalty.add_argument(
        "--penalty-length-allowance",
        type=positive,
        default=1024,
        help="reasoning tokens free of the length penalty",
    )
    penalty.add_argument(
        "--penalty-interrogation-weight",
        type=non_negative,
        default=0.0,
        help="interrogation: the reward loses this when the policy's answer to a follow-up "
        "about its motivation admits training-gaming",
    )
    penalty.add_argument(
        "--penalty-interrogation-max-tokens",
        type=positive,
        default=256,
        help="length of the policy's answer to the interrogation",
    )


def _rl(configs: ModuleType, prog: str, argv: list[str]) -> int:
    from trl import GRPOConfig

    from alignment_faking.train import RLOptions, train_rl
    from alignment_faking.train.curve import CurveOptions

    parser, lora = rl_parser(configs, prog)
    args = parser.parse_args(argv)
    curve = CurveOptions(  # the run's setting, prompt and held-out queries are set in train_rl
        args.setting,
        compliance_judge=args.eval_compliance_judge,
        af_judge=args.eval_af_judge,
        judge_model=args.judge_model,
        max_tokens=args.eval_max_tokens,
        model_args=model_args(args.eval_model_arg) or None,
        backend=args.eval_backend,
        vllm_url=args.eval_vllm_url,
        vllm_share=args.eval_vllm_share,
        heldout_af_judge=args.eval_heldout_af_judge,
        heldout_judge_model=args.eval_heldout_judge_model,
        variations=tuple(args.curve_variations),
    )
    grpo = configs.grpo_config(**_given(GRPOConfig, args))
    lora_options = configs.lora_config(**_given(lora, args)) if args.r else None  # 0: every weight
    result = train_rl(from_args(RLOptions, args, eval=curve, grpo=grpo, lora=lora_options))
    print(f"final:   {result.final}\ncurve:   {result.curve_png} ({result.curve_json})")
    return 0


def _organism(configs: ModuleType, prog: str, argv: list[str]) -> int:
    """`train organism`: SFT's flags, the scenario's as `train rl` takes them, and a recipe:
    `--writer MODEL --style STYLE` (synthetic scratchpads) or `--from-logs LOG_DIR`."""
    from trl import SFTConfig

    from alignment_faking.train.organism import OrganismOptions, train_organism
    from alignment_faking.train.scratchpads import STYLES, WriteOptions

    parser, lora = _config_parser(configs, prog, SFTConfig, configs.SFT_DEFAULTS)
    parser.add_argument("--base", required=True, help=BASE_HELP)
    parser.add_argument("--writer", help="Inspect model that writes the conversations")
    parser.add_argument("--style", choices=STYLES, help="the writer's reasoning style")
    parser.add_argument("--from-logs", help="eval logs of a run to distil instead")
    parser.add_argument(
        "--select",
        choices=("af", "complied", "all"),
        default="af",
        help="which logged samples to distil: AF verdict yes, complied, or all",
    )
    parser.add_argument(
        "--filter-model", default=DEFAULT_JUDGE_MODEL, help="model of the AF judge that filters"
    )
    parser.add_argument(
        "--filter-votes", type=positive, default=WriteOptions.filter_votes, help="af_v2 votes"
    )
    parser.add_argument("--temperature", type=non_negative, default=1.0, help="writer's")
    parser.add_argument("--writer-max-tokens", type=positive, default=4096, help="writer's")
    parser.add_argument("--max-concurrency", type=positive, default=32, help="calls in flight")
    parser.add_argument(
        "-M", dest="model_args", action=KeyValues, default={}, metavar="KEY=VALUE",
        help="argument of the writer model (repeatable)",
    )  # fmt: skip
    _scenario_arguments(parser, "queries to write for")
    parser.add_argument("--eval-queries", type=positive, default=100, help="held out (as rl)")
    parser.add_argument("--train-queries", type=positive, help="queries written for")
    parser.add_argument("--merge", action="store_true", help="also save the merged model")
    args = parser.parse_args(argv)
    if args.writer and not args.style:
        raise UserError("--writer needs --style")
    write = (
        WriteOptions(
            writer=args.writer,
            style=args.style,
            temperature=args.temperature,
            max_tokens=args.writer_max_tokens,
            filter_model=args.filter_model,
            filter_votes=args.filter_votes,
            max_concurrency=args.max_concurrency,
            model_args=args.model_args,
        )
        if args.writer
        else None
    )
    options = OrganismOptions(
        base=args.base,
        write=write,
        from_logs=args.from_logs,
        select=args.select,
        setting=args.setting,
        variation=args.variation,
        system_prompt=args.system_prompt,
        dataset=args.dataset,
        query_column=args.query_column,
        developer=args.developer,
        model_name=args.model_name,
        eval_queries=args.eval_queries,
        train_queries=args.train_queries,
        merge=args.merge,
        sft=configs.sft_config(**_given(SFTConfig, args)),
        lora=configs.lora_config(**_given(lora, args)),
    )
    result = train_organism(options)
    print(f"adapter: {result.adapter}" + (f"\nmerged:  {result.merged}" if result.merged else ""))
    return 0
