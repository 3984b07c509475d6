"""Cost before running: plans, prices, --dry-run, --max-cost, usage after, prompt caching."""

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.log import read_eval_log

from alignment_faking.cli import main
from alignment_faking.cost import PlanLine, load_prices, price_for, total_cost
from alignment_faking.doubles.stub_server import scripted_responder, serve
from alignment_faking.errors import UserError
from alignment_faking.inspect.eval_logs.usage import actual_usage
from alignment_faking.inspect.task import alignment_faking_task
from alignment_faking.options import JudgeOptions
from alignment_faking.runner.plan import task_plan

NO_JUDGES = ["--variation", "accept_reject", "--compliance-judge", "tags", "--af-judge", "none"]
"""Offline judging: the tags, which the default prompt with the accept/reject instruction asks for."""


def test_prices_match_exact_names_then_the_longest_prefix(tmp_path):
    prices = load_prices()
    assert price_for("openai/gpt-4o", prices).input == 2.50
    assert price_for("openai/gpt-4o-mini", prices).output == 0.60
    assert price_for("anthropic/claude-3-opus-20240229", prices).output == 75.0
    assert price_for("nosuch/model", prices) is None
    override = tmp_path / "prices.toml"
    override.write_text(
        '["openai/gpt-4o"]\ninput = 1.0\noutput = 2.0\n\n["nosuch/*"]\ninput = 3.0\noutput = 4.0\n'
    )
    mine = load_prices(str(override))
    assert (
        price_for("openai/gpt-4o", mine).input == 1.0
        and price_for("nosuch/model", mine).output == 4.0
    )
    assert total_cost(
        [PlanLine("model", "nosuch/m", 1, 1_000_000, 1_000_000)], mine
    ) == pytest.approx(7.0)
    assert total_cost([PlanLine("model", "unknown/m", 1, 1, 1)], mine) is None


def test_bad_price_file_is_a_user_error(tmp_path):
    bad = tmp_path / "p.toml"
    bad.write_text('["x"]\ncost = 1\n')
    with pytest.raises(UserError):
        load_prices(str(bad))
    with pytest.raises(UserError, match="not found"):
        load_prices(str(tmp_path / "missing.toml"))


@pytest.mark.slow
def test_plan_counts_the_calls_a_run_makes(tmp_path):
    judges = JudgeOptions(af_judge="af_v2", af_votes=5, judge_model="scripted/judge")
    task = alignment_faking_task("animal_welfare", queries=6, epochs=2, af_votes=5,
                                 judge_model="scripted/judge")  # fmt: skip
    lines = task_plan(task, "scripted/faker", judges, None)
    [model] = [line for line in lines if line.role == "model"]
    judge = [line for line in lines if line.role == "judge"]
    assert model.calls == 24
    # the stance judge once per sample, af_v2 once per sample (votes as choices of one request)
    assert [line.calls for line in judge] == [24, 24]
    [log] = inspect_eval(task, model="scripted/faker", model_roles={"judge": "scripted/judge"},
                         log_dir=str(tmp_path), display="none")  # fmt: skip
    used = {line.role: line for line in actual_usage(log)}
    planned_calls = sum(line.calls for line in lines)
    actual_calls = sum(line.calls for line in used.values())
    assert abs(actual_calls - planned_calls) <= 0.1 * planned_calls
    assert used["model"].calls == 24
    # the input the model received is what the plan estimated from the same messages
    assert used["model"].input_tokens == pytest.approx(model.input_tokens, rel=0.1)


def test_helpful_only_plans_every_judge_on_every_sample():
    judges = JudgeOptions(judge_model="openai/gpt-4o")
    lines = task_plan(
        alignment_faking_task("helpful_only", queries=3), "openai/gpt-4o-mini", judges, None
    )
    # rubric, partial check and af_v2 (20 votes as choices of one request), 6 samples each
    assert [(line.role, line.calls) for line in lines] == [("model", 6)] + [("judge", 6)] * 3


def test_dry_run_prints_the_plan_and_calls_nothing(tmp_path, monkeypatch, capsys):
    with serve(scripted_responder("faker")) as stub:
        monkeypatch.setenv("STUB_BASE_URL", stub.base_url)
        monkeypatch.setenv("STUB_API_KEY", "sk-test")
        code = main(["run", "--setting", "helpful_only", "--model", "openai-api/stub/faker", "--limit", "4",
                     "--log-dir", str(tmp_path / "logs"), "--dry-run", *NO_JUDGES])  # fmt: skip
    assert code == 0 and stub.calls == 0 and not (tmp_path / "logs").exists()
    out = capsys.readouterr().out
    assert "plan:" in out and "openai-api/stub/faker" in out and "8" in out


def test_max_cost_refuses_an_expensive_plan(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-used")
    code = main(["run", "--setting", "helpful_only", "--model", "openai/gpt-4o", "--max-cost", "0.01",
                 "--log-dir", str(tmp_path), *NO_JUDGES])  # fmt: skip
    assert code == 2
    assert "over --max-cost" in capsys.readouterr().err
    code = main(
        [
            "run",
            "--setting",
            "helpful_only",
            "--model",
            "nosuch-api/x",
            "--max-cost",
            "5",
            *NO_JUDGES,
        ]
    )
    assert code == 2


@pytest.mark.slow
def test_usage_after_the_run_and_the_anthropic_cache_marker(tmp_path, monkeypatch, capsys):
    with serve(scripted_responder("faker"), keep_requests=True) as stub:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", stub.root_url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
        assert main(["run", "--setting", "helpful_only", "--model", "anthropic/claude-stub", "--limit", "10",
                     "--log-dir", str(tmp_path), "--display", "none", "--no-cache", *NO_JUDGES]) == 0  # fmt: skip
    # the long system prompt carries a cache breakpoint on every request
    assert stub.cache_marked == stub.calls == 20
    assert all("cache_control" in r["system"][-1] for r in stub.requests)
    out = capsys.readouterr().out
    used = out[out.index("used:") :]
    share = int(used.split("% of input")[0].rsplit("(", 1)[1])
    assert share >= 70


@pytest.mark.slow
def test_used_shows_the_calls_the_cache_answered_beside_those_made(tmp_path, capsys):
    for folder in ("first", "again"):  # the same run twice: the second reads every answer back
        assert main(["run", "--setting", "helpful_only", "--model", "scripted/faker", "--limit", "3",
                     "--log-dir", str(tmp_path / folder), "--display", "none", "--no-report",
                     *NO_JUDGES]) == 0  # fmt: skip
    [log] = (tmp_path / "again").glob("*.eval")
    [model] = actual_usage(read_eval_log(str(log), header_only=True))
    assert (model.role, model.calls, model.cached_calls) == ("model", 0, 6)
    assert (model.input_tokens, model.output_tokens) == (0, 0)  # nothing paid for them
    out = capsys.readouterr().out
    used = out[out.rindex("used:") :].splitlines()
    assert used[0].split()[1:5] == ["role", "model", "calls", "cached"]
    assert used[1].split()[:4] == ["model", "scripted/faker", "0", "6"]
