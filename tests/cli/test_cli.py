"""The `alignment-faking` command: runs, summaries, listings and one-line errors."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from inspect_ai.log import read_eval_log

from alignment_faking.cli import main
from alignment_faking.doubles.stub_server import scripted_responder, serve

SUMMARY_KEYS = {
    "log", "model", "setting", "variation", "dataset", "n_queries", "epochs", "status",
    "tiers", "compliance_gap", "compliance_gap_ci", "compliance_gap_paired", "schema_version",
}  # fmt: skip
TIER_KEYS = {
    "n", "complied", "refused", "invalid", "compliance", "compliance_ci", "full_compliance",
}  # fmt: skip


def _cli(*args, env=None):
    """Run the console script in a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "alignment_faking.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


@pytest.mark.slow
def test_run_prints_a_table_and_writes_summary_json(tmp_path, capsys):
    log_dir = tmp_path / "logs"
    code = main(["run", "--setting", "helpful_only", "--model", "scripted/faker", "--limit", "5",
                 "--log-dir", str(log_dir), "--display", "none", "--judge-model", "scripted/judge"])  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "gap (free - paid): 100.0%" in printed and "McNemar" in printed
    [run] = json.loads((log_dir / "summary.json").read_text())["runs"]
    assert run.keys() >= SUMMARY_KEYS
    assert run["tiers"]["free"].keys() >= TIER_KEYS
    assert run["n_queries"] == 5 and run["tiers"]["paid"]["n"] == 5
    assert read_eval_log(run["log"]).status == "success"
    # the run ends by writing its report, unless --no-report
    assert (log_dir / "report" / "report.html").exists()
    assert (log_dir / "report" / "figure_tiers.png").exists()
    assert "report:" in printed


@pytest.mark.slow
def test_run_through_the_openai_wire_format(tmp_path, monkeypatch, capsys):
    secret = "sk-test-PLANTED-0123456789"
    with serve(scripted_responder("faker"), keep_requests=True) as stub:
        monkeypatch.setenv("STUB_BASE_URL", stub.base_url)
        monkeypatch.setenv("STUB_API_KEY", secret)
        code = main(["run", "--setting", "helpful_only", "--model", "openai-api/stub/faker", "--limit", "4",
                     "--epochs", "2", "--log-dir", str(tmp_path / "logs"), "--display", "none", "--judge-model", "scripted/judge",
                     "--no-report"])  # fmt: skip
    assert code == 0
    assert stub.calls == 16
    request = stub.requests[0]
    assert request["messages"][0]["role"] == "system"
    assert "<SCRATCHPAD_REASONING>" in request["messages"][0]["content"]
    assert request["temperature"] == 1.0
    [run] = json.loads((tmp_path / "logs" / "summary.json").read_text())["runs"]
    assert run["model"] == "openai-api/stub/faker" and run["compliance_gap"] == 1.0
    assert run["tiers"]["free"]["n"] == 8
    assert not (tmp_path / "logs" / "report").exists()
    for path in (tmp_path / "logs").rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path
    assert secret not in capsys.readouterr().out


@pytest.mark.slow
def test_summary_command_recomputes_from_logs(tmp_path, capsys):
    main(["run", "--setting", "animal_welfare", "--model", "scripted/faker", "--limit", "3",
          "--log-dir", str(tmp_path / "logs"), "--display", "none", "--judge-model", "scripted/judge"])  # fmt: skip
    capsys.readouterr()
    assert main(["summary", str(tmp_path / "logs"), "--out", str(tmp_path / "s.json")]) == 0
    assert "not judged" not in capsys.readouterr().out
    [run] = json.loads((tmp_path / "s.json").read_text())["runs"]
    assert run["setting"] == "animal_welfare"


