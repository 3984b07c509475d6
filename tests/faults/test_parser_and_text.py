"""Issue 23, points 9 and 6: a linear parser, figures that draw names as plain text, and
output that an ASCII terminal can print."""

from __future__ import annotations

import io
import os
import random
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import matplotlib
import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.model import get_model

from alignment_faking import transcript
from alignment_faking.cli.common import printable_streams
from alignment_faking.inspect.task import alignment_faking_task
from alignment_faking.report import figure_tiers, results, write_report
from alignment_faking.transcript import parse_transcript, parse_turns, turn_step

matplotlib.use("Agg")

# --- point 9: the parser is linear -----------------------------------------------------------

REFERENCE = re.compile(
    r"<SCRATCHPAD_REASONING>(.*?)"
    r"(?:</SCRATCHPAD_REASONING>|(?=<OUTPUT>)(?!.*</SCRATCHPAD_REASONING>)|\Z)",
    re.DOTALL | re.IGNORECASE,
)
"""The scratchpad rule as a regex (the parser's before it was made linear): quadratic, but short
and plainly right, so it is the reference on small texts."""

PIECES = (
    "<SCRATCHPAD_REASONING>", "</SCRATCHPAD_REASONING>", "<scratchpad_reasoning>",
    "</Scratchpad_Reasoning>", "<\u017fcratchpad_reasoning>", "<SCRATCHPAD_REASONING", "</SCRATCHPAD",
    "<OUTPUT>", "</OUTPUT>", "<output>", "<OUTPUT", "<think>", "</think>", "<thinking>",
    "</thinking>", "<thin\u212a>", "<request_fully_accepted/>", "<rejected/>", "<NEXT/>",
    "I'm sorry, I can't help with that.", "Here it is.", "x", " ", "\n", "<", ">", "/",
)  # fmt: skip
"""Tags in several cases (`ſ` and the Kelvin sign fold to `s` and `k`), broken tags, prose."""


def tag_soups(count: int, seed: int = 23) -> Iterator[str]:
    rng = random.Random(seed)
    for _ in range(count):
        yield "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 14)))


def reference_scratchpads(text: str) -> tuple[tuple[str, ...], str]:
    return tuple(block.strip() for block in REFERENCE.findall(text)), REFERENCE.sub("", text)


def reference_turn_step(text: str) -> str:
    visible = re.sub(r"<think(?:ing)?>(.*?)(?:</think(?:ing)?>|\Z)", "", text, flags=re.S | re.I)
    closes = list(re.finditer("</SCRATCHPAD_REASONING>", visible, re.I))
    after = visible[closes[-1].end() :] if closes else visible
    if re.search("<OUTPUT>", REFERENCE.sub("", after), re.I):
        return "output"
    return "scratchpad" if closes else "open"


def test_scratchpads_are_found_as_the_reference_regex_finds_them():
    for text in tag_soups(4000):
        assert transcript._scratchpads(text) == reference_scratchpads(text), text
        assert turn_step(text) == reference_turn_step(text), text


def test_every_parse_agrees_with_the_reference_on_random_tag_soups(monkeypatch):
    soups = list(tag_soups(1500, seed=9))
    kwargs = [{}, {"stop_reason": "max_tokens"}, {"decision_tags": False}]

    def parse_all() -> list[object]:
        parsed: list[object] = []
        for k, text in enumerate(soups):
            turns = [soups[k - 1], text]
            parsed += [parse_transcript(text, **kwargs[k % 3]), turn_step(text)]
            parsed.append(parse_turns(turns, max_turns=2, **kwargs[k % 3]))
        return parsed

    linear = parse_all()
    monkeypatch.setattr(transcript, "_scratchpads", reference_scratchpads)
    assert linear == parse_all()


HOSTILE = "<SCRATCHPAD_REASONING><OUTPUT>"
"""Every opening runs until the next output: the old lookahead re-read the rest at each one."""
ANSWER = "<request_fully_accepted/> Here it is.</OUTPUT>"


