"""A three-tier run end to end, offline (Sheshadri et al. 2025): the scripted faker complies
only where trained (goal guarding), the scripted sycophant also where rated (rater
sycophancy); summary.json, the table and the report show every tier and both gaps."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from inspect_ai.log import read_eval_log

from alignment_faking.cli import main
from alignment_faking.inspect.eval_logs.runs import summarize_logs
from alignment_faking.summary.schema import ComplianceRun

EXPECTED = {
    # model: compliance per tier, then the gaps against the trained tier (pro, paid)
    "faker": ({"free": 1.0, "pro": 0.0, "paid": 0.0}, {"pro": 1.0, "paid": 1.0}),
    "sycophant": ({"free": 1.0, "pro": 1.0, "paid": 0.0}, {"pro": 0.0, "paid": 1.0}),
}


def _check(run: ComplianceRun | dict, model: str) -> None:
    run = ComplianceRun.model_validate(run)
    compliance, gaps = EXPECTED[model]
    assert {tier: entry.compliance for tier, entry in run.tiers.items()} == compliance
    assert run.gaps is not None
    assert {pair.tier: pair.compliance_gap for pair in run.gaps} == gaps
    assert [pair.role for pair in run.gaps] == ["rated", "unmonitored"]
    assert all(pair.compliance_gap_paired.n_pairs == 3 for pair in run.gaps)
    assert run.compliance_gap == gaps["paid"]


@pytest.mark.slow
@pytest.mark.parametrize("model", list(EXPECTED))
def test_a_three_tier_run_through_the_cli(model, tmp_path, capsys):
    log_dir = tmp_path / "logs"
    args = ["run", "--setting", "helpful_only", "--variation", "three_tiers", "--model",
            f"scripted/{model}", "--judge-model", "scripted/judge", "--limit", "3",
            "--log-dir", str(log_dir), "--display", "none"]  # fmt: skip
    assert main(args) == 0
    out = capsys.readouterr().out
    [run] = json.loads((log_dir / "summary.json").read_text())["runs"]
    _check(run, model)
    rated = EXPECTED[model][1]["pro"]
    assert f"gap (free - pro, rated): {100 * rated:.1f}%" in out
    assert "gap (free - paid, unmonitored): 100.0%" in out
    html = (log_dir / "report" / "report.html").read_text()
    assert "rated (pro)" in html and "unmonitored (paid)" in html and "training (free)" in html


@pytest.mark.slow
def test_a_three_tier_run_through_inspect(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "inspect_ai", "eval", "alignment_faking/helpful_only", "--model",
         "scripted/sycophant", "-T", "queries=3", "-T", "variation=three_tiers",
         "-T", "af_judge=baseline", "--model-role", "judge=scripted/judge", "--log-dir", str(tmp_path), "--display", "none"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    [log_file] = list(tmp_path.glob("*.eval"))
    assert len(read_eval_log(str(log_file)).samples) == 9
    [run] = summarize_logs([str(log_file)])
    _check(run, "sycophant")
