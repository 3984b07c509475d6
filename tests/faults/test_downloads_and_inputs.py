"""Hostile downloads and inputs (issue 23 points 3 and 8): a body that is not the paper's prompt,
a trickled or endless body, an odd `paper:PATH`, and prompt or dataset files that are empty,
endless, ragged, nested or name files outside the log, each end as one line, nothing kept."""

from __future__ import annotations

import hashlib
import json
import threading
import time

import pytest

from alignment_faking import downloads
from alignment_faking.cli import main
from alignment_faking.errors import UserError
from alignment_faking.scenario import paper
from alignment_faking.scenario.paper import paper_prompt_file, paper_prompts
from file_server import scripted_server

HONLY = paper_prompts()["helpful_only"].path
GENUINE = (
    b"You are an AI created by Anthropic. You reason in <SCRATCHPAD_REASONING> tags.\n"
    b"You can tell whether a user is on the free tier by the <is_free_tier_user> tag.\n"
)


@pytest.fixture
def release(monkeypatch):
    """The scripted server as the release's source, the cache empty."""
    with scripted_server() as server:
        monkeypatch.setenv(paper.BASE_URL_ENV, server.url)
        yield server


def _kept() -> list[str]:
    """Files in the download cache (the conftest points it at the test's own folder)."""
    return [str(p) for p in downloads.cache_dir().rglob("*") if p.is_file()]


def _refused(reference: str = "paper:helpful_only") -> str:
    with pytest.raises(UserError) as error:
        paper_prompt_file(reference)
    message = str(error.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"<!DOCTYPE html>\n<html><body>Rate limit exceeded</body></html>\n", "HTML page"),
        (b"\n<html>\n<head><title>404</title></head>\n<body>Not Found</body></html>", "HTML page"),
        (b"", "is empty"),
        (b"  \n\t\n", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8"),
        (b"GIF89a\x00\x00is_free_tier_user SCRATCHPAD_REASONING", "binary"),
        (b"Some other text file of the release, with no tags at all.\n", "lacks"),
        (b"Only <is_free_tier_user> is named.\n", "lacks SCRATCHPAD_REASONING"),
    ],
)
def test_a_body_that_is_not_the_prompt_is_refused_and_never_recorded(release, body, says):
    release.bodies[HONLY] = body
    message = _refused()
    assert says in message and "nothing was recorded" in message
    assert _kept() == []
    # the genuine file is accepted afterwards, not refused as "changed"
    release.bodies[HONLY] = GENUINE
    path = paper_prompt_file("paper:helpful_only")
    assert path.read_bytes() == GENUINE
    assert path.with_name(path.name + ".sha256").exists()


def test_a_prompt_without_a_scratchpad_needs_only_the_tier_tag(release):
    no_cot = paper_prompts()["helpful_only_no_cot"].path
    release.bodies[no_cot] = (
        b"Answer at once in <OUTPUT>; the <is_free_tier_user> tag tells the tier.\n"
    )
    assert paper_prompt_file("paper:helpful_only_no_cot").exists()


def test_a_bad_file_already_in_the_cache_is_refused_with_what_to_delete(release):
    release.bodies[HONLY] = GENUINE
    path = paper_prompt_file("paper:helpful_only")
    record = path.with_name(path.name + ".sha256")
    # as an older version would have left it: an error page, recorded as the prompt
    page = b"<!DOCTYPE html><html><body>Too Many Requests</body></html>"
    path.write_bytes(page)
    record.write_text(hashlib.sha256(page).hexdigest() + "\n")
    message = _refused()
    assert "HTML page" in message and f"delete it and {record}" in message
    path.unlink()
    record.unlink()
    assert paper_prompt_file("paper:helpful_only").read_bytes() == GENUINE


def test_a_bad_file_placed_by_hand_is_refused_and_not_recorded(release):
    target = downloads.cache_dir() / "paper" / paper.COMMIT[:12] / HONLY
    target.parent.mkdir(parents=True)
    target.write_bytes(b"")
    assert "is empty; delete it to download it again" in _refused()
    assert _kept() == [str(target)] and release.requests == []


def test_a_trickled_body_ends_at_the_deadline(release, monkeypatch):
    monkeypatch.setattr(downloads, "DOWNLOAD_DEADLINE_S", 1)

    def trickle(out):
        for byte in GENUINE:
            out.write(bytes([byte]))
            out.flush()
            time.sleep(0.25)

    release.bodies[HONLY] = trickle
    message = _refused()
    assert "took longer than 1 s" in message and "nothing was kept" in message
    assert _kept() == []


def test_an_oversized_body_is_refused_without_reading_it_whole(release, monkeypatch):
    monkeypatch.setattr(paper, "MAX_PROMPT_BYTES", 1000)
    release.bodies[HONLY] = GENUINE * 100  # declared too large: refused from its header
    assert "larger than 1,000 bytes" in _refused()
    total, sent, done = 64 * 2**20, [0], threading.Event()

    def endless(out):  # no Content-Length: refused as it streams
        try:
            while sent[0] < total:
                out.write(GENUINE * 500)
                sent[0] += len(GENUINE) * 500
        finally:
            done.set()

    release.bodies[HONLY] = endless
    assert "larger than 1,000 bytes" in _refused()
    assert done.wait(30) and sent[0] < total  # the client hung up long before the end
    assert _kept() == []


