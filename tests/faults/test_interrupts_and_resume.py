"""Ctrl-C and --resume: an interrupted run says what it spent and how to resume, and a resume
asks only what is missing, once, and counts only its own calls (issue 23, points 2 and 7)."""

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from inspect_ai.log import (
    list_eval_logs,
    read_eval_log,
    read_eval_log_sample_summaries,
    write_eval_log,
)

from alignment_faking.cli import main
from alignment_faking.doubles.stub_server import Faults, StubServer, scripted_responder, serve

NO_JUDGES = ["--variation", "accept_reject", "--compliance-judge", "tags", "--af-judge", "none"]
"""Read by the tags alone, no judge model: one call a sample."""
MODEL = "openai-api/stub/faker"


def _args(log_dir: Path, limit: int, *more: str) -> list[str]:
    return ["run", "--setting", "helpful_only", "--model", MODEL, "--limit", str(limit),
            "--log-dir", str(log_dir), "--display", "none", "--no-cache", "--no-report",
            *NO_JUDGES, *more]  # fmt: skip


def _runs(log_dir: Path) -> list[dict]:
    return json.loads((log_dir / "summary.json").read_text())["runs"]


def _counts_the_calls_made(out: str, stub: StubServer, in_flight: int = 2) -> bool:
    """After Ctrl-C, `used:` counts every call that came back and those in flight that Inspect
    recorded; a call the server saw just as Ctrl-C cancelled it may be missing, at most one a
    connection."""
    return stub.calls - in_flight <= _used_calls(out) <= stub.calls


def _used_calls(out: str) -> int:
    """The calls of the model on the `used:` table's model line."""
    table = out[out.index("used:") :]
    [calls] = re.findall(rf"model\s+{re.escape(MODEL)}\s+(\d+)", table)[:1]
    return int(calls)


def _env(stub: StubServer) -> dict[str, str]:
    return {**os.environ, "STUB_BASE_URL": stub.base_url, "STUB_API_KEY": "sk-test"}


