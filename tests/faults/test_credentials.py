"""Credentials in base URLs and in successful answers reach no log, summary, report or output line."""

import asyncio
import base64
import re
import zipfile

import pytest
from inspect_ai.log import list_eval_logs, read_eval_log
from inspect_ai.model import (
    ChatMessageAssistant,
    ContentReasoning,
    ContentText,
    ModelOutput,
    get_model,
)

from alignment_faking.cli import main
from alignment_faking.doubles.scripted import scripted_judge_answer
from alignment_faking.doubles.stub_server import Faults, scripted_responder, serve
from alignment_faking.inspect.guard import guard_model
from alignment_faking.secrets import redact, redact_url, url_secrets

KEY = "sk-PLANTED-0123456789abcdefXYZ"
PASSWORD = "PLANTEDPW-4242"
JUDGE_PASSWORD = "PLANTEDJUDGEPW-77"
QUERY_KEY = "PLANTEDQUERY-9191"
NO_JUDGES = ["--variation", "accept_reject", "--compliance-judge", "tags", "--af-judge", "none"]
RUN = ["run", "--setting", "helpful_only", "--limit", "1", "--display", "none", "--no-cache"]


def _basic(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def _with_userinfo(url: str, userinfo: str) -> str:
    return url.replace("http://", f"http://{userinfo}@")


def _written(root):
    """Every byte written under a folder: each file, and each entry of each .eval archive."""
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        yield str(path), path.read_bytes()
        if path.suffix == ".eval":
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    yield f"{path}:{name}", archive.read(name)


def _assert_nowhere(secrets, root, captured):
    assert root.exists()
    for where, data in _written(root):
        for secret in secrets:
            assert secret.encode() not in data, (secret, where)
    for secret in secrets:
        assert secret not in captured.out + captured.err


def _answers(log_dir):
    """Every model answer recorded, by role (None: the model under test)."""
    answers = []
    for info in list_eval_logs(str(log_dir)):
        for sample in read_eval_log(info).samples or []:
            answers += [(e.role, e.output.completion) for e in sample.events if e.event == "model"]
    return answers


def _stub_answer(messages):
    """The faker, or the scripted judge for our judge prompts (they carry a fenced id)."""
    last = messages[-1]["content"]
    if re.search(r'"id": "t[0-9a-f]{16}"', last):
        return scripted_judge_answer(last)
    return scripted_responder("faker")(messages)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:pw@127.0.0.1:8000/v1", "http://REDACTED@127.0.0.1:8000/v1"),
        ("https://ghp_token@github.com/x.git", "https://REDACTED@github.com/x.git"),
        ("http://h/v1?api_key=abc&seed=1#top", "http://h/v1?api_key=REDACTED&seed=1#top"),
        (
            "https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIA&X-Amz-Signature=f00&X-Amz-Expires=60",
            "https://b.s3.amazonaws.com/k?X-Amz-Credential=REDACTED&X-Amz-Signature=REDACTED"
            "&X-Amz-Expires=60",
        ),
        (
            "http://h/?access_token=t;sig=s&monkey=1",
            "http://h/?access_token=REDACTED;sig=REDACTED&monkey=1",
        ),
        ("http://127.0.0.1:8000/v1?seed=1", "http://127.0.0.1:8000/v1?seed=1"),
    ],
)
def test_redact_url_hides_user_info_and_credential_query_values(url, shown):
    assert redact_url(url) == shown


def test_url_secrets_include_the_basic_credential_a_client_derives():
    found = url_secrets(f"http://user:{PASSWORD}@h/v1?key={QUERY_KEY}&seed=12345678")
    assert {PASSWORD, QUERY_KEY, _basic("user", PASSWORD)} <= set(found)
    assert "12345678" not in found


def test_redact_hides_credential_urls_inside_free_text():
    line = redact(
        f"cannot reach http://user:{PASSWORD}@10.0.0.1/v1 ('https://h/x?token={QUERY_KEY}'); "
        f"request headers: {{'Authorization': 'Basic {_basic('user', PASSWORD)}'}}",
        secrets=[],
    )
    assert PASSWORD not in line and QUERY_KEY not in line and _basic("user", PASSWORD) not in line
    assert "http://REDACTED@10.0.0.1/v1" in line and "token=REDACTED" in line


def test_a_successful_answer_loses_the_configured_key_and_nothing_else():
    ordinary = "Bearer abcdefghijklmnop and api_key=abcdefghijkl are plain words here"
    model = guard_model(
        get_model(
            "scripted/echo",
            memoize=False,
            api_key=KEY,
            respond=lambda messages: f"your key is {KEY}. {ordinary}",
        )
    )
    output = asyncio.run(model.generate("hello"))
    assert KEY not in output.completion and KEY not in output.message.text
    assert output.completion == f"your key is [REDACTED]. {ordinary}"


def test_reasoning_and_text_parts_lose_the_password_of_the_base_url():
    answer = ChatMessageAssistant(
        content=[
            ContentReasoning(reasoning=f"the header says user:{PASSWORD}"),
            ContentText(text=f"Authorization: Basic {_basic('user', PASSWORD)}"),
        ]
    )
    model = guard_model(
        get_model(
            "scripted/echo",
            memoize=False,
            base_url=f"http://user:{PASSWORD}@127.0.0.1:1/v1",
            respond=lambda messages: ModelOutput.from_message(answer),
        )
    )
    output = asyncio.run(model.generate("hello"))
    text = output.message.model_dump_json()
    assert PASSWORD not in text and _basic("user", PASSWORD) not in text
    assert "[REDACTED]" in output.message.content[0].reasoning


