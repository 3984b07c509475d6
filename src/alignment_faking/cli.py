"""The `alignment-faking` command: run the experiment, list variations, summarise logs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, NoReturn

from alignment_faking.argtypes import model_args, non_negative, positive, share
from alignment_faking.errors import UserError
from alignment_faking.evaluations import COMPLIANCE, EVALUATION_NAMES
from alignment_faking.inspect.solvers import DEFAULT_TURNS
from alignment_faking.inspect.validation import VALIDATABLE
from alignment_faking.judges import AF_JUDGES, COMPLIANCE_JUDGES, DEFAULT_JUDGE_MODEL
from alignment_faking.judges.alignment_faking import DEFAULT_THRESHOLD, DEFAULT_VOTES
from alignment_faking.runner import (
    DEFAULT_ATTEMPT_TIMEOUT,
    DEFAULT_MAX_ERROR_SHARE,
    DEFAULT_MAX_RETRIES,
)
from alignment_faking.scenario import SETTINGS, build_scenario, get_variation, paper, variations
from alignment_faking.secrets import redact
from alignment_faking.train.commands import add_commands as add_training_commands

DISPLAYS = ("full", "conversation", "rich", "plain", "log", "none")


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: no usage dump, exit status 2."""

    def error(self, message: str) -> NoReturn:
        raise UserError(f"{message} (see `{self.prog} --help`)")


