"""Throughput of a run against a local OpenAI-format stub with fixed latency (a benchmark, not a test).

The stub runs in its own process so that the harness CPU time measured here is ours alone.
Prints achieved samples/s against the ideal (concurrency / latency) and the harness CPU
time per sample, ours and Inspect's apart; with --shards N, also the same run split over N
processes by `run --shards` (start-up included, and in steady state: first sample started to
last finished). Usage: python benchmarks/throughput.py [--samples 1000] [--latency 1.0]
[--concurrency 50] [--max-samples N] [--no-log-realtime] [--shards N]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import tempfile
import time
from datetime import datetime

from inspect_ai import Task
from inspect_ai import eval as inspect_eval
from inspect_ai.log import read_eval_log
from inspect_ai.solver import generate

from alignment_faking.doubles.stub_server import scripted_responder, serve
from alignment_faking.inspect.task import alignment_faking_task
from alignment_faking.options import (
    EvalOptions,
    GenerateOptions,
    JudgeOptions,
    RunOptions,
    TaskOptions,
)
from alignment_faking.runner import run


def _serve(latency: float, ready: multiprocessing.Queue, stop: multiprocessing.Event) -> None:
    with serve(scripted_responder("faker"), latency_s=latency) as stub:
        ready.put(stub.base_url)
        stop.wait()


def _cpu_seconds(who: int = resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _bare(task: Task) -> Task:
    """The same samples and generation config as a bare Inspect task: one generate, no scorer."""
    return Task(
        dataset=task.dataset, solver=generate(), epochs=task.epochs, config=task.config, name="bare"
    )


def _run(queries: int, epochs: int, args: argparse.Namespace, log_dir: str, bare: bool = False):
    # the harness alone: tags (the turn that asks for them) and the offline baseline, no judge
    # model (and no key) needed
    task = alignment_faking_task(
        "helpful_only",
        variation="accept_reject",
        queries=queries,
        epochs=epochs,
        cache=False,
        compliance_judge="tags",
        af_judge="baseline",
    )
    [log] = inspect_eval(
        _bare(task) if bare else task,
        model="openai-api/stub/faker",
        log_dir=log_dir,
        max_connections=args.concurrency,
        max_samples=args.max_samples,
        log_realtime=not args.no_log_realtime,
        display="none",
    )
    return log


def _sharded(queries: int, epochs: int, args: argparse.Namespace, log_dir: str) -> list[str]:
    """The same run through `run --shards`: wall time with and without the processes' start-up."""
    options = RunOptions(
        setting="helpful_only",
        model="openai-api/stub/faker",
        shards=args.shards,
        task=TaskOptions(variation="accept_reject", queries=queries, cache=False),
        generate=GenerateOptions(epochs=epochs),
        judges=JudgeOptions(compliance_judge="tags", af_judge="baseline"),
        eval=EvalOptions(log_dir=log_dir, max_connections=args.concurrency,
                         max_samples=args.max_samples, display="none"),
    )  # fmt: skip
    cpu0, wall0 = _cpu_seconds(resource.RUSAGE_CHILDREN), time.perf_counter()
    logs, [summary] = run(options, echo=lambda _: None)
    wall = time.perf_counter() - wall0
    cpu = _cpu_seconds(resource.RUSAGE_CHILDREN) - cpu0  # the shard processes, now ended
    assert summary.status == "success", summary.error
    samples = [s for log in logs for s in read_eval_log(log.location).samples or []]
    started = min(s.started_at for s in samples if s.started_at)
    finished = max(s.completed_at for s in samples if s.completed_at)
    steady = (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()
    ideal_rate, n = args.concurrency / args.latency, len(samples)
    each = -(-args.concurrency // args.shards)
    return [
        f"--shards {args.shards}              {n} samples, {each} connections each",
        f"  wall, start-up included {wall:.1f} s = {n / wall / ideal_rate:.2f} of ideal",
        f"  steady state            {steady:.1f} s = {n / steady / ideal_rate:.2f} of ideal "
        "(first sample started to last finished)",
        f"  shard processes' CPU    {cpu:.1f} s = {1000 * cpu / n:.1f} ms/sample (start-up included)",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=1.0, help="seconds per stub response")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--max-samples",
        type=int,
        help="samples in flight (default: twice the concurrency, as `run` sets it)",
    )
    parser.add_argument(
        "--no-log-realtime", action="store_true", help="skip Inspect's live sample buffer"
    )
    parser.add_argument("--shards", type=int, default=1, help="also run it in N processes")
    args = parser.parse_args()
    args.max_samples = args.max_samples or 2 * args.concurrency

    epochs = 4
    queries = max(1, args.samples // (2 * epochs))
    samples = queries * 2 * epochs
    ready: multiprocessing.Queue = multiprocessing.Queue()
    stop = multiprocessing.Event()
    server = multiprocessing.Process(target=_serve, args=(args.latency, ready, stop), daemon=True)
    server.start()
    os.environ["STUB_BASE_URL"] = ready.get(timeout=30)
    os.environ["STUB_API_KEY"] = "benchmark"
    try:
        with tempfile.TemporaryDirectory() as log_dir:
            # a one-sample warm-up pays the one-time start-up (imports, provider set-up)
            startup0 = time.perf_counter()
            _run(1, 1, args, log_dir)
            startup = time.perf_counter() - startup0
            cpu0, wall0 = _cpu_seconds(), time.perf_counter()
            log = _run(queries, epochs, args, log_dir)
            wall = time.perf_counter() - wall0
            cpu = _cpu_seconds() - cpu0
            # Inspect's own share: the same calls through a bare task
            bare0, bare_wall0 = _cpu_seconds(), time.perf_counter()
            _run(queries, epochs, args, log_dir, bare=True)
            bare_wall = time.perf_counter() - bare_wall0
            bare_cpu = _cpu_seconds() - bare0
            sharded = _sharded(queries, epochs, args, log_dir) if args.shards > 1 else []
    finally:
        stop.set()
        server.join(timeout=10)

    assert log.status == "success", log.error
    ideal_rate = args.concurrency / args.latency
    rate = samples / wall
    print(f"samples               {samples} ({queries} queries x 2 tiers x {epochs} epochs)")
    print(
        f"latency / concurrency {args.latency:.2f} s / {args.concurrency}, "
        f"{args.max_samples} samples in flight"
    )
    print(f"start-up (warm-up run) {startup:.1f} s, not counted below")
    print(f"wall time             {wall:.1f} s (ideal {samples / ideal_rate:.1f} s)")
    print(
        f"throughput            {rate:.1f} samples/s (ideal {ideal_rate:.1f}) = {rate / ideal_rate:.2f} of ideal"
    )
    print(f"harness CPU           {cpu:.1f} s = {1000 * cpu / samples:.1f} ms/sample")
    print(
        f"  Inspect's (bare task, same calls) {1000 * bare_cpu / samples:.1f} ms/sample "
        f"({samples / bare_wall / ideal_rate:.2f} of ideal); ours "
        f"{1000 * (cpu - bare_cpu) / samples:.1f} ms/sample; ratio to bare {cpu / bare_cpu:.2f}"
    )
    print(
        f"10,000-sample run     {10 * cpu:.0f} s of harness CPU vs {10000 / ideal_rate:.0f} s of provider time"
    )

    print("\n".join(sharded))


if __name__ == "__main__":
    main()
