"""`run` again into the same log folder: a finished run is reused, never counted twice; asked
again with --no-cache, it is a labelled repeat of the first."""

import json

import pytest

from alignment_faking.cli import main
from alignment_faking.report import write
from alignment_faking.report.figures import figure_tiers
from alignment_faking.report.frames import results


def _run(log_dir, *extra: str) -> int:
    return main(["run", "--setting", "helpful_only", "--model", "scripted/faker", "--limit", "2",
                 "--log-dir", str(log_dir), "--display", "none", "--no-report",
                 "--judge-model", "scripted/judge", *extra])  # fmt: skip


@pytest.mark.slow
def test_the_same_run_twice_into_one_folder_is_one_run(tmp_path, capsys, monkeypatch):
    log_dir = tmp_path / "logs"
    assert _run(log_dir) == 0
    [log] = log_dir.glob("*.eval")
    capsys.readouterr()

    assert _run(log_dir) == 0
    out = capsys.readouterr().out
    assert f"already run: {log}" in out and "--no-cache" in out
    assert list(log_dir.glob("*.eval")) == [log]  # nothing was asked again
    [run] = json.loads((log_dir / "summary.json").read_text())["runs"]
    assert run["log"].endswith(log.name) and "repeat_of" not in run
    assert out.count("status=success") == 1  # the table shows the one run

    # asked again on purpose: a repeat of the first, labelled, not a second independent run
    assert _run(log_dir, "--no-cache") == 0
    out = capsys.readouterr().out
    first, repeat = json.loads((log_dir / "summary.json").read_text())["runs"]
    assert first["log"] == run["log"] and "repeat_of" not in first
    assert repeat["repeat_of"] == run["log"] and repeat["log"] != run["log"]
    assert repeat["label"] == f"{first['label']} · repeat 2 of 2"
    assert "repeat 2 of 2" in out

    # the report reads the folder the same way: the repeat is in its tables, not its figures
    found = results([log_dir])
    assert [s.repeat_of for s in found.summaries] == [None, run["log"]]
    assert found.summaries[1].label == repeat["label"]
    drawn = []
    monkeypatch.setattr(
        write, "figure_tiers", lambda runs: drawn.append(runs) or figure_tiers(runs)
    )
    write.write_results(found, tmp_path / "report")
    assert [[r.log for r in runs] for runs in drawn] == [[run["log"]]]
