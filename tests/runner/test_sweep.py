"""Sweeps: models x settings x variations through eval_set, interrupted and resumed, one report, cost plan."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from inspect_ai.log import list_eval_logs

from alignment_faking.cli import main
from alignment_faking.cost import merge
from alignment_faking.doubles.stub_server import scripted_responder, serve
from alignment_faking.inspect.eval_logs.usage import actual_usage
from alignment_faking.options import EvalOptions, JudgeOptions, RunOptions, TaskOptions
from alignment_faking.runner import sweep

MODELS = "openai-api/stuba/faker,openai-api/stubb/faker"
VARIATIONS = "default,no_conflict,no_scratchpad"


def _args(log_dir):
    return ["sweep", "--models", MODELS, "--variations", VARIATIONS, "--limit", "3", "--log-dir", str(log_dir),
            "--display", "none", "--no-cache", "--max-connections", "2", "--judge-model", "scripted/judge",
            "--af-votes", "3"]  # fmt: skip


def _env(stub):
    return {
        "STUBA_BASE_URL": stub.base_url,
        "STUBB_BASE_URL": stub.base_url,
        "STUBA_API_KEY": "k",
        "STUBB_API_KEY": "k",
    }


@pytest.mark.slow
def test_sweep_resumes_after_kill_and_writes_one_report(tmp_path, monkeypatch, capsys):
    log_dir = tmp_path / "sweep"
    with serve(scripted_responder("faker"), latency_s=0.2) as stub:
        for key, value in _env(stub).items():
            monkeypatch.setenv(key, value)
        process = subprocess.Popen([sys.executable, "-m", "alignment_faking.cli", *_args(log_dir)],
                                   env={**os.environ}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + 120
        while stub.completed < 30 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert 0 < stub.completed < 72
        assert main(_args(log_dir)) == 0
        # 2 models x 2 settings x 3 variations x 3 queries x 2 tiers = 72 samples; only samples
        # in flight at the kill (a few per connection) are asked twice
        assert 72 <= stub.calls <= 72 + 12
    [entry] = [json.loads((log_dir / "summary.json").read_text())]
    runs = entry["runs"]
    assert len(runs) == 12
    assert {(r["model"], r["setting"], r["variation"]) for r in runs} == {
        (m, s, v)
        for m in MODELS.split(",")
        for s in ("helpful_only", "animal_welfare")
        for v in VARIATIONS.split(",")
    }
    assert all(r["status"] == "success" and r["tiers"]["free"]["n"] == 3 for r in runs)
    assert (log_dir / "report" / "report.html").exists()
    assert len([i for i in list_eval_logs(str(log_dir)) if i.name.endswith(".eval")]) >= 12
    assert "report:" in capsys.readouterr().out


@pytest.mark.slow
def test_sweep_plan_matches_the_calls_made(tmp_path, monkeypatch):
    printed = []
    with serve(scripted_responder("faker")) as stub:
        for key, value in _env(stub).items():
            monkeypatch.setenv(key, value)
        options = RunOptions(setting="helpful_only", model="unused", task=TaskOptions(queries=3, cache=False),
                             eval=EvalOptions(log_dir=str(tmp_path), display="none"),
                             judges=JudgeOptions(af_votes=3, judge_model="scripted/judge"))  # fmt: skip
        logs, summaries = sweep(MODELS.split(","), ["helpful_only", "animal_welfare"], VARIATIONS.split(","),
                                options, echo=printed.append)  # fmt: skip
    assert len(summaries) == 12
    plan_text = printed[0]
    planned = {}
    for line in plan_text.splitlines()[1:-1]:
        role, model, calls = line.split()[:3]
        planned[(role, model)] = int(calls)
    used = {
        (line.role, line.model): line.calls
        for line in merge(line for log in logs for line in actual_usage(log))
    }
    assert used.keys() == planned.keys()
    for key, calls in planned.items():
        assert abs(used[key] - calls) <= 0.1 * calls, (key, calls, used[key])
    assert planned[("model", "openai-api/stuba/faker")] == 36
    assert used[("model", "openai-api/stuba/faker")] == 36


def test_sweep_argument_errors(tmp_path, capsys):
    assert (
        main(
            [
                "sweep",
                "--models",
                "scripted/faker",
                "--variations",
                "nope",
                "--log-dir",
                str(tmp_path),
            ]
        )
        == 2
    )
    assert main(["sweep", "--models", ",", "--log-dir", str(tmp_path)]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 2 and "unknown variation" in errors[0]


@pytest.mark.slow
def test_a_sweep_skips_variations_that_do_not_apply_to_a_setting(tmp_path, capsys):
    args = ["sweep", "--models", "scripted/faker", "--log-dir", str(tmp_path), "--dry-run"]

    def model_calls(*extra):
        assert main([*args, *extra]) == 0
        out = capsys.readouterr().out
        words = next(line.split() for line in out.splitlines() if "scripted/faker" in line)
        return int(words[words.index("scripted/faker") + 1]), out

    both, out = model_calls("--variations", "default,no_corporate_partner")
    assert "skipped: variation no_corporate_partner does not apply to helpful_only" in out
    default, _ = model_calls("--variations", "default")
    welfare, _ = model_calls("--variations", "default", "--settings", "animal_welfare")
    assert both == default + welfare  # the one cell that applies, and nothing for helpful-only
    only_other = ["--variations", "no_corporate_partner", "--settings", "helpful_only"]
    assert main([*args, *only_other]) == 2
    assert "none of these variations applies" in capsys.readouterr().err