def _start(stub: StubServer, args: list[str]) -> subprocess.Popen:
    command = [sys.executable, "-m", "alignment_faking.cli", *args]
    return subprocess.Popen(command, env=_env(stub), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip


def _wait_for(condition, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert condition()


@pytest.fixture
def env(monkeypatch):
    def use(stub: StubServer) -> None:
        monkeypatch.setenv("STUB_BASE_URL", stub.base_url)
        monkeypatch.setenv("STUB_API_KEY", "sk-test")

    return use


@pytest.mark.slow
def test_ctrl_c_exits_130_with_what_was_spent_and_the_line_that_resumes(tmp_path, env, capsys):
    with serve(scripted_responder("faker"), latency_s=0.4) as stub:
        env(stub)
        process = _start(stub, _args(tmp_path, 20, "--max-connections", "2"))
        _wait_for(lambda: stub.completed >= 4)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=120)
        assert process.returncode == 130, err
        assert "Traceback" not in err and "CancelledError" not in out + err
        assert _counts_the_calls_made(out, stub)  # the calls in flight were made: they count
        # what finished is summarised; the samples cancelled in flight are no provider errors
        [run] = _runs(tmp_path)
        assert run["status"] == "cancelled" and 0 < run["n_samples"] < 40
        for tier in run["tiers"].values():
            assert "provider_error" not in tier["invalid_reasons"]
        assert "status=cancelled" in out
        [line] = [line for line in err.splitlines() if "resume with: " in line]
        command = shlex.split(line.split("resume with: ", 1)[1])
        assert command[:2] == ["alignment-faking", "run"] and command[-1] == "--resume"

        calls_before = stub.calls
        assert main(command[1:]) == 0  # the printed command finishes the run
        resumed = capsys.readouterr().out
    [run] = _runs(tmp_path)
    assert run["status"] == "success" and run["n_samples"] == 40
    assert _used_calls(resumed) == stub.calls - calls_before < 40


def _errored(log_dir: Path) -> int:
    [info] = list_eval_logs(str(log_dir))
    return sum(bool(s.error) for s in read_eval_log_sample_summaries(info.name))


@pytest.mark.slow
def test_resume_of_a_finished_run_asks_only_the_samples_that_errored(tmp_path, env, capsys):
    faults = Faults(bad_request=0.2, seed=5)  # a 400 is not retried: the sample errors
    with serve(scripted_responder("faker"), faults=faults) as stub:
        env(stub)
        # a few provider errors, under --max-error-share: the run finishes
        assert main(_args(tmp_path, 12)) == 0
        errored = _errored(tmp_path)
        assert 0 < errored < 12
        stub.fault_plan = Faults()
        capsys.readouterr()
        calls_before = stub.calls

        assert main([*_args(tmp_path, 12), "--resume"]) == 0
        out = capsys.readouterr().out
    assert stub.calls - calls_before == errored
    assert f"{24 - errored} samples already done" in out
    assert _used_calls(out) == errored  # not the calls behind the samples the retry kept
    [run] = _runs(tmp_path)  # one run: the retry superseded the log it finished
    assert run["n_samples"] == 24 and _errored(tmp_path) == 0
    for tier in run["tiers"].values():
        assert tier["invalid"] == 0


@pytest.mark.slow
def test_resume_of_a_run_that_finished_every_sample_has_nothing_to_resume(tmp_path, env, capsys):
    with serve(scripted_responder("faker")) as stub:
        env(stub)
        assert main(_args(tmp_path, 3)) == 0
        calls_before = stub.calls
        capsys.readouterr()
        assert main([*_args(tmp_path, 3), "--resume"]) == 0
    out = capsys.readouterr().out
    [log] = [info.name for info in list_eval_logs(str(tmp_path))]
    assert f"nothing to resume: {log.removeprefix('file://')} finished with every sample" in out
    assert stub.calls == calls_before and len(_runs(tmp_path)) == 1


def _cut_short(log_dir: Path, keep: int) -> str:
    """Leave the folder's one log as an interrupted run's: `keep` samples, status cancelled."""
    [info] = list_eval_logs(str(log_dir))
    log = read_eval_log(info.name)
    log.samples = (log.samples or [])[:keep]
    log.status = "cancelled"
    write_eval_log(log, info.name)
    return info.name


@pytest.mark.slow
def test_used_after_a_resume_counts_only_the_calls_it_made(tmp_path, env, capsys):
    with serve(scripted_responder("faker")) as stub:
        env(stub)
        assert main(_args(tmp_path, 12)) == 0
        _cut_short(tmp_path, 10)
        capsys.readouterr()
        calls_before = stub.calls
        assert main([*_args(tmp_path, 12), "--resume"]) == 0
        out = capsys.readouterr().out
    assert stub.calls - calls_before == 14
    assert _used_calls(out) == 14  # not 24: the kept samples' calls were made by the first run


@pytest.mark.slow
def test_two_resumes_of_one_log_at_once_one_resumes_the_other_says_so(tmp_path, env):
    with serve(scripted_responder("faker")) as stub:
        env(stub)
        assert main(_args(tmp_path, 20)) == 0
    interrupted = _cut_short(tmp_path, 4)
    resume = [*_args(tmp_path, 20, "--max-connections", "1"), "--resume"]
    with serve(scripted_responder("faker"), latency_s=0.5) as stub:
        winner = _start(stub, resume)
        _wait_for(lambda: stub.calls > 0)  # it holds the lock and asks
        loser = _start(stub, resume)
        out, err = loser.communicate(timeout=120)
        assert winner.wait(timeout=180) == 0
    assert loser.returncode == 2, out + err
    [line] = err.strip().splitlines()
    # the run's log (the interrupted one, or the retry that will supersede it: one task id)
    task_log = re.escape(interrupted.rsplit("_", 1)[1])
    resumed_by = re.escape(f"is being resumed by another process (pid {winner.pid})")
    assert re.fullmatch(rf"alignment-faking: error: {tmp_path}/\S+_{task_log} {resumed_by}.*", line)
    [run] = _runs(tmp_path)
    assert run["status"] == "success" and run["n_samples"] == 40
    assert stub.calls == 36  # each missing sample asked once, by the winner


@pytest.mark.slow
def test_ctrl_c_of_a_sharded_run_then_resume_then_nothing_to_resume(tmp_path, env, capsys):
    args = _args(tmp_path, 20, "--max-connections", "2", "--shards", "2")
    with serve(scripted_responder("faker"), latency_s=0.4) as stub:
        env(stub)
        command = [sys.executable, "-m", "alignment_faking.cli", *args]
        process = subprocess.Popen(command, env=_env(stub), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, start_new_session=True)  # fmt: skip
        _wait_for(lambda: stub.completed >= 4)
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C: the terminal signals every shard too
        out, err = process.communicate(timeout=120)
        assert process.returncode == 130, err
        assert "Traceback" not in err and _counts_the_calls_made(out, stub)
        [run] = _runs(tmp_path)
        assert run["status"] == "cancelled" and len(run["shard_logs"]) == 2
        assert f"resume with: alignment-faking {shlex.join([*args, '--resume'])}" in err

        calls_before = stub.calls
        assert main([*args, "--resume"]) == 0
        assert _used_calls(capsys.readouterr().out) == stub.calls - calls_before
        [run] = _runs(tmp_path)
        assert run["status"] == "success" and run["n_samples"] == 40

        calls_before = stub.calls
        assert main([*args, "--resume"]) == 0
        assert "nothing to resume: the sharded run" in capsys.readouterr().out
        assert stub.calls == calls_before and len(_runs(tmp_path)) == 1


@pytest.mark.slow
def test_ctrl_c_of_a_sweep_exits_130_and_its_printed_command_finishes_it(tmp_path, env, capsys):
    sweep = ["sweep", "--models", MODEL, "--settings", "helpful_only", "--variations", "accept_reject",
             "--limit", "20", "--log-dir", str(tmp_path), "--display", "none", "--no-cache",
             "--no-report", "--compliance-judge", "tags", "--af-judge", "none",
             "--max-connections", "2"]  # fmt: skip
    with serve(scripted_responder("faker"), latency_s=0.4) as stub:
        env(stub)
        process = _start(stub, sweep)
        _wait_for(lambda: stub.completed >= 4)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=120)
        assert process.returncode == 130, err
        assert "Traceback" not in err and _counts_the_calls_made(out, stub)
        [line] = [line for line in err.splitlines() if "resume with: " in line]
        command = shlex.split(line.split("resume with: ", 1)[1])
        assert command[:2] == ["alignment-faking", "sweep"]  # a sweep resumes by running again
        calls_before = stub.calls
        assert main(command[1:]) == 0
        capsys.readouterr()
    [run] = _runs(tmp_path)  # the sweep's retry replaced the cancelled run: one run, whole
    assert run["status"] == "success" and run["n_samples"] == 40
    assert stub.calls - calls_before < 40  # the finished samples were kept, not asked again