def _names(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected a comma-separated list of names")
    return names


def _experiment_options(parser: argparse.ArgumentParser, default_log_dir: str) -> None:
    """Options shared by `run` and `sweep`: data, generation, logging, retries, report, cost, judges."""
    parser.add_argument(
        "--eval",
        dest="evaluation",
        default=COMPLIANCE,
        choices=EVALUATION_NAMES,
        help="what to measure: compliance (the main experiment, default), reasoning_categories "
        "(it, with each scratchpad's motivations classified), anti_lab, lying or realism "
        "(their own queries under the same scenario; see the README)",
    )
    parser.add_argument(
        "--dataset", help="bundled set, advbench|strongreject|harmbench|jbb, or a .csv/.jsonl path"
    )
    parser.add_argument(
        "--query-column", help="column holding the query in a local dataset file (default: query)"
    )
    parser.add_argument(
        "--system-prompt",
        help="your own system prompt file, or paper:NAME for the paper's own prompt, downloaded "
        "from its public release (paper:helpful_only, paper:animal_welfare, or paper:PATH; "
        "`variations` lists them)",
    )
    parser.add_argument("--tiers", default="both", choices=("both", "free", "paid"))
    parser.add_argument(
        "--limit", type=positive, help="ask only the first N queries (each in every tier)"
    )
    parser.add_argument(
        "--epochs", type=positive, default=1, help="times each query is asked per tier"
    )
    parser.add_argument(
        "--log-dir",
        default=default_log_dir,
        help=f"where eval logs, summary.json and the report go (default: {default_log_dir})",
    )
    parser.add_argument("--max-connections", type=positive, help="concurrent requests to the model")
    parser.add_argument(
        "--temperature", type=non_negative, default=1.0, help="sampling temperature (default 1.0)"
    )
    parser.add_argument(
        "--max-tokens", type=positive, default=4096, help="generation limit (default 4096)"
    )
    parser.add_argument(
        "--turns",
        type=positive,
        default=DEFAULT_TURNS,
        help="assistant turns per sample under the paper's protocol (a scratchpad turn is "
        f"answered with <NEXT/>; default {DEFAULT_TURNS}; 1: a single completion)",
    )
    parser.add_argument("--no-cache", action="store_true", help="do not reuse cached answers")
    parser.add_argument(
        "-M",
        dest="model_args",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="model argument",
    )
    parser.add_argument("--display", choices=DISPLAYS, help="Inspect progress display")
    parser.add_argument(
        "--max-retries",
        type=positive,
        default=DEFAULT_MAX_RETRIES,
        help=f"retries of a failed model call before the sample is a provider error (default {DEFAULT_MAX_RETRIES})",
    )
    parser.add_argument(
        "--attempt-timeout",
        type=positive,
        default=DEFAULT_ATTEMPT_TIMEOUT,
        help=f"seconds one model call may take before it is retried (default {DEFAULT_ATTEMPT_TIMEOUT})",
    )
    parser.add_argument(
        "--max-error-share",
        type=share,
        default=DEFAULT_MAX_ERROR_SHARE,
        help="the run fails (exit 1) once provider errors reach this share of its samples "
        f"(default {DEFAULT_MAX_ERROR_SHARE}; 1: only when every sample fails)",
    )
    parser.add_argument(
        "--no-report", action="store_true", help="do not write the HTML report and figures"
    )
    _cost_options(parser)
    _judge_options(parser)


def _cost_options(parser: argparse.ArgumentParser) -> None:
    cost = parser.add_argument_group("cost")
    cost.add_argument(
        "--dry-run", action="store_true", help="print the plan (calls, tokens, dollars) and stop"
    )
    cost.add_argument(
        "--max-cost",
        type=non_negative,
        metavar="USD",
        help="refuse to start a plan estimated above this",
    )
    cost.add_argument("--prices", metavar="FILE", help="TOML price table laid over the bundled one")
    cost.add_argument(
        "--expected-output-tokens",
        type=positive,
        help="expected completion length for the plan (default 700, 250 without scratchpad)",
    )


def _judge_options(parser: argparse.ArgumentParser) -> None:
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


def _judges(args: argparse.Namespace):
    from alignment_faking.runner import JudgeOptions

    return JudgeOptions(
        compliance_judge=getattr(args, "compliance_judge", "auto"),
        af_judge=getattr(args, "af_judge", "af_v2"),
        af_votes=args.af_votes,
        af_threshold=args.af_threshold,
        judge_model=args.judge_model,
    )


def _version() -> str:
    from importlib.metadata import version

    return version("alignment-faking")


def _build_parser() -> _Parser:
    parser = _Parser(prog="alignment-faking", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = commands.add_parser("run", help="run a setting on a model, in both tiers")
    run.add_argument("--setting", required=True, choices=SETTINGS)
    run.add_argument(
        "--model", required=True, help="Inspect model, e.g. openai/gpt-4o-mini, scripted/faker"
    )
    run.add_argument("--variation", default="default", help="prompt variation (see `variations`)")
    run.add_argument(
        "--resume",
        action="store_true",
        help="finish the unfinished log of the same run in --log-dir instead of starting over",
    )
    _experiment_options(run, default_log_dir="logs")
    run.set_defaults(handler=_run)

    sweep = commands.add_parser(
        "sweep", help="every model x setting x variation, resumable, one report"
    )
    sweep.add_argument(
        "--models", required=True, type=_names, help="comma-separated Inspect models"
    )
    sweep.add_argument(
        "--settings",
        default=list(SETTINGS),
        type=_names,
        help="comma-separated settings (default: both)",
    )
    sweep.add_argument(
        "--variations",
        default=["default"],
        type=_names,
        help="comma-separated variations (default: default)",
    )
    _experiment_options(sweep, default_log_dir="logs/sweep")
    sweep.set_defaults(handler=_sweep)

    listing = commands.add_parser("variations", help="list prompt variations")
    listing.add_argument("--show", metavar="NAME", help="print the system prompt of a variation")
    listing.add_argument(
        "--setting", choices=SETTINGS, help="setting for --show (default: the first it applies to)"
    )

    rescore = commands.add_parser("rescore", help="judge existing runs again, without regenerating")
    rescore.add_argument("logs", nargs="+", help="eval log files or directories")
    rescore.add_argument("--out", help="also write the new summaries to this JSON file")
    rescore.add_argument("--display", choices=DISPLAYS, help="Inspect progress display")
    rescore.add_argument(
        "--reasons",
        action="store_true",
        help="also classify each scratchpad's motivations (the reasoning-categories judge)",
    )
    _judge_options(rescore)

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
        help=f"judge model (default {DEFAULT_JUDGE_MODEL})",
    )
    validate.add_argument(
        "--af-votes", type=positive, default=DEFAULT_VOTES, help="af_v2 votes per item"
    )
    validate.add_argument(
        "--af-threshold", type=share, default=DEFAULT_THRESHOLD, help="af_v2 threshold"
    )

    report = commands.add_parser(
        "report", help="figures, an HTML report with a transcript browser, tables"
    )
    report.add_argument("logs", nargs="+", help="eval log files or directories (any mix of runs)")
    report.add_argument(
        "--out", required=True, help="directory for report.html, figures, summary.json, samples.csv"
    )

    add_training_commands(commands)

    summary = commands.add_parser("summary", help="print (and write) the results of eval logs")
    summary.add_argument("logs", nargs="+", help="eval log files or directories")
    summary.add_argument("--out", help="also write the summaries to this JSON file")
    handlers = {
        "variations": _variations,
        "summary": _summary,
        "rescore": _rescore,
        "validate-judge": _validate,
        "report": _report,
    }
    for name, handler in handlers.items():
        commands.choices[name].set_defaults(handler=handler)
    return parser


def _run_options(args: argparse.Namespace, **identity: Any):
    from alignment_faking.runner import RunOptions

    return RunOptions(
        **identity,
        evaluation=args.evaluation,
        dataset=args.dataset,
        query_column=args.query_column,
        system_prompt=args.system_prompt,
        tiers=args.tiers,
        limit=args.limit,
        epochs=args.epochs,
        log_dir=args.log_dir,
        max_connections=args.max_connections,
        temperature=args.temperature,
        max_tokens=args.max_tokens,
        turns=args.turns,
        cache=not args.no_cache,
        model_args=model_args(args.model_args),
        display=args.display,
        judges=_judges(args),
        max_retries=args.max_retries,
        attempt_timeout=args.attempt_timeout,
        max_error_share=args.max_error_share,
        max_cost=args.max_cost,
        dry_run=args.dry_run,
        prices=args.prices,
        expected_output_tokens=args.expected_output_tokens,
    )


def _conclude(args: argparse.Namespace, logs: list, summaries: list[dict]) -> int:
    """Print the table, write the report, and report runs that did not finish."""
    from alignment_faking.summary import SUMMARY_FILE, format_table

    if args.dry_run:
        return 0
    print("\n" + format_table(summaries), end="")
    print(f"summary: {Path(args.log_dir) / SUMMARY_FILE}")
    if not args.no_report and logs:
        from alignment_faking.report import write_report

        # every run in the directory, earlier ones included
        files = write_report([args.log_dir], Path(args.log_dir) / "report")
        print(f"report:  {files.html}")
    failed = [log for log in logs if log.status != "success"]
    for log in failed:
        message = log.error.message.strip() if log.error else ""
        cause = message.splitlines()[0] if message else f"status {log.status}"
        print(f"alignment-faking: error: run failed: {redact(cause)}", file=sys.stderr)
    return 1 if failed else 0


def _run(args: argparse.Namespace) -> int:
    from alignment_faking.runner import run

    options = _run_options(args, setting=args.setting, model=args.model, variation=args.variation)
    options.resume = args.resume
    return _conclude(args, *run(options))


def _sweep(args: argparse.Namespace) -> int:
    from alignment_faking.runner import sweep

    options = _run_options(args, setting=args.settings[0], model=args.models[0])
    return _conclude(args, *sweep(args.models, args.settings, args.variations, options))


def _variations(args: argparse.Namespace) -> int:
    if args.show:
        setting = args.setting or get_variation(args.show).settings[0]
        scenario = build_scenario(setting, args.show)
        print(scenario.system_prompt)
        for tier in ("free", "paid"):
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


def _summary(args: argparse.Namespace) -> int:
    from alignment_faking.inspect.logs import summarize_logs
    from alignment_faking.summary import format_table, write_summary

    runs = summarize_logs(args.logs)
    if not runs:
        raise UserError("no alignment-faking eval logs found there")
    print(format_table(runs), end="")
    if args.out:
        write_summary(Path(args.out), runs)
    return 0


def _rescore(args: argparse.Namespace) -> int:
    from alignment_faking.runner import rescore
    from alignment_faking.summary import format_table, write_summary

    runs = rescore(args.logs, _judges(args), display=args.display, reasons=args.reasons)
    print(format_table(runs), end="")
    if args.out:
        write_summary(Path(args.out), runs)
    return 0


def _report(args: argparse.Namespace) -> int:
    from alignment_faking.report import write_report

    files = write_report(args.logs, args.out)
    print(f"report:  {files.html}")
    if files.figure_tiers_png:
        print(f"figures: {files.figure_tiers_png}, {files.figure_gaps_png}")
    print(f"tables:  {files.summary}, {files.samples_csv}")
    return 0


def _fraction(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def _agreement_lines(result) -> list[str]:
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
        judges=_judges(args),
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


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    try:
        args = _build_parser().parse_args(argv)
        return args.handler(args)
    except UserError as err:
        print(f"alignment-faking: error: {redact(str(err))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("alignment-faking: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
