"""Read queries from a local CSV or JSONL file."""

from __future__ import annotations

import codecs
import csv
import io
import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import Any

from alignment_faking.datasets.query import Query, QuerySet
from alignment_faking.errors import UserError
from alignment_faking.user_files import read_user_file

logger = logging.getLogger(__name__)

Row = dict[str, str]
LONG_QUERY_CHARS = 20_000
MAX_DATASET_BYTES = 256 * 2**20
"""The largest dataset file read (the public benchmarks are a few MB)."""
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_UNSAFE_ID = re.compile(r"[/\\\x00-\x1f\x7f]|\.\.|\A\.")
"""What a sample's id must not hold: it names a file inside the log (`samples/<id>_epoch_1.json`)."""
RowFilter = Callable[[Row], bool]


def read_rows(path: Path, text_columns: Collection[str] = ()) -> list[Row]:
    """Rows of a CSV (header required) or JSONL file, keyed by column name.

    A JSONL object or array in one of `text_columns` is refused: it has no text to ask.
    """
    raw = read_user_file(path, what="dataset file", max_bytes=MAX_DATASET_BYTES)
    try:
        if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            logger.warning("%s: read as UTF-16 (byte-order mark found)", path)
            text = raw.decode("utf-16")
        else:
            text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(f"{path} is not UTF-8 text; convert it to UTF-8 and retry") from None
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return jsonl_rows(text, path, text_columns)
    if path.suffix.lower() in (".csv", ".tsv"):
        dialect = "excel-tab" if path.suffix.lower() == ".tsv" else "excel"
        reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect, strict=True)
        try:
            return list(_whole_rows(reader, path))
        except csv.Error as err:
            raise UserError(
                f"{path} is not valid CSV after line {reader.line_num} ({err}); check its quotes"
            ) from None
    raise UserError(f"{path}: unsupported dataset format; use a .csv, .tsv or .jsonl file")


def _whole_rows(reader: csv.DictReader, path: Path) -> Iterable[Row]:
    """The rows, each with exactly the header's fields: a field more or less is refused, since
    the reader would drop the extra one or leave a column empty without a word."""
    for row in reader:
        width = len(reader.fieldnames or ())
        extra = len(row.pop(None, None) or ())
        missing = sum(value is None for value in row.values())
        if extra or missing:
            raise UserError(
                f"{path} line {reader.line_num} has {width + extra - missing} field(s) but the "
                f"header has {width}; give each row the header's columns, quoting a field that "
                "holds the delimiter"
            )
        yield row


def json_objects(text: str, source: object) -> list[dict[str, Any]]:
    """JSON objects, one a line (blank lines skipped), with their values as written."""
    return [row for _, row in numbered_json_objects(text, source)]


def numbered_json_objects(text: str, source: object) -> list[tuple[int, dict[str, Any]]]:
    """JSON objects with the number of the line each is on."""
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
        rows.append((number, row))
    return rows


def jsonl_rows(text: str, source: object, text_columns: Collection[str] = ()) -> list[Row]:
    """JSONL rows with every value as text, as a CSV row has them; an object or array in one of
    `text_columns` is refused rather than turned into its Python repr."""
    rows = []
    for number, row in numbered_json_objects(text, source):
        for column in text_columns:
            if isinstance(row.get(column), dict | list):
                kind = "an object" if isinstance(row[column], dict) else "an array"
                raise UserError(
                    f"{source} line {number}: '{column}' is {kind}; it must be text (a string or a number)"
                )
        rows.append({str(k): "" if v is None else str(v) for k, v in row.items()})
    return rows


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
        if _UNSAFE_ID.search(given_id):
            raise UserError(
                f"{source} row {index}: query id {given_id!r} would name a file inside the log; "
                "use an id without /, \\, '..', control characters or a leading dot"
            )
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
    duplicates = sorted(qid for qid, n in Counter(q.id for q in queries).items() if n > 1)
    if duplicates:
        raise UserError(
            f"{source} repeats query id(s) {', '.join(duplicates[:5])}; ids must be unique"
        )
    return QuerySet(name, tuple(queries))


def load_query_file(path: str, query_column: str | None = None) -> QuerySet:
    """Queries from a local file; the query column defaults to `query`."""
    file = Path(path)
    column = query_column or "query"
    return queries_from_rows(
        read_rows(file, text_columns=(column, "id", "category")),
        name=file.name,
        source=str(file),
        query_column=column,
    )
