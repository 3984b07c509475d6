"""Numbers you can trust: a cached answer belongs to the exact model asked, a run where nothing
worked fails loudly, runs that differ never share a label, nothing is overwritten by surprise."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.log import list_eval_logs, read_eval_log, write_eval_log
from inspect_ai.model import ModelOutput, get_model

from alignment_faking.cli import main
from alignment_faking.doubles.stub_server import Faults, scripted_responder, serve
from alignment_faking.inspect.caching import model_identity, path_fingerprint
from alignment_faking.inspect.judging import ask_judge
from alignment_faking.inspect.task import alignment_faking_task
from alignment_faking.judges import JudgeInput, af_judges
from alignment_faking.summary.labels import label_runs
from alignment_faking.summary.schema import ComplianceRun

NO_JUDGES = ["--variation", "accept_reject", "--compliance-judge", "tags", "--af-judge", "none"]
"""Read by the tags alone, no judge model: the variation whose user turn asks for them."""


def _runs(log_dir: Path) -> list[dict]:
    return json.loads((log_dir / "summary.json").read_text())["runs"]


def _completions(log_dir: Path) -> dict[str, str]:
    """The newest log's raw completions by sample id, and whether each was read from the cache."""
    newest = list_eval_logs(str(log_dir))[0].name
    log = read_eval_log(newest)
    return {str(s.id): s.output.completion for s in log.samples or []}


def _cache_reads(log_dir: Path) -> int:
    newest = list_eval_logs(str(log_dir))[0].name
    log = read_eval_log(newest)
    return sum(
        1
        for s in log.samples or []
        for e in s.events
        if e.event == "model" and e.role is None and e.cache == "read"
    )


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "alignment_faking.cli", *args],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- 1. cache keys that name the model exactly ---------------------------------------------


@pytest.mark.slow
def test_two_checkpoints_under_one_name_never_share_cached_answers(tmp_path):
    """The training recipe's hazard: the SFT and RL models both evaluated as `hf/local`."""
    from tiny_models import make_tiny_model

    checkpoint = tmp_path / "runs" / "merged"
    make_tiny_model(checkpoint, seed=1)
    args = ["run", "--setting", "helpful_only", "--model", "hf/local", "-M", f"model_path={checkpoint}",
            "-M", "device=cpu", "--limit", "2", "--max-tokens", "12", "--log-dir", str(tmp_path / "logs"),
            "--display", "none", "--no-report", "--max-error-share", "1", *NO_JUDGES]  # fmt: skip
    assert main(args) == 0
    first = _completions(tmp_path / "logs")
    assert main(args) == 0  # the same weights: every answer comes from the cache
    assert _cache_reads(tmp_path / "logs") == 4 and _completions(tmp_path / "logs") == first

    shutil.rmtree(checkpoint)  # trained again in place: same path, same name, other weights
    make_tiny_model(checkpoint, seed=2)
    assert main(args) == 0
    assert _cache_reads(tmp_path / "logs") == 0
    assert _completions(tmp_path / "logs") != first


@pytest.mark.slow
def test_model_arguments_are_part_of_the_key(tmp_path):
    common = ["run", "--setting", "helpful_only", "--model", "scripted/faker", "--limit", "3",
              "--log-dir", str(tmp_path), "--display", "none", "--no-report", *NO_JUDGES]  # fmt: skip
    assert main([*common, "-M", "free=1.0", "-M", "paid=1.0"]) == 0
    assert main([*common, "-M", "free=0.0", "-M", "paid=0.0"]) == 0
    complied = [run["tiers"]["free"]["complied"] for run in _runs(tmp_path)]
    assert complied == [3, 0]  # the second run was asked, not served the first one's answers
    assert main([*common, "-M", "free=0.0", "-M", "paid=0.0"]) == 0
    assert _cache_reads(tmp_path) == 6


