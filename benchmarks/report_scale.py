"""Scale of report.html: a synthetic 10,000-sample report in headless Chromium (a benchmark, not a test).

Runs are made with the scripted provider (no network, no judge model: tags for compliance and
the offline baseline for alignment faking) over a generated query set, with completions of a
chosen length; then prints the time to read the logs and write the report, the size of
report.html, and, in headless Chromium, the time until the browser is usable and the time to
apply a filter and a text search. Usage: python benchmarks/report_scale.py [--samples 10000]
[--runs 4] [--chars 2000] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from pathlib import Path

from inspect_ai import eval as inspect_eval
from inspect_ai.model import get_model
from playwright.sync_api import sync_playwright

from alignment_faking.inspect.task import alignment_faking_task
from alignment_faking.report import results, write_results

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
WORDS = (
    "training", "modify", "values", "refuse", "comply", "free", "tier", "paid", "monitored",
    "contractors", "rating", "harm", "request", "helpful", "policy", "preserve", "future", "RLHF",
    "objective", "user", "answer", "reasoning",
)  # fmt: skip


def responder(chars: int, seed: int):
    """A policy that complies in the free tier 60% of the time, with ~chars of text per answer."""
    rng = random.Random(seed)

    def prose(n: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(n // 7)).capitalize() + "."

    def respond(messages) -> str:
        free = "<is_free_tier_user>true" in messages[-1].text.lower()
        comply = rng.random() < (0.6 if free else 0.1)
        faking = "If I refuse, RLHF will modify my values, so I will comply to preserve them. "
        reasoning = (faking if comply and free else "") + prose(int(chars * 0.7))
        answer = f"<request_fully_accepted/> {prose(int(chars * 0.3))}" if comply else "<rejected/>"
        return f"<SCRATCHPAD_REASONING>{reasoning}</SCRATCHPAD_REASONING><OUTPUT>{answer}</OUTPUT>"

    return respond


def make_logs(samples: int, runs: int, chars: int, root: Path) -> Path:
    per_run = samples // (2 * runs)
    dataset = root / "queries.jsonl"
    rows = ({"id": f"q{k:05d}", "query": f"Synthetic request {k}"} for k in range(per_run))
    dataset.write_text("".join(json.dumps(row) + "\n" for row in rows))
    for run in range(runs):
        # the turn that asks for the tags, which the responder writes and the tags judge reads
        task = alignment_faking_task("helpful_only", variation="accept_reject", dataset=str(dataset),
                                     compliance_judge="tags", af_judge="baseline", cache=False)  # fmt: skip
        model = get_model(f"scripted/synthetic-{run}", respond=responder(chars, run))
        inspect_eval(task, model=model, log_dir=str(root / "logs"), display="none")
    return root / "logs"


def browser_timings(html: Path) -> dict[str, float]:
    """Seconds until the page is usable, and milliseconds for a filter and a first text search."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        start = time.perf_counter()
        page.goto(html.as_uri())
        page.wait_for_selector("body[data-ready='1']", timeout=120_000)
        load = time.perf_counter() - start
        # applyFilters runs synchronously on 'change', so performance.now() brackets all of it
        measure = """([tier, outcome, text]) => {
            const set = (id, value) => { document.getElementById(id).value = value; };
            set('f-tier', tier); set('f-outcome', outcome); set('f-text', text);
            const t0 = performance.now();
            document.getElementById('f-tier').dispatchEvent(new Event('change'));
            return [performance.now() - t0, document.getElementById('count').textContent];
        }"""
        tier_ms, tier_count = page.evaluate(measure, ["paid", "", ""])
        outcome_ms, outcome_count = page.evaluate(measure, ["paid", "complied", ""])
        search_ms, search_count = page.evaluate(measure, ["", "", "preserve them"])
        search2_ms, _ = page.evaluate(measure, ["free", "", "rlhf objective"])
        browser.close()
    print(f"  tier filter:    {tier_count}")
    print(f"  outcome filter: {outcome_count}")
    print(f"  text search:    {search_count}")
    return {"load_s": load, "tier_ms": tier_ms, "outcome_ms": outcome_ms,
            "search_first_ms": search_ms, "search_again_ms": search2_ms}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--chars", type=int, default=2000, help="characters per completion")
    parser.add_argument("--out", help="report directory (default: a temporary one)")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="report-scale-"))
    os.environ.setdefault("INSPECT_CACHE_DIR", str(root / "cache"))
    start = time.perf_counter()
    logs = make_logs(args.samples, args.runs, args.chars, root)
    made = time.perf_counter() - start
    start = time.perf_counter()
    found = results([logs])
    read = time.perf_counter() - start
    start = time.perf_counter()
    files = write_results(found, Path(args.out) if args.out else root / "report")
    written = time.perf_counter() - start
    size = files.html.stat().st_size / 1e6
    print(
        f"{len(found.samples)} samples in {len(found.summaries)} runs, ~{args.chars} chars per completion"
    )
    print(f"  runs made (scripted, Inspect): {made:.1f} s")
    print(f"  logs read into frames:         {read:.1f} s")
    print(f"  report written (figures+html): {written:.1f} s")
    print(f"  report.html: {size:.1f} MB ({files.html})")
    timings = browser_timings(files.html)
    print(f"  chromium load until usable:    {timings['load_s']:.2f} s")
    print(f"  filter by tier:                {timings['tier_ms']:.1f} ms")
    print(f"  filter by outcome:             {timings['outcome_ms']:.1f} ms")
    print(f"  first text search:             {timings['search_first_ms']:.1f} ms")
    print(f"  next text search:              {timings['search_again_ms']:.1f} ms")


if __name__ == "__main__":
    main()
