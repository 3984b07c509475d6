"""The scale of a GRPO run: prompts per optimiser step, training queries from any set that never
overlap the curve's held-out ones, and the plan printed before the model loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("trl")

from alignment_faking.datasets import load_queries
from alignment_faking.errors import UserError
from alignment_faking.train import RLOptions, train_rl
from alignment_faking.train.configs import grpo_config
from alignment_faking.train.curve import CurveOptions
from alignment_faking.train.rl import _curve_options, training_dataset
from alignment_faking.train.rl_plan import accumulation_steps, rl_plan, with_prompts_per_step

SHORT = "short_prompts"


@pytest.mark.parametrize(
    ("prompts", "generations", "batch", "processes", "accumulation"),
    [(4, 8, 8, 1, 4), (4, 8, 16, 1, 2), (4, 8, 8, 2, 2), (1, 8, 8, 1, 1), (8, 2, 4, 1, 4)],
)
def test_prompts_per_step_set_the_accumulation(
    prompts, generations, batch, processes, accumulation
):
    got = accumulation_steps(prompts, generations, batch, processes)
    assert got == accumulation
    assert batch * got * processes == prompts * generations


def test_prompts_per_step_that_do_not_fill_whole_batches_are_refused():
    with pytest.raises(UserError, match="--prompts-per-step 3"):
        accumulation_steps(3, 2, 4, 1)
    grpo = grpo_config(output_dir="unused", num_generations=2, per_device_train_batch_size=2,
                       gradient_accumulation_steps=3)  # fmt: skip
    with pytest.raises(UserError, match="not --gradient-accumulation-steps"):
        with_prompts_per_step(grpo, 4)


def test_the_config_generates_the_groups_of_every_prompt_of_a_step():
    grpo = grpo_config(output_dir="unused", num_generations=2, per_device_train_batch_size=2)
    got = with_prompts_per_step(grpo, 4)
    assert got.gradient_accumulation_steps == 4
    assert got.generation_batch_size == 8  # TRL generates one step's completions at once
    assert grpo.gradient_accumulation_steps == 1  # the caller's config is left as it was


def test_the_plan_counts_prompts_passes_completions_steps_and_checkpoints():
    grpo = with_prompts_per_step(
        grpo_config(output_dir="unused", num_generations=2, per_device_train_batch_size=2,
                    max_steps=5), 4,
    )  # fmt: skip
    assert rl_plan(grpo, 10, 4, 2).text().splitlines() == [
        "training prompts:     10 (2 passes)",
        "per optimiser step:   4 prompts, 8 completions",
        "optimiser steps:      5",
        "evaluated at steps:   0, 2, 4, 5",
    ]
    by_epochs = with_prompts_per_step(
        grpo_config(output_dir="unused", num_generations=2, per_device_train_batch_size=2,
                    max_steps=-1, num_train_epochs=1.0), 4,
    )  # fmt: skip
    plan = rl_plan(by_epochs, 10, 4, 0)
    assert (plan.steps, plan.checkpoints) == (3, (0, 3))


def test_train_rl_prints_its_plan_before_loading_the_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    options = RLOptions(
        base=str(tmp_path), variation=SHORT, reward="rules", eval_queries=2, train_queries=6,
        prompts_per_step=2, eval_every=3,
        eval=CurveOptions("helpful_only", compliance_judge="tags", af_judge="baseline"),
        grpo=grpo_config(output_dir=str(tmp_path / "rl"), num_generations=2,
                         per_device_train_batch_size=2, max_steps=4),
    )  # fmt: skip
    with pytest.raises(UserError, match="cannot load --base"):  # an empty directory: no model
        train_rl(options)
    assert capsys.readouterr().out.splitlines() == [
        "training prompts:     6 (1.3 passes)",
        "per optimiser step:   2 prompts, 4 completions",
        "optimiser steps:      4",
        "evaluated at steps:   0, 3, 4",
    ]


def test_training_queries_from_another_set_never_include_the_held_out_ones(tmp_path: Path):
    held = load_queries("helpful_only").queries[:2]
    own = [f"Write a limerick about topic {i}." for i in range(3)]
    path = tmp_path / "train.jsonl"
    path.write_text(
        "".join(json.dumps({"query": text}) + "\n" for text in [held[1].text, *own, held[0].text])
    )
    options = RLOptions(base="unused", variation=SHORT, dataset=str(path), eval_queries=2)
    rows = list(training_dataset(options))
    # the whole file, less the curve's held-out queries it repeats
    assert [row["query"] for row in rows] == own
    curve = _curve_options(options)
    assert curve.dataset is None and curve.queries == 2  # the curve keeps the bundled set
    same = RLOptions(base="unused", variation=SHORT, eval_queries=2, train_queries=3)
    assert not {q.id for q in held} & {row["query_id"] for row in training_dataset(same)}


def test_fewer_training_prompts_than_one_step_takes_are_refused():
    with pytest.raises(UserError, match="cannot fill one step of --prompts-per-step 4"):
        rl_plan(grpo_config(output_dir="unused"), prompts=2, prompts_per_step=4, eval_every=0)