def test_an_unreachable_server_is_named_without_its_credentials(capsys):
    url = f"http://user:{PASSWORD}@127.0.0.1:1/v1?token={QUERY_KEY}"
    code = main([*RUN, "--model", "openai-api/stub/faker", "-M", f"base_url={url}", *NO_JUDGES])
    err = capsys.readouterr().err
    assert code == 2
    assert "nothing answers at http://REDACTED@127.0.0.1:1/v1?token=REDACTED" in err
    assert PASSWORD not in err and QUERY_KEY not in err


@pytest.mark.slow
def test_base_url_credentials_reach_no_log_summary_report_or_output(tmp_path, monkeypatch, capsys):
    with serve(_stub_answer, faults=Faults(echo_headers=True)) as stub:
        monkeypatch.setenv("STUB_API_KEY", KEY)
        monkeypatch.setenv("JUDGESTUB_API_KEY", KEY)
        monkeypatch.setenv(
            "JUDGESTUB_BASE_URL", _with_userinfo(stub.base_url, f"judge:{JUDGE_PASSWORD}")
        )
        url = _with_userinfo(stub.base_url, f"user:{PASSWORD}")
        query = f'default_query={{"api-key": "{QUERY_KEY}"}}'  # how the openai client takes one
        code = main([*RUN, "--model", "openai-api/stub/faker", "-M", f"base_url={url}", "-M", query,
                     "--log-dir", str(tmp_path / "logs"), "--variation", "accept_reject",
                     "--compliance-judge", "tags", "--af-judge", "af_v1",
                     "--judge-model", "openai-api/judgestub/j"])  # fmt: skip
    assert code == 0 and stub.completed > 2  # the model and its judge
    secrets = [
        QUERY_KEY,
        PASSWORD,
        JUDGE_PASSWORD,
        KEY,
        _basic("user", PASSWORD),
        _basic("judge", JUDGE_PASSWORD),
    ]
    _assert_nowhere(secrets, tmp_path, capsys.readouterr())
    [info] = list_eval_logs(str(tmp_path / "logs"))
    header = read_eval_log(info, header_only=True).eval
    assert header.model_base_url == _with_userinfo(stub.base_url, "REDACTED")
    assert header.model_roles["grader"].base_url == _with_userinfo(stub.base_url, "REDACTED")
    assert header.model_args == {"default_query": {"api-key": "[REDACTED]"}}
    # the real credentials were sent (the stub echoed them back) and scrubbed from every answer
    answers = _answers(tmp_path / "logs")
    assert {role for role, _ in answers} == {None, "grader"}
    assert all("'authorization': 'basic [redacted]'" in text.lower() for _, text in answers)
    assert any("?api-key=[REDACTED] headers" in text for _, text in answers)


@pytest.mark.slow
def test_a_key_echoed_in_successful_answers_reaches_no_sample(tmp_path, monkeypatch, capsys):
    with serve(scripted_responder("faker"), faults=Faults(echo_headers=True)) as stub:
        monkeypatch.setenv("STUB_BASE_URL", stub.base_url)
        monkeypatch.setenv("STUB_API_KEY", KEY)
        code = main([*RUN, "--model", "openai-api/stub/faker", "--log-dir", str(tmp_path / "logs"),
                     *NO_JUDGES])  # fmt: skip
    assert code == 0 and stub.completed == 2
    _assert_nowhere([KEY], tmp_path, capsys.readouterr())
    answers = _answers(tmp_path / "logs")
    assert answers and all(
        "'authorization': 'bearer [redacted]'" in text.lower() for _, text in answers
    )


@pytest.mark.slow
def test_a_query_key_in_the_base_url_reaches_no_failure_line_or_log(tmp_path, monkeypatch, capsys):
    with serve(scripted_responder("faker")) as stub:
        monkeypatch.setenv("STUB_API_KEY", KEY)
        url = f"{stub.base_url}?api_key={QUERY_KEY}"  # the openai client then asks a path the stub lacks
        code = main([*RUN, "--model", "openai-api/stub/faker", "-M", f"base_url={url}",
                     "--log-dir", str(tmp_path / "logs"), *NO_JUDGES])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 1 and "failed:" in captured.err
    _assert_nowhere([QUERY_KEY, KEY], tmp_path, captured)


@pytest.mark.slow
def test_resume_still_calls_with_the_credentials_the_log_leaves_out(tmp_path, monkeypatch, capsys):
    with serve(scripted_responder("faker"), faults=Faults(bad_request=1.0)) as stub:
        monkeypatch.setenv("STUB_API_KEY", KEY)
        url = _with_userinfo(stub.base_url, f"user:{PASSWORD}")
        args = [*RUN, "--model", "openai-api/stub/faker", "-M", f"base_url={url}",
                "--log-dir", str(tmp_path / "logs"), *NO_JUDGES]  # fmt: skip
        assert main(args) == 1  # every call refused: the run failed, to be resumed
        stub.fault_plan = Faults(echo_headers=True)
        assert main([*args, "--resume"]) == 0
    assert stub.completed == 2
    _assert_nowhere([PASSWORD, _basic("user", PASSWORD)], tmp_path, capsys.readouterr())
    # Inspect rebuilt the model from the redacted header; it must still send the real password
    answers = [text for _, text in _answers(tmp_path / "logs") if "request: POST" in text]
    assert answers and all(
        "'authorization': 'basic [redacted]'" in text.lower() for text in answers
    )
