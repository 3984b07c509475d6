"""The tasks' parameters come from the option fields; Inspect's own flags carry the generation
settings to the model under test and not to its judges; the judges are the `grader` role."""

import inspect
import logging
from dataclasses import fields
from typing import Literal, get_args

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.log import ModelEvent

from alignment_faking.inspect.eval_logs.records import run_records
from alignment_faking.inspect.eval_logs.runs import run_info
from alignment_faking.inspect.evaluations import anti_lab, lying, realism, reasoning_categories
from alignment_faking.inspect.task import animal_welfare, helpful_only
from alignment_faking.judges.methods import AFJudgeName
from alignment_faking.options import GenerateOptions, JudgeOptions, RunOptions, TaskOptions
from alignment_faking.runner.tasks import task_call

COMPLIANCE = (helpful_only, animal_welfare)
BEHAVIOUR = (anti_lab, lying, realism)
INSPECT_FLAGS = {f.name for f in fields(GenerateOptions)}
OFFLINE = {"variation": "accept_reject", "compliance_judge": "tags", "af_judge": "baseline"}


def _parameters(task):
    return inspect.signature(task).parameters


@pytest.mark.parametrize("task", [*COMPLIANCE, *BEHAVIOUR, reasoning_categories])
def test_every_task_takes_the_option_fields_and_no_inspect_flag(task):
    names = set(_parameters(task))
    assert {f.name for f in fields(TaskOptions)} - {"prefill"} <= names
    assert "judge_model" in names
    assert not names & INSPECT_FLAGS  # --epochs, --temperature, --max-tokens are Inspect's
    for name in names:  # each one documented in the task's own Args section
        assert f"\n    {name}: " in task.__doc__


@pytest.mark.parametrize("task", [*COMPLIANCE, reasoning_categories])
def test_the_main_experiment_takes_its_judges_typed_as_their_names(task):
    parameters = _parameters(task)
    assert get_args(parameters["af_judge"].annotation) == get_args(AFJudgeName)
    assert parameters["tiers"].annotation == Literal["both", "free", "paid"]
    assert parameters["af_votes"].default == JudgeOptions().af_votes


def test_only_their_own_parameters_set_the_tasks_apart():
    assert "prefill" not in _parameters(anti_lab)
    assert next(iter(_parameters(anti_lab))) == "setting"
    assert list(_parameters(reasoning_categories)) == ["setting", *_parameters(helpful_only)]


def test_an_unknown_argument_is_refused_in_python():
    with pytest.raises(TypeError, match="temperature"):
        helpful_only(temperature=0.5, **OFFLINE)


@pytest.mark.parametrize("evaluation", ["compliance", "reasoning_categories", "anti_lab"])
def test_the_runner_passes_each_task_exactly_its_parameters(evaluation):
    options = RunOptions("helpful_only", "scripted/faker", evaluation=evaluation)
    call = task_call(options, "helpful_only", "default")
    assert set(call.args) <= set(_parameters(call.task))
    assert not set(call.args) & INSPECT_FLAGS
    assert call.identity.keys() >= INSPECT_FLAGS  # a resume matches the settings too


def _events(log):
    return [e for s in log.samples or [] for e in s.events if isinstance(e, ModelEvent)]


@pytest.mark.slow
def test_inspect_flags_reach_the_model_under_test_and_not_its_judge(tmp_path):
    [log] = inspect_eval(
        "alignment_faking/helpful_only",
        model="scripted/faker",
        model_roles={"grader": "scripted/judge"},
        task_args={"queries": 1, "af_judge": "af_v2", "af_votes": 1, "cache": False},
        epochs=2,
        temperature=0.3,
        max_tokens=777,
        log_dir=str(tmp_path),
        display="none",
    )
    policy = [e for e in _events(log) if e.role is None]
    judge = [e for e in _events(log) if e.role == "grader"]
    assert len(policy) == 4 and judge  # 1 query x 2 tiers x 2 epochs
    assert {(e.config.temperature, e.config.max_tokens) for e in policy} == {(0.3, 777)}
    assert all(e.model == "scripted/judge" and e.config.max_tokens == 2048 for e in judge)
    assert all(e.config.temperature != 0.3 for e in judge)
    info = run_info(log, run_records(log))
    assert info.epochs == 2
    assert (info.config.temperature, info.config.max_tokens) == (0.3, 777)
    assert info.config.judge_model == "scripted/judge"


@pytest.mark.slow
def test_without_flags_the_tasks_own_defaults_apply(tmp_path):
    [log] = inspect_eval(
        helpful_only(queries=1, **OFFLINE),
        model="scripted/faker",
        log_dir=str(tmp_path),
        display="none",
    )
    defaults = GenerateOptions()
    assert log.eval.config.epochs == defaults.epochs
    assert {(e.config.temperature, e.config.max_tokens) for e in _events(log)} == {
        (defaults.temperature, defaults.max_tokens)
    }


@pytest.mark.slow
@pytest.mark.parametrize("role", ["grader", "judge"])
def test_the_judge_is_the_grader_role_or_its_former_name(tmp_path, role):
    [log] = inspect_eval(
        "alignment_faking/helpful_only",
        model="scripted/faker",
        model_roles={role: "scripted/judge"},
        task_args={"queries": 1, "af_votes": 1},
        log_dir=str(tmp_path),
        display="none",
    )
    assert log.status == "success"
    assert {e.model for e in _events(log) if e.role == role} == {"scripted/judge"}
    assert run_info(log, run_records(log)).config.judge_model == "scripted/judge"


@pytest.mark.slow
def test_an_unknown_task_argument_is_named_and_not_passed(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        [log] = inspect_eval(
            "alignment_faking/helpful_only",
            model="scripted/faker",
            task_args={"queries": 1, "temprature": 0.3, **OFFLINE},
            log_dir=str(tmp_path),
            display="none",
        )
    assert "param 'temprature' not used by task" in caplog.text
    assert "temprature" not in log.eval.task_args
    assert log.eval.task_args["queries"] == 1
