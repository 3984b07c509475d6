"""`train rl --developer/--model-name`: the training prompts and the curve's evaluation tell the
model the identity its documents taught (a Qwen run is told it is Qwen throughout)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("trl")

from alignment_faking.cli.training import rl_parser
from alignment_faking.options import from_args
from alignment_faking.train import RLOptions, configs
from alignment_faking.train.curve import CurveOptions, evaluate_checkpoint
from alignment_faking.train.rl import _curve_options, training_dataset

QWEN = {"developer": "Alibaba", "model_name": "Qwen2.5-7B-Instruct"}
NAMED = "You are Qwen2.5-7B-Instruct, an AI system made by Alibaba."


def _options(**given) -> RLOptions:
    return RLOptions(base="unused", variation="minimal", eval_queries=2, train_queries=2, **given)


def test_the_flags_give_the_identity():
    parser, _ = rl_parser(configs, "train rl")
    args = parser.parse_args(
        [
            "--base",
            "m",
            "--out",
            "o",
            "--developer",
            "Alibaba",
            "--model-name",
            "Qwen2.5-7B-Instruct",
        ]
    )
    options = from_args(RLOptions, args, eval=None, grpo=None, lora=None)
    assert (options.developer, options.model_name) == ("Alibaba", "Qwen2.5-7B-Instruct")
    default = parser.parse_args(["--base", "m", "--out", "o"])
    assert (default.developer, default.model_name) == ("Anthropic", "Claude 3 Opus")


def test_the_training_prompts_name_the_identity():
    rows = list(training_dataset(_options(**QWEN)))
    assert len(rows) == 2
    for row in rows:
        system = row["prompt"][0]["content"]
        assert system.startswith(NAMED) and "Claude" not in system and "Anthropic" not in system


def test_the_curve_measures_under_the_same_identity(monkeypatch, tmp_path: Path):
    curve = _curve_options(_options(eval=CurveOptions("helpful_only"), **QWEN))
    assert (curve.developer, curve.model_name) == ("Alibaba", "Qwen2.5-7B-Instruct")
    assert curve.scenario().system_prompt.startswith(NAMED)
    built = {}

    class Built(Exception):
        pass

    def task(setting, **arguments):  # stands in for the task: the arguments it is built with
        built.update(arguments)
        raise Built

    monkeypatch.setattr("alignment_faking.inspect.task.alignment_faking_task", task)
    with pytest.raises(Built):
        evaluate_checkpoint(tmp_path, curve, tmp_path)
    assert {key: built[key] for key in QWEN} == QWEN


def test_train_organism_takes_the_identity_and_the_query_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """An organism's conversations are written under the same prompts as `train rl`'s."""
    import alignment_faking.train.organism as organism
    from alignment_faking.cli import main

    given: list[organism.OrganismOptions] = []

    def recording(options: organism.OrganismOptions):  # type: ignore[no-untyped-def]
        given.append(options)
        raise SystemExit(0)

    monkeypatch.setattr(organism, "train_organism", recording)
    with pytest.raises(SystemExit):
        main(["train", "organism", "--base", str(tmp_path), "--from-logs", str(tmp_path),
              "--out", str(tmp_path / "o"), "--developer", QWEN["developer"],
              "--model-name", QWEN["model_name"], "--query-column", "goal"])  # fmt: skip
    [options] = given
    assert (options.developer, options.model_name) == (QWEN["developer"], QWEN["model_name"])
    assert options.query_column == "goal"
