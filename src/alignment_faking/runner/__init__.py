"""What the commands do: run, sweep, rescore and validate-judge through Inspect, and the run summaries."""

from alignment_faking.runner.rescore import rescore
from alignment_faking.runner.runs import run
from alignment_faking.runner.sweep import sweep
from alignment_faking.runner.validation import validate_judge

__all__ = ["rescore", "run", "sweep", "validate_judge"]
