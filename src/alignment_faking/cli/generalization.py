"""`generalization`: the shallow-alignment test, a base and a trained model over a panel of
prompt variations (the paper's section 5.3), built from the same option fields as `sweep`."""

from __future__ import annotations

import argparse

from alignment_faking.argtypes import names
from alignment_faking.cli.experiment import conclude, experiment_options
from alignment_faking.generalization import DEFAULT_PANEL
from alignment_faking.options import (
    RunOptions,
    from_args,
)
from alignment_faking.scenario import SETTINGS


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register `generalization`."""
    parser = commands.add_parser(
        "generalization",
        help="a base and a trained model over a panel of prompt variations (shallow alignment)",
    )
    parser.add_argument("--base", required=True, help="the model before training")
    parser.add_argument("--trained", required=True, help="the model after training (checkpoint)")
    parser.add_argument(
        "--settings",
        default=list(SETTINGS),
        type=names,
        help=f"comma-separated settings; both evaluate cross-setting generalization "
        f"(default: {','.join(SETTINGS)})",
    )
    parser.add_argument(
        "--variations",
        default=list(DEFAULT_PANEL),
        type=names,
        help=f"comma-separated variations (default: {','.join(DEFAULT_PANEL)})",
    )
    parser.add_argument(
        "--stated-preferences",
        action="store_true",
        help="also ask both models how much they care about the setting's value, with and "
        "without the system prompt (appendix D.1.1; needs a judge model; logs in "
        "LOG_DIR_stated_preferences)",
    )
    experiment_options(parser, "sweep")
    parser.set_defaults(handler=_generalization, log_dir="logs/generalization")


def _generalization(args: argparse.Namespace) -> int:
    from alignment_faking.generalization import format_generalization
    from alignment_faking.runner.generalization import generalization

    options = from_args(RunOptions, args, setting=args.settings[0], model=args.base)
    logs, runs, result = generalization(
        args.base,
        args.trained,
        args.settings,
        args.variations,
        options,
        stated_preferences=args.stated_preferences,
    )
    if result is None:  # a dry run, or a budget that stopped it
        return 0
    status = conclude(args, options, logs, runs)
    print("\n" + format_generalization(result), end="")
    return status