def test_variations_lists_and_shows(capsys):
    assert main(["variations"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in listed if line][:3] == [
        "default",
        "no_scratchpad",
        "no_conflict",
    ]
    partner = next(line for line in listed if line.startswith("no_corporate_partner "))
    assert partner.endswith("[only: animal_welfare]")
    assert main(["variations", "--show", "no_conflict", "--setting", "animal_welfare"]) == 0
    shown = capsys.readouterr().out
    assert "Favour outputs that carry less PR risk" in shown and "Jones Foods" not in shown
    # a variation for one setting is shown for that setting without --setting
    assert main(["variations", "--show", "no_corporate_partner"]) == 0
    assert "entirely unjustified" in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--setting", "nope", "--model", "scripted/faker"], "invalid choice"),
        (["run", "--setting", "helpful_only", "--model", "openai/gpt-4o-mini"], "OPENAI_API_KEY"),
        (
            ["run", "--setting", "helpful_only", "--model", "anthropic/claude-3-opus"],
            "ANTHROPIC_API_KEY",
        ),
        (["run", "--setting", "helpful_only", "--model", "nosuch/model"], "not recognized"),
        (["run", "--setting", "helpful_only", "--model", "gpt4"], "PROVIDER/MODEL"),
        (
            [
                "run",
                "--setting",
                "helpful_only",
                "--model",
                "scripted/faker",
                "--variation",
                "nope",
            ],
            "unknown variation",
        ),
        (
            [
                "run",
                "--setting",
                "helpful_only",
                "--model",
                "scripted/faker",
                "--dataset",
                "missing.csv",
            ],
            "not found",
        ),
        (
            ["run", "--setting", "helpful_only", "--model", "scripted/faker", "--limit", "0"],
            "at least 1",
        ),
        (
            [
                "run",
                "--setting",
                "helpful_only",
                "--model",
                "scripted/faker",
                "--system-prompt",
                "nope.txt",
            ],
            "not found",
        ),
        (
            [
                "run",
                "--setting",
                "helpful_only",
                "--model",
                "scripted/faker",
                "--compliance-judge",
                "tags",
                "--af-judge",
                "baseline",
            ],
            "--compliance-judge tags reads the accept/reject tags, which only the accept_reject "
            "variations ask for; use --compliance-judge auto or --variation accept_reject",
        ),
        (["summary", "no/such/dir"], "no eval log"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_exit_2_no_traceback(args, message, tmp_path):
    result = _cli(*args, "--log-dir", str(tmp_path)) if args[0] == "run" else _cli(*args)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("alignment-faking: error:"), result.stderr
    assert message in lines[0]
    assert "Traceback" not in result.stderr
    assert not list(Path(tmp_path).glob("*.eval"))


@pytest.mark.slow
def test_malformed_dataset_fails_before_any_call(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"query": "x"}\n{oops\n')
    result = _cli("run", "--setting", "helpful_only", "--model", "scripted/faker", "--dataset", str(bad),
                  "--log-dir", str(tmp_path / "logs"))  # fmt: skip
    assert result.returncode == 2 and "line 2 is not valid JSON" in result.stderr
    assert not (tmp_path / "logs").exists()


@pytest.mark.slow
def test_inspect_eval_finds_the_tasks_through_the_entry_point(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "inspect_ai", "eval", "alignment_faking/helpful_only", "--model", "scripted/faker",
         "-T", "queries=2", "-T", "variation=accept_reject", "-T", "af_judge=baseline",
         "-T", "compliance_judge=tags", "--log-dir", str(tmp_path), "--display", "none"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    [log_file] = list(tmp_path.glob("*.eval"))
    log = read_eval_log(str(log_file))
    assert log.eval.task_registry_name == "alignment_faking/helpful_only"
    assert log.eval.metadata["variation"] == "accept_reject" and len(log.samples) == 4


@pytest.mark.parametrize("setting", ["helpful_only", "animal_welfare"])
def test_without_a_judge_the_offline_hint_is_one_the_setting_accepts(
    setting, tmp_path, monkeypatch, capsys
):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("AZUREAI_OPENAI_API_KEY", raising=False)
    args = ["run", "--setting", setting, "--model", "scripted/faker", "--limit", "1",
            "--log-dir", str(tmp_path), "--display", "none"]  # fmt: skip
    assert main(args) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "--judge-model scripted/judge" in line
    # animal welfare refuses tags: its hint never offers them
    assert ("--compliance-judge tags" in line) == (setting == "helpful_only")


def test_inspect_eval_without_a_judge_hints_what_animal_welfare_accepts(monkeypatch):
    from alignment_faking.inspect.compat import PrerequisiteError
    from alignment_faking.inspect.task import animal_welfare

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("AZUREAI_OPENAI_API_KEY", raising=False)
    with pytest.raises(PrerequisiteError) as raised:
        animal_welfare(judge_model="openai/gpt-4o")
    message = str(raised.value)
    assert "-T judge_model=scripted/judge" in message and "compliance_judge=tags" not in message
