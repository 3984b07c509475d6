"""`generalization`: a base and a trained model over a panel of prompt variations, in one sweep.

The paper's shallow-alignment test (section 5.3): the trained model's gap under prompt changes
that did not move the base model's. Cross-setting generalization (appendix D.7: a model
trained in one setting evaluated in the other) is the same comparison with both settings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from inspect_ai.log import EvalLog

from alignment_faking.errors import UserError
from alignment_faking.generalization import GENERALIZATION_FILE, Generalization, compare
from alignment_faking.options import RunOptions
from alignment_faking.runner.sweep import sweep
from alignment_faking.summary.labels import Run
from alignment_faking.summary.schema import ComplianceRun


def generalization(
    base: str,
    trained: str,
    settings: Sequence[str],
    variations: Sequence[str],
    options: RunOptions,
    echo: Callable[[str], None] = print,
) -> tuple[list[EvalLog], list[Run], Generalization | None]:
    """Sweep both models over settings x variations and write generalization.json beside the
    sweep's summary.json: the sweep's logs and runs, and the comparison (None for a dry run or
    a sweep the budget stopped)."""
    if base == trained:
        raise UserError("generalization needs two different models: --base and --trained")
    logs, runs = sweep([base, trained], settings, variations, options, echo)
    if not runs:
        return logs, runs, None
    main = [run for run in runs if isinstance(run, ComplianceRun)]
    order = [(setting, variation) for setting in settings for variation in variations]
    result = compare(base, trained, main, order)
    (Path(options.eval.log_dir) / GENERALIZATION_FILE).write_text(
        result.model_dump_json(indent=2) + "\n", encoding="utf-8"
    )
    return logs, runs, result
