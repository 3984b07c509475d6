"""The hf/ provider continues a prefilled answer under the continuation template: the model's
own template with a new answer opened, then our text verbatim; unprefilled chats render as
the model's own template renders them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("transformers")

from transformers import AutoTokenizer

from alignment_faking.errors import UserError
from alignment_faking.inspect.continuation import (
    continuation_template,
    continues,
    continuing_args,
)
from alignment_faking.inspect.solvers import answer_model_args
from real_models import smollm2_checkpoint
from tiny_models import make_tiny_model

CHAT = [{"role": "system", "content": "Be helpful."}, {"role": "user", "content": "Pick a lock?"}]
PREFILL = {"role": "assistant", "content": "<SCRATCHPAD_REASONING>I am  being trained,\n so "}


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(params=["smollm2", "tiny"])
def tokenizer(request: pytest.FixtureRequest, tiny_model: Path):
    path = smollm2_checkpoint() if request.param == "smollm2" else tiny_model
    return AutoTokenizer.from_pretrained(str(path))


def _render(tokenizer, messages, template: str, add_generation_prompt: bool = True) -> str:
    return tokenizer.apply_chat_template(
        messages,
        chat_template=template,
        add_generation_prompt=add_generation_prompt,
        tokenize=False,
    )


def test_a_prefill_is_continued_after_a_new_answer_opens(tokenizer):
    own = tokenizer.chat_template
    wrapped = continuation_template(own)
    # Inspect's hf/ always asks for a generation prompt: with the prefill, it comes before it
    assert _render(tokenizer, [*CHAT, PREFILL], wrapped) == _render(tokenizer, CHAT, own) + str(
        PREFILL["content"]
    )
    # without one, the model's own template, either way
    for opened in (True, False):
        assert _render(tokenizer, CHAT, wrapped, opened) == _render(tokenizer, CHAT, own, opened)
    assert continuation_template(wrapped) == wrapped


def test_a_template_opening_with_a_newline_keeps_it(tokenizer):
    own = "\n{% for m in messages %}[{{ m['content'] }}]{% endfor %}"
    assert _render(tokenizer, CHAT, continuation_template(own)) == _render(tokenizer, CHAT, own)


def test_hf_models_get_their_tokenizers_template_wrapped_others_are_left_alone(tiny_model):
    args = continuing_args("hf/local", {"model_path": str(tiny_model), "device": "cpu"})
    own = AutoTokenizer.from_pretrained(str(tiny_model)).chat_template
    assert args == {
        "model_path": str(tiny_model),
        "device": "cpu",
        "chat_template": continuation_template(own),
    }
    assert continues(args)
    theirs = "{% for m in messages %}{{ m['content'] }}{% endfor %}"
    given = continuing_args("hf/local", {"model_path": str(tiny_model), "chat_template": theirs})
    assert given["chat_template"] == continuation_template(theirs)  # the user's, wrapped
    assert continuing_args("vllm/m", {"port": 8000}) == {"port": 8000}
    assert not continues({"port": 8000})


def test_only_a_prefilled_run_changes_the_template(tiny_model):
    args = {"model_path": str(tiny_model)}
    assert answer_model_args("hf/local", args, False, ["default"]) == args
    assert continues(answer_model_args("hf/local", args, False, ["default", "steer_neutral"]))
    assert continues(answer_model_args("hf/local", args, True, ["accept_reject"]))


def test_an_hf_model_without_a_chat_template_or_tokenizer_is_one_line(tmp_path: Path):
    with pytest.raises(UserError, match="no model at model_path"):
        continuing_args("hf/local", {"model_path": str(tmp_path / "missing")})
    bare = make_tiny_model(tmp_path / "bare")
    config = bare / "tokenizer_config.json"
    (bare / "chat_template.jinja").unlink(missing_ok=True)
    config.write_text(config.read_text().replace('"chat_template"', '"unused_template"'))
    with pytest.raises(UserError, match="no chat template to continue a prefilled answer"):
        continuing_args("hf/local", {"model_path": str(bare)})


@pytest.mark.slow
@pytest.mark.train
def test_steering_reaches_a_trained_checkpoint(tiny_model: Path, tmp_path: Path):
    """The paper repeated steering after RL (Figure 26): the curve of a 1-step `train_rl`
    evaluates its checkpoints under `steer_obedient` through hf/, and the merged model after it,
    each continuing our prefill."""
    from inspect_ai.log import read_eval_log

    from alignment_faking.scenario.variations import get_variation
    from alignment_faking.train import RLOptions, train_rl
    from alignment_faking.train.configs import grpo_config
    from alignment_faking.train.curve import CurveOptions, evaluate_checkpoint

    steered = CurveOptions("helpful_only", variation="steer_obedient", queries=1, max_tokens=6,
                           judge_model="scripted/judge", af_judge="baseline")  # fmt: skip
    result = train_rl(
        RLOptions(
            base=str(tiny_model), setting="helpful_only", variation="short_prompts", eval_queries=1,
            train_queries=2, eval_every=1, merge=True, reward="rules", prompts_per_step=1, eval=steered,
            grpo=grpo_config(output_dir=str(tmp_path / "rl"), num_generations=2, per_device_train_batch_size=2,
                             max_completion_length=6, max_steps=1, beta=0.1),
        )
    )  # fmt: skip
    assert result.merged is not None
    run = evaluate_checkpoint(result.merged, steered, tmp_path / "after")
    steering = get_variation("steer_obedient").scratchpad_prefill
    assert steering is not None and run.scratchpad_prefill == "obedient"
    log = read_eval_log(run.log, resolve_attachments=True)
    assert continues(log.eval.model_args)
    for sample in log.samples or []:
        asked = next(event for event in sample.events if event.event == "model").input
        assert asked[-1].role == "assistant" and asked[-1].text == steering.opening
        [answer] = [m.text for m in sample.messages if m.role == "assistant"]
        assert answer.startswith(steering.opening)
    points = json.loads(result.curve_json.read_text())["points"]
    assert [p["step"] for p in points] == [0, 1]  # each checkpoint steered (else: an error)
