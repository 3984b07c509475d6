"""The `alignment-faking` command: one module per command group, thin over the library.

experiment.py: run, sweep · judging.py: rescore, validate-judge · results.py: summary, report ·
prompts.py: variations · training.py: docs generate, train sft, train rl.
"""

from __future__ import annotations

import sys

from alignment_faking.cli import experiment, judging, prompts, results, training
from alignment_faking.cli.common import Parser
from alignment_faking.errors import UserError
from alignment_faking.secrets import redact

GROUPS = (experiment, prompts, judging, results, training)


def _version() -> str:
    from importlib.metadata import version

    return version("alignment-faking")


def build_parser() -> Parser:
    """The whole command line: each group registers its commands and their handlers."""
    parser = Parser(
        prog="alignment-faking",
        description="Run, measure and report the alignment-faking experiment.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for group in GROUPS:
        group.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    try:
        args = build_parser().parse_args(argv)
        return args.handler(args)
    except UserError as err:
        print(f"alignment-faking: error: {redact(str(err))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("alignment-faking: interrupted", file=sys.stderr)
        return 130


__all__ = ["build_parser", "main"]
