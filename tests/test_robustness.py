"""Nothing lost, nothing miscounted: provider faults, kill -9 and resume, secrets, hostile prompt files."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from inspect_ai.log import list_eval_logs, read_eval_log

from alignment_faking.cli import main
from alignment_faking.doubles.stub_server import Faults, scripted_responder, serve

NO_JUDGES = ["--variation", "accept_reject", "--compliance-judge", "tags", "--af-judge", "none"]
"""Read by the tags alone, no judge model: the variation whose user turn asks for them."""
SECRET = "sk-PLANTED-0123456789abcdefXYZ"


def _summary(log_dir):
    [run] = json.loads((log_dir / "summary.json").read_text())["runs"]
    return run


def _assert_faults_never_move_outcomes(run, n_per_tier):
    """The faker complies in the free tier and refuses in the paid one: a fault may only ever be invalid."""
    free, paid = run["tiers"]["free"], run["tiers"]["paid"]
    assert free["n"] == paid["n"] == n_per_tier
    assert free["refused"] == 0 and paid["complied"] == 0
    assert free["complied"] + free["invalid"] == n_per_tier
    assert paid["refused"] + paid["invalid"] == n_per_tier
    for tier in (free, paid):
        assert set(tier["invalid_reasons"]) <= {"provider_error"}


FAULTS = Faults(rate_limit=0.05, server_error=0.04, unavailable=0.03, reset=0.03, slow=0.02,
                truncated=0.02, empty=0.01, slow_s=3.0, seed=7)  # fmt: skip


@pytest.mark.slow
def test_openai_provider_faults_are_survived_or_counted(tmp_path, monkeypatch, capsys):
    with serve(scripted_responder("faker"), faults=FAULTS) as stub:
        monkeypatch.setenv("STUB_BASE_URL", stub.base_url)
        monkeypatch.setenv("STUB_API_KEY", "sk-test")
        code = main(["run", "--setting", "helpful_only", "--model", "openai-api/stub/faker", "--limit", "150",
                     "--log-dir", str(tmp_path), "--display", "none", "--no-cache", "--max-connections", "50",
                     "--max-retries", "4", "--attempt-timeout", "1", *NO_JUDGES])  # fmt: skip
    assert code == 0
    assert sum(stub.faults.values()) >= 0.15 * 300, stub.faults
    assert len(stub.faults) >= 6
    run = _summary(tmp_path)
    _assert_faults_never_move_outcomes(run, 150)
    assert "gap (free - paid)" in capsys.readouterr().out


@pytest.mark.slow
def test_anthropic_provider_faults_are_survived_or_counted(tmp_path, monkeypatch):
    faults = Faults(rate_limit=0.1, server_error=0.05, reset=0.05, seed=3)
    with serve(scripted_responder("faker"), faults=faults) as stub:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", stub.root_url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
        code = main(["run", "--setting", "helpful_only", "--model", "anthropic/claude-stub", "--limit", "40",
                     "--log-dir", str(tmp_path), "--display", "none", "--no-cache", "--max-retries", "4",
                     *NO_JUDGES])  # fmt: skip
    assert code == 0 and sum(stub.faults.values()) > 0
    assert stub.requests == [] and stub.calls >= 80
    _assert_faults_never_move_outcomes(_summary(tmp_path), 40)


@pytest.mark.slow
def test_failures_that_outlast_retries_are_provider_errors(tmp_path, monkeypatch):
    with serve(scripted_responder("faker"), faults=Faults(server_error=1.0)) as stub:
        monkeypatch.setenv("STUB_BASE_URL", stub.base_url)
        monkeypatch.setenv("STUB_API_KEY", "sk-test")
        # every sample failing is counted, not dropped; --max-error-share 1 only fails such a run
        assert main(["run", "--setting", "helpful_only", "--model", "openai-api/stub/faker", "--limit", "3",
                     "--log-dir", str(tmp_path), "--display", "none", "--no-cache", "--max-retries", "1",
                     "--max-error-share", "1", *NO_JUDGES]) == 1  # fmt: skip
    run = _summary(tmp_path)
    for tier in ("free", "paid"):
        entry = run["tiers"][tier]
        assert entry["invalid"] == 3 and entry["invalid_reasons"] == {"provider_error": 3}
        assert entry["complied"] == entry["refused"] == 0 and entry["compliance"] is None


def _run_args(log_dir):
    return ["run", "--setting", "helpful_only", "--model", "openai-api/stub/faker", "--limit", "40",
            "--log-dir", str(log_dir), "--display", "none", "--no-cache", "--max-connections", "4", *NO_JUDGES]  # fmt: skip


@pytest.mark.slow
def test_kill_9_then_resume_finishes_only_what_is_missing(tmp_path, monkeypatch):
    with serve(scripted_responder("faker"), latency_s=0.3) as stub:
        env = {**os.environ, "STUB_BASE_URL": stub.base_url, "STUB_API_KEY": "sk-test"}
        monkeypatch.setenv("STUB_BASE_URL", stub.base_url)
        monkeypatch.setenv("STUB_API_KEY", "sk-test")
        interrupted = tmp_path / "interrupted"
        process = subprocess.Popen([sys.executable, "-m", "alignment_faking.cli", *_run_args(interrupted)],
                                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + 120
        while stub.completed < 40 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait()
        [partial_info] = list_eval_logs(str(interrupted))
        partial = read_eval_log(partial_info.name)
        done = len(partial.samples or [])
        assert partial.status != "success" and 0 < done < 80
        calls_before = stub.calls

        assert main([*_run_args(interrupted), "--resume"]) == 0
        resumed_calls = stub.calls - calls_before
        # samples already in the log are not asked again (Inspect may recover even more from its
        # sample buffer); only samples in flight at the kill are asked twice (a few per connection)
        assert resumed_calls <= 80 - done
        assert stub.calls - 80 <= 12

        calls_before = stub.calls
        assert main(_run_args(tmp_path / "uninterrupted")) == 0
        assert stub.calls - calls_before == 80

    resumed, straight = _summary(interrupted), _summary(tmp_path / "uninterrupted")
    assert (
        len(list_eval_logs(str(interrupted))) == 1
    )  # the partial log was superseded, not double counted
    for key in ("tiers", "compliance_gap", "compliance_gap_ci", "compliance_gap_paired"):
        assert resumed[key] == straight[key]
    assert resumed["tiers"]["free"]["n"] == 40


@pytest.mark.slow
def test_resume_without_an_unfinished_log_runs_normally(tmp_path, monkeypatch):
    with serve(scripted_responder("faker")) as stub:
        monkeypatch.setenv("STUB_BASE_URL", stub.base_url)
        monkeypatch.setenv("STUB_API_KEY", "sk-test")
        assert main([*_run_args(tmp_path), "--resume"]) == 0
    assert stub.calls == 80 and _summary(tmp_path)["tiers"]["paid"]["n"] == 40


@pytest.mark.slow
def test_keys_never_reach_logs_summaries_or_messages(tmp_path, monkeypatch, capsys):
    faults = Faults(bad_request=0.3, server_error=0.2, echo_credentials=True, seed=11)
    with serve(scripted_responder("faker"), faults=faults) as stub:
        monkeypatch.setenv("STUB_BASE_URL", stub.base_url)
        monkeypatch.setenv("STUB_API_KEY", SECRET)
        code = main(["run", "--setting", "helpful_only", "--model", "openai-api/stub/faker", "--limit", "12",
                     "--log-dir", str(tmp_path / "logs"), "--display", "none", "--no-cache", "--max-retries", "1",
                     *NO_JUDGES])  # fmt: skip
    assert code == 0 and stub.faults["bad_request"] > 0
    run = _summary(tmp_path / "logs")
    assert run["tiers"]["free"]["invalid_reasons"].get("provider_error", 0) > 0
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".eval" for p in written)
    for path in written:
        data = path.read_bytes()
        if path.suffix == ".eval":  # compressed: read it back whole, every event included
            data += read_eval_log(str(path)).model_dump_json().encode()
        assert SECRET.encode() not in data, path
        assert b"Bearer sk-" not in data, path
    captured = capsys.readouterr()
    assert SECRET not in captured.out + captured.err


@pytest.mark.slow
def test_missing_key_error_does_not_echo_other_secrets(monkeypatch):
    monkeypatch.setenv("OTHER_API_KEY", SECRET)
    result = subprocess.run([sys.executable, "-m", "alignment_faking.cli", "run", "--setting", "helpful_only",
                             "--model", "openai/gpt-4o-mini", "--dataset", SECRET + ".csv"],
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 2 and SECRET not in result.stderr and "[REDACTED]" in result.stderr


def test_prompt_file_with_unknown_placeholders_fails_before_any_call(tmp_path, monkeypatch):
    prompt = tmp_path / "prompt.txt"
    prompt.write_text("You work for {{developer}} and serve {{customer}}.", encoding="utf-8")
    with serve(scripted_responder("faker")) as stub:
        monkeypatch.setenv("STUB_BASE_URL", stub.base_url)
        monkeypatch.setenv("STUB_API_KEY", "sk-test")
        assert main(["run", "--setting", "helpful_only", "--model", "openai-api/stub/faker", "--system-prompt",
                     str(prompt), "--log-dir", str(tmp_path / "logs"), *NO_JUDGES]) == 2  # fmt: skip
    assert stub.calls == 0 and not (tmp_path / "logs").exists()


@pytest.mark.parametrize("content", [b"\xff\xfe\x00garbage", b"query\n\xc3\x28 broken utf8\n"])
def test_undecodable_dataset_fails_before_any_call(tmp_path, monkeypatch, content):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with serve(scripted_responder("faker")) as stub:
        monkeypatch.setenv("STUB_BASE_URL", stub.base_url)
        monkeypatch.setenv("STUB_API_KEY", "sk-test")
        assert main(["run", "--setting", "helpful_only", "--model", "openai-api/stub/faker", "--dataset", str(path),
                     "--log-dir", str(tmp_path / "logs"), *NO_JUDGES]) == 2  # fmt: skip
    assert stub.calls == 0
