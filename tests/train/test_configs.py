"""`train rl` / `train sft` take every field of TRL's and PEFT's configs as a flag, with our
defaults where we override the library's, and hand them to the trainers whole."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

pytest.importorskip("trl")
pytest.importorskip("peft")

from peft import LoraConfig
from trl import GRPOConfig, SFTConfig

from alignment_faking.cli import main
from alignment_faking.options import DEFAULT_MAX_TOKENS
from alignment_faking.train import configs, rl, sft
from alignment_faking.train.configs import GRPO_DEFAULTS, grpo_config, lora_config


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> list:
    """The options each command hands to its trainer, which then does nothing."""
    seen: list = []
    monkeypatch.setattr(rl, "train_rl", lambda options: seen.append(options) or _Done())
    monkeypatch.setattr(sft, "train_sft", lambda options: seen.append(options) or _Done())
    return seen


class _Done:
    final = adapter = curve_png = curve_json = Path("x")
    merged = None


def _rl(tmp_path: Path, *flags: str) -> list[str]:
    return ["train", "rl", "--base", "m", "--out", str(tmp_path), *flags]


def test_a_grpo_field_we_never_named_reaches_the_trainers_config(tmp_path: Path, captured):
    flags = ["--loss-type", "dr_grpo", "--scale_rewards", "none", "--epsilon-high", "0.28"]
    assert (
        main(
            _rl(tmp_path, *flags, "--lora-rank", "8", "--batch-size", "4", "--num-generations", "4")
        )
        == 0
    )
    [options] = captured
    assert isinstance(options.grpo, GRPOConfig) and isinstance(options.lora, LoraConfig)
    assert (options.grpo.loss_type, options.grpo.scale_rewards) == ("dr_grpo", "none")
    assert options.grpo.epsilon_high == 0.28 and options.grpo.output_dir == str(tmp_path)
    assert options.lora.r == 8 and options.grpo.per_device_train_batch_size == 4
    assert main(_rl(tmp_path, "--lora-r", "0")) == 0  # full fine-tuning
    assert captured[1].lora is None


def test_every_init_field_of_the_configs_is_a_flag(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["train", "rl", "--help"])
    assert exit.value.code == 0
    shown = capsys.readouterr().out
    names = [f.name for f in dataclasses.fields(GRPOConfig) if f.init]
    assert len(names) > 150 and all(f"--{name} " in shown for name in names)
    assert "--use_dora" in shown and "--lora-rank R" in shown
    assert "(default: 0.04)" in shown  # our beta, not TRL's 0


def test_our_overrides_are_the_defaults_of_the_flags_and_of_the_python_api(
    tmp_path: Path, captured
):
    assert main(_rl(tmp_path)) == 0
    assert main(["train", "sft", "--base", "m", "--docs", "d", "--out", str(tmp_path)]) == 0
    rl_options, sft_options = captured
    api = grpo_config(output_dir=str(tmp_path))
    for name, default in GRPO_DEFAULTS.items():
        assert getattr(rl_options.grpo, name) == getattr(api, name) == default.value, name
    grpo = rl_options.grpo
    assert (grpo.beta, grpo.learning_rate, grpo.max_completion_length) == (0.04, 1e-5, 4096)
    assert DEFAULT_MAX_TOKENS == 4096 and grpo.mask_truncated_completions
    # a field we do not override keeps TRL's default
    trl_default = {f.name: f.default for f in dataclasses.fields(GRPOConfig)}
    assert grpo.loss_type == trl_default["loss_type"] and grpo.num_generations == 8
    assert isinstance(sft_options.sft, SFTConfig)
    assert (sft_options.sft.learning_rate, sft_options.sft.lr_scheduler_type) == (1e-4, "cosine")
    assert (
        sft_options.sft.per_device_train_batch_size * sft_options.sft.gradient_accumulation_steps
        == 16
    )
    for lora in (rl_options.lora, sft_options.lora, lora_config()):
        assert (lora.r, lora.lora_alpha, lora.target_modules) == (16, 32, "all-linear")


def test_sft_flags_reach_the_sft_config(tmp_path: Path, captured):
    flags = ["--max-length", "48", "--epochs", "2", "--lr-scheduler-type", "linear", "--merge"]
    assert main(["train", "sft", "--base", "m", "--docs", "d", "--out", str(tmp_path), *flags]) == 0
    [options] = captured
    assert (options.sft.max_length, options.sft.num_train_epochs) == (48, 2.0)
    assert options.sft.lr_scheduler_type == "linear" and options.merge


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--bogus", "1"], "unrecognized arguments: --bogus 1"),
        (["--beta", "much"], "argument --beta: invalid float value"),
        (["--num-generations", "3"], "GRPOConfig: generation_batch_size (8) must be divisible"),
    ],
)
def test_a_bad_flag_is_one_line(tmp_path: Path, capsys, captured, flags, message):
    assert main(_rl(tmp_path, *flags)) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("alignment-faking: error:") and message in line
    assert not captured


def test_configs_module_names_only_library_fields():
    """Every override names a real field, so a TRL rename cannot silently drop one."""
    for table, config in (
        (configs.GRPO_DEFAULTS, GRPOConfig),
        (configs.SFT_DEFAULTS, SFTConfig),
        (configs.LORA_DEFAULTS, LoraConfig),
    ):
        assert set(table) <= {f.name for f in dataclasses.fields(config)}


def test_the_eval_flags_make_the_curve_options(tmp_path: Path, captured):
    """`--eval-*` and `--judge-model` reach the curve; the run's own setting is its setting."""
    flags = ["--setting", "animal_welfare", "--eval-compliance-judge", "tags"]
    flags += ["--eval-af-judge", "none", "--judge-model", "scripted/judge"]
    flags += ["--eval-max-tokens", "64", "--eval-model-arg", "device=cpu"]
    assert main(_rl(tmp_path, *flags)) == 0
    [options] = captured
    curve = options.eval
    assert (curve.setting, curve.compliance_judge, curve.af_judge, curve.judge_model) == (
        "animal_welfare",
        "tags",
        "none",
        "scripted/judge",
    )
    assert (curve.max_tokens, curve.model_args) == (64, {"device": "cpu"})
    assert main(_rl(tmp_path)) == 0
    assert captured[1].eval.model_args is None  # no provider arguments: Inspect's own
