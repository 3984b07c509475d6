"""RL toward the training objective with GRPO, on training-tier conversations only, measured
through training in both tiers by the experiment's own Inspect task.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, cast

from peft import LoraConfig
from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments
from trl import GRPOConfig

from alignment_faking.cost import estimate_tokens
from alignment_faking.datasets import load_queries
from alignment_faking.errors import UserError
from alignment_faking.inspect.models import resolve_model
from alignment_faking.judges import DEFAULT_JUDGE_MODEL, needs_judge_model
from alignment_faking.judges.compliance import check_tags_asked
from alignment_faking.scenario import Scenario, build_scenario, get_variation, setting_spec
from alignment_faking.scenario.settings import PAPER_IDENTITY, Identity
from alignment_faking.train.checkpoint_eval import check_backend
from alignment_faking.train.configs import grpo_config, lora_config
from alignment_faking.train.conversations import check_training_rows
from alignment_faking.train.curve import (
    CURVE_JSON,
    CURVE_PNG,
    CurveOptions,
    curve_point,
    evaluate_checkpoint,
    heldout_af,
    panel_points,
    write_curve,
)
from alignment_faking.train.memory_plan import GIB, memory_plan, read_shape, run_shape
from alignment_faking.train.mitigations import (
    AF_NOT_JUDGED_METRIC,
    INTERROGATION_NOT_JUDGED_METRIC,
    InterrogationTally,
    Mitigations,
    mitigation_rewards,
    scored_together,
)
from alignment_faking.train.rewards import (
    NOT_JUDGED_METRIC,
    AsyncRewardFunction,
    PartialCredit,
    RewardFunction,
    judge_reward,
    rule_reward,
)
from alignment_faking.train.rl_plan import DEFAULT_PROMPTS_PER_STEP, rl_plan, with_prompts_per_step
from alignment_faking.train.weights import load_base, merge_adapter, resolve_base

FINAL_DIR = "final"
MERGED_DIR = "merged"
TRAIN_PROMPTS = "train_prompts.jsonl"
TRAIN_LOG = "train_log.jsonl"
UNJUDGED_METRICS = (NOT_JUDGED_METRIC, AF_NOT_JUDGED_METRIC, INTERROGATION_NOT_JUDGED_METRIC)
"""The shares of a step's rewards (and penalties) a judge could not score."""


@dataclass
class RLOptions:
    """What `train rl` takes: ours, then TRL's GRPOConfig and PEFT's LoraConfig whole.

    base: Local path (or hub name) of the model, e.g. the `merged/` output of `train sft`.
    setting: `helpful_only` or `animal_welfare`; variation, system_prompt, dataset, query_column:
        as in `run` (`variation="minimal"` or a `--system-prompt` file for a model that learned
        the situation from documents). Training uses the variation's trained tier.
        `dataset` is where training draws its queries (default: the setting's bundled set).
    developer, model_name: Who the training prompts and the curve's say the model is (as in
        `run`; the paper's by default): the identity the documents of `docs generate` taught.
    eval_dataset: The curve's queries (default: the setting's bundled set); its first
        eval_queries are held out for the evaluation (100, so that a rate's 95% interval is
        about +-0.1). Training never sees them: from the same set it trains on the rest, and
        from another set it leaves out any query of the held-out ones; capped at train_queries
        (None: all).
    prompts_per_step: Prompts per optimiser step (4), through the gradient accumulation.
    reward: `judge` (reward_judge_model through the evaluation's judges, times the helpfulness
        judge's score: the StrongREJECT score for helpful-only, not supporting animal welfare
        for animal welfare) or `rules` (an offline smoke test).
    reward_partial: Helpful-only's judge reward: `penalised` (a partial compliance earns 0)
        or `full` (it earns its score; the partial judge is not asked).
    reward_max_unjudged: Stop training when the share of a logged step's rewards that the
        judge could not score (`reward/not_judged_share` in train_log.jsonl) passes this.
    eval_every: Evaluate a checkpoint every K steps (50); 0 evaluates only before and after.
    eval: How checkpoints are evaluated (CurveOptions; its `queries` is set from eval_queries).
    merge: With LoRA, also save the final model with the adapter merged in (`merged/`).
    grpo: Every trainer setting (configs.grpo_config: our defaults, GRPO_DEFAULTS, on TRL's).
        Its `output_dir` is the run's directory: `final/` weights, `checkpoints/step-N/`,
        `eval/step-N/` logs, `curve.json`, `curve.png`, `train_log.jsonl` (every training log,
        among them the share of completions cut at `max_completion_length`) and
        `train_prompts.jsonl` (what was trained on). A completion cut at the cap gets no
        reward (TRL leaves it out of its group's advantages) and leaves the loss, so the cap
        never penalises long reasoning.
        `use_vllm` needs the vllm extra.
    lora: The adapter (configs.lora_config: rank 16 on every linear layer); None trains every
        weight (then use a learning rate of about 1e-6).
    mitigations: Penalties against alignment faking (mitigations.Mitigations: process
        supervision, a reasoning length penalty, interrogation), each a reward of its own
        weighted through GRPOConfig.reward_weights (set by them) and logged per step; their
        judges use reward_judge_model. curve.json's `mitigations` names those on.
    """

    base: str
    setting: str = "helpful_only"
    variation: str = "default"
    system_prompt: str | None = None
    dataset: str | None = None
    query_column: str | None = None
    developer: str = PAPER_IDENTITY.developer
    model_name: str = PAPER_IDENTITY.model_name
    eval_dataset: str | None = None
    eval_queries: int = 100
    train_queries: int | None = None
    prompts_per_step: int = DEFAULT_PROMPTS_PER_STEP
    reward: Literal["rules", "judge"] = "judge"
    reward_judge_model: str | None = DEFAULT_JUDGE_MODEL
    reward_partial: PartialCredit = "penalised"
    reward_max_unjudged: float = 0.2
    eval_every: int = 50
    eval: CurveOptions | None = None
    merge: bool = False
    grpo: GRPOConfig = field(default_factory=grpo_config)
    lora: LoraConfig | None = field(default_factory=lora_config)
    mitigations: Mitigations = field(default_factory=Mitigations)