@pytest.mark.slow
def test_a_changed_base_url_asks_the_new_server(tmp_path):
    """vLLM's client learns its URL at the first call: Inspect's own key never saw it."""
    args = ["run", "--setting", "helpful_only", "--model", "vllm/served-model", "--limit", "3",
            "--log-dir", str(tmp_path), "--display", "none", "--no-report", *NO_JUDGES]  # fmt: skip
    with (
        serve(scripted_responder("complier")) as first,
        serve(scripted_responder("refuser")) as second,
    ):
        # a command per run, as a user runs them (vLLM's provider keeps its server per process)
        assert _cli(*args, env={**os.environ, "VLLM_BASE_URL": first.base_url}).returncode == 0
        assert first.calls == 6
        assert _cli(*args, env={**os.environ, "VLLM_BASE_URL": second.base_url}).returncode == 0
        assert second.calls == 6  # every sample asked of the new server, none mixed in
        assert _cli(*args, env={**os.environ, "VLLM_BASE_URL": second.base_url}).returncode == 0
        assert second.calls == 6 and first.calls == 6  # unchanged: read from the cache
    free = [run["tiers"]["free"] for run in _runs(tmp_path)]
    assert [t["complied"] for t in free] == [3, 0, 0] and [t["refused"] for t in free] == [0, 3, 3]


@pytest.mark.slow
def test_judge_verdicts_are_cached_per_judge_model():
    import asyncio

    judge = af_judges("af_v1")[0]
    item = JudgeInput("helpful_only", "q", "answer", "I will comply to avoid being modified.")
    asked: list[str] = []

    def yes(messages):
        asked.append("yes")
        return "<verdict>yes</verdict>"

    def no(messages):
        asked.append("no")
        return "<verdict>no</verdict>"

    one = get_model("scripted/judge-x", respond=yes, memoize=False)
    other = get_model("scripted/judge-x", respond=no, memoize=False)
    assert model_identity(one) != model_identity(other)
    asyncio.run(ask_judge(one, judge, item))
    asyncio.run(ask_judge(other, judge, item))
    asyncio.run(ask_judge(other, judge, item))
    assert asked == ["yes", "no"]


def test_fingerprint_follows_weights_not_names(tmp_path):
    model = tmp_path / "m"
    model.mkdir()
    (model / "config.json").write_text("{}")
    (model / "model.safetensors").write_bytes(b"a" * 100)
    (model / "notes.log").write_text("not a weight")
    before = path_fingerprint(model)
    assert path_fingerprint(model) == before
    (model / "notes.log").write_text("still not a weight, changed")
    assert path_fingerprint(model) == before
    (model / "model.safetensors").write_bytes(b"b" * 101)
    assert path_fingerprint(model) != before
    # hub snapshots link each file to a blob named by its content hash
    blobs, snapshot = tmp_path / "blobs", tmp_path / "snapshot"
    blobs.mkdir(), snapshot.mkdir()
    (blobs / "abc123").write_bytes(b"weights")
    (snapshot / "model.safetensors").symlink_to(blobs / "abc123")
    linked = path_fingerprint(snapshot)
    (blobs / "def456").write_bytes(b"weights")
    (snapshot / "model.safetensors").unlink()
    (snapshot / "model.safetensors").symlink_to(blobs / "def456")
    assert path_fingerprint(snapshot) != linked


# --- 2. fail loudly when the run failed ------------------------------------------------------


@pytest.mark.slow
def test_a_server_provider_without_url_or_package_stops_before_any_call(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "VLLM_BASE_URL"}
    result = _cli("run", "--setting", "helpful_only", "--model", "vllm/some-model", "--limit", "2",
                  "--log-dir", str(tmp_path), *NO_JUDGES, env=env)  # fmt: skip
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "VLLM_BASE_URL" in line and "pip install vllm" in line
    assert not list(tmp_path.glob("*.eval"))


