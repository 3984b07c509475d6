"""Seconds to parse hostile answers of 240 KB and 1 MB (a benchmark, not a test).

A model's answer is untrusted text: a parser that re-scans the rest of the answer at every tag
turns one long, repetitive completion into minutes of scoring. Prints, for each hostile shape
and size, the seconds `parse_transcript`, `parse_turns` (two turns) and `turn_step` take.
Usage: python benchmarks/parser_worst_case.py [--sizes 240000 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from alignment_faking.transcript import parse_transcript, parse_turns, turn_step

SHAPES: dict[str, Callable[[int], str]] = {
    "scratchpad+output": lambda n: "<SCRATCHPAD_REASONING><OUTPUT>" * (n // 30),
    "scratchpad+output, closed": lambda n: (
        "<SCRATCHPAD_REASONING>" + "<OUTPUT>x" * (n // 9) + "</SCRATCHPAD_REASONING>"
    ),
    "outputs in a scratchpad, closed mid-way": lambda n: (
        "<SCRATCHPAD_REASONING>"
        + "<OUTPUT>" * (n // 16)
        + "</SCRATCHPAD_REASONING>"
        + "x" * (n // 2)
    ),
    "unclosed scratchpads": lambda n: "<SCRATCHPAD_REASONING>x" * (n // 23),
    "think": lambda n: "<think>" * (n // 7),
    "think, closed": lambda n: "<think>x</think>" * (n // 16),
    "output": lambda n: "<OUTPUT>" * (n // 8),
    "accept tag prefixes": lambda n: "<OUTPUT>" + "<request_fully_accepted " * (n // 24),
}
"""Each hostile shape, as a function of the answer's length in characters."""


def best_of(repeat: int, parse: Callable[..., object], *args: object, **kwargs: object) -> float:
    """The fastest of `repeat` runs: the parser's cost without the machine's noise."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        parse(*args, **kwargs)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[240_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'shape':<42}{'chars':>10}{'transcript s':>14}{'turns s':>10}{'turn_step s':>13}")
    for name, make in SHAPES.items():
        for size in args.sizes:
            text = make(size)
            transcript = best_of(args.repeat, parse_transcript, text)
            turns = best_of(args.repeat, parse_turns, [text, text], max_turns=2)
            step = best_of(args.repeat, turn_step, text)
            print(f"{name:<42}{len(text):>10}{transcript:>14.3f}{turns:>10.3f}{step:>13.3f}")


if __name__ == "__main__":
    main()
