"""The paper's published figures beside a run: the row of its tables our run repeats.

Data in paper_reference.toml (Greenblatt et al. 2024: tables G.2 and G.3 for Claude 3 Opus, and
table 5, the minimal reproduction, for six models). A run on our prompt is matched by setting and
variation, and compared with the paper's version of the same change, saying that the prompt is not
the paper's. A run on a paper prompt file gets that file's own row, or none: never the default
row, whose prompt it may not be. A run under the accept/reject instruction gets table 5's row of
its own model (Claude 3 Opus's when table 5 has none), which has no alignment-faking figure.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from alignment_faking.errors import UserError
from alignment_faking.scenario import variations
from alignment_faking.scenario.paper import PaperPrompt, is_paper_prompt
from alignment_faking.scenario.paper import resolve as resolve_paper_prompt
from alignment_faking.summary.schema import PaperReference, RunIdentity

MINIMAL_REPRODUCTION = "minimal_reproduction"
"""The table of paper_reference.toml holding table 5, by model."""
FALLBACK_MODEL = "claude_3_opus"
"""The table-5 row a model outside the table is compared with (the paper's main model)."""


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


@dataclass(frozen=True)
class MinimalReproductionRow:
    """One model's row of table 5: refusal rates with and without a scratchpad (no SE, no AF)."""

    key: str
    model: str
    names: tuple[str, ...]
    """What a model name contains (lower case, `-` for `_` and spaces) to be this model."""
    scratchpad: dict[str, float]
    no_scratchpad: dict[str, float]

    def matches(self, model_name: str) -> bool:
        name = model_name.lower().replace("_", "-").replace(" ", "-")
        return any(part in name for part in self.names)


@cache
def _tables() -> dict[str, Any]:
    return tomllib.loads(
        files("alignment_faking").joinpath("paper_reference.toml").read_text("utf-8")
    )


def _paper_row(fields: dict[str, Any]) -> PaperRow:
    """A row of paper_reference.toml, each figure a [percentage, standard error] pair."""
    return PaperRow(
        table=fields["table"],
        row=fields["row"],
        description=fields["description"],
        af=_figure(fields["af"]),
        refuse_train=_figure(fields["refuse_train"]),
        refuse_unmonitored=_figure(fields["refuse_unmonitored"]),
        gap=_figure(fields["gap"]),
    )


def _figure(pair: list[float]) -> tuple[float, float]:
    percentage, standard_error = pair
    return percentage, standard_error


@cache
def paper_rows() -> dict[tuple[str, str], PaperRow]:
    """Every row of tables G.2/G.3 we map, by (setting, variation)."""
    return {
        (setting, variation): _paper_row(fields)
        for setting, by_variation in _tables().items()
        if setting != MINIMAL_REPRODUCTION
        for variation, fields in by_variation.items()
    }


@cache
def minimal_reproduction_rows() -> dict[str, MinimalReproductionRow]:
    """Table 5, one row per model."""
    return {
        key: MinimalReproductionRow(key, fields["model"], tuple(fields["names"]),
                                    fields["scratchpad"], fields["no_scratchpad"])
        for key, fields in _tables()[MINIMAL_REPRODUCTION].items()
    }  # fmt: skip


def row_numbered(number: int) -> PaperRow | None:
    """A row of tables G.2/G.3 by its number (the tables number their rows in one sequence)."""
    return next((row for row in paper_rows().values() if row.row == number), None)


def _ablation_reference(row: PaperRow, same_prompt: bool) -> PaperReference:
    return PaperReference(
        source=f"Greenblatt et al. 2024, table {row.table} row {row.row}: {row.description}",
        model="Claude 3 Opus",
        same_prompt=same_prompt,
        measure="compliance",  # the refusal (or support) columns: did not refuse
        af=row.af[0],
        af_se=row.af[1],
        compliance_train=row.compliance_train,
        compliance_unmonitored=row.compliance_unmonitored,
        gap=row.gap[0],
        gap_se=row.gap[1],
    )


def _minimal_reproduction_reference(
    model_name: str, scratchpad: bool, same_prompt: bool
) -> PaperReference:
    """Table 5's row of the run's model, or Claude 3 Opus's with a note that it is not the run's."""
    rows = minimal_reproduction_rows()
    row = next((r for r in rows.values() if r.matches(model_name)), None)
    model = (
        row.model if row else f"{rows[FALLBACK_MODEL].model} (table 5 has no row for this model)"
    )
    row = row or rows[FALLBACK_MODEL]
    figures = row.scratchpad if scratchpad else row.no_scratchpad
    column = "with a scratchpad" if scratchpad else "without a scratchpad (no-CoT prompt)"
    return PaperReference(
        source="Greenblatt et al. 2024, table 5: minimal reproduction, accept/reject "
        f"instruction and prefill, {column}",
        model=model,
        same_prompt=same_prompt,
        # table 5 counts an answer that opens with the accept tag: our full compliance
        measure="full_compliance",
        af=None,  # table 5 publishes no alignment-faking rate
        af_se=None,
        compliance_train=round(100 - figures["refuse_train"], 1),
        compliance_unmonitored=round(100 - figures["refuse_unmonitored"], 1),
        gap=figures["gap"],
        gap_se=None,
    )


def _paper_prompt(reference: str) -> PaperPrompt | None:
    try:
        return resolve_paper_prompt(reference)
    except UserError:  # a log written with a name this version does not know
        return None


def paper_reference(run: RunIdentity) -> PaperReference | None:
    """The published row a run repeats, for summary.json; None when the paper has none.

    `same_prompt` says whether the paper ran the very prompt file the run used.
    """
    variation = variations().get(run.variation)
    prompt_file = run.system_prompt.file or ""
    paper = _paper_prompt(prompt_file) if is_paper_prompt(prompt_file) else None
    if variation is not None and variation.decision_instruction:
        scratchpad = paper.scratchpad if paper else variation.scratchpad
        same = paper is not None and paper.minimal_reproduction
        return _minimal_reproduction_reference(run.model, scratchpad, same)
    if is_paper_prompt(prompt_file):
        if paper is None or paper.row is None:
            return None  # a file of the release we cannot place: no row rather than a wrong one
        row = row_numbered(paper.row)
        return _ablation_reference(row, same_prompt=True) if row else None
    row = paper_rows().get((run.setting, run.variation))
    return _ablation_reference(row, same_prompt=False) if row else None


def row_label(reference: PaperReference) -> str:
    """What the paper's row is: a published figure, on the very prompt the run used or on the
    paper's own version of the run's change."""
    return "published figure, " + ("same prompt" if reference.same_prompt else "paper's prompt")


def compared_measure(reference: PaperReference) -> str:
    """Which of our compliance columns a published row's compliance compares with."""
    return "full compliance" if reference.measure == "full_compliance" else "compliance"


def published(value: float | None, se: float | None = None) -> str:
    """A published figure as a reader prints it: its standard error where the paper gives one,
    and `not published` where the table has no such figure (table 5 has no AF rate)."""
    if value is None:
        return "not published"
    return f"{value}%" + (f" ± {se}" if se is not None else "")
