"""The `alignment-faking` command: one module per command group, thin over the library.

experiment.py: run, sweep · generalization.py: generalization · judging.py: rescore, validate-judge · results.py: summary, report ·
prompts.py: variations · training.py: docs generate, train sft, train rl.
"""

from __future__ import annotations

import sys

from alignment_faking.cli import experiment, generalization, judging, prompts, results, training
from alignment_faking.cli.common import Parser, printable_streams
from alignment_faking.errors import UserError, root_cause
from alignment_faking.secrets import redact

GROUPS = (experiment, generalization, prompts, judging, results, training)


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
    printable_streams()
    try:
        args = build_parser().parse_args(argv)
        args.argv = sys.argv[1:] if argv is None else argv  # to say how to resume the command
        return args.handler(args)
    except UserError as err:
        print(f"alignment-faking: error: {redact(str(err))}", file=sys.stderr)
        return 2
    except OSError as err:  # a disk or folder failing mid-run: its cause, not a traceback
        print(f"alignment-faking: error: {redact(root_cause(err))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("alignment-faking: interrupted", file=sys.stderr)
        return 130


__all__ = ["build_parser", "main"]
