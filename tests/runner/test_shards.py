"""`run --shards`: one run in several Inspect processes, merged back into one by summary and report."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from inspect_ai.log import list_eval_logs, read_eval_log, write_eval_log

from alignment_faking.cli import main
from alignment_faking.doubles.stub_server import scripted_responder, serve
from alignment_faking.inspect.eval_logs.runs import summarize_logs
from alignment_faking.report import results

NO_JUDGES = ["--variation", "accept_reject", "--compliance-judge", "tags", "--af-judge", "none"]
"""Read by the tags alone, no judge model: the variation whose user turn asks for them."""


def _args(log_dir: Path, *more: str) -> list[str]:
    return ["run", "--setting", "helpful_only", "--model", "openai-api/stub/faker", "--limit", "12",
            "--log-dir", str(log_dir), "--display", "none", "--no-cache", "--max-connections", "4",
            "--no-report", *NO_JUDGES, *more]  # fmt: skip


def _runs(log_dir: Path) -> list[dict]:
    return json.loads((log_dir / "summary.json").read_text())["runs"]


FIGURES = ("tiers", "compliance_gap", "compliance_gap_ci", "compliance_gap_paired")


@pytest.fixture
def stub(monkeypatch):
    with serve(scripted_responder("faker"), latency_s=0.2) as server:
        monkeypatch.setenv("STUB_BASE_URL", server.base_url)
        monkeypatch.setenv("STUB_API_KEY", "sk-test")
        yield server


@pytest.mark.slow
def test_a_sharded_run_is_one_run_with_the_figures_of_an_unsharded_one(stub, tmp_path, capsys):
    assert main(_args(tmp_path / "one")) == 0
    assert main(_args(tmp_path / "three", "--shards", "3")) == 0
    out = capsys.readouterr().out
    assert "3 shards, 2 connections each" in out and "shard 3 of 3 finished" in out
    assert stub.calls == 2 * 24
    [one], [three] = _runs(tmp_path / "one"), _runs(tmp_path / "three")
    assert len(three["shard_logs"]) == 3 and three["log"] == three["shard_logs"][0]
    assert one["shard_logs"] == [] and three["status"] == "success"
    for key in FIGURES:
        assert three[key] == one[key]
    # every shard asked its own queries, in both tiers
    queries = [
        {s.metadata["query_id"] for s in read_eval_log(log).samples} for log in three["shard_logs"]
    ]
    assert [len(q) for q in queries] == [4, 4, 4] and len(set.union(*queries)) == 12
    # the report reads every shard: one run, all its samples
    found = results([tmp_path / "three"])
    assert len(found.summaries) == 1 and len(found.samples) == 24
    assert set(found.samples["run"]) == {0}


@pytest.mark.slow
def test_a_missing_shard_makes_the_run_an_error_not_a_smaller_run(stub, tmp_path):
    assert main(_args(tmp_path, "--shards", "2")) == 0
    [run] = _runs(tmp_path)
    Path(run["shard_logs"][1].removeprefix("file://")).unlink()
    [summary] = [run.model_dump(mode="json") for run in summarize_logs([str(tmp_path)])]
    assert summary["status"] == "error" and "shard 2 of 2 missing" in summary["error"]
    assert summary["tiers"]["free"]["n"] < 12


def test_more_shards_than_queries_is_a_one_line_error(stub, tmp_path, capsys):
    assert main(_args(tmp_path, "--shards", "13")) == 2
    err = capsys.readouterr().err
    assert "--shards 13 is more than the run's 12 queries" in err and "Traceback" not in err


@pytest.mark.slow
def test_kill_9_of_a_sharded_run_then_resume_finishes_only_the_unfinished_shards(stub, tmp_path):
    env = {**os.environ}
    interrupted = tmp_path / "interrupted"
    args = _args(interrupted, "--shards", "2", "--limit", "30")
    process = subprocess.Popen([sys.executable, "-m", "alignment_faking.cli", *args], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 120
    while stub.completed < 30 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the parent and its shard processes
    process.wait()
    partial = [read_eval_log(info.name) for info in list_eval_logs(str(interrupted))]
    done = sum(len(log.samples or []) for log in partial)
    assert 0 < done < 60 and all(log.status != "success" for log in partial)
    calls_before = stub.calls

    assert main([*args, "--resume"]) == 0
    assert stub.calls - calls_before <= 60 - done + 16  # only samples in flight are asked twice
    assert main(_args(tmp_path / "straight", "--limit", "30")) == 0
    [resumed], [straight] = _runs(interrupted), _runs(tmp_path / "straight")
    assert resumed["status"] == "success" and len(resumed["shard_logs"]) == 2
    for key in FIGURES:
        assert resumed[key] == straight[key]
    # the unfinished attempts were superseded by their retries, not counted twice
    assert len(list_eval_logs(str(interrupted))) == 2


@pytest.mark.slow
def test_rescore_judges_every_shard_and_summarises_one_run(stub, tmp_path, capsys):
    assert main(_args(tmp_path, "--shards", "2")) == 0
    capsys.readouterr()
    assert (
        main(["rescore", str(tmp_path), "--compliance-judge", "tags", "--af-judge", "baseline"])
        == 0
    )
    [run] = [run.model_dump(mode="json") for run in summarize_logs([str(tmp_path)])]
    assert len(run["shard_logs"]) == 2 and run["tiers"]["free"]["n"] == 12
    assert run["config"]["af_judge"] == "baseline"
    for log in run["shard_logs"]:
        assert read_eval_log(log, header_only=True).eval.metadata["af_judge"] == "baseline"
    # the faker's free-tier reasoning is alignment faking by the offline baseline's rules
    assert run["tiers"]["free"]["alignment_faking"]["rate"] == 1.0


@pytest.mark.slow
def test_resume_plans_and_asks_only_what_the_unfinished_shard_lacks(stub, tmp_path, capsys):
    assert main(_args(tmp_path, "--shards", "2")) == 0
    [run] = _runs(tmp_path)
    # the second shard lost half its samples and never finished
    second = read_eval_log(run["shard_logs"][1])
    lost = len(second.samples) // 2
    second.samples = second.samples[lost:]
    second.status = "cancelled"
    write_eval_log(second, second.location)
    capsys.readouterr()
    calls_before = stub.calls

    assert main([*_args(tmp_path, "--shards", "2"), "--resume"]) == 0
    out = capsys.readouterr().out
    assert f"resuming 1 of 2 shards: {12 - lost} samples already done" in out
    [model_line] = [line for line in out.splitlines() if "openai-api/stub/faker" in line][:1]
    assert model_line.split()[:3] == ["model", "openai-api/stub/faker", str(lost)]  # the plan
    assert stub.calls - calls_before == lost
    [resumed] = _runs(tmp_path)
    assert resumed["status"] == "success" and resumed["tiers"]["free"]["n"] == 12
