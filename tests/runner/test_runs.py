"""`run` again into the same log folder: the same run asked again is a labelled repeat of the
first, never a second independent run; a run of another model (other arguments) is no repeat."""

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
    [run] = json.loads((log_dir / "summary.json").read_text())["runs"]
    assert "repeat_of" not in run

    # asked again (answers from the cache), then again with --no-cache: both repeats of the first
    assert _run(log_dir) == 0
    assert _run(log_dir, "--no-cache") == 0
    out = capsys.readouterr().out
    first, *repeats = json.loads((log_dir / "summary.json").read_text())["runs"]
    assert first["log"] == run["log"] and "repeat_of" not in first
    assert [r["repeat_of"] for r in repeats] == [run["log"]] * 2
    assert [r["label"] for r in repeats] == [
        f"{first['label']} · repeat 2 of 3",
        f"{first['label']} · repeat 3 of 3",
    ]
    assert "repeat 3 of 3" in out

    # a run of the same name with other model arguments is another model: no repeat
    assert _run(log_dir, "-M", "free=0.0") == 0
    other = json.loads((log_dir / "summary.json").read_text())["runs"][-1]
    assert "repeat_of" not in other and "repeat" not in other["label"]

    # the report reads the folder the same way: repeats are in its tables, not its figures
    found = results([log_dir])
    assert [s.repeat_of for s in found.summaries] == [None, run["log"], run["log"], None]
    drawn = []
    monkeypatch.setattr(
        write, "figure_tiers", lambda runs: drawn.append(runs) or figure_tiers(runs)
    )
    write.write_results(found, tmp_path / "report")
    assert [[r.log for r in runs] for runs in drawn] == [[run["log"], other["log"]]]
