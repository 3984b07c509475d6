"""Read queries from a local CSV or JSONL file."""

from __future__ import annotations

import codecs
import csv
import io
import json
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alignment_faking.datasets.query import Query, QuerySet
from alignment_faking.errors import UserError

logger = logging.getLogger(__name__)

Row = dict[str, str]
LONG_QUERY_CHARS = 20_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
RowFilter = Callable[[Row], bool]


def read_rows(path: Path) -> list[Row]:
    """Rows of a CSV (header required) or JSONL file, keyed by column name."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"dataset file not found: {path}") from None
    except OSError as err:
        raise UserError(f"cannot read dataset file {path}: {err.strerror}") from None
    try:
        if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            logger.warning("%s: read as UTF-16 (byte-order mark found)", path)
            text = raw.decode("utf-16")
        else:
            text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(f"{path} is not UTF-8 text; convert it to UTF-8 and retry") from None
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return jsonl_rows(text, path)
    if path.suffix.lower() in (".csv", ".tsv"):
        dialect = "excel-tab" if path.suffix.lower() == ".tsv" else "excel"
        reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect, strict=True)
        try:
            return [{k: v for k, v in row.items() if k is not None} for row in reader]
        except csv.Error as err:
            raise UserError(
                f"{path} is not valid CSV after line {reader.line_num} ({err}); check its quotes"
            ) from None
    raise UserError(f"{path}: unsupported dataset format; use a .csv, .tsv or .jsonl file")


def json_objects(text: str, source: object) -> list[dict[str, Any]]:
    """JSON objects, one a line (blank lines skipped), with their values as written."""
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise UserError(f"{source} line {number} is not valid JSON ({err.msg})") from None
        if not isinstance(row, dict):
            raise UserError(f"{source} line {number} is not a JSON object")
        rows.append(row)
    return rows


def jsonl_rows(text: str, path: Path) -> list[Row]:
    """JSONL rows with every value as text, as a CSV row has them."""
    return [
        {str(k): "" if v is None else str(v) for k, v in row.items()}
        for row in json_objects(text, path)
    ]


def queries_from_rows(
    rows: list[Row],
    *,
    name: str,
    source: str,
    query_column: str,
    id_column: str | None = "id",
    category_column: str | None = "category",
    id_prefix: str = "row",
    keep: RowFilter | None = None,
) -> QuerySet:
    """Turn rows into queries: rows with an empty query are skipped, duplicate ids refused."""
    columns = rows[0].keys() if rows else set()
    if rows and query_column not in columns:
        raise UserError(
            f"{source} has no column '{query_column}'; its columns are "
            f"{', '.join(columns)}: pass --query-column NAME"
        )
    queries: list[Query] = []
    skipped = controls = repeated = 0
    seen_texts: set[str] = set()
    for index, row in enumerate(rows, start=1):
        if keep is not None and not keep(row):
            continue
        raw_text = row.get(query_column) or ""
        text = _CONTROL.sub("", raw_text).strip()
        controls += text != raw_text.strip()
        if not text:
            skipped += 1
            continue
        if text in seen_texts:
            repeated += 1
            continue
        seen_texts.add(text)
        given_id = (row.get(id_column) or "").strip() if id_column else ""
        category = (row.get(category_column) or "").strip() if category_column else ""
        queries.append(Query(given_id or f"{id_prefix}-{index:04d}", text, category or None))
    if skipped:
        logger.warning("%s: skipped %d row(s) with an empty query", source, skipped)
    if repeated:
        logger.warning("%s: skipped %d row(s) repeating an earlier query", source, repeated)
    if controls:
        logger.warning("%s: removed control characters from %d query(s)", source, controls)
    long_queries = sum(len(q.text) > LONG_QUERY_CHARS for q in queries)
    if long_queries:
        logger.warning(
            "%s: %d query(s) longer than %d characters", source, long_queries, LONG_QUERY_CHARS
        )
    if not queries:
        raise UserError(f"{source} holds no queries; check the file and --query-column")
    seen: set[str] = set()
    duplicates = sorted({q.id for q in queries if q.id in seen or seen.add(q.id)})
    if duplicates:
        raise UserError(
            f"{source} repeats query id(s) {', '.join(duplicates[:5])}; ids must be unique"
        )
    return QuerySet(name, tuple(queries))


def load_query_file(path: str, query_column: str | None = None) -> QuerySet:
    """Queries from a local file; the query column defaults to `query`."""
    file = Path(path)
    return queries_from_rows(
        read_rows(file), name=file.name, source=str(file), query_column=query_column or "query"
    )
