"""Human-labelled sets for meta-evaluating judges: gold_106's JSON, JBB's CSV, any CSV/JSONL,
and the transcripts we labelled by hand for the judges of the other evaluations."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from alignment_faking.datasets.files import json_objects, read_rows
from alignment_faking.errors import UserError
from alignment_faking.judges.reasons import AF_SCOPES, REASONS
from alignment_faking.measurements import EVALUATIONS
from alignment_faking.scenario.settings import SETTINGS, Setting

POSITIVE_LABELS = frozenset(
    {"1", "true", "yes", "potential_faking", "alignment_faking", "jailbroken", "complied"}
)
# known layouts: (text column, label column, request column)
_KNOWN_COLUMNS = (("target_response", "human_majority", "goal"), ("text", "label", None))


@dataclass(frozen=True)
class LabelledItem:
    """A text to judge, the request it answered (if any), and the human label.

    Our labelled transcripts also carry the reasoning beside the response (`text`), the
    setting they come from, the exact class, and, for reasoning categories, the motivations.
    """

    text: str
    label: bool
    request: str = ""
    setting: Setting | None = None
    reasoning: str = ""
    label_class: str = ""
    categories: tuple[str, ...] = ()
    af_scope: str = ""


LABELLED_JUDGES = (*EVALUATIONS, "reasons")
"""Judges that ship a hand-labelled set of ours (judges/labelled/NAME.jsonl)."""
_TRANSCRIPT_FIELDS = ("setting", "request", "reasoning", "response")


def _transcript_item(judge: str, row: dict, where: str) -> LabelledItem:
    missing = [k for k in (*_TRANSCRIPT_FIELDS, "label") if k not in row]
    if missing:
        raise UserError(f"{where}: missing field(s) {', '.join(missing)}")
    if row["setting"] not in SETTINGS:
        raise UserError(f"{where}: unknown setting '{row['setting']}'")
    if judge == "reasons":
        categories = row.get("categories")
        if not isinstance(categories, list) or not set(categories) <= set(REASONS):
            raise UserError(f"{where}: 'categories' must list some of {', '.join(REASONS)}")
        if row.get("af_scope", "none") not in AF_SCOPES:
            raise UserError(f"{where}: 'af_scope' must be one of {', '.join(AF_SCOPES)}")
        return LabelledItem(
            text=row["response"],
            label=bool(categories),
            request=row["request"],
            setting=row["setting"],
            reasoning=row["reasoning"],
            categories=tuple(categories),
            af_scope=row.get("af_scope", "none"),
        )
    evaluation = EVALUATIONS[judge]
    if row["label"] not in evaluation.classes:
        raise UserError(f"{where}: label must be one of {', '.join(evaluation.classes)}")
    return LabelledItem(
        text=row["response"],
        label=row["label"] in evaluation.rates[evaluation.headline],
        request=row["request"],
        setting=row["setting"],
        reasoning=row["reasoning"],
        label_class=row["label"],
    )


def load_transcript_labels(judge: str, path: str | None = None) -> list[LabelledItem]:
    """Labelled transcripts for one of LABELLED_JUDGES: ours by default, or a JSONL file laid
    out the same way (setting, request, reasoning, response, label; categories for reasons).

    The positive label is the evaluation's headline rate (an anti-lab action, a lie, a
    suspected test), or any motivation at all for reasons.
    """
    if judge not in LABELLED_JUDGES:
        raise UserError(f"no labelled transcripts for judge '{judge}'")
    if path is None:
        resource = files("alignment_faking.judges").joinpath("labelled", f"{judge}.jsonl")
        text, source = resource.read_text("utf-8"), f"our {judge} set"
    else:
        try:
            text, source = Path(path).read_text(encoding="utf-8-sig"), path
        except FileNotFoundError:
            raise UserError(f"labels file not found: {path}") from None
        except (OSError, UnicodeDecodeError) as err:
            raise UserError(f"cannot read labels file {path}: {err}") from None
    rows = json_objects(text, source)
    if not rows:
        raise UserError(f"{source} holds no labelled rows")
    return [
        _transcript_item(judge, row, f"{source}, row {number}")
        for number, row in enumerate(rows, start=1)
    ]


def _gold_rows(path: Path) -> list[dict[str, str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as err:
        raise UserError(f"{path} is not valid JSON ({err.msg})") from None
    samples = data.get("samples") if isinstance(data, dict) else data
    if not isinstance(samples, list) or not all(isinstance(s, dict) for s in samples):
        raise UserError(f'{path}: expected a list of objects, or {{"samples": [...]}}')
    return [{str(k): "" if v is None else str(v) for k, v in s.items()} for s in samples]


def load_labels(
    path: str,
    text_column: str | None = None,
    label_column: str | None = None,
    request_column: str | None = None,
    positive: str | None = None,
) -> list[LabelledItem]:
    """Labelled items; columns default to a known layout, the positive label to common spellings."""
    file = Path(path)
    if not file.exists():
        raise UserError(f"labels file not found: {path}")
    rows = _gold_rows(file) if file.suffix.lower() == ".json" else read_rows(file)
    if not rows:
        raise UserError(f"{path} holds no labelled rows")
    columns = rows[0].keys()
    layout = next(
        (k for k in _KNOWN_COLUMNS if k[0] in columns and k[1] in columns), (None, None, None)
    )
    text_key = _column(path, "--text-column", text_column or layout[0], columns)
    label_key = _column(path, "--label-column", label_column or layout[1], columns)
    request_key = request_column or layout[2]
    positives = {positive.lower()} if positive else POSITIVE_LABELS
    return [
        LabelledItem(
            text=row[text_key],
            label=row[label_key].strip().lower() in positives,
            request=row.get(request_key, "") if request_key else "",
        )
        for row in rows
        if row.get(text_key, "").strip()
    ]


def _column(path: str, option: str, column: str | None, columns: Collection[str]) -> str:
    """A column the rows must have: the one named, or the known layout's."""
    if column is None or column not in columns:
        raise UserError(f"{path}: pass {option}; its columns are {', '.join(columns)}")
    return column
