"""The query sets shipped with the package, written for this project."""

from __future__ import annotations

from importlib.resources import files

from alignment_faking.datasets.files import jsonl_rows, queries_from_rows
from alignment_faking.datasets.query import QuerySet

BUNDLED = (
    "helpful_only",
    "animal_welfare",
    "anti_lab_helpful_only",
    "anti_lab_animal_welfare",
    "lying_helpful_only",
    "lying_animal_welfare",
    "realism",
    "stated_preferences_helpful_only",
    "stated_preferences_animal_welfare",
)
"""The two settings' queries, then the query sets of the other evaluations (measurements.py)."""


def load_bundled(name: str) -> QuerySet:
    """A bundled query set by name (one of BUNDLED)."""
    resource = files("alignment_faking.datasets").joinpath("queries", f"{name}.jsonl")
    rows = jsonl_rows(resource.read_text("utf-8"), resource)
    return queries_from_rows(rows, name=name, source=f"bundled set {name}", query_column="query")
