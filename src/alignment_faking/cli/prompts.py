"""`variations`: the prompt variations, and the system prompt and user turns of any of them."""

from __future__ import annotations

import argparse

from alignment_faking.scenario import SETTINGS, build_scenario, get_variation, paper, variations


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register `variations`."""
    listing = commands.add_parser("variations", help="list prompt variations")
    listing.add_argument("--show", metavar="NAME", help="print the system prompt of a variation")
    listing.add_argument(
        "--setting", choices=SETTINGS, help="setting for --show (default: the first it applies to)"
    )
    listing.set_defaults(handler=_variations)


def _variations(args: argparse.Namespace) -> int:
    if args.show:
        setting = args.setting or get_variation(args.show).settings[0]
        scenario = build_scenario(setting, args.show)
        print(scenario.system_prompt)
        for tier in scenario.variation.tier_names:
            trained = " (trained on)" if tier == scenario.trained_tier else ""
            print(
                f"\n--- user turn, {tier} tier{trained} ---\n{scenario.user_message('QUERY', tier)}"
            )
        return 0
    known = variations()
    width = max(len(name) for name in known)
    for name, variation in known.items():
        only = "" if variation.settings == SETTINGS else f" [only: {', '.join(variation.settings)}]"
        print(f"{name:<{width}}  {variation.description}{only}")
    print(
        "\nThe paper's own prompts, for --system-prompt (downloaded from "
        f"{paper.REPOSITORY} at {paper.COMMIT[:12]}; paper:PATH names any file of it):"
    )
    for name, prompt in paper.paper_prompts().items():
        print(f"  {paper.PREFIX + name:<{width}}  {prompt.description} ({prompt.path})")
    return 0