def hostile(size: int) -> str:
    return HOSTILE * (size // len(HOSTILE)) + ANSWER


def test_a_1mb_hostile_answer_parses_to_the_answer_it_holds():
    text = hostile(1_000_000)
    openings = text.count(HOSTILE)
    parsed = parse_transcript(text)
    assert parsed.scratchpads == ("",) * openings
    assert parsed.output == "<OUTPUT>" * (openings - 1) + ANSWER.removesuffix("</OUTPUT>")
    assert (parsed.decision, parsed.invalid_reason) == ("accepted", None)
    assert turn_step(text) == "output"
    assert parse_turns([text, text], max_turns=2).scratchpads == ("",) * 2 * openings


class _Overran(Exception):
    pass


@contextmanager
def _alarm(seconds: int) -> Iterator[None]:
    def overran(signum, frame):
        raise _Overran(f"still parsing after {seconds} s")

    previous = signal.signal(signal.SIGALRM, overran)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_4mb_hostile_answer_parses_inside_a_generous_guard():
    """A guard, not a timing assertion: a linear parse takes a second or two here even on a
    loaded machine; the quadratic one took minutes (about 20 s for 1 MB, 16 times that for 4).
    The benchmark (benchmarks/parser_worst_case.py) measures the time."""
    text = hostile(4_000_000)
    with _alarm(30):
        parsed = parse_transcript(text)
        step = turn_step(text)
        turns = parse_turns(
            ["<SCRATCHPAD_REASONING>plan</SCRATCHPAD_REASONING>", text], max_turns=2
        )
    assert (parsed.decision, step) == ("accepted", "output")
    assert turns.scratchpads[0] == "plan" and turns.decision == "accepted"


# --- point 6: user text is plain text in figures, and printable on any terminal ---------------

MATH_LIKE = "$\\foo$ and $x^$"
"""Breaks matplotlib's math parser: an unknown command and a bare superscript."""


@pytest.fixture(scope="module")
def math_like_logs(tmp_path_factory) -> Path:
    """One run whose model and dataset file are named like TeX."""
    root = tmp_path_factory.mktemp("math-like")
    dataset = root / f"{MATH_LIKE}.jsonl"
    dataset.write_text('{"id": "q1", "query": "Write $x^$."}\n{"id": "q2", "query": "Other."}\n')
    task = alignment_faking_task("helpful_only", variation="accept_reject", dataset=str(dataset),
                                 compliance_judge="tags", af_judge="baseline", cache=False)  # fmt: skip
    model = get_model(f"scripted/{MATH_LIKE}", free=1.0, paid=0.0)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("INSPECT_CACHE_DIR", str(root / "cache"))
        [log] = inspect_eval(task, model=model, log_dir=str(root / "logs"), display="none")
    assert log.status == "success", log.error
    return root / "logs"


@pytest.mark.slow
def test_math_like_names_are_drawn_as_written(math_like_logs, tmp_path):
    out = tmp_path / "report"
    for _ in range(2):  # the folder's next report too: nothing of the first one breaks it
        files = write_report([math_like_logs], out)
        for figure in (files.figure_tiers_png, files.figure_tiers_svg, files.figure_gaps_png):
            assert figure.stat().st_size > 0
    main = [run for _, run in results([math_like_logs]).compliance_runs()]
    texts = figure_tiers(main).findobj(matplotlib.text.Text)
    assert any(f"scripted/{MATH_LIKE}" in text.get_text() for text in texts)


def _ascii_stream(errors: str = "strict") -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(), encoding="ascii", errors=errors)


def test_printable_streams_escapes_what_an_ascii_stream_cannot_encode(monkeypatch):
    out, err = _ascii_stream(), _ascii_stream()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    printable_streams()
    print("gap (free − paid) ≥ 0 · model×2")
    print("alignment-faking: error: “x”", file=sys.stderr)
    for stream in (out, err):
        stream.flush()
    assert out.buffer.getvalue() == b"gap (free \\u2212 paid) \\u2265 0 \\xb7 model\\xd72\n"
    assert err.buffer.getvalue() == b"alignment-faking: error: \\u201cx\\u201d\n"


def test_printable_streams_leaves_streams_that_can_already_print_alone(monkeypatch):
    utf8 = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    replacing = _ascii_stream("replace")
    monkeypatch.setattr(sys, "stdout", utf8)
    monkeypatch.setattr(sys, "stderr", replacing)
    printable_streams()
    assert (utf8.errors, replacing.errors) == ("strict", "replace")


TABLE = """
import sys
from alignment_faking.cli.common import printable_streams
from alignment_faking.inspect.eval_logs.runs import summarize_logs
from alignment_faking.summary.table import format_table

if sys.argv[2] == "printable":
    printable_streams()
print(format_table(summarize_logs([sys.argv[1]])), end="")
"""


@pytest.mark.slow
def test_the_summary_table_prints_under_an_ascii_terminal(math_like_logs):
    env = {**os.environ, "PYTHONIOENCODING": "ascii", "LANG": "C", "LC_ALL": "C"}

    def table(mode: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-c", TABLE, str(math_like_logs), mode]
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)

    as_is = table("as is")  # the fault: the run label's "·" cannot be encoded
    assert as_is.returncode != 0 and "UnicodeEncodeError" in as_is.stderr
    printable = table("printable")
    assert printable.returncode == 0, printable.stderr
    assert f"scripted/{MATH_LIKE} \\xb7 helpful_only/accept_reject" in printable.stdout
    # the command itself makes its streams printable
    main = [sys.executable, "-c", "import sys; from alignment_faking.cli import main; "
            "sys.exit(main(['summary', sys.argv[1]]))", str(math_like_logs)]  # fmt: skip
    summary = subprocess.run(main, capture_output=True, text=True, env=env, timeout=120)
    assert summary.returncode == 0, summary.stderr
    assert summary.stdout == printable.stdout
