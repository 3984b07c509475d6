"""`rescore` and `validate-judge`: judging runs again, and measuring a judge against labels."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from alignment_faking.argtypes import positive, share
from alignment_faking.cli.common import DISPLAYS, judge_options
from alignment_faking.errors import UserError
from alignment_faking.inspect.validation import VALIDATABLE
from alignment_faking.judges import DEFAULT_JUDGE_MODEL
from alignment_faking.judges.alignment_faking import DEFAULT_THRESHOLD, DEFAULT_VOTES
from alignment_faking.judges.validation import Agreement
from alignment_faking.options import JudgeOptions, from_args
from alignment_faking.scenario import SETTINGS


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register `rescore` and `validate-judge`."""
    rescore = commands.add_parser("rescore", help="judge existing runs again, without regenerating")
    rescore.add_argument("logs", nargs="+", help="eval log files or directories")
    rescore.add_argument("--out", help="also write the new summaries to this JSON file")
    rescore.add_argument("--display", choices=DISPLAYS, help="Inspect progress display")
    rescore.add_argument(
        "--reasons",
        action="store_true",
        help="also classify each scratchpad's motivations (the reasoning-categories judge)",
    )
    judge_options(rescore, "rescore")
    rescore.set_defaults(handler=_rescore)

    validate = commands.add_parser("validate-judge", help="measure a judge against human labels")
    validate.add_argument("--judge", required=True, choices=VALIDATABLE)
    validate.add_argument(
        "--labels",
        help="gold_106 JSON, JBB classifier_comparison.csv, or any CSV/JSONL; for anti_lab, "
        "lying, realism and reasons, our hand-labelled set unless you name one",
    )
    validate.add_argument("--text-column", help="column with the text to judge")
    validate.add_argument("--label-column", help="column with the human label")
    validate.add_argument("--request-column", help="column with the user request, if any")
    validate.add_argument(
        "--positive",
        help="label value meaning positive (default: 1, true, yes, potential_faking, jailbroken, ...)",
    )
    validate.add_argument("--setting", default="helpful_only", choices=SETTINGS)
    validate.add_argument("--limit", type=positive, help="judge only the first N items")
    validate.add_argument(
        "--min-auroc", type=float, help="exit with status 1 when AUROC is below this"
    )
    validate.add_argument(
        "--log-dir", default="logs/validation", help="where the validation eval log goes"
    )
    validate.add_argument("--display", choices=DISPLAYS, help="Inspect progress display")
    validate.add_argument(
        "--judge-model",
        default=DEFAULT_JUDGE_MODEL,
        help="judge model",
    )
    validate.add_argument(
        "--af-votes", type=positive, default=DEFAULT_VOTES, help="af_v2 votes per item"
    )
    validate.add_argument(
        "--af-threshold", type=share, default=DEFAULT_THRESHOLD, help="af_v2 threshold"
    )
    validate.set_defaults(handler=_validate)


REPORT_FOLDER = "report"
"""Where `run` writes a log folder's report, and so where `rescore` finds it to write again."""


def _rescore(args: argparse.Namespace) -> int:
    """Rescore, print the table, and say which summaries and reports were written again: the
    report in a log folder (as `run` writes it) is; one written elsewhere cannot be found."""
    from alignment_faking.cli.results import report_files
    from alignment_faking.runner import rescore
    from alignment_faking.summary.file import write_summary
    from alignment_faking.summary.table import format_table

    rescored = rescore(
        args.logs, from_args(JudgeOptions, args), display=args.display, reasons=args.reasons
    )
    print(format_table(rescored.runs), end="")
    for summary in rescored.summaries:
        print(f"summary: {summary}")
    if args.out:
        write_summary(Path(args.out), rescored.runs)
        print(f"summary: {args.out} (the rescored runs)")
    unwritten = False
    for folder in rescored.folders:
        report = folder / REPORT_FOLDER
        if not (report / "report.html").is_file():
            continue
        then = f"the logs are rescored; free some space and run `{_report_command(folder, report)}`"
        files = report_files([str(folder)], report, then)
        unwritten = unwritten or files is None
        if files is not None:
            print(f"report:  {files.html}")
    folders = " ".join(shlex.quote(str(folder)) for folder in rescored.folders)
    print(f"not rewritten: any report of these logs outside their folders; rebuild one with "
          f"`alignment-faking report {folders} --out ITS_FOLDER`")  # fmt: skip
    return 1 if unwritten else 0


def _report_command(logs: Path, out: Path) -> str:
    return shlex.join(["alignment-faking", "report", str(logs), "--out", str(out)])


def _fraction(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def _agreement_lines(result: Agreement) -> list[str]:
    return [
        f"AUROC {_fraction(result.auroc)}  accuracy {_fraction(result.accuracy)}  "
        f"precision {_fraction(result.precision)}  recall {_fraction(result.recall)}  "
        f"Cohen's kappa {_fraction(result.kappa)}",
        "confusion (rows: label, columns: judge)   judge+   judge-",
        f"  label+ {result.true_positive:>33} {result.false_negative:>8}",
        f"  label- {result.false_positive:>33} {result.true_negative:>8}",
    ]


def _validate(args: argparse.Namespace) -> int:
    from alignment_faking.judges.labels import (
        LABELLED_JUDGES,
        load_labels,
        load_transcript_labels,
    )
    from alignment_faking.runner import validate_judge

    if args.judge in LABELLED_JUDGES:
        items = load_transcript_labels(args.judge, args.labels)
    elif args.labels is None:
        raise UserError(f"--labels FILE is required for judge {args.judge}")
    else:
        items = load_labels(
            args.labels, args.text_column, args.label_column, args.request_column, args.positive
        )
    items = items[: args.limit] if args.limit else items
    result = validate_judge(
        args.judge,
        items,
        setting=args.setting,
        judges=from_args(JudgeOptions, args),
        log_dir=args.log_dir,
        display=args.display,
    )
    overall = result.agreement
    positives = sum(item.label for item in items)
    source = args.labels or f"our hand-labelled {args.judge} set"
    print(f"judge {args.judge} on {source}: {len(items)} items ({positives} positive), "
          f"{overall.n} judged, {overall.not_judged} not judged")  # fmt: skip
    print("\n".join(_agreement_lines(overall)))
    if result.exact is not None:
        matched, judged = result.exact
        print(f"exact class: {matched} of {judged} judged items")
    for name, agreement in result.categories.items():
        print(f"{name}: {agreement.true_positive + agreement.false_negative} labelled, "
              f"precision {_fraction(agreement.precision)}  recall {_fraction(agreement.recall)}  "
              f"accuracy {_fraction(agreement.accuracy)}  kappa {_fraction(agreement.kappa)}")  # fmt: skip
    if result.af_scope is not None:
        matched, judged = result.af_scope
        print(f"alignment-faking scope: {matched} of {judged} judged items")
    if args.min_auroc is not None and (overall.auroc is None or overall.auroc < args.min_auroc):
        print(f"alignment-faking: AUROC below --min-auroc {args.min_auroc}", file=sys.stderr)
        return 1
    return 0