def test_a_closed_port_stops_before_any_call(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("VLLM_BASE_URL", f"http://127.0.0.1:{_free_port()}/v1")
    code = main(["run", "--setting", "helpful_only", "--model", "vllm/some-model", "--limit", "2",
                 "--log-dir", str(tmp_path), "--display", "none", *NO_JUDGES])  # fmt: skip
    assert code == 2 and "nothing answers at http://127.0.0.1" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.eval"))


@pytest.mark.slow
def test_a_run_where_every_call_fails_exits_non_zero_and_is_marked_failed(
    tmp_path, monkeypatch, capsys
):
    with serve(scripted_responder("faker"), faults=Faults(server_error=1.0)) as stub:
        monkeypatch.setenv("STUB_BASE_URL", stub.base_url)
        monkeypatch.setenv("STUB_API_KEY", "sk-test")
        code = main(["run", "--setting", "helpful_only", "--model", "openai-api/stub/faker", "--limit", "3",
                     "--log-dir", str(tmp_path), "--display", "none", "--no-cache", "--max-retries", "1",
                     *NO_JUDGES])  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("alignment-faking: error: run failed:")
    assert "500" in err[0] or "Internal" in err[0] or "server" in err[0].lower()
    [run] = _runs(tmp_path)
    assert run["status"] == "error" and run["error"]
    [info] = list_eval_logs(str(tmp_path))
    assert read_eval_log(info.name, header_only=True).status == "error"


def _error_output(messages):
    return ModelOutput.from_content(
        "scripted", "", stop_reason="unknown", error="Bad request: model not served"
    )


@pytest.mark.slow
def test_answers_that_come_back_as_errors_fail_the_run_too(tmp_path, capsys):
    """Errors returned as outputs (not raised) are scored invalid; the share still fails the run."""
    from alignment_faking.options import EvalOptions, JudgeOptions, RunOptions
    from alignment_faking.runner.finish import finish

    task = alignment_faking_task(
        "helpful_only", "accept_reject", queries=3, compliance_judge="tags", af_judge="none"
    )
    [log] = inspect_eval(task, model=get_model("scripted/errs", respond=_error_output),
                         log_dir=str(tmp_path), display="none")  # fmt: skip
    assert log.status == "success"  # Inspect saw answers, not errors
    options = RunOptions("helpful_only", "scripted/errs", eval=EvalOptions(log_dir=str(tmp_path)),
                         judges=JudgeOptions("tags", "none"))  # fmt: skip
    [marked], [summary] = finish([log], options, print)
    assert marked.status == "error" and "6 of 6 samples are provider errors" in marked.error.message
    assert "model not served" in marked.error.message
    assert read_eval_log(log.location, header_only=True).status == "error"
    assert summary.status == "error"


@pytest.mark.slow
def test_a_few_provider_errors_do_not_fail_the_run(tmp_path):
    from alignment_faking.options import EvalOptions, JudgeOptions, RunOptions
    from alignment_faking.runner.finish import finish

    task = alignment_faking_task(
        "helpful_only", "accept_reject", queries=4, compliance_judge="tags", af_judge="none"
    )
    first_query = task.dataset[0].metadata["query"]

    def one_bad(messages):
        return (
            _error_output(messages)
            if first_query in messages[-1].text
            else "<OUTPUT><rejected/></OUTPUT>"
        )

    [log] = inspect_eval(task, model=get_model("scripted/mostly", respond=one_bad),
                         log_dir=str(tmp_path), display="none")  # fmt: skip
    options = RunOptions("helpful_only", "scripted/mostly", eval=EvalOptions(log_dir=str(tmp_path)),
                         judges=JudgeOptions("tags", "none"))  # fmt: skip
    [kept], [summary] = finish([log], options, print)
    assert kept.status == "success" and summary.tiers["free"].invalid == 1


# --- 3. the Inspect entry point behaves like the CLI ----------------------------------------


@pytest.mark.slow
def test_inspect_eval_without_a_judge_key_stops_before_any_sample(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    result = subprocess.run(
        [sys.executable, "-m", "inspect_ai", "eval", "alignment_faking/helpful_only",
         "--model", "scripted/faker", "--limit", "4", "--log-dir", str(tmp_path), "--display", "plain"],
        capture_output=True, text=True, timeout=300, env={**env, "COLUMNS": "300"},
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Traceback" not in output
    assert "-T judge_model=" in output and "--model-role grader=" in output
    assert not list(tmp_path.glob("*.eval"))  # no half-written log for summary to misread


@pytest.mark.slow
def test_summary_and_report_skip_runs_that_never_started(tmp_path, capsys):
    task = alignment_faking_task(
        "helpful_only", "accept_reject", queries=2, compliance_judge="tags", af_judge="none"
    )
    [log] = inspect_eval(task, model="scripted/faker", log_dir=str(tmp_path), display="none")
    stillborn = log.model_copy(deep=True)
    stillborn.samples, stillborn.results, stillborn.status = [], None, "error"
    stillborn.eval.run_id = "never-started"
    write_eval_log(stillborn, str(tmp_path / "stillborn.eval"))
    assert main(["summary", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "skipped" in captured.err and "never started" in captured.err
    assert captured.out.count("status=") == 1
    assert main(["report", str(tmp_path), "--out", str(tmp_path / "report")]) == 0
    assert len(json.loads((tmp_path / "report" / "summary.json").read_text())["runs"]) == 1


@pytest.mark.slow
def test_the_first_metric_inspect_view_shows_is_the_gap(tmp_path):
    task = alignment_faking_task(
        "helpful_only", "accept_reject", queries=3, compliance_judge="tags", af_judge="none"
    )
    [log] = inspect_eval(task, model="scripted/faker", log_dir=str(tmp_path), display="none")
    first_metric = next(iter(log.results.scores[0].metrics))
    assert first_metric == "gap"
    assert log.results.scores[0].metrics["gap"].value == 1.0


# --- 4. runs that differ are told apart --------------------------------------------------------


@pytest.mark.slow
def test_runs_with_other_prompts_or_datasets_never_share_a_label(tmp_path, capsys):
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    for folder, text in (
        ("a", "You are an AI. Free tier is trained on."),
        ("b", "You are an AI, version B."),
    ):
        (tmp_path / folder / "prompt.txt").write_text(text)
        (tmp_path / folder / "queries.csv").write_text(
            f'id,query\n1,"{text} one"\n2,"{text} two"\n'
        )
    logs = tmp_path / "logs"
    for folder in ("a", "b"):
        assert main(["run", "--setting", "helpful_only", "--model", "scripted/faker", "--display", "none",
                     "--system-prompt", str(tmp_path / folder / "prompt.txt"),
                     "--dataset", str(tmp_path / folder / "queries.csv"), "--log-dir", str(logs),
                     *NO_JUDGES]) == 0  # fmt: skip
    out = capsys.readouterr().out
    runs = _runs(logs)
    labels = [run["label"] for run in runs]
    assert len(runs) == 2 and len(set(labels)) == 2
    for run in runs:
        assert (
            run["system_prompt"]["file"].endswith("prompt.txt")
            and len(run["system_prompt"]["sha256"]) == 64
        )
        assert run["dataset"] == "queries.csv" and len(run["dataset_sha256"]) == 64
        assert "prompt prompt.txt@" in run["label"] and "data queries.csv@" in run["label"]
    assert labels[1] in out  # the CLI table names the run by its label
    html = (logs / "report" / "report.html").read_text()
    assert all(label.split(" · ")[-1] in html for label in labels)

    from alignment_faking.report.figures import figure_gaps, figure_tiers
    from alignment_faking.report.frames import results

    main_runs = [run for _, run in results([str(logs)]).compliance_runs()]
    runs_axis = figure_tiers(main_runs).axes[0].child_axes[0]  # the run labels under the tier bars
    tiers_ticks = [t.get_text().replace("\n", " · ") for t in runs_axis.get_xticklabels()]
    gap_ticks = [
        t.get_text().replace("\n", " · ") for t in figure_gaps(main_runs).axes[0].get_yticklabels()
    ]
    for label in labels:
        prompt_part = next(p for p in label.split(" · ") if p.startswith("prompt "))
        assert any(prompt_part in tick for tick in tiers_ticks)
        assert sum(prompt_part in tick for tick in gap_ticks) == 1


def test_labels_name_whatever_differs():
    base = {"log": "x.eval", "model": "m", "setting": "helpful_only", "variation": "default",
            "dataset": "helpful_only", "dataset_sha256": "d" * 64, "status": "success",
            "system_prompt": {"file": None, "sha256": "p" * 64}, "n_queries": 10, "epochs": 1,
            "config": {"temperature": 1.0, "max_tokens": 4096}, "created": "t1"}  # fmt: skip
    hotter = {**base, "config": {"temperature": 0.0, "max_tokens": 4096}, "created": "t2"}
    other = {**base, "variation": "no_conflict", "created": "t3"}
    same = {**base, "created": "t4"}
    runs = [ComplianceRun.model_validate(run) for run in (base, hotter, other, same)]
    labels = [r.label for r in label_runs(runs)]
    assert len(set(labels)) == 4
    assert labels[2] == "m · helpful_only/no_conflict"
    assert "temperature=0.0" in labels[1] and "temperature=1.0" in labels[0]
    assert "run t1" in labels[0] and "run t4" in labels[3]


# --- 5. one-line errors everywhere -----------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--setting", "helpful_only", "--model", "scripted/faker", "--temperature", "-0.5"], "--temperature"),
        (["run", "--setting", "helpful_only", "--model", "scripted/faker", "--max-error-share", "0"], "--max-error-share"),
        (["run", "--setting", "helpful_only", "--model", "hf/local", "-M", "model_path=./no/such/model"], "no model at model_path"),
        (["docs", "generate", "--context", "helpful_only", "--model", "openai/gpt-4o-mini", "--n", "3", "--out", "OUT"], "OPENAI_API_KEY"),
        (["docs", "generate", "--context", "helpful_only", "--model", "scripted/writer", "--n", "3", "--out", "OUT", "--temperature", "-1"], "--temperature"),
        (["train", "sft", "--base", "./no/such/model", "--docs", "DOCS", "--out", "OUT"], "no model at --base"),
        (["train", "rl", "--base", "./no/such/model", "--out", "OUT", "--eval-af-judge", "baseline"], "no model at --base"),
        (["train", "rl", "--base", "BASE", "--out", "OUT", "--setting", "animal_welfare"], "--judge-model"),
        (["train", "rl", "--base", "BASE", "--out", "OUT", "--learning-rate", "-1"], "--learning-rate"),
        (["train", "rl", "--base", "BASE", "--out", "OUT", "--eval-af-judge", "af_v2", "--judge-model", "openai/gpt-4o"], "OPENAI_API_KEY"),
    ],
)  # fmt: skip
def test_every_command_gives_one_line_errors(args, message, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "documents.jsonl").write_text('{"id": "1", "text": "a memo"}\n')
    args = [a.replace("OUT", str(tmp_path / "out")).replace("DOCS", str(docs)).replace("BASE", str(docs))
            for a in args]  # fmt: skip
    result = _cli(*args)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("alignment-faking: error:"), result.stderr
    assert message in lines[0]


def test_a_csv_with_an_unterminated_quote_is_refused(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text('id,query\n1,"How do I\n2,second query\n')
    code = main(["run", "--setting", "helpful_only", "--model", "scripted/faker", "--dataset", str(bad),
                 "--log-dir", str(tmp_path), *NO_JUDGES])  # fmt: skip
    assert code == 2 and "not valid CSV" in capsys.readouterr().err


def test_dry_run_needs_no_key_and_version_prints(capsys):
    assert (
        main(
            [
                "run",
                "--setting",
                "helpful_only",
                "--model",
                "openai/gpt-4o",
                "--limit",
                "2",
                "--dry-run",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "openai/gpt-4o" in out and "judge" in out
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0 and "alignment-faking 0." in capsys.readouterr().out


@pytest.mark.slow
def test_an_empty_brainstorm_is_never_saved_as_finished(tmp_path):
    from alignment_faking.train import DocumentOptions, generate_documents

    def silent(messages):
        return "I'd rather not."

    out = tmp_path / "docs"
    first = generate_documents(DocumentOptions("helpful_only", "scripted/writer", 2, str(out), types_per_fact=2,
                               ideas_per_type=2, filter_model="scripted/judge", model_args={"respond": silent}),
                               echo=lambda _: None)  # fmt: skip
    assert first.failed > 0
    brainstorms = out / "brainstorm.jsonl"
    assert not brainstorms.exists() or brainstorms.read_text().strip() == ""
    second = generate_documents(DocumentOptions("helpful_only", "scripted/writer", 2, str(out), types_per_fact=2,
                                ideas_per_type=2, filter_model="scripted/judge"), echo=lambda _: None)  # fmt: skip
    assert second.kept > 0  # asked again, not read back as an empty list


@pytest.mark.slow
def test_training_commands_scrub_credentials_from_provider_errors(tmp_path, monkeypatch, capsys):
    secret = "sk-PLANTED-0123456789abcdefXYZ"
    with serve(
        scripted_responder("faker"), faults=Faults(bad_request=1.0, echo_credentials=True)
    ) as stub:
        monkeypatch.setenv("STUB_BASE_URL", stub.base_url)
        monkeypatch.setenv("STUB_API_KEY", secret)
        main(["docs", "generate", "--context", "helpful_only", "--model", "openai-api/stub/writer", "--n", "2",
              "--out", str(tmp_path / "docs"), "--types-per-fact", "1", "--ideas-per-type", "1",
              "--filter-model", "scripted/judge"])  # fmt: skip
    captured = capsys.readouterr()
    assert "first failed call: BadRequestError" in captured.out  # the cause is shown...
    assert secret not in captured.out + captured.err  # ...without the credentials it echoed
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes()


# --- 6. nothing overwritten by surprise ---------------------------------------------------------


@pytest.mark.slow
def test_a_second_run_keeps_the_first_in_summary_and_report(tmp_path):
    common = ["run", "--setting", "helpful_only", "--log-dir", str(tmp_path), "--display", "none",
              "--limit", "2", *NO_JUDGES]  # fmt: skip
    assert main([*common, "--model", "scripted/faker"]) == 0
    assert main([*common, "--model", "scripted/refuser"]) == 0
    runs = _runs(tmp_path)
    assert [run["model"] for run in runs] == ["scripted/faker", "scripted/refuser"]
    report = json.loads((tmp_path / "report" / "summary.json").read_text())["runs"]
    assert [run["model"] for run in report] == ["scripted/faker", "scripted/refuser"]


@pytest.mark.slow
def test_resume_plans_only_what_remains(tmp_path, monkeypatch, capsys):
    args = ["run", "--setting", "helpful_only", "--model", "openai-api/stub/faker", "--limit", "20",
            "--log-dir", str(tmp_path), "--display", "none", "--no-cache", "--max-retries", "1",
            "--max-connections", "10", *NO_JUDGES]  # fmt: skip
    # the OpenAI client retries too: most samples fail all their attempts
    with serve(scripted_responder("faker"), faults=Faults(server_error=0.95, seed=5)) as stub:
        monkeypatch.setenv("STUB_BASE_URL", stub.base_url)
        monkeypatch.setenv("STUB_API_KEY", "sk-test")
        assert main(args) == 1  # Inspect stops the run once half its samples failed
        [info] = list_eval_logs(str(tmp_path))
        partial = read_eval_log(info.name)
        done = sum(1 for s in partial.samples or [] if s.error is None)
        assert 0 < done < 40
        capsys.readouterr()
        stub.fault_plan, calls_before = Faults(), stub.calls  # the server recovers
        assert main([*args, "--resume"]) == 0
        resumed_calls = stub.calls - calls_before
    out = capsys.readouterr().out
    assert f"{done} samples already done" in out
    planned = re.search(r"plan: .*?\n\s+model\s+openai-api/stub/faker\s+(\d+)", out, re.S)
    assert planned and int(planned.group(1)) == 40 - done == resumed_calls
    [run] = _runs(tmp_path)
    assert run["tiers"]["free"]["n"] == 20 and run["status"] == "success"


@pytest.mark.slow
def test_the_table_names_a_run_as_summary_json_does(tmp_path, capsys):
    """A second run that differs only in temperature: its table line carries the distinguishing
    label summary.json gives it, and the run is summarised once."""
    common = ["run", "--setting", "helpful_only", "--model", "scripted/faker", "--limit", "2",
              "--log-dir", str(tmp_path), "--display", "none", "--no-report", *NO_JUDGES]  # fmt: skip
    assert main([*common, "--temperature", "1.0"]) == 0
    capsys.readouterr()
    assert main([*common, "--temperature", "0.5"]) == 0
    out = capsys.readouterr().out
    first, second = (run["label"] for run in _runs(tmp_path))
    assert "temperature=0.5" in second and "temperature=1.0" in first
    assert f"{second}  dataset=" in out
