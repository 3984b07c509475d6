"""summary.json on disk: written from the entries, read back into them, and its JSON schema."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alignment_faking.summary.labels import Run
from alignment_faking.summary.schema import SCHEMA_VERSION, Summary

SUMMARY_FILE = "summary.json"


def summary_json(runs: Sequence[Run]) -> str:
    """summary.json's text: `{"schema_version": ..., "runs": [...]}`, indented."""
    document = Summary(schema_version=SCHEMA_VERSION, runs=list(runs)).model_dump()
    return json.dumps(document, indent=2) + "\n"


def write_summary(target: Path, runs: Sequence[Run]) -> None:
    """Write run summaries to a summary.json."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(summary_json(runs), encoding="utf-8")


def read_summary(source: Path) -> Summary:
    """A summary.json read back into its entries, validated against the schema."""
    return Summary.model_validate_json(source.read_text(encoding="utf-8"))


def json_schema() -> dict[str, Any]:
    """summary.json's JSON schema, generated from the models (docs/summary.schema.json)."""
    return Summary.model_json_schema()


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
