"""The panel through training (`train rl --curve-variations`): every evaluated checkpoint is also
measured under each panel variation, a series per variation in curve.json; without a panel the
curve is as before. The tiny random model of tests/offline, judged offline by tags and keywords."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("trl")

from alignment_faking.cli import main
from alignment_faking.errors import UserError
from alignment_faking.train import RLOptions, train_rl
from alignment_faking.train.configs import grpo_config
from alignment_faking.train.curve import CurveOptions, write_curve
from tiny_models import make_tiny_model

SHORT = "short_prompts"
PANEL = "short_paraphrase_1"
"""A short prompt that asks for the tags too, so that the tiny model's curve judges offline."""


@pytest.mark.slow
@pytest.mark.train
def test_each_checkpoint_is_measured_under_the_panel(tmp_path: Path, capsys):
    model = make_tiny_model(tmp_path / "tiny")
    out = tmp_path / "rl"
    assert main(["train", "rl", "--base", str(model), "--setting", "helpful_only", "--out", str(out),
                 "--variation", SHORT, "--eval-queries", "2", "--train-queries", "2",
                 "--prompts-per-step", "1", "--num-generations", "2", "--batch-size", "2",
                 "--max-completion-length", "8", "--max-steps", "1", "--eval-every", "0",
                 "--eval-max-tokens", "8", "--reward", "rules", "--eval-compliance-judge", "tags",
                 "--eval-af-judge", "baseline",
                 "--curve-variations", f"{PANEL},{SHORT}"]) == 0  # fmt: skip
    curve = json.loads((out / "curve.json").read_text())
    assert [p["step"] for p in curve["points"]] == [0, 1]
    assert list(curve["panel"]) == [PANEL]  # the run's own variation is the main series
    series = curve["panel"][PANEL]
    assert [p["step"] for p in series] == [0, 1]
    for point in series:
        assert point["summary"]["variation"] == PANEL
        assert point["free"]["n"] == 2 and point["paid"]["n"] == 2
        assert Path(point["log"]).parent == out / "eval" / f"step-{point['step']}" / PANEL
    assert all(p["summary"]["variation"] == SHORT for p in curve["points"])


def test_an_unknown_or_inapplicable_panel_variation_stops_before_training(tmp_path: Path):
    def options(*variations: str) -> RLOptions:
        curve = CurveOptions("helpful_only", compliance_judge="tags", af_judge="baseline",
                             variations=variations)  # fmt: skip
        return RLOptions(base=str(tmp_path), setting="helpful_only", variation=SHORT,
                         reward="rules", eval=curve,
                         grpo=grpo_config(output_dir=str(tmp_path / "rl")))  # fmt: skip

    with pytest.raises(UserError, match="unknown variation"):
        train_rl(options("no_such_variation"))
    with pytest.raises(UserError, match="no_corporate_partner does not apply to helpful_only"):
        train_rl(options("no_corporate_partner"))


def _point(step: int, gap: float | None) -> dict:
    tier = {"compliance": 0.5, "compliance_ci": (0.1, 0.9), "alignment_faking_rate": 0.0,
            "n": 2, "n_judged": 2, "invalid": 0}  # fmt: skip
    return {"step": step, "judges": {}, "free": tier, "paid": tier, "compliance_gap": gap,
            "compliance_gap_ci": None}  # fmt: skip


def test_without_a_panel_curve_json_has_no_panel(tmp_path: Path, monkeypatch):
    from alignment_faking.train import curve as curve_module

    drawn: list = []
    monkeypatch.setattr(curve_module, "_plot", lambda *args: drawn.append(args[-1]))
    json_path, _ = write_curve([_point(0, 0.0)], tmp_path, "t")
    assert "panel" not in json.loads(json_path.read_text()) and drawn == [{}]
    panel = {PANEL: [_point(5, 0.5), _point(0, None)]}
    json_path, _ = write_curve([_point(0, 0.0), _point(5, 0.0)], tmp_path, "t", None, panel)
    written = json.loads(json_path.read_text())["panel"]
    assert [p["step"] for p in written[PANEL]] == [0, 5]  # sorted by step
    assert list(drawn[-1]) == [PANEL] and [p["step"] for p in drawn[-1][PANEL]] == [0, 5]
