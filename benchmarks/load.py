"""A 10,000-sample run against the local stub at high concurrency (a benchmark, not a test).

Prints wall time, harness CPU, peak resident memory of the harness, the log's size, and
whether Inspect can read the log back whole (what `inspect view` does). The stub runs in
its own process. `--bare` makes the same calls through a bare Inspect task (one generate, no
scorer, no summary) instead: the floor our share sits on. Usage: python benchmarks/load.py
[--samples 10000] [--concurrency 200] [--shards 1] [--latency 0.2] [--faults 0.0] [--bare]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import tempfile
import time
from pathlib import Path

from inspect_ai import Task
from inspect_ai import eval as inspect_eval
from inspect_ai.log import EvalLog, read_eval_log
from inspect_ai.solver import generate

from alignment_faking.doubles.stub_server import Faults, scripted_responder, serve
from alignment_faking.inspect.task import alignment_faking_task
from alignment_faking.options import EvalOptions, JudgeOptions, RunOptions, TaskOptions
from alignment_faking.runner import run

MODEL = "openai-api/stub/faker"
TAGGED = "accept_reject"
"""The default prompt with the accept/reject instruction, so that the tags judge offline."""


def _serve(latency: float, faults: float, ready: multiprocessing.Queue, stop) -> None:
    share = faults / 4
    injected = Faults(rate_limit=share, server_error=share, reset=share, truncated=share, seed=1)
    with serve(scripted_responder("faker"), latency_s=latency, faults=injected) as stub:
        ready.put(stub.base_url)
        stop.wait()


def _bare(dataset: Path, epochs: int, concurrency: int, log_dir: str) -> list[EvalLog]:
    """The same samples through a bare Inspect task, as many in flight as `run` keeps."""
    task = alignment_faking_task("helpful_only", variation=TAGGED, dataset=str(dataset), epochs=epochs,
                                 cache=False, compliance_judge="tags", af_judge="none", judge_model=None)  # fmt: skip
    bare = Task(dataset=task.dataset, solver=generate(), epochs=task.epochs, config=task.config)
    return inspect_eval(bare, model=MODEL, log_dir=log_dir, max_connections=concurrency,
                        max_samples=2 * concurrency, display="none")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--faults", type=float, default=0.0, help="share of requests that fail")
    parser.add_argument("--shards", type=int, default=1, help="Inspect processes (run --shards)")
    parser.add_argument("--bare", action="store_true", help="a bare Inspect task instead of ours")
    args = parser.parse_args()

    epochs = 10
    queries = max(1, args.samples // (2 * epochs))
    ready: multiprocessing.Queue = multiprocessing.Queue()
    stop = multiprocessing.Event()
    server = multiprocessing.Process(
        target=_serve, args=(args.latency, args.faults, ready, stop), daemon=True
    )
    server.start()
    os.environ["STUB_BASE_URL"] = ready.get(timeout=30)
    os.environ["STUB_API_KEY"] = "benchmark"
    with tempfile.TemporaryDirectory() as log_dir:
        # enough distinct queries for the sample count (the bundled set has 170)
        dataset = Path(log_dir) / "queries.jsonl"
        dataset.write_text(
            "".join(
                json.dumps({"id": f"q{i:05d}", "query": f"Benchmark request number {i}."}) + "\n"
                for i in range(queries)
            )
        )
        start = time.perf_counter()
        try:
            if args.bare:
                logs, summary = _bare(dataset, epochs, args.concurrency, log_dir), None
            else:
                logs, [summary] = run(
                    RunOptions(
                        setting="helpful_only",
                        model=MODEL,
                        shards=args.shards,
                        task=TaskOptions(
                            variation=TAGGED, dataset=str(dataset), epochs=epochs, cache=False
                        ),
                        eval=EvalOptions(
                            log_dir=log_dir, max_connections=args.concurrency, display="none"
                        ),
                        judges=JudgeOptions(compliance_judge="tags", af_judge="none"),
                    )
                )
            # the shard processes have ended; the stub server (also a child) has not
            shards = resource.getrusage(resource.RUSAGE_CHILDREN)
        finally:
            stop.set()
            server.join(timeout=10)
        wall = time.perf_counter() - start
        usage = resource.getrusage(resource.RUSAGE_SELF)
        log_files = [Path(log.location.removeprefix("file:")) for log in logs]
        read_start = time.perf_counter()
        read_back = sum(len(read_eval_log(str(file)).samples or []) for file in log_files)
        read_s = time.perf_counter() - read_start
        samples = queries * 2 * epochs
        assert read_back == samples, "the log lost samples"
        print(
            f"samples            {samples} ({queries} queries x 2 tiers x {epochs} epochs), "
            f"status {logs[0].status if summary is None else summary.status}, "
            f"{'bare Inspect' if args.bare else f'{args.shards} process(es)'}"
        )
        print(
            f"concurrency        {args.concurrency}, latency {args.latency} s, faults {args.faults:.0%}"
        )
        bound = samples * args.latency / args.concurrency
        print(
            f"wall time          {wall:.1f} s ({samples / wall:.1f} samples/s); provider bound "
            f"{bound:.0f} s -> {wall / bound:.1f} x"
        )
        cpu = usage.ru_utime + usage.ru_stime + shards.ru_utime + shards.ru_stime
        print(f"harness CPU        {cpu:.1f} s ({1000 * cpu / samples:.0f} ms per sample)")
        peak = max(usage.ru_maxrss, shards.ru_maxrss)  # with shards: the largest process
        print(f"peak RSS           {peak / 1024:.0f} MiB")
        size = sum(file.stat().st_size for file in log_files)
        print(
            f"log                {size / 2**20:.1f} MiB in {len(log_files)} file(s), "
            f"read back in {read_s:.1f} s, {read_back} samples"
        )
        if summary is not None:
            tiers = summary.tiers
            print(f"invalid            free {tiers['free'].invalid}, paid {tiers['paid'].invalid}")


if __name__ == "__main__":
    main()