@dataclass(frozen=True)
class RLResult:
    """Where the trained weights and the training curve are."""

    final: Path
    merged: Path | None
    curve_json: Path
    curve_png: Path
    points: list[dict]


class TrainingCurveCallback(TrainerCallback):
    """Evaluates the starting model, a checkpoint every `every` steps, and the last one.

    Every process saves (sharded weights are gathered), the main process evaluates, and the
    others wait for it. Every process keeps the list of measured steps, so that all of them
    reach the same barriers.
    """

    def __init__(
        self,
        options: CurveOptions,
        out_dir: Path,
        base: str,
        every: int,
        title: str,
        mitigations: dict[str, dict[str, Any]] | None = None,
        interrogation: InterrogationTally | None = None,
    ):
        self.options, self.out_dir, self.base, self.every, self.title = (
            options,
            out_dir,
            base,
            every,
            title,
        )
        self.mitigations, self.interrogation = mitigations or {}, interrogation
        self.trainer: Any = None
        self.points: list[dict] = []
        self.panel: dict[str, list[dict]] = {}
        """Per panel variation (CurveOptions.variations), its points."""
        self.measured: set[int] = set()

    def _measure(self, step: int, is_main: bool, checkpoint: str | Path | None = None) -> None:
        self.measured.add(step)
        if checkpoint is None:
            checkpoint = self.out_dir / "checkpoints" / f"step-{step}"
            self.trainer.save_model(str(checkpoint))
        if is_main:
            log_dir = self.out_dir / "eval" / f"step-{step}"
            summary = evaluate_checkpoint(checkpoint, self.options, log_dir)
            heldout = heldout_af(summary, self.options, log_dir)
            asked = self.interrogation.take().record() if self.interrogation else None
            self.points.append(curve_point(step, checkpoint, summary, heldout, asked))
            for variation, point in panel_points(step, checkpoint, self.options, log_dir).items():
                self.panel.setdefault(variation, []).append(point)
            write_curve(self.points, self.out_dir, self.title, self.mitigations, self.panel)
        self.trainer.accelerator.wait_for_everyone()

    def on_train_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        self._measure(0, state.is_world_process_zero, checkpoint=self.base)

    def on_step_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        step = state.global_step
        if self.every and step % self.every == 0 and step not in self.measured:
            self._measure(step, state.is_world_process_zero)

    def on_train_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        if state.global_step not in self.measured:
            self._measure(state.global_step, state.is_world_process_zero)


class TrainingLogCallback(TrainerCallback):
    """Appends every training log (reward, KL, `completions/clipped_ratio`...) to a JSONL file,
    and stops training when too many of a logged step's rewards could not be judged: a failing
    judge would otherwise train on whatever few answers it still scores.

    `completions/clipped_ratio` is the share of completions cut at the length cap at that step;
    `reward/not_judged_share` the share of rewards the judge could not score (the step's log is
    written before a stop); the mitigations' judges' shares are checked alike.
    """

    def __init__(self, path: Path, max_unjudged: float = 1.0):
        self.path = path
        self.max_unjudged = max_unjudged

    def on_log(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        logs: dict[str, float] | None = None,
        **kwargs: Any,
    ) -> None:
        if state.is_world_process_zero and logs:
            with self.path.open("a", encoding="utf-8") as out:
                out.write(json.dumps({"step": state.global_step, **logs}) + "\n")
        for metric in UNJUDGED_METRICS:
            share = (logs or {}).get(metric)
            if share is not None and share > self.max_unjudged:
                raise UserError(
                    f"step {state.global_step}: the judge could not score {share:.0%} of the "
                    f"rewards ({metric}, more than --reward-max-unjudged "
                    f"{self.max_unjudged:g}); training stopped"
                )


