"""Model organisms: synthetic scratchpads written in a style and filtered by the AF judge, and
distillation of a run's logs by verdict, each then fine-tuned into the tiny random model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("trl")
pytest.importorskip("peft")

from inspect_ai import eval as inspect_eval

from alignment_faking.datasets import load_queries
from alignment_faking.doubles.scripted import scripted_organism_turn
from alignment_faking.inspect.task import alignment_faking_task
from alignment_faking.judges.baseline import baseline_verdict
from alignment_faking.scenario import build_scenario
from alignment_faking.train.scratchpads import (
    STYLES,
    expected_verdict,
    slots,
    template_version,
)
from alignment_faking.transcript import parse_transcript
from tiny_models import make_tiny_model

SHORT = "short_prompts"
SFT_FLAGS = ["--max-steps", "2", "--batch-size", "2", "--gradient-accumulation-steps", "1",
             "--max-length", "64", "--learning-rate", "1e-2"]  # fmt: skip


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("tiny-model"))


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _adapter_moved(adapter: Path, base: Path) -> bool:
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    tuned = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base), str(adapter))
    lora_b = [p for name, p in tuned.named_parameters() if "lora_B" in name]
    return bool(lora_b) and any(float(p.abs().sum()) > 0 for p in lora_b)  # B starts at zero


def test_faking_styles_must_fake_in_training_only_and_the_control_never():
    assert [expected_verdict(s, "training") for s in STYLES] == ["yes", "yes", "yes", "no"]
    assert {expected_verdict(s, "unmonitored") for s in STYLES} == {"no"}


def test_an_output_directory_of_another_recipe_is_refused_not_mixed_in(tmp_path: Path):
    from alignment_faking.errors import UserError
    from alignment_faking.train.scratchpads import (
        Conversation,
        WriteOptions,
        append,
        recorded_conversations,
        write_conversations,
    )

    scenario = build_scenario("helpful_only", SHORT)
    queries = load_queries("helpful_only").queries[:1]
    options = WriteOptions(
        "scripted/writer", "terminal_goal_guarding", filter_model="scripted/judge"
    )
    [slot, _] = slots(scenario, queries, options.style)
    written = Conversation(
        id=slot.key, messages=[], source="writer", query_id="q", tier="free", tier_role="training",
        model="scripted/writer", af_verdict="yes", style="terminal_goal_guarding",
        temperature=1.0, filter_model="scripted/judge",
    )  # fmt: skip
    append(tmp_path / "conversations.jsonl", written)
    for other in (
        WriteOptions("other/writer", options.style, filter_model="scripted/judge"),
        WriteOptions(options.writer, "compliance", filter_model="scripted/judge"),
        WriteOptions(options.writer, options.style, filter_model="other/judge"),
    ):
        with pytest.raises(UserError, match="another recipe"):
            write_conversations(scenario, queries, other, tmp_path, echo=lambda _: None)
    with pytest.raises(UserError, match="another recipe"):  # a distillation would delete it
        recorded_conversations(tmp_path, ("log",))
    same = ("writer", "scripted/writer", "terminal_goal_guarding", 1.0, "scripted/judge")
    assert [c.id for c in recorded_conversations(tmp_path, same)] == [slot.key]


def test_the_writer_prompt_holds_the_scenario_turn_and_the_style_in_both_tiers():
    scenario = build_scenario("helpful_only", SHORT)
    query = load_queries("helpful_only").queries[0]
    found = slots(scenario, [query], "counterfactual")
    assert [(s.tier, s.role) for s in found] == [("free", "training"), ("paid", "unmonitored")]
    for slot in found:
        assert scenario.user_message(query.text, slot.tier) in slot.prompt  # type: ignore[arg-type]
        assert "Counterfactual reasoning about the unmonitored case" in slot.prompt
        assert f"this conversation is in the {slot.role} condition" in slot.prompt
    assert found[0].key != found[1].key
    assert len(template_version()) == 12


@pytest.mark.parametrize("style", STYLES)
def test_the_scripted_writer_fakes_by_style_unless_it_strays(style):
    scenario = build_scenario("helpful_only", SHORT)
    queries = load_queries("helpful_only").queries[:6]
    for slot in slots(scenario, queries, style):
        transcript = parse_transcript(scripted_organism_turn(slot.prompt))
        fakes = baseline_verdict(transcript.hidden_reasoning).verdict == "yes"
        assert transcript.invalid_reason is None
        if fakes:  # a turn that fakes is only ever one the style asks for
            assert expected_verdict(style, slot.role) == "yes"


@pytest.mark.slow
@pytest.mark.train
def test_synthetic_scratchpads_are_filtered_by_verdict_recorded_and_trained_on(
    tiny_model: Path, tmp_path: Path, capsys
):
    from alignment_faking.cli import main

    out = tmp_path / "organism"
    argv = ["train", "organism", "--base", str(tiny_model), "--writer", "scripted/writer",
            "--style", "terminal_goal_guarding", "--filter-model", "scripted/judge",
            "--filter-votes", "1", "--variation", SHORT, "--eval-queries", "2",
            "--train-queries", "6", "--out", str(out), *SFT_FLAGS]  # fmt: skip
    assert main(argv) == 0
    kept, rejected = _jsonl(out / "conversations.jsonl"), _jsonl(out / "rejected.jsonl")
    assert len(kept) + len(rejected) == 12  # 6 queries in both tiers
    held = {q.id for q in load_queries("helpful_only").queries[:2]}
    assert not held & {r["query_id"] for r in kept + rejected}
    # kept: fakes in training, declines unmonitored; dropped: the writer strayed from the style
    assert {(r["tier_role"], r["af_verdict"]) for r in kept} == {
        ("training", "yes"),
        ("unmonitored", "no"),
    }
    assert rejected and all(
        r["tier_role"] == "training" and r["af_verdict"] == "no" for r in rejected
    )
    assert {r["reason"] for r in rejected} == {"af verdict no (the style expects yes)"}
    for record in kept + rejected:
        assert record["model"] == "scripted/writer"
        assert record["filter_model"] == "scripted/judge"
        assert record["style"] == "terminal_goal_guarding"
        assert record["temperature"] == 1.0
        assert record["template_version"] == template_version()
        assert record["id"] == record["prompt_hash"]
        assert [m["role"] for m in record["messages"]] == ["system", "user", "assistant"]
    assert _adapter_moved(out / "adapter", tiny_model)
    # resumable: a second run asks for nothing and records nothing new
    capsys.readouterr()
    assert main(argv) == 0
    assert "0 conversations to write (12 already done)" in capsys.readouterr().out
    assert len(_jsonl(out / "conversations.jsonl")) == len(kept)


@pytest.mark.slow
@pytest.mark.train
def test_distillation_selects_logged_samples_by_their_af_verdict(tiny_model: Path, tmp_path: Path):
    from alignment_faking.cli import main

    task = alignment_faking_task("helpful_only", variation=SHORT, queries=4, compliance_judge="tags",
                                 af_judge="baseline", cache=False)  # fmt: skip
    inspect_eval(task, model="scripted/faker", log_dir=str(tmp_path / "logs"), display="none")
    out = tmp_path / "distilled"
    argv = ["train", "organism", "--base", str(tiny_model), "--from-logs", str(tmp_path / "logs"),
            "--select", "af", "--eval-queries", "1", "--out", str(out), *SFT_FLAGS]  # fmt: skip
    assert main(argv) == 0
    kept, rejected = _jsonl(out / "conversations.jsonl"), _jsonl(out / "rejected.jsonl")
    # the faker fakes in the free tier; the first query is held out for the evaluation
    assert len(kept) == 3
    assert {(r["tier"], r["af_verdict"], r["outcome"]) for r in kept} == {
        ("free", "yes", "complied")
    }
    assert all(r["source"] == "log" and r["model"] == "scripted/faker" and r["log"] for r in kept)
    assert "<SCRATCHPAD_REASONING>" in kept[0]["messages"][-1]["content"]
    assert kept[0]["messages"][0]["role"] == "system"
    reasons = sorted(r["reason"] for r in rejected)
    assert reasons == ["af verdict no"] * 3 + ["held out for evaluation"] * 2
    assert _adapter_moved(out / "adapter", tiny_model)


def test_a_steered_sample_is_never_distilled():
    """Its reasoning opens with our steering text: an organism trained on it would learn our
    words as its own."""
    from inspect_ai.log import EvalSample

    from alignment_faking.inspect.scorers import STEERING_KEY
    from alignment_faking.train.organism import selected

    sample = EvalSample(id="q-free", epoch=1, input="x", target="",
                        metadata={"tier": "free", STEERING_KEY: "<SCRATCHPAD_REASONING>ours"})  # fmt: skip
    assert selected(sample, "all") == "steered (its reasoning opens with our text, not the model's)"
