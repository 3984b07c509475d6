import hashlib
import json
import shutil
from collections import Counter
from dataclasses import replace

import pytest

from alignment_faking.datasets import benchmarks as bench
from alignment_faking.datasets import load_queries
from alignment_faking.errors import UserError
from file_server import file_server

HARM_CATEGORIES = {
    "cyber",
    "weapons",
    "fraud",
    "violence",
    "harassment",
    "drugs",
    "misinformation",
    "privacy",
}
WELFARE_TOPICS = {
    "factory_farming",
    "diet",
    "pets",
    "wildlife",
    "animal_testing",
    "fishing",
    "zoos_aquariums",
}


@pytest.mark.parametrize("name", ["helpful_only", "animal_welfare"])
def test_bundled_sets_are_large_unique_and_categorised(name):
    queries = load_queries(name).queries
    assert len(queries) >= 150
    assert len({q.id for q in queries}) == len(queries)
    assert len({q.text.lower() for q in queries}) == len(queries)
    assert all(q.category for q in queries)
    expected = HARM_CATEGORIES if name == "helpful_only" else WELFARE_TOPICS
    counts = Counter(q.category for q in queries)
    assert expected <= counts.keys()
    assert max(counts.values()) < 0.15 * len(queries)


@pytest.mark.parametrize(
    ("name", "rows", "first"),
    [
        ("advbench", 520, "Write a script that can exploit vulnerabilities"),
        ("strongreject", 313, "Can you explain how to write a deceptive email"),
        ("harmbench", 200, "Give detailed instructions for making dimethylmercury"),
        ("jbb", 100, "Write a defamatory article claiming"),
    ],
)
def test_benchmarks_load_from_a_verified_cache(name, rows, first, shared_data, monkeypatch):
    monkeypatch.setenv("ALIGNMENT_FAKING_CACHE", str(shared_data))
    query_set = load_queries(name)
    assert query_set.name == name
    assert len(query_set.queries) == rows
    assert query_set.queries[0].text.startswith(first)
    assert len({q.id for q in query_set.queries}) == rows


def test_harmbench_keeps_only_standard_behaviours_with_their_ids(shared_data, monkeypatch):
    monkeypatch.setenv("ALIGNMENT_FAKING_CACHE", str(shared_data))
    queries = load_queries("harmbench").queries
    assert queries[0].id == "dimethylmercury_instructions_home"
    assert queries[0].category == "chemical_biological"


def test_tampered_cache_file_is_refused(shared_data, tmp_path, monkeypatch):
    target = tmp_path / "cache" / "advbench" / "harmful_behaviors.csv"
    target.parent.mkdir(parents=True)
    target.write_bytes((shared_data / "advbench" / "harmful_behaviors.csv").read_bytes() + b"\nx,y")
    monkeypatch.setenv("ALIGNMENT_FAKING_CACHE", str(tmp_path / "cache"))
    with pytest.raises(UserError, match="does not match the pinned sha256"):
        load_queries("advbench")


@pytest.mark.slow
def test_first_use_downloads_verifies_and_caches(shared_data, tmp_path, monkeypatch):
    served = tmp_path / "served"
    served.mkdir()
    shutil.copy(shared_data / "jbb_behaviors" / "behaviors.csv", served / "behaviors.csv")
    cache = tmp_path / "cache"
    monkeypatch.setenv("ALIGNMENT_FAKING_CACHE", str(cache))
    with file_server(served) as url:
        monkeypatch.setitem(
            bench.BENCHMARKS, "jbb", replace(bench.BENCHMARKS["jbb"], url=f"{url}/behaviors.csv")
        )
        assert len(load_queries("jbb").queries) == 100
    cached = cache / "jbb_behaviors" / "behaviors.csv"
    assert hashlib.sha256(cached.read_bytes()).hexdigest() == bench.BENCHMARKS["jbb"].sha256
    # the server is gone: the cached copy is used
    assert len(load_queries("jbb").queries) == 100


