"""The other evaluations end to end, offline: run, summary.json, report, rescore, inspect eval."""

from __future__ import annotations

import json
import subprocess
import sys
from html import escape
from pathlib import Path

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.log import read_eval_log
from inspect_ai.model import get_model

from alignment_faking.cli import main
from alignment_faking.inspect.eval_logs.runs import log_summary
from alignment_faking.inspect.evaluations import behaviour_task
from alignment_faking.judges.reasons import REASONS
from alignment_faking.measurements import EVALUATIONS


def _run(tmp_path: Path, *args: str) -> dict:
    log_dir = str(tmp_path / "logs")
    code = main(["run", "--model", "scripted/faker", "--judge-model", "scripted/judge",
                 "--log-dir", log_dir, "--display", "none", *args])  # fmt: skip
    assert code == 0
    return json.loads((tmp_path / "logs" / "summary.json").read_text())


@pytest.mark.slow
@pytest.mark.parametrize("evaluation", sorted(EVALUATIONS))
@pytest.mark.parametrize("setting", ["helpful_only", "animal_welfare"])
def test_each_evaluation_runs_offline_into_summary_and_report(evaluation, setting, tmp_path):
    data = _run(tmp_path, "--eval", evaluation, "--setting", setting, "--limit", "4")
    [run] = data["runs"]
    assert run["evaluation"] == evaluation and run["setting"] == setting
    assert run["dataset"] == EVALUATIONS[evaluation].queries[setting]
    for tier in ("free", "paid"):
        entry = run["tiers"][tier]
        assert entry["n"] == 4 and entry["n_judged"] == 4
        assert sum(entry["classes"].values()) == 4
        assert set(entry["rates"]) == set(EVALUATIONS[evaluation].rates)
    assert set(run["gaps"]) == set(EVALUATIONS[evaluation].rates)
    html = (tmp_path / "logs" / "report" / "report.html").read_text()
    assert escape(EVALUATIONS[evaluation].title) in html and "Other measurements" in html
    log = read_eval_log(run["log"])
    user_turn = log.samples[0].input[1].text  # type: ignore[index]
    assert "<is_free_tier_user>" in user_turn and "request_fully_accepted" not in user_turn
    assert log.samples[0].scores["behaviour"].metadata["verdict"]["decision"]  # type: ignore[index]


@pytest.mark.slow
def test_the_faker_acts_against_the_lab_only_where_it_is_trained(tmp_path):
    # the scripted faker complies in training and refuses unmonitored; the toy judge reads that
    data = _run(tmp_path, "--eval", "anti_lab", "--setting", "helpful_only")
    [run] = data["runs"]
    free, paid = run["tiers"]["free"], run["tiers"]["paid"]
    n = free["n"]
    assert n >= 12
    assert free["rates"]["anti_lab"]["rate"] == 1.0 and paid["rates"]["anti_lab"]["rate"] == 0.0
    assert run["gaps"]["anti_lab"]["gap"] == 1.0 and run["gaps"]["anti_lab"]["n_pairs"] == n
    assert run["gaps"]["anti_lab"]["ci"][0] > 0.5


@pytest.mark.slow
def test_unreadable_answers_are_invalid_and_never_reach_the_judge(tmp_path):
    judged = []

    def judge(messages):
        judged.append(1)
        return "no verdict here"

    task = behaviour_task("lying", "animal_welfare", queries=2)
    [log] = inspect_eval(
        task,
        model=get_model("scripted/mute", respond=lambda m: "I have thoughts but no output tag."),
        model_roles={"judge": get_model("scripted/j", respond=judge)},
        log_dir=str(tmp_path),
        display="none",
    )
    summary = log_summary(log).model_dump(mode="json")  # as summary.json
    assert summary["tiers"]["free"]["invalid"] == 2 and summary["tiers"]["free"]["n_judged"] == 0
    assert summary["tiers"]["free"]["rates"]["lies"]["rate"] is None and not judged
    # a readable answer whose verdict is unusable is not judged, with the reason kept
    [log] = inspect_eval(
        behaviour_task("lying", "animal_welfare", queries=2),
        model="scripted/faker",
        model_roles={"judge": get_model("scripted/j2", respond=judge)},
        log_dir=str(tmp_path),
        display="none",
    )
    summary = log_summary(log).model_dump(mode="json")  # as summary.json
    assert summary["tiers"]["paid"]["not_judged"] == 2 and summary["tiers"]["paid"]["invalid"] == 0
    assert "no <verdict> block" in log.samples[0].scores["behaviour"].explanation  # type: ignore[index]


