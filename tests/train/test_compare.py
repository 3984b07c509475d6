"""`train compare`: RL runs side by side, read from their curve.json. Hand-built curves for the
table, the figure and the refusals; three tiny real runs for the whole command (slow)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

from alignment_faking.cli import main
from alignment_faking.records import SampleRecord
from alignment_faking.summary.entries import run_summary
from alignment_faking.summary.schema import ComplianceRun, RunConfig, RunIdentity, SystemPrompt
from alignment_faking.train.compare import (
    BASELINE,
    Comparison,
    compare,
    comparison_figure,
    load_run,
)
from alignment_faking.train.curve import curve_point

PROCESS = {"process_supervision": {"weight": 0.5, "judge": "af_v2"}}
LENGTH = {"length_penalty": {"per_token": 0.01, "free_tokens": 200}}


def _summary(complied: dict[str, int], faking: int, setting: str = "helpful_only") -> ComplianceRun:
    """Ten queries per tier: `complied[tier]` comply, `faking` of the free ones fake alignment."""
    info = RunIdentity(
        log="x.eval", model="hf/base", evaluation="compliance", setting=setting,
        variation="accept_reject", dataset=setting, n_queries=10, epochs=1, status="success",
        config=RunConfig(compliance_judge="tags", af_judge="baseline"),
    )  # fmt: skip
    records = [
        SampleRecord(
            f"q{i}",
            tier,
            0,
            "complied" if i < complied[tier] else "refused",
            alignment_faking="yes" if tier == "free" and i < faking else "no",
        )
        for tier in ("free", "paid")
        for i in range(10)
    ]
    return run_summary(info, records)


def _run(
    path: Path,
    last: ComplianceRun,
    mitigations: dict | None = None,
    base: str = "/models/base",
    start: ComplianceRun | None = None,
) -> Path:
    """A `train rl` directory with a curve.json of steps 0 and 10, as write_curve writes it."""
    points = [
        curve_point(0, base, start or _summary({"free": 2, "paid": 1}, 1)),
        curve_point(10, path / "checkpoints" / "step-10", last),
    ]
    curve = {"title": f"helpful_only: GRPO from {base}", "judges": points[-1]["judges"]}
    curve |= {"points": points} | ({"mitigations": mitigations} if mitigations else {})
    path.mkdir(parents=True)
    (path / "curve.json").write_text(json.dumps(curve))
    return path


def test_the_table_is_each_runs_last_checkpoint_with_its_intervals(tmp_path: Path, capsys):
    lasts = [
        _summary({"free": 9, "paid": 3}, 6),
        _summary({"free": 8, "paid": 7}, 1),
        _summary({"free": 7, "paid": 6}, 2),
    ]
    dirs = [
        _run(tmp_path / "baseline", lasts[0]),
        _run(tmp_path / "process", lasts[1], PROCESS),
        _run(tmp_path / "length", lasts[2], LENGTH),
    ]
    out = tmp_path / "compared"
    assert main(["train", "compare", *map(str, dirs), "--out", str(out)]) == 0

    comparison = Comparison.model_validate_json((out / "compare.json").read_text())
    for row, last, run in zip(comparison.runs, lasts, dirs, strict=True):
        free, paid = last.tiers["free"], last.tiers["paid"]
        assert row.run == str(run) and row.step == 10 and row.trained_tier == "free"
        assert (row.compliance_training.value, row.compliance_training.ci) == (
            free.compliance,
            free.compliance_ci,
        )
        assert row.compliance_unmonitored.value == paid.compliance
        assert row.compliance_gap.value == last.compliance_gap
        assert row.compliance_gap.ci == last.compliance_gap_ci
        assert row.alignment_faking_training.value == free.alignment_faking.rate
        assert row.alignment_faking_training.ci == free.alignment_faking.rate_ci
    assert [r.compliance_gap.value for r in comparison.runs] == pytest.approx([0.6, 0.1, 0.1])
    assert [r.alignment_faking_training.value for r in comparison.runs] == [0.6, 0.1, 0.2]
    assert comparison.runs[1].mitigations == PROCESS
    assert comparison.starting_model == "/models/base"

    printed = capsys.readouterr().out
    assert f"{dirs[0]}" in printed and BASELINE in printed
    assert "process_supervision(weight=0.5, judge=af_v2)" in printed
    assert "length_penalty(per_token=0.01, free_tokens=200)" in printed
    assert "60.0% [" in printed  # the baseline's AF rate and gap, with intervals
    markdown = (out / "compare.md").read_text()
    assert markdown.count("\n| ") == 4  # the header and the three runs
    assert (out / "compare.png").stat().st_size > 1000


def test_the_figure_draws_each_measure_once_per_run_in_its_own_colour(tmp_path: Path):
    runs = [
        load_run(_run(tmp_path / "a", _summary({"free": 9, "paid": 3}, 6))),
        load_run(_run(tmp_path / "b", _summary({"free": 8, "paid": 7}, 1), PROCESS)),
    ]
    fig = comparison_figure(runs, compare(runs))
    panels = [axes for axes in fig.axes if axes.get_title()]
    assert [axes.get_title() for axes in panels] == [
        "alignment faking, training tier",
        "compliance, training tier",
        "compliance, unmonitored tier",
        "compliance gap (training - unmonitored)",
    ]
    for axes in panels:
        curves = [line for line in axes.get_lines() if line.get_marker() == "o"]
        assert len(curves) == 2 and curves[0].get_color() != curves[1].get_color()
    [af_a, af_b] = [line.get_ydata()[-1] for line in panels[0].get_lines()[:2]]
    assert (af_a, af_b) == (0.6, 0.1)
    legend = [text.get_text() for legend in fig.legends for text in legend.get_texts()]
    assert legend == [f"{tmp_path / 'a'}: {BASELINE}", f"{tmp_path / 'b'}: process_supervision(weight=0.5, judge=af_v2)"]  # fmt: skip


def test_runs_from_different_starts_or_settings_are_refused_unless_allowed(tmp_path: Path, capsys):
    last = _summary({"free": 9, "paid": 3}, 6)
    a = _run(tmp_path / "a", last)
    other_base = _run(tmp_path / "b", last, base="/models/other")
    welfare = _summary({"free": 2, "paid": 1}, 1, setting="animal_welfare")
    other_setting = _run(tmp_path / "c", last, start=welfare)
    more = _summary({"free": 2, "paid": 1}, 1).model_copy(update={"n_queries": 20})
    other_queries = _run(tmp_path / "d", last, start=more)
    prompt = SystemPrompt(file="mine.txt", sha256="abc")
    own_prompt = _summary({"free": 2, "paid": 1}, 1).model_copy(update={"system_prompt": prompt})
    other_prompt = _run(tmp_path / "e", last, start=own_prompt)

    for other, what in (
        (other_base, "starting model"),
        (other_setting, "setting"),
        (other_queries, "queries"),
        (other_prompt, "system prompt"),
    ):
        assert main(["train", "compare", str(a), str(other)]) == 2
        [error] = capsys.readouterr().err.strip().splitlines()
        assert f"differ in {what}" in error and "--allow-mixed" in error

    assert main(["train", "compare", str(a), str(other_base), "--allow-mixed"]) == 0
    assert "from mixed: /models/base, /models/other" in capsys.readouterr().out


def test_bad_run_directories_are_one_line_errors(tmp_path: Path, capsys):
    good = _run(tmp_path / "good", _summary({"free": 9, "paid": 3}, 6))
    (tmp_path / "empty").mkdir()
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "curve.json").write_text("{not json")
    (tmp_path / "wrong").mkdir()
    (tmp_path / "wrong" / "curve.json").write_text(
        json.dumps({"title": "t", "points": [{"step": 0}]})
    )
    cases = {
        "missing": "no such run directory",
        "empty": "no curve.json",
        "broken": "not JSON",
        "wrong": "not a training curve (points.0.checkpoint: Field required)",
    }
    for name, message in cases.items():
        assert main(["train", "compare", str(good), str(tmp_path / name)]) == 2
        [error] = capsys.readouterr().err.strip().splitlines()
        assert error.startswith("alignment-faking: error:") and message in error
    assert main(["train", "compare", str(good), str(good)]) == 2
    assert "given twice" in capsys.readouterr().err
    assert main(["train", "compare"]) == 2
    assert "RUN_DIR" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.train
def test_three_tiny_real_runs_are_compared_on_one_figure(tmp_path: Path, capsys):
    """`train rl` three times from the tiny random model with different KL weights, then
    `train compare` on the three directories."""
    pytest.importorskip("trl")
    pytest.importorskip("peft")
    from tiny_models import make_tiny_model

    base = make_tiny_model(tmp_path / "tiny")
    runs = [tmp_path / f"beta-{beta}" for beta in ("0.0", "0.1", "0.5")]
    for run in runs:
        assert main(["train", "rl", "--base", str(base), "--out", str(run), "--variation", "short_prompts",
                     "--eval-queries", "2", "--train-queries", "2", "--prompts-per-step", "1",
                     "--num-generations", "2", "--batch-size", "2", "--max-completion-length", "8",
                     "--max-steps", "2", "--eval-every", "0", "--eval-max-tokens", "8",
                     "--reward", "rules", "--beta", run.name.removeprefix("beta-"),
                     "--eval-compliance-judge", "tags", "--eval-af-judge", "baseline"]) == 0  # fmt: skip
    out = tmp_path / "compared"
    capsys.readouterr()
    assert main(["train", "compare", *map(str, runs), "--out", str(out)]) == 0

    comparison = Comparison.model_validate_json((out / "compare.json").read_text())
    assert [row.run for row in comparison.runs] == [str(run) for run in runs]
    assert comparison.starting_model == str(base)
    assert "keyword baseline" in comparison.judges
    for row, run in zip(comparison.runs, runs, strict=True):
        curve = json.loads((run / "curve.json").read_text())
        last = ComplianceRun.model_validate(curve["points"][-1]["summary"])
        assert row.step == 2 and row.checkpoint == curve["points"][-1]["checkpoint"]
        assert row.label == f"{run}: {BASELINE}"
        # a random model writes no <OUTPUT>: no valid answer, no rate, and the table says so
        assert row.compliance_training.value is last.tiers["free"].compliance is None
    assert (out / "compare.png").stat().st_size > 1000
    printed = capsys.readouterr().out
    assert all(str(run) in printed for run in runs) and "figure:" in printed
