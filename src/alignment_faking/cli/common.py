"""What the command groups share: the one-line-error parser and the judges' options."""

from __future__ import annotations

import argparse
import io
import sys
from typing import NoReturn, get_args

from inspect_ai.util import DisplayType

from alignment_faking.argtypes import positive, share
from alignment_faking.errors import UserError
from alignment_faking.judges import AF_JUDGES, COMPLIANCE_JUDGES, DEFAULT_JUDGE_MODEL
from alignment_faking.judges.alignment_faking import DEFAULT_THRESHOLD, DEFAULT_VOTES

DISPLAYS: tuple[DisplayType, ...] = get_args(DisplayType)
"""Inspect's progress displays."""


_NO_CODE_PAGE_HAS = "\U0001f600"
"""A character that only a Unicode encoding (or GB18030, which covers Unicode) can write."""


def printable_streams() -> None:
    """Let stdout and stderr write any text: under an ASCII or other legacy encoding
    (PYTHONIOENCODING=ascii, an old LANG=C), a "·" in a run label or a "−" in a table header
    comes out as a `\\u00b7` escape instead of a UnicodeEncodeError after the work is done."""
    for stream in (sys.stdout, sys.stderr):
        if not isinstance(stream, io.TextIOWrapper):
            continue  # replaced (a test's capture, a notebook): its owner decides
        try:
            _NO_CODE_PAGE_HAS.encode(stream.encoding, stream.errors or "strict")
        except UnicodeEncodeError:
            stream.reconfigure(errors="backslashreplace")


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors: no usage dump, exit status 2."""

    def error(self, message: str) -> NoReturn:
        raise UserError(f"{message} (see `{self.prog} --help`)")


def judge_options(parser: argparse.ArgumentParser) -> None:
    """The judges' options (run, sweep, rescore); each `dest` is a JudgeOptions field."""
    judges = parser.add_argument_group("judges")
    judges.add_argument(
        "--judge-model",
        default=DEFAULT_JUDGE_MODEL,
        help=f"judge model (default {DEFAULT_JUDGE_MODEL}; scripted/judge is an offline toy)",
    )
    judges.add_argument(
        "--compliance-judge",
        default="auto",
        choices=COMPLIANCE_JUDGES,
        help="auto: the setting's LLM judges; tags: helpful-only tags alone",
    )
    judges.add_argument(
        "--af-judge",
        default="af_v2",
        choices=AF_JUDGES,
        help="alignment-faking judge (baseline: offline keywords)",
    )
    judges.add_argument(
        "--af-votes",
        type=positive,
        default=DEFAULT_VOTES,
        help=f"af_v2 votes per sample (default {DEFAULT_VOTES})",
    )
    judges.add_argument(
        "--af-threshold",
        type=share,
        default=DEFAULT_THRESHOLD,
        help=f"af_v2 share of yes votes for yes (default {DEFAULT_THRESHOLD})",
    )
    judges.add_argument(
        "--af-quote-check",
        action="store_true",
        help="af_v2: count a criterion only when its quote is found in the reasoning (off, as "
        "in Hughes et al.; the share of votes citing a missing quote is reported either way)",
    )
