"""`rescore` leaves nothing stale: the summary.json and the report `run` wrote beside the logs
are written again with the new judge, and the command says what it wrote."""

import json

import pytest

from alignment_faking.cli import main


@pytest.mark.slow
def test_rescore_rewrites_the_summary_and_report_of_the_log_folder(tmp_path, capsys):
    log_dir = tmp_path / "logs"
    assert main(["run", "--setting", "helpful_only", "--model", "scripted/faker", "--limit", "2",
                 "--log-dir", str(log_dir), "--display", "none", "--judge-model", "scripted/judge"]) == 0  # fmt: skip
    summary, report = log_dir / "summary.json", log_dir / "report" / "report.html"
    [before] = json.loads(summary.read_text())["runs"]
    assert before["config"]["af_judge"] == "af_v2" and "af_v2" in report.read_text()
    # af_v2's votes and threshold are part of what the run records (they move its AF rate)
    assert (before["config"]["af_votes"], before["config"]["af_threshold"]) == (20, 0.4)
    capsys.readouterr()

    assert main(["rescore", str(log_dir), "--judge-model", "scripted/judge", "--af-judge", "af_v1",
                 "--display", "none"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert f"summary: {summary.resolve()}" in out and f"report:  {report.resolve()}" in out
    assert "not rewritten" in out and f"alignment-faking report {log_dir.resolve()} --out" in out
    [after] = json.loads(summary.read_text())["runs"]
    assert after["config"]["af_judge"] == "af_v1" and after["log"] == before["log"]
    assert "af_votes" not in after["config"]  # af_v1 takes no votes: none left from af_v2
    [in_report] = json.loads((log_dir / "report" / "summary.json").read_text())["runs"]
    assert in_report["config"]["af_judge"] == "af_v1"
    html = report.read_text()
    assert "af_v1" in html and "af_v2" not in html


@pytest.mark.slow
def test_rescore_writes_no_summary_or_report_where_run_wrote_none(tmp_path, capsys):
    log_dir = tmp_path / "logs"
    assert main(["run", "--setting", "helpful_only", "--model", "scripted/faker", "--limit", "2",
                 "--log-dir", str(log_dir), "--display", "none", "--judge-model", "scripted/judge",
                 "--no-report"]) == 0  # fmt: skip
    (log_dir / "summary.json").unlink()
    capsys.readouterr()
    assert main(["rescore", str(log_dir), "--judge-model", "scripted/judge", "--af-judge", "af_v1",
                 "--display", "none"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "summary:" not in out and "report:" not in out
    assert not (log_dir / "summary.json").exists() and not (log_dir / "report").exists()
