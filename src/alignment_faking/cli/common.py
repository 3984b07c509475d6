"""What the command groups share: the one-line-error parser and the judges' options."""

from __future__ import annotations

import argparse
import io
import sys
from typing import Any, NoReturn, get_args

from inspect_ai.util import DisplayType

from alignment_faking.cli.flags import add_flags, flag_help
from alignment_faking.errors import UserError
from alignment_faking.options import JudgeOptions, TaskOptions

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


class DefaultsFormatter(argparse.HelpFormatter):
    """Every option's help ends with its default, unless it places `%(default)s` itself; none
    is shown where there is none (None, an off flag, an empty list or dict)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        help = action.help or ""
        default = action.default
        if "%(default)" in help or default is None or default is False or default in ({}, []):
            return help
        if default is argparse.SUPPRESS:
            return help
        return f"{help} (default: %(default)s)"


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage dump, exit status 2) and every default in --help."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", DefaultsFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise UserError(f"{message} (see `{self.prog} --help`)")


DATASET_HELP = flag_help(TaskOptions, "dataset")
"""`--dataset`'s help, which `train rl` shares."""


def judge_options(parser: argparse.ArgumentParser, command: str) -> None:
    """The judges' options of `command` (run, sweep, rescore): a flag per JudgeOptions field."""
    add_flags(parser.add_argument_group("judges"), JudgeOptions, command)