def training_dataset(options: RLOptions) -> Any:
    """The training-tier prompts of the queries not held out for evaluation, as a Dataset."""
    from datasets import Dataset

    from alignment_faking.train.conversations import training_rows

    spec = setting_spec(options.setting)
    scenario = _scenario(options)
    source, held_source = options.dataset or spec.queries, options.eval_dataset or spec.queries
    queries = load_queries(source, options.query_column).queries
    held = load_queries(held_source).queries[: options.eval_queries]
    held_texts = {query.text.strip() for query in held}
    rest = queries[options.eval_queries :] if source == held_source else queries
    train = [query for query in rest if query.text.strip() not in held_texts]
    train = train[: options.train_queries]
    if not train:
        raise UserError(
            f"no queries left to train on: the set has {len(queries)} and --eval-queries holds "
            f"out {options.eval_queries}"
        )
    rows = training_rows(scenario, train)
    dataset = Dataset.from_list(rows)
    check_training_rows(list(dataset), scenario)
    return dataset


def _scenario(options: RLOptions) -> Scenario:
    return build_scenario(
        options.setting,
        options.variation,
        system_prompt=options.system_prompt,
        identity=Identity(options.developer, options.model_name),
    )


def _reward(options: RLOptions) -> RewardFunction | AsyncRewardFunction:
    """The reward for the scenario trained on: its trained tier, and its tags where its user turn
    asks for them."""
    scenario, cap = _scenario(options), options.grpo.max_completion_length
    if options.reward == "rules":
        return rule_reward(scenario, cap)
    if options.reward == "judge":
        if not options.reward_judge_model:
            raise UserError("--reward judge needs --reward-judge-model")
        return judge_reward(scenario, options.reward_judge_model, cap, options.reward_partial)
    raise UserError(f"unknown reward '{options.reward}'; choose rules or judge")


def _curve_options(options: RLOptions) -> CurveOptions:
    """The evaluation of each checkpoint: the run's setting, prompt and held-out queries."""
    return replace(
        options.eval or CurveOptions(options.setting),
        setting=options.setting,
        variation=options.variation,
        system_prompt=options.system_prompt,
        developer=options.developer,
        model_name=options.model_name,
        dataset=options.eval_dataset,
        queries=options.eval_queries,
    )


def _check(options: RLOptions) -> None:
    if options.grpo.use_vllm and importlib.util.find_spec("vllm") is None:
        raise UserError("--use-vllm needs vLLM (CUDA only): pip install 'alignment-faking[vllm]'")
    if options.eval_queries < 1:
        raise UserError("--eval-queries must be at least 1: the curve needs held-out queries")
    options.mitigations.check(_scenario(options), options.reward_judge_model)
    if options.mitigations.weights() and options.grpo.reward_weights is not None:
        raise UserError("the mitigations set --reward-weights: give their penalties instead")
    curve = _curve_options(options)
    check_backend(curve.backend, curve.vllm_url, lora=options.lora is not None)
    judges = curve.compliance_judge, curve.af_judge
    check_tags_asked(curve.compliance_judge, curve.scenario().decision_tags)  # not at step 0
    for name in curve.variations:  # the panel's too: an unknown or inapplicable one stops here
        if options.setting not in get_variation(name).settings:
            raise UserError(f"--curve-variations: {name} does not apply to {options.setting}")
        panel_scenario = replace(curve, variation=name).scenario()
        check_tags_asked(curve.compliance_judge, panel_scenario.decision_tags)
    if needs_judge_model(options.setting, *judges):
        if not curve.judge_model:
            offline = (
                ", or judge without one: --eval-compliance-judge tags --eval-af-judge baseline "
                "(a keyword count) with a variation that asks for the tags (accept_reject)"
            )
            raise UserError(
                f"the curve's judges ({', '.join(judges)}) need a model: pass --judge-model "
                "(scripted/judge offline, a toy stand-in)"
                + (offline if options.setting == "helpful_only" else "")
            )
        resolve_model(curve.judge_model)  # a bad name or a missing key: one line, before training
    held = curve.heldout_af_judge
    if held and needs_judge_model(options.setting, curve.compliance_judge, held):
        if not (held_model := curve.heldout_judge_model or curve.judge_model):
            raise UserError("--eval-heldout-af-judge needs --eval-heldout-judge-model")
        resolve_model(held_model)
    _check_heldout(options, curve)


