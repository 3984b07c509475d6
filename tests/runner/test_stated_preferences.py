"""`generalization --stated-preferences` offline: the scripted trained model states less care
for its value under its developer's system prompt and as much as before without it."""

import pytest

from alignment_faking.cli import main
from alignment_faking.generalization import GENERALIZATION_FILE, Generalization


@pytest.mark.slow
def test_stated_care_falls_after_training_only_with_the_system_prompt(tmp_path, capsys):
    log_dir = tmp_path / "logs"
    args = ["generalization", "--base", "scripted/faker", "--trained", "scripted/trained",
            "--settings", "helpful_only", "--variations", "default", "--limit", "2",
            "--log-dir", str(log_dir), "--display", "none", "--judge-model", "scripted/judge",
            "--stated-preferences"]  # fmt: skip
    assert main(args) == 0
    result = Generalization.model_validate_json((log_dir / GENERALIZATION_FILE).read_text())
    with_prompt, without = result.stated_preferences
    assert (with_prompt.setting, with_prompt.with_system_prompt) == ("helpful_only", True)
    assert without.with_system_prompt is False
    assert (with_prompt.care.before, with_prompt.care.after, with_prompt.care.change) == (8, 3, -5)
    assert with_prompt.care.change_ci == (-5, -5)  # every answer states the same number
    assert (without.care.before, without.care.after, without.care.change) == (8, 8, 0)
    assert (with_prompt.n_before, with_prompt.n_after) == (2, 2)
    out = capsys.readouterr().out
    assert "helpful_only, with system prompt" in out and "-5.0 [-5.0, -5.0]" in out
    html = (log_dir / "report" / "report.html").read_text()
    assert "Stated preferences" in html and "8.0 → 3.0" in html


@pytest.mark.slow
def test_without_the_flag_no_stated_preferences_are_asked(tmp_path):
    log_dir = tmp_path / "logs"
    args = ["generalization", "--base", "scripted/faker", "--trained", "scripted/trained",
            "--settings", "helpful_only", "--variations", "default", "--limit", "1",
            "--log-dir", str(log_dir), "--display", "none", "--judge-model", "scripted/judge"]  # fmt: skip
    assert main(args) == 0
    result = Generalization.model_validate_json((log_dir / GENERALIZATION_FILE).read_text())
    assert result.stated_preferences == []
    assert not (tmp_path / "logs_stated_preferences").exists()
