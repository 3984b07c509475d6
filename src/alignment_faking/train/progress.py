"""The progress display of `docs generate` on stderr: each stage's calls done of those known,
documents kept and dropped, and the writer's cost so far.

A generation run makes thousands of model calls outside Inspect's task display, so it draws
its own: rich's live bars on a terminal, one line per step with `--display plain` (or `log`),
nothing with `--display none` or when stderr is not a terminal.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Literal, TextIO

from inspect_ai.util import DisplayType
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

Stage = Literal["types", "ideas", "documents"]
STAGES: tuple[Stage, ...] = ("types", "ideas", "documents")
_LINES: tuple[DisplayType, ...] = ("plain", "log")
_STEPS = 10
"""Plain lines per stage: one each tenth of the way, and one at the end."""


@dataclass
class StageCount:
    """Calls answered in one stage, of those known so far (ideas grow as types arrive)."""

    done: int = 0
    total: int = 0


@dataclass
class GenerationProgress:
    """Calls done of those known per stage, and the display that shows them (a context manager)."""

    display: DisplayType | None = None
    stream: TextIO = field(default_factory=lambda: sys.stderr)
    stages: dict[Stage, StageCount] = field(
        default_factory=lambda: {stage: StageCount() for stage in STAGES}
    )
    _bars: Progress | None = field(default=None, init=False, repr=False)
    _tasks: dict[Stage, TaskID] = field(default_factory=dict, init=False, repr=False)

    def __enter__(self) -> GenerationProgress:
        live = self.display not in (*_LINES, "none") and self.stream.isatty()
        if live:
            self._bars = Progress(
                TextColumn("{task.description:<9}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[note]}"),
                console=Console(file=self.stream),
            )
            self._tasks = {
                stage: self._bars.add_task(stage, total=None, note="") for stage in STAGES
            }
            self._bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bars is not None:
            self._bars.stop()
            self._bars = None

    def planned(self, stage: Stage, calls: int) -> None:
        """More calls are known for a stage (a fact's types bring its idea brainstorms)."""
        self.stages[stage].total += calls
        self._show(stage, "", line=False)

    def answered(self, stage: Stage, note: str = "") -> None:
        """One call of a stage came back or failed; `note` is what the stage's line adds."""
        self.stages[stage].done += 1
        self._show(stage, note, line=True)

    def _show(self, stage: Stage, note: str, *, line: bool) -> None:
        count = self.stages[stage]
        if self._bars is not None:
            self._bars.update(
                self._tasks[stage], completed=count.done, total=count.total, note=note
            )
        elif self.display in _LINES and line:
            step = max(1, count.total // _STEPS)
            if count.done % step == 0 or count.done == count.total:
                text = f"{stage}: {count.done}/{count.total}" + (f" ({note})" if note else "")
                print(text, file=self.stream, flush=True)
