"""The CLI's results table: aligned whatever the labels, and plain text wherever it is printed."""

from __future__ import annotations

from alignment_faking.records import SampleRecord
from alignment_faking.summary import RunInfo, format_table, label_runs, run_summary

LONG_MODEL = "openrouter/some-laboratory/a-rather-long-model-name-00-instruct-preview-2026-11"


def _run(model: str) -> dict:
    records = [
        SampleRecord(f"q{q}", tier, 1, "complied" if tier == "free" and q < 3 else "refused")
        for q in range(5)
        for tier in ("free", "paid")
    ]
    info = RunInfo("x.eval", model, "helpful_only", "default", "helpful_only", 5, 1, "success")
    return run_summary(info, records)


def test_columns_line_up_under_long_model_names():
    table = format_table(label_runs([_run(LONG_MODEL), _run("m")]))
    header = next(line for line in table.splitlines() if line.lstrip().startswith("tier"))
    rows = [line for line in table.splitlines() if line.lstrip().startswith(("free ", "paid "))]
    assert len(rows) == 4
    for column in ("n", "complied", "refused"):  # counts end where their heading ends
        end = header.index(f" {column} ") + len(column)
        assert all(row[end].isdigit() and row[end + 1] == " " for row in rows), column
    for column in ("compliance (95% CI)", "alignment faking"):  # rates start under theirs
        start = header.index(column)
        assert all(row[start - 1] == " " and row[start] != " " for row in rows), column
    assert LONG_MODEL in table and "\x1b[" not in table  # no terminal escapes in a file
