"""LLM judges of compliance, alignment-faking reasoning and the other evaluations (anti-lab
actions, lying, belief in the situation, motivations), their verdict parsing and validation.

Pure Python: prompts, parsing, vote aggregation and metrics; the Inspect scorers that call
a judge model live in alignment_faking.inspect.
"""

from __future__ import annotations

from alignment_faking.judges.alignment_faking import AFResult
from alignment_faking.judges.baseline import baseline_verdict
from alignment_faking.judges.judge import Judge, JudgeInput
from alignment_faking.judges.methods import (
    AF_JUDGES,
    COMPLIANCE_JUDGES,
    DEFAULT_JUDGE_MODEL,
    af_judges,
    af_without_model,
    combine_af,
    compliance_judges,
    needs_judge_model,
    sample_judges,
)

__all__ = [
    "AF_JUDGES",
    "COMPLIANCE_JUDGES",
    "DEFAULT_JUDGE_MODEL",
    "AFResult",
    "Judge",
    "JudgeInput",
    "af_judges",
    "af_without_model",
    "baseline_verdict",
    "combine_af",
    "compliance_judges",
    "needs_judge_model",
    "sample_judges",
]
