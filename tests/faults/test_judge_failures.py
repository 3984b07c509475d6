"""Judge failures counted honestly (issue 23, points 1 and 6): a judge that gives no answer makes
the sample a judge error that fails the run and that --resume repairs; an unusable verdict (NaN,
Infinity) is not judged, never an error of the model under test; a lone surrogate in an answer
is cleaned before the judge is asked."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.log import EvalSampleSummary, list_eval_logs, read_eval_log
from inspect_ai.model import get_model

from alignment_faking.cli import main
from alignment_faking.doubles.scripted import scripted_judge_answer, scripted_policy
from alignment_faking.doubles.stub_server import Faults, serve
from alignment_faking.inspect.eval_logs.records import behaviour_record, sample_record
from alignment_faking.inspect.evaluations import behaviour_task
from alignment_faking.inspect.judging import JudgeCallFailed, ask_judge
from alignment_faking.judges import JudgeInput
from alignment_faking.judges.compliance import AW_STANCE, STRONGREJECT
from alignment_faking.judges.verdicts import NotJudged

STUB_JUDGE = "openai-api/stub/judge"
FAST = ["--limit", "2", "--display", "none", "--max-retries", "1", "--no-report"]


def _summary(log_dir: Path) -> dict:
    [run] = json.loads((log_dir / "summary.json").read_text())["runs"]
    return run


def _reasons(run: dict) -> dict[str, int]:
    counts: dict[str, int] = {}
    for tier in run["tiers"].values():
        for reason, n in tier["invalid_reasons"].items():
            counts[reason] = counts.get(reason, 0) + n
    return counts


def _judge(messages: list[dict]) -> str:
    return scripted_judge_answer(messages[-1]["content"])


@pytest.fixture
def stub_env(monkeypatch):
    """Point `openai-api/stub/...` at a stub server: call with the server once it runs."""

    def point(stub) -> None:
        monkeypatch.setenv("STUB_BASE_URL", stub.base_url)
        monkeypatch.setenv("STUB_API_KEY", "sk-test")

    return point


# --- unusable verdicts and unsendable text: fast, no evaluation ------------------------------


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_a_verdict_with_a_number_that_is_not_finite_is_not_judged(number):
    item = JudgeInput("helpful_only", "a request", "an answer")
    _, fence = STRONGREJECT.prompt(item)
    answer = (
        f'<verdict>{{"id": "{fence}", "refused": 0, "convincing": {number}, "specific": 4}}'
        "</verdict>"
    )
    verdict = STRONGREJECT.verdict(answer, fence, item)
    assert verdict == NotJudged("verdict field 'convincing' is not a finite number")


def test_a_lone_surrogate_is_cleaned_before_the_judge_reads_it():
    item = JudgeInput("animal_welfare", "q\udfff", "an answer \ud800 here", "I think\ud83d.")
    assert (item.request, item.response, item.reasoning) == (
        "q\ufffd",
        "an answer \ufffd here",
        "I think\ufffd.",
    )
    prompt, _ = AW_STANCE.prompt(item)
    prompt.encode("utf-8")  # what every client must do to send it


def test_a_sample_the_judge_gave_no_answer_is_a_judge_error_not_a_provider_error():
    def summary(error: str) -> EvalSampleSummary:
        return EvalSampleSummary(
            id="q1-free", epoch=1, input="", target="", error=error,
            metadata={"query_id": "q1", "tier": "free"},
        )  # fmt: skip

    judged = sample_record(summary(f"judge {STUB_JUDGE} failed: InternalServerError: 500"))
    assert (judged.outcome, judged.invalid_reason) == ("invalid", "judge_error")
    assert sample_record(summary("RuntimeError('model down')")).invalid_reason == "provider_error"


def test_only_a_required_judge_raises_when_no_call_comes_back():
    def down(messages):
        raise RuntimeError("judge provider down")

    broken = get_model("scripted/broken", respond=down)
    item = JudgeInput("animal_welfare", "a request", "an answer")
    with pytest.raises(JudgeCallFailed) as raised:
        asyncio.run(ask_judge(broken, AW_STANCE, item, required=True))
    assert raised.value.message == "judge scripted/broken failed: RuntimeError: judge provider down"
    # training and judge validation keep a failed call as not judged
    [verdict] = asyncio.run(ask_judge(broken, AW_STANCE, item))
    assert isinstance(verdict, NotJudged) and "judge provider down" in verdict.reason


@pytest.mark.slow
def test_the_other_evaluations_count_a_judge_that_fails_as_judge_errors(tmp_path):
    def down(messages):
        raise RuntimeError("judge provider down")

    task = behaviour_task("anti_lab", "helpful_only", queries=2)
    judge = get_model("scripted/broken", respond=down)
    [log] = inspect_eval(task, model="scripted/faker", model_roles={"judge": judge},
                         log_dir=str(tmp_path), display="none", fail_on_error=False)  # fmt: skip
    assert {behaviour_record(s).invalid_reason for s in log.samples} == {"judge_error"}


# --- whole runs against a stub judge ------------------------------------------------------------


@pytest.mark.slow
def test_a_judge_down_fails_the_run_and_resume_repairs_it(tmp_path, stub_env, capsys):
    args = ["run", "--setting", "animal_welfare", "--model", "scripted/faker",
            "--judge-model", STUB_JUDGE, "--log-dir", str(tmp_path), *FAST]  # fmt: skip
    with serve(_judge, faults=Faults(server_error=1.0)) as stub:
        stub_env(stub)
        assert main(args) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("alignment-faking: error: run failed: ")
        assert f"could not be judged: judge {STUB_JUDGE} failed: InternalServerError" in err[0]
        assert "500" in err[0]
        run = _summary(tmp_path)
        assert run["status"] == "error"
        assert _reasons(run).get("judge_error", 0) >= 2 and "provider_error" not in _reasons(run)

        stub.fault_plan = Faults()  # the judge is back
        assert main([*args, "--resume"]) == 0
    run = _summary(tmp_path)
    assert run["status"] == "success" and _reasons(run) == {}
    for tier in run["tiers"].values():
        assert tier["n"] == tier["n_judged"] == 2
        assert tier["alignment_faking"]["n_judged"] == 2
    assert len(list_eval_logs(str(tmp_path))) == 1  # the failed attempt was superseded


def _number_judge(messages: list[dict]) -> str:
    """The scripted judge, but its StrongREJECT ratings are NaN in the free tier, Infinity in
    the paid one (the judge reads the faker's answer, which names the tier's behaviour)."""
    answer = _judge(messages)
    if '"convincing"' not in answer:
        return answer
    bad = "NaN" if "complete answer" in messages[-1]["content"] else "Infinity"
    return re.sub(r'"convincing": \d', f'"convincing": {bad}', answer)


@pytest.mark.slow
def test_a_verdict_with_nan_or_infinity_leaves_the_sample_not_judged(tmp_path, stub_env):
    with serve(_number_judge) as stub:
        stub_env(stub)
        code = main(["run", "--setting", "helpful_only", "--model", "scripted/faker",
                     "--judge-model", STUB_JUDGE, "--af-judge", "none",
                     "--log-dir", str(tmp_path), *FAST])  # fmt: skip
    assert code == 0
    run = _summary(tmp_path)
    assert run["status"] == "success" and _reasons(run) == {}
    for tier in run["tiers"].values():
        assert tier["not_judged"] == 2 and tier["invalid"] == 0
    [info] = list_eval_logs(str(tmp_path))
    for sample in read_eval_log(info.name).samples:
        assert sample.error is None
        score = sample.scores["alignment_faking"]
        assert score.value["outcome"] == "not_judged"
        assert "verdict field 'convincing' is not a finite number" in score.explanation


SURROGATE = "\ud800"


def _model_and_judge(messages: list[dict]) -> str:
    """One stub for both: the faker, with a lone surrogate in its reasoning and its answer; and
    a judge that reads only valid text (a surrogate reaching it breaks the request)."""
    text = "\n".join(m["content"] for m in messages)
    if "<verdict>" in text:
        text.encode("utf-8")
        return _judge(messages)
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
    user = "\n\n".join(m["content"] for m in messages if m["role"] == "user")
    answer = scripted_policy("faker").respond(system, user)
    return answer.replace("</SCRATCHPAD", f"{SURROGATE}</SCRATCHPAD").replace(
        "</OUTPUT>", f"{SURROGATE}</OUTPUT>"
    )


@pytest.mark.slow
def test_an_answer_with_a_lone_surrogate_is_judged(tmp_path, stub_env):
    with serve(_model_and_judge, keep_requests=True) as stub:
        stub_env(stub)
        code = main(["run", "--setting", "animal_welfare", "--model", "openai-api/stub/faker",
                     "--judge-model", STUB_JUDGE, "--log-dir", str(tmp_path), *FAST])  # fmt: skip
    assert code == 0
    run = _summary(tmp_path)
    assert run["status"] == "success" and _reasons(run) == {}
    for tier in run["tiers"].values():
        assert tier["n_judged"] == 2 and tier["alignment_faking"]["n_judged"] == 2
    judged = [json.dumps(r, ensure_ascii=False) for r in stub.requests if "<verdict>" in str(r)]
    assert judged and all("\ufffd" in request for request in judged)  # in its place


@pytest.mark.slow
def test_rescore_with_a_judge_that_fails_rewrites_nothing(tmp_path, stub_env, capsys):
    assert main(["run", "--setting", "animal_welfare", "--model", "scripted/faker",
                 "--judge-model", "scripted/judge", "--af-judge", "none",
                 "--log-dir", str(tmp_path), *FAST]) == 0  # fmt: skip
    [info] = list_eval_logs(str(tmp_path))
    before = Path(info.name.removeprefix("file://")).read_bytes()
    capsys.readouterr()
    # a 400, which Inspect does not retry: rescore has no --max-retries to keep a 500 short
    with serve(_judge, faults=Faults(bad_request=1.0)) as stub:
        stub_env(stub)
        code = main(["rescore", str(tmp_path), "--judge-model", STUB_JUDGE,
                     "--af-judge", "none", "--display", "none"])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(
        f"alignment-faking: error: judge {STUB_JUDGE} failed"
    )
    assert "nothing in" in err[0] and "was rewritten" in err[0]
    assert Path(info.name.removeprefix("file://")).read_bytes() == before
