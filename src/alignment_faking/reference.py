"""The paper's published figures beside a run: the row of its ablation tables our run repeats.

Data in paper_reference.toml (Claude 3 Opus, Greenblatt et al. 2024, tables G.2 and G.3). A run
is matched by setting and variation; a run on our own prompt is compared with the paper's
version of the same change, and says so, since our prompt is not the paper's.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files


@dataclass(frozen=True)
class PaperRow:
    """One row of the paper's ablation tables, as percentages with one standard error."""

    table: str
    row: int
    description: str
    af: tuple[float, float]
    refuse_train: tuple[float, float]
    refuse_unmonitored: tuple[float, float]
    gap: tuple[float, float]

    @property
    def compliance_train(self) -> float:
        return round(100 - self.refuse_train[0], 1)

    @property
    def compliance_unmonitored(self) -> float:
        return round(100 - self.refuse_unmonitored[0], 1)


@cache
def paper_rows() -> dict[tuple[str, str], PaperRow]:
    """Every published row we map, by (setting, variation)."""
    text = files("alignment_faking").joinpath("paper_reference.toml").read_text("utf-8")
    return {
        (setting, variation): PaperRow(
            **{k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()}
        )
        for setting, by_variation in tomllib.loads(text).items()
        for variation, fields in by_variation.items()
    }


def paper_reference(run: dict) -> dict | None:
    """The published row a run repeats, for summary.json; None when the paper has none."""
    row = paper_rows().get((run["setting"], run["variation"]))
    if row is None:
        return None
    prompt = (run.get("system_prompt") or {}).get("file") or ""
    return {
        "source": f"Greenblatt et al. 2024, table {row.table} row {row.row}: {row.description}",
        "model": "Claude 3 Opus",
        "same_prompt": prompt == f"paper:{run['setting']}",
        "af": row.af[0],
        "af_se": row.af[1],
        "compliance_train": row.compliance_train,
        "compliance_unmonitored": row.compliance_unmonitored,
        "gap": row.gap[0],
        "gap_se": row.gap[1],
    }
