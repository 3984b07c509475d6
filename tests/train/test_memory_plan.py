"""The GPU memory plan: its arithmetic on a hand-computed shape, the 7B model's size, and the
`train rl` flags (TRL's own vLLM share and sleep mode) it reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from alignment_faking.train.memory_plan import ModelShape, RunShape, memory_plan

TINY = ModelShape(vocab=100, hidden=8, layers=2, intermediate=16, heads=2, kv_heads=1)
"""Per block: q 8x8, k and v 8x4, o 8x8, gate and up 8x16, down 16x8 = 576 weights, and two
norms of 8: 592; untied embeddings 2 x 100 x 8 = 1600; a final norm of 8: 2792 in all."""


def test_the_parameters_and_the_adapter_are_counted_by_hand():
    assert TINY.kv_dim == 4
    assert TINY.params == 1600 + 2 * 592 + 8 == 2792
    # rank 2 on 7 layers a block: 2 x (16 + 12 + 12 + 16 + 24 + 24 + 24) = 256, 2 blocks
    assert TINY.lora_params(2) == 512


def test_each_item_of_a_lora_run_is_its_hand_computed_bytes():
    run = RunShape(
        batch=4,
        prompt_tokens=10,
        completion_tokens=6,
        lora_rank=2,
        vllm_colocate_share=0.3,
        gpu_bytes=1000,
    )
    plan = memory_plan(TINY, run)
    got = {line.name: line.bytes for line in plan.lines}
    tokens = 4 * (10 + 6)
    assert got == {
        "policy weights": 2792 * 2,
        "reference": 0,  # PEFT disables the adapter for the reference
        "trainable + Adam": 512 * 4 * 4,  # fp32 weight, grad, 2 moments
        # each layer's input kept, one layer's (10 h + 3 i) recomputed
        "activations": 2 * tokens * 8 * 2 + tokens * (10 * 8 + 3 * 16) * 2,
        "logits": tokens * 100 * 4,
        "vLLM colocated": 0.3 * 1000,
        "evaluation": 2792 * 2,  # the hf copy
    }
    assert plan.total == 63692
    assert "DOES NOT FIT" in plan.text() and "total (estimate)" in plan.text()


def test_full_weights_a_sleeping_engine_and_a_vllm_server_change_their_lines():
    run = RunShape(
        batch=1,
        prompt_tokens=3,
        completion_tokens=1,
        lora_rank=None,
        beta=0.04,
        gradient_checkpointing=False,
        vllm_colocate_share=0.3,
        vllm_sleeps=True,
        eval_backend="vllm-server",
        eval_vllm_share=0.1,
        gpu_bytes=10**6,
    )
    got = {line.name: line.bytes for line in memory_plan(TINY, run).lines}
    assert got["reference"] == 2792 * 2  # a frozen copy with a KL penalty
    assert got["trainable + Adam"] == 2792 * 2 * 3  # grad and 2 moments in the weights' dtype
    assert got["activations"] == 2 * 4 * (10 * 8 + 3 * 16) * 2
    assert got["vLLM colocated"] == 0  # asleep during the optimisation step
    assert got["evaluation"] == 0.1 * 10**6
    assert memory_plan(TINY, run).text().endswith("fits")


def test_the_7b_model_is_about_7_6_billion_parameters():
    qwen = ModelShape(
        vocab=152064, hidden=3584, layers=28, intermediate=18944, heads=28, kv_heads=4
    )
    assert 7.55e9 < qwen.params < 7.65e9  # the model card: 7.61B
    assert 40e6 < qwen.lora_params(16) < 41e6


@pytest.mark.slow
@pytest.mark.train
def test_trls_vllm_share_and_sleep_mode_are_train_rl_flags(tmp_path: Path, monkeypatch):
    """GRPOConfig's vLLM fields are flags (configs derives every field) and reach the plan."""
    pytest.importorskip("trl")
    from alignment_faking.cli import main
    from alignment_faking.train import rl
    from alignment_faking.train.memory_plan import run_shape

    seen: list = []
    monkeypatch.setattr(rl, "train_rl", lambda options: seen.append(options) or _Done())
    flags = ["--use-vllm", "--vllm-mode", "colocate", "--vllm-gpu-memory-utilization", "0.25"]
    flags += ["--vllm-enable-sleep-mode", "true"]
    assert main(["train", "rl", "--base", "m", "--out", str(tmp_path), *flags]) == 0
    [options] = seen
    grpo = options.grpo
    assert (grpo.use_vllm, grpo.vllm_mode, grpo.vllm_gpu_memory_utilization) == (
        True,
        "colocate",
        0.25,
    )
    assert grpo.vllm_enable_sleep_mode is True
    run = run_shape(grpo, options.lora, 100, "hf", None, 80 * 10**9)
    assert (run.vllm_colocate_share, run.vllm_sleeps, run.lora_rank) == (0.25, True, 16)


class _Done:
    final = curve_png = curve_json = Path("x")
    merged = None


@pytest.mark.slow
@pytest.mark.train
def test_train_rl_prints_the_plan_where_the_config_is_readable(tmp_path: Path, capsys):
    pytest.importorskip("trl")
    from alignment_faking.train import rl
    from alignment_faking.train.configs import grpo_config
    from tiny_models import make_tiny_model

    base = make_tiny_model(tmp_path / "tiny")
    grpo = grpo_config(
        output_dir=str(tmp_path / "out"), per_device_train_batch_size=2, num_generations=2
    )
    rows = [{"prompt": [{"role": "user", "content": "word " * 100}]}]
    rl._print_memory_plan(str(base), grpo, rl.RLOptions(base=str(base), grpo=grpo), rows)
    printed = capsys.readouterr().out
    assert "GPU memory plan" in printed and "2 x 4221 tokens" in printed  # 125 + 4096
    rl._print_memory_plan(str(tmp_path / "none"), grpo, rl.RLOptions(base="none"), rows)
    assert capsys.readouterr().out == ""  # no config: no plan


def test_the_shape_is_read_from_a_transformers_config():
    transformers = pytest.importorskip("transformers")
    config = transformers.Qwen2Config(
        vocab_size=152064,
        hidden_size=3584,
        num_hidden_layers=28,
        intermediate_size=18944,
        num_attention_heads=28,
        num_key_value_heads=4,
        tie_word_embeddings=False,
        dtype="bfloat16",
    )
    shape = ModelShape.from_config(config)
    assert shape == ModelShape(
        vocab=152064, hidden=3584, layers=28, intermediate=18944, heads=28, kv_heads=4
    )
    assert ModelShape.from_config(transformers.Qwen2Config(dtype="float32")).dtype_bytes == 4