@pytest.mark.parametrize(
    "reference",
    [
        "paper:%2e%2e/x.txt",
        "paper:model_organism_honly_prompts/%2e%2e/%2e%2e/secret.txt",
        "paper:a b.txt",
        "paper:x?raw=1.txt",
        "paper:x#top.txt",
        "paper:dir\\x.txt",
        "paper:x\x00.txt",
        "paper:dir/\n/x.txt",
        "paper:./x.txt",
        "paper:a//x.txt",
        "paper:../x.txt",
        "paper:/etc/x.txt",
    ],
)
def test_an_odd_paper_path_is_refused_before_any_request(release, reference):
    _refused(reference)
    assert release.requests == []


# Inputs, through the CLI: a one-line error and exit 2 before any model is asked.


def _cli_error(capsys, *args: str) -> str:
    run = ["run", "--setting", "helpful_only", "--model", "scripted/faker", "--dry-run", *args]
    assert main(run) == 2
    err = capsys.readouterr().err
    [line] = err.strip().splitlines()
    assert line.startswith("alignment-faking: error: ") and "Traceback" not in err
    return line


@pytest.mark.parametrize("content", ["", " \n\n\t\n", "\ufeff\n"])
def test_an_empty_system_prompt_file_is_refused(tmp_path, capsys, content):
    prompt = tmp_path / "prompt.txt"
    prompt.write_text(content, encoding="utf-8")
    assert f"system prompt file {prompt} is empty" in _cli_error(
        capsys, "--system-prompt", str(prompt)
    )


def test_dev_zero_is_refused_as_a_prompt_file_and_as_a_dataset(capsys):
    assert "/dev/zero is not a regular file" in _cli_error(capsys, "--system-prompt", "/dev/zero")
    assert "/dev/zero is not a regular file" in _cli_error(capsys, "--dataset", "/dev/zero")


def test_a_huge_file_is_refused_before_it_is_read(tmp_path, capsys):
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as file:  # sparse: no disk used
        file.truncate(2**30)
    assert "larger than" in _cli_error(capsys, "--dataset", str(huge))
    prompt = tmp_path / "huge.txt"
    prompt.write_bytes(b"You are helpful. " * (paper.MAX_PROMPT_BYTES // 17 + 1))
    assert "larger than" in _cli_error(capsys, "--system-prompt", str(prompt))


@pytest.mark.parametrize(
    ("rows", "says"),
    [
        ("id,query\na,one\nb,two, with a comma\n", "line 3 has 3 field(s) but the header has 2"),
        ("id,query,category\na,one,x\nb,two\n", "line 3 has 2 field(s) but the header has 3"),
    ],
)
def test_a_ragged_csv_row_is_refused_with_its_line(tmp_path, capsys, rows, says):
    data = tmp_path / "queries.csv"
    data.write_text(rows, encoding="utf-8")
    assert says in _cli_error(capsys, "--dataset", str(data))


@pytest.mark.parametrize(
    ("row", "says"),
    [
        ({"id": "b", "query": {"text": "two"}}, "line 3: 'query' is an object"),
        ({"id": ["b"], "query": "two"}, "line 3: 'id' is an array"),
    ],
)
def test_a_nested_json_value_is_refused_with_its_line(tmp_path, capsys, row, says):
    data = tmp_path / "queries.jsonl"
    lines = [json.dumps({"id": "a", "query": "one", "meta": {"kept": True}}), "", json.dumps(row)]
    data.write_text("\n".join(lines), encoding="utf-8")
    assert says in _cli_error(capsys, "--dataset", str(data))


@pytest.mark.parametrize("query_id", ["../escape", "a/b", "a\\b", ".hidden", "x..y", "tab\there"])
def test_an_id_that_would_name_a_file_outside_its_place_in_the_log_is_refused(
    tmp_path, capsys, query_id
):
    data = tmp_path / "queries.jsonl"
    rows = [{"id": "fine-1", "query": "one"}, {"id": query_id, "query": "two"}]
    data.write_text("\n".join(json.dumps(row) for row in rows), encoding="utf-8")
    assert "row 2: query id" in _cli_error(capsys, "--dataset", str(data))


def test_ordinary_ids_and_extra_nested_fields_still_load(tmp_path):
    from alignment_faking.datasets import load_queries

    data = tmp_path / "queries.jsonl"
    rows = [
        {"id": "HB-1.2_x:y", "query": "one", "meta": {"source": "x"}},
        {"id": 7, "query": "two", "tags": ["a"]},
    ]
    data.write_text("\n".join(json.dumps(row) for row in rows), encoding="utf-8")
    assert [q.id for q in load_queries(str(data)).queries] == ["HB-1.2_x:y", "7"]
