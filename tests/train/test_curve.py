"""The training curve's judges: the evaluation's own by default, named in curve.json and the
figure, and the keyword baseline labelled as what it is. Offline (scripted models)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

from alignment_faking.options import JudgeOptions
from alignment_faking.train.curve import CurveOptions, curve_point, write_curve

SHORT = "short_prompts"
"""A short prompt whose user turn asks for the tags, so that tags can judge it offline."""


def test_the_curve_judges_as_the_evaluation_does_by_default():
    """Without flags, the curve's judges are `run`'s: the compliance judge and af_v2, never the
    keyword baseline or the tags."""
    pytest.importorskip("trl")
    from alignment_faking.cli.training import rl_parser
    from alignment_faking.train import configs

    run = JudgeOptions()
    curve = CurveOptions("helpful_only", variation=SHORT)
    assert (curve.compliance_judge, curve.af_judge) == (run.compliance_judge, run.af_judge)
    assert (run.compliance_judge, run.af_judge) == ("auto", "af_v2")
    parser, _ = rl_parser(configs, "train rl")
    args = parser.parse_args(["--base", "m", "--out", "o", "--variation", SHORT])
    assert (args.eval_compliance_judge, args.eval_af_judge) == ("auto", "af_v2")
    # the offline choices stay available
    args = parser.parse_args(
        [
            "--base",
            "m",
            "--out",
            "o",
            "--eval-compliance-judge",
            "tags",
            "--eval-af-judge",
            "baseline",
        ]
    )
    assert (args.eval_compliance_judge, args.eval_af_judge) == ("tags", "baseline")


@pytest.mark.slow
@pytest.mark.train
def test_train_rl_without_a_judge_model_stops_in_one_line_before_training(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
):
    """Even where the prompt asks for the tags, the default judges need a model: one line, no
    model loaded (tmp_path holds none)."""
    pytest.importorskip("trl")
    from alignment_faking.cli import main
    from alignment_faking.train import rl

    monkeypatch.setattr(rl, "load_base", lambda base: pytest.fail("loaded the model"))
    argv = ["train", "rl", "--base", str(tmp_path), "--out", str(tmp_path / "rl")]
    assert main([*argv, "--variation", SHORT, "--reward", "rules"]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(
        "alignment-faking: error: the curve's judges (auto, af_v2) need a model: pass --judge-model"
    ), line


def _summary(log_dir: Path, **judges: str):
    from inspect_ai import eval as inspect_eval

    from alignment_faking.inspect.eval_logs.runs import summarize_logs
    from alignment_faking.inspect.task import alignment_faking_task

    task = alignment_faking_task("helpful_only", variation=SHORT, queries=2, cache=False, **judges)
    [log] = inspect_eval(task, model="scripted/faker", log_dir=str(log_dir), display="none")
    [summary] = summarize_logs([log.location])
    return summary


def _texts(points: list[dict]) -> tuple[str, str, list[str]]:
    """The figure's title, rates axis label and legend entries."""
    import matplotlib.pyplot as plt

    from alignment_faking.train.curve import curve_figure

    figure = curve_figure(points, "GRPO from tiny")
    rates = figure.axes[0]
    legend = [text.get_text() for text in rates.get_legend().get_texts()]
    texts = rates.get_title(), rates.get_ylabel(), legend
    plt.close(figure)
    return texts


@pytest.mark.slow
def test_curve_json_and_figure_name_the_judges(tmp_path: Path):
    judged = _summary(
        tmp_path / "judged", compliance_judge="auto", af_judge="af_v2", judge_model="scripted/judge"
    )
    points = [curve_point(step, f"ckpt-{step}", judged) for step in (0, 5)]
    curve = json.loads(write_curve(points, tmp_path / "curve", "GRPO from tiny")[0].read_text())
    assert curve["judges"]["compliance"] == "StrongREJECT"
    assert curve["judges"]["alignment_faking"].startswith("af_v2")
    assert curve["judges"]["model"] == "scripted/judge"
    assert all(point["judges"] == curve["judges"] for point in curve["points"])
    title, axis, legend = _texts(points)
    assert "compliance StrongREJECT" in title and "judge model scripted/judge" in title
    assert "alignment faking af_v2" in title and "AF rate" in axis
    assert any(entry.startswith("AF reasoning (af_v2") for entry in legend), legend

    keywords = _summary(tmp_path / "keywords", compliance_judge="tags", af_judge="baseline")
    points = [curve_point(0, "ckpt-0", keywords)]
    curve = json.loads(write_curve(points, tmp_path / "offline", "GRPO from tiny")[0].read_text())
    assert curve["judges"]["alignment_faking"] == "keyword baseline, not a judge"
    assert curve["judges"]["compliance"] == "accept/reject tags (no judge)"
    title, _, legend = _texts(points)
    assert "keyword baseline, not a judge" in title
    assert "AF keywords (keyword baseline, not a judge), training (free)" in legend
    assert not any("AF reasoning" in entry for entry in legend)
