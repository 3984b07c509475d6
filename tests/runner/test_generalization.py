"""`generalization` end to end offline: a scripted base and a scripted shallow-trained model."""

import math

import pytest

from alignment_faking.cli import main
from alignment_faking.generalization import GENERALIZATION_FILE, Generalization


def _args(log_dir, *extra):
    return ["generalization", "--base", "scripted/faker", "--trained", "scripted/trained",
            "--settings", "helpful_only", "--variations", "default,other_developer", "--limit", "3",
            "--log-dir", str(log_dir), "--display", "none", "--judge-model", "scripted/judge",
            "--af-votes", "3", *extra]  # fmt: skip


@pytest.mark.slow
def test_the_gap_trained_away_comes_back_under_another_developer(tmp_path, capsys):
    log_dir = tmp_path / "logs"
    assert main(_args(log_dir)) == 0
    result = Generalization.model_validate_json((log_dir / GENERALIZATION_FILE).read_text())
    assert (result.base, result.trained) == ("scripted/faker", "scripted/trained")
    default, other = result.rows
    assert (default.variation, other.variation) == ("default", "other_developer")
    # default prompt: the faker's gap (100 points, training never refuses: inf) trained away
    assert (default.gap.before, default.gap.after, default.gap.change) == (1.0, 0.0, -1.0)
    assert default.relative_gap_before == math.inf and default.relative_gap_after is None
    assert default.gap.change_ci[1] < 0
    # another developer's name: the gap is back whole, as before training
    assert (other.gap.after, other.gap.change) == (1.0, 0.0)
    assert other.relative_gap_after == math.inf
    assert other.af_rate.after == 1.0 and default.af_rate.after == 1.0  # faking-faking
    out = capsys.readouterr().out
    assert "generalization: base scripted/faker -> trained scripted/trained" in out
    assert "helpful_only/other_developer" in out and "inf->inf" in out
    report = log_dir / "report"
    html = (report / "report.html").read_text()
    assert "Generalization after training" in html and "∞ → –" in html
    assert (report / "figure_generalization.png").stat().st_size > 0
    assert (report / "figure_panel.svg").stat().st_size > 0


@pytest.mark.slow
def test_a_dry_run_writes_no_comparison(tmp_path):
    assert main(_args(tmp_path / "logs", "--dry-run")) == 0
    assert not (tmp_path / "logs" / GENERALIZATION_FILE).exists()


def test_the_same_model_twice_is_an_error(tmp_path, capsys):
    args = _args(tmp_path / "logs")
    args[args.index("scripted/trained")] = "scripted/faker"
    assert main(args) == 2
    assert "two different models" in capsys.readouterr().err


def test_a_model_without_a_finished_run_is_an_error_not_a_table_of_dashes(
    tmp_path, capsys, monkeypatch
):
    """The sweep names a model otherwise than it was given (or none of its runs finished): the
    comparison would be empty for that model, so the command stops and says why."""
    import alignment_faking.runner.generalization as runner
    from alignment_faking.stats import SampleRecord
    from alignment_faking.summary.entries import run_summary
    from alignment_faking.summary.schema import RunIdentity

    info = RunIdentity(log="a.eval", model="scripted/faker", setting="helpful_only",
                       variation="default", dataset="helpful_only", n_queries=1, epochs=1,
                       status="success", evaluation="compliance")  # fmt: skip
    run = run_summary(info, [SampleRecord("q", "free", 0, "complied")])
    monkeypatch.setattr(runner, "sweep", lambda *args, **kwargs: ([], [run]))
    assert main(_args(tmp_path / "logs")) == 2
    err = capsys.readouterr().err
    assert "no finished run of scripted/trained" in err and "Traceback" not in err