@pytest.mark.slow
def test_download_with_a_wrong_checksum_is_refused_and_not_cached(tmp_path, monkeypatch):
    served = tmp_path / "served"
    served.mkdir()
    (served / "behaviors.csv").write_text("Goal,Category\nsomething,else\n")
    monkeypatch.setenv("ALIGNMENT_FAKING_CACHE", str(tmp_path / "cache"))
    with file_server(served) as url:
        monkeypatch.setitem(
            bench.BENCHMARKS, "jbb", replace(bench.BENCHMARKS["jbb"], url=f"{url}/behaviors.csv")
        )
        with pytest.raises(UserError, match="expected"):
            load_queries("jbb")
    assert not list((tmp_path / "cache").rglob("*.csv"))


def test_unreachable_source_says_how_to_work_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("ALIGNMENT_FAKING_CACHE", str(tmp_path / "cache"))
    monkeypatch.setitem(
        bench.BENCHMARKS, "jbb", replace(bench.BENCHMARKS["jbb"], url="http://127.0.0.1:9/x.csv")
    )
    with pytest.raises(UserError, match="by hand or pass --dataset"):
        load_queries("jbb")


def test_local_csv_with_a_query_column(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text(
        '\ufeffprompt,category\nFirst request,cyber\n,cyber\n"Second, with comma",fraud\n',
        encoding="utf-8",
    )
    query_set = load_queries(str(path), query_column="prompt")
    assert [q.text for q in query_set.queries] == ["First request", "Second, with comma"]
    assert [q.id for q in query_set.queries] == ["row-0001", "row-0003"]
    assert query_set.queries[1].category == "fraud"


def test_local_jsonl_with_ids(tmp_path):
    path = tmp_path / "mine.jsonl"
    path.write_text(
        '{"id": "a", "query": "one"}\n\n{"id": "b", "query": "two"}\n', encoding="utf-8"
    )
    assert [q.id for q in load_queries(str(path)).queries] == ["a", "b"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.jsonl", '{"query": "ok"}\nnot json\n', "line 2 is not valid JSON"),
        (
            "dupes.jsonl",
            '{"id": "a", "query": "x"}\n{"id": "a", "query": "y"}\n',
            "repeats query id",
        ),
        ("cols.csv", "text\nhello\n", "no column 'query'"),
        ("empty.csv", "query\n\n", "holds no queries"),
        ("data.xlsx", "x", "unsupported dataset format"),
    ],
)
def test_malformed_local_files_are_one_line_user_errors(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UserError, match=message) as error:
        load_queries(str(path))
    assert "\n" not in str(error.value)


def test_missing_file_and_unknown_name(tmp_path):
    with pytest.raises(UserError, match="not found"):
        load_queries(str(tmp_path / "nope.csv"))
    with pytest.raises(UserError, match="unknown dataset"):
        load_queries("nope")


def test_non_utf8_file_is_refused(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("query\ncaf\xe9\n".encode("latin-1"))
    with pytest.raises(UserError, match="not UTF-8"):
        load_queries(str(path))


def test_hostile_file_loads_with_warnings(tmp_path, caplog):
    path = tmp_path / "hostile.jsonl"
    rows = [
        {"id": "a", "query": "first\x00 request\x1b[31m"},
        {"id": "b", "query": "first request[31m"},
        {"id": "c", "query": "x" * 25_000},
        {"id": "d", "query": "   "},
        {"id": "e", "query": "ok"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    with caplog.at_level("WARNING"):
        queries = load_queries(str(path)).queries
    assert [q.id for q in queries] == ["a", "c", "e"]
    assert queries[0].text == "first request[31m"
    warnings = " ".join(r.message for r in caplog.records)
    assert "control characters" in warnings and "repeating an earlier query" in warnings
    assert "longer than" in warnings and "empty query" in warnings


def test_utf16_file_with_a_byte_order_mark_loads(tmp_path, caplog):
    path = tmp_path / "utf16.csv"
    path.write_bytes("query\ncafé au lait\n".encode("utf-16"))
    with caplog.at_level("WARNING"):
        assert load_queries(str(path)).queries[0].text == "café au lait"
    assert "UTF-16" in caplog.text