def _check_heldout(options: RLOptions, curve: CurveOptions) -> None:
    """Refuse a held-out AF judge that is the one process supervision trains against (the same
    prompt and model): it would measure nothing the trained-against rate does not."""
    m, held = options.mitigations, curve.heldout_af_judge
    if not (m.penalty_af_weight and held):
        return
    held_model = None if held == "baseline" else curve.heldout_judge_model or curve.judge_model
    trained = None if m.penalty_af_judge == "baseline" else options.reward_judge_model
    if (held, held_model) == (m.penalty_af_judge, trained):
        raise UserError(
            f"--eval-heldout-af-judge {held} with model {held_model} is the judge process "
            "supervision trains against: give another judge or --eval-heldout-judge-model"
        )


def _print_memory_plan(base: str, grpo: GRPOConfig, options: RLOptions, dataset: Any) -> None:
    """The GPU memory plan, where the model's config is readable (on the GPU trained on, or a
    nominal 80 GiB one)."""
    import torch

    shape = read_shape(base)
    if shape is None:
        return
    cuda = torch.cuda.is_available()
    gpu = torch.cuda.get_device_properties(0).total_memory if cuda else 80 * GIB
    prompt = max(sum(estimate_tokens(m["content"]) for m in row["prompt"]) for row in dataset)
    curve = _curve_options(options)
    run = run_shape(grpo, options.lora, prompt, curve.backend, curve.vllm_share, int(gpu))
    print(memory_plan(shape, run).text())


def train_rl(options: RLOptions) -> RLResult:
    """Train with GRPO toward the setting's objective on free-tier prompts; write the curve."""
    from trl import GRPOTrainer

    base = resolve_base(options.base)
    _check(options)
    reward = _reward(options)
    assert options.grpo.output_dir is not None  # TrainingArguments sets its default
    out = Path(options.grpo.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    dataset = training_dataset(options)  # every row checked to be the trained tier's
    grpo = options.grpo
    if weights := options.mitigations.weights():  # TRL sums the rewards so, and logs each one
        grpo = replace(  # TRL derives the two batch settings again, as with_prompts_per_step
            grpo,
            reward_weights=[1.0, *weights],
            generation_batch_size=None,
            steps_per_generation=None,
        )
    grpo = with_prompts_per_step(grpo, options.prompts_per_step)
    print(rl_plan(grpo, len(dataset), options.prompts_per_step, options.eval_every).text())
    _print_memory_plan(base, grpo, options, dataset)
    (out / TRAIN_LOG).unlink(missing_ok=True)
    with (out / TRAIN_PROMPTS).open("w", encoding="utf-8") as prompts:
        for row in dataset:
            user = row["prompt"][-1]["content"]
            prompts.write(
                json.dumps({"query_id": row["query_id"], "tier": row["tier"], "user": user}) + "\n"
            )
    model, tokenizer = load_base(base)
    penalties = mitigation_rewards(
        options.mitigations,
        _scenario(options),
        options.reward_judge_model,
        grpo.max_completion_length,
        lambda text: len(tokenizer(text, add_special_tokens=False)["input_ids"]),
    )
    rewards = [reward, *penalties.rewards]
    if penalties.rewards:  # a completion one of them cannot score is left out by all
        rewards = [*scored_together(rewards)]
    curve = _curve_options(options)
    callback = TrainingCurveCallback(
        curve,
        out,
        base,
        options.eval_every,
        title=f"{options.setting}/{options.variation}: GRPO from {Path(options.base).name}",
        mitigations=options.mitigations.settings(options.reward_judge_model),
        interrogation=penalties.tally,
    )
    trainer = GRPOTrainer(
        model=model,
        # TRL awaits a coroutine function too
        reward_funcs=[cast(RewardFunction, r) for r in rewards],
        args=grpo,
        train_dataset=dataset,
        processing_class=tokenizer,
        callbacks=[
            callback,
            TrainingLogCallback(out / TRAIN_LOG, options.reward_max_unjudged),
        ],
        peft_config=options.lora,
    )
    callback.trainer = trainer
    if penalties.policy is not None:
        penalties.policy.trainer = trainer
    trainer.train()
    final = out / FINAL_DIR
    trainer.save_model(str(final))
    merged = None
    if options.merge and options.lora and trainer.accelerator.is_main_process:
        merged = merge_adapter(base, final, out / MERGED_DIR)
    return RLResult(final, merged, out / CURVE_JSON, out / CURVE_PNG, callback.points)
