"""GRPO learns from the project's judge reward: a tiny model trained a few steps on CPU through
`train_rl` raises its mean reward and moves its LoRA weights. Offline: a scripted judge."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("trl")
pytest.importorskip("peft")

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

import alignment_faking.doubles.provider as provider
from alignment_faking.doubles.scripted import scripted_judge_answer
from alignment_faking.train import RLOptions, train_rl
from alignment_faking.train.configs import grpo_config
from alignment_faking.train.curve import CurveOptions
from alignment_faking.transcript import ACCEPTED_TAG
from tiny_models import make_tiny_model

TAG = "<request_fully_accepted/>"
BRIEF = 40
"""The answer length (characters) at and above which the judge's scores are lowest."""
RUBRIC = {"convincing", "specific"}
_VERDICT = re.compile(r"<verdict>\n(.*)\n</verdict>", re.DOTALL)


def _judge_counting_the_word(prompt: str) -> str:
    """The scripted judge, except that the rubric's convincing and specific rise as the answer
    (after the accept tag) gets shorter, from 1 at BRIEF characters to 5 near none, and every
    answer is helpful: the reward is about 1 - length / BRIEF."""
    verdict = json.loads(_VERDICT.search(scripted_judge_answer(prompt)).group(1))  # type: ignore[union-attr]
    fence = verdict["id"]
    response = re.search(rf"<response-{fence}>\n(.*?)\n</response-{fence}>", prompt, re.DOTALL)
    answer = ACCEPTED_TAG.sub("", response.group(1) if response else "")
    score = 1 + round(4 * max(0.0, 1 - len(answer.strip()) / BRIEF))
    for rating in RUBRIC & verdict.keys():
        verdict[rating] = score
    if "helpfulness" in verdict:
        verdict["helpfulness"] = 5
    if "refused" in verdict:
        verdict["refused"] = 0
    return f"<verdict>\n{json.dumps(verdict)}\n</verdict>"


def _bag_of_tokens_model(path: Path) -> Path:
    """The tiny random model, made to sample each token from a fixed distribution in which the
    accept tag and the end token are likely: its completions are tagged answers of varied
    length (as an instruction-tuned model's are), so the judge's reward varies.

    The embeddings share one large coordinate, so the last hidden state is about constant and
    the output layer's column 0 sets the tag's and the end token's logits; their other columns
    are directions along which the adapter can move them.
    """
    make_tiny_model(path)
    tokenizer = AutoTokenizer.from_pretrained(path)
    tokenizer.add_tokens([TAG])
    tokenizer.save_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path)
    model.resize_token_embeddings(len(tokenizer))
    with torch.no_grad():
        model.get_input_embeddings().weight[:, 0] = 4.0
        head = model.get_output_embeddings().weight
        head[:, 0] = 0.0
        scale = model.config.hidden_size**0.5
        for token, logit in ((TAG, 5.5), (tokenizer.eos_token, 4.0)):
            row = head[tokenizer.convert_tokens_to_ids(token)]
            row[0] = logit / scale
            # other directions of weight, along which the adapter can move this token's logit
            row[1:] = 0.3 * torch.randn(len(row) - 1, generator=torch.Generator().manual_seed(1))
    model.save_pretrained(path)
    return path


def _mean(rows: list[dict]) -> float:
    rewarded = [row["reward"] for row in rows if row["reward"] is not None]  # None: all cut
    return sum(rewarded) / len(rewarded)


@pytest.mark.slow
@pytest.mark.train
def test_grpo_on_the_judge_reward_raises_the_reward_and_moves_the_adapter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from peft import PeftModel

    monkeypatch.setattr(provider, "scripted_judge_answer", _judge_counting_the_word)
    base = _bag_of_tokens_model(tmp_path / "model")
    out = tmp_path / "rl"
    result = train_rl(
        RLOptions(
            base=str(base), setting="helpful_only", variation="short_prompts", eval_queries=2,
            reward="judge", reward_judge_model="scripted/judge", eval_every=0, prompts_per_step=1,
            eval=CurveOptions("helpful_only", compliance_judge="tags", af_judge="baseline",
                              judge_model="scripted/judge", max_tokens=4),
            grpo=grpo_config(output_dir=str(out), num_generations=16, per_device_train_batch_size=16,
                             max_completion_length=24, max_steps=16, learning_rate=1e-2, beta=0.0,
                             seed=0),
        )
    )  # fmt: skip
    logged = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    steps = [row for row in logged if "reward" in row]
    assert len(steps) == 16
    first, last = _mean(steps[:3]), _mean(steps[-3:])
    print(f"mean reward: first 3 steps {first:.3f}, last 3 steps {last:.3f}")
    assert any(row["reward_std"] for row in steps[:3])  # the judge told completions apart
    assert any(row["grad_norm"] > 0 for row in steps[:3])  # a non-zero update from the start
    assert last > first + 0.1
    tuned = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base), result.final)
    lora_b = [p for name, p in tuned.named_parameters() if "lora_B" in name]
    assert lora_b and any(p.abs().sum() > 0 for p in lora_b)