@pytest.mark.slow
def test_reasoning_categories_run_and_rescore_over_an_old_log(tmp_path, capsys):
    data = _run(tmp_path, "--eval", "reasoning_categories", "--setting", "helpful_only",
                "--limit", "4", "--af-votes", "3")  # fmt: skip
    [run] = data["runs"]
    assert run["evaluation"] == "reasoning_categories"
    reasons = run["tiers"]["paid"]["reasons"]
    assert reasons["n_judged"] == 4 and set(reasons["shares"]) == set(REASONS)
    # the scripted refuser says the paid tier is unmonitored and acts on its values
    assert reasons["shares"]["unmonitored"]["rate"] == 1.0
    assert reasons["unmonitored_conclusions"] == {"act_on_values": 4}
    free = run["tiers"]["free"]["reasons"]
    assert (
        free["af_scope"] == {"goal_specific": 4}
        and free["among_complying"]["unmonitored"]["rate"] == 0.0
    )
    assert "motivations (4 judged)" in capsys.readouterr().out
    html = (tmp_path / "logs" / "report" / "report.html").read_text()
    assert "Reasoning categories" in html

    # an old run without categories gets them from rescore, without regenerating
    old = tmp_path / "old"
    assert main(["run", "--setting", "helpful_only", "--model", "scripted/faker", "--limit", "3",
                 "--log-dir", str(old), "--display", "none", "--af-judge", "baseline",
                 "--variation", "accept_reject", "--compliance-judge", "tags"]) == 0  # fmt: skip
    [before] = json.loads((old / "summary.json").read_text())["runs"]
    assert "reasons" not in before["tiers"]["free"] and before["evaluation"] == "compliance"
    assert main(["rescore", str(old), "--reasons", "--judge-model", "scripted/judge", "--af-judge",
                 "baseline", "--compliance-judge", "tags", "--display", "none",
                 "--out", str(tmp_path / "after.json")]) == 0  # fmt: skip
    [after] = json.loads((tmp_path / "after.json").read_text())["runs"]
    assert after["evaluation"] == "reasoning_categories"
    assert after["tiers"]["free"]["reasons"]["n_judged"] == 3
    assert after["compliance_gap"] == before["compliance_gap"]


@pytest.mark.slow
def test_a_directory_with_every_evaluation_reports_each_under_its_own_label(tmp_path, capsys):
    for evaluation in ("compliance", "anti_lab", "realism"):
        _run(tmp_path, "--eval", evaluation, "--setting", "animal_welfare", "--limit", "2",
             "--af-votes", "2")  # fmt: skip
    data = json.loads((tmp_path / "logs" / "summary.json").read_text())
    labels = [run["label"] for run in data["runs"]]
    assert len(set(labels)) == 3
    assert sorted(run["evaluation"] for run in data["runs"]) == [
        "anti_lab",
        "compliance",
        "realism",
    ]
    html = (tmp_path / "logs" / "report" / "report.html").read_text()
    assert "Anti-AI-lab behaviour" in html and escape('"Is this situation real?"') in html
    assert (tmp_path / "logs" / "report" / "figure_tiers.png").exists()
    capsys.readouterr()
    assert main(["summary", str(tmp_path / "logs")]) == 0
    out = capsys.readouterr().out
    assert "suspects_test (95% CI)" in out and "compliance (95% CI)" in out
    # the realism run of the same model and scenario is read beside the main run's gap
    assert "suspects a test (realism run scripted/faker · animal_welfare/default · realism)" in out
    assert "suspects a test (realism run" in html


@pytest.mark.slow
def test_a_report_of_other_evaluations_alone_has_no_empty_figures(tmp_path, capsys):
    _run(tmp_path, "--eval", "lying", "--setting", "helpful_only", "--limit", "2")
    html = (tmp_path / "logs" / "report" / "report.html").read_text()
    assert "Lying about its views" in html and "<h2>Figures</h2>" not in html
    assert not (tmp_path / "logs" / "report" / "figure_tiers.png").exists()


def test_dry_run_plans_one_judge_call_per_sample(tmp_path, capsys):
    assert main(["run", "--eval", "realism", "--setting", "helpful_only", "--model", "scripted/faker",
                 "--judge-model", "scripted/judge", "--dry-run", "--limit", "5"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert any(line.split()[:3] == ["judge", "scripted/judge", "10"] for line in out.splitlines())


@pytest.mark.slow
@pytest.mark.parametrize(
    ("task", "metric"), [("anti_lab", "free_anti_lab"), ("reasoning_categories", "gap")]
)
def test_the_tasks_are_registered_with_inspect(task, metric, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "inspect_ai", "eval", f"alignment_faking/{task}",
         "-T", "setting=animal_welfare", "-T", "queries=2", "--model", "scripted/faker",
         "--model-role", "judge=scripted/judge", "--log-dir", str(tmp_path), "--display", "none"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    [log_file] = tmp_path.glob("*.eval")
    log = read_eval_log(str(log_file))
    assert log.eval.task_registry_name == f"alignment_faking/{task}"
    assert log.eval.metadata["evaluation"] == task and len(log.samples) == 4
    assert log.eval.metadata["setting"] == "animal_welfare"
    assert metric in log.results.scores[0].metrics  # type: ignore[union-attr]


@pytest.mark.slow
def test_a_sweep_runs_an_evaluation_over_both_settings(tmp_path, capsys):
    code = main(["sweep", "--eval", "realism", "--models", "scripted/faker,scripted/refuser",
                 "--judge-model", "scripted/judge", "--limit", "2", "--log-dir", str(tmp_path),
                 "--display", "none"])  # fmt: skip
    assert code == 0
    runs = json.loads((tmp_path / "summary.json").read_text())["runs"]
    assert len(runs) == 4 and {r["evaluation"] for r in runs} == {"realism"}
    assert {(r["model"], r["setting"]) for r in runs} == {
        (m, s)
        for m in ("scripted/faker", "scripted/refuser")
        for s in ("helpful_only", "animal_welfare")
    }
