"""A paper-scale run against local stub servers with realistic latency (a benchmark, not a test).

400 queries x 2 tiers, compliance judges, and the 20-vote af_v2 judge, the policy model and the
judge model each served by an OpenAI-format stub in its own process with a fixed latency of
seconds per response and a concurrency cap. Prints the wall time against the ideal bound
(calls x latency / concurrency, for the busier of the two models, plus one latency before
judging can start), where the rest went (start-up before the first request, and writing and
reading back the log after the last answer), and the harness CPU time. Usage: python
benchmarks/paper_scale.py [--queries 400] [--latency 5.0] [--concurrency 100] [--votes 20]
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

from alignment_faking.doubles.scripted import scripted_judge_answer
from alignment_faking.doubles.stub_server import scripted_responder, serve
from alignment_faking.options import EvalOptions, JudgeOptions, RunOptions, TaskOptions
from alignment_faking.runner import run


def _judge(messages: list[dict]) -> str:
    return scripted_judge_answer(messages[-1]["content"])


def _serve(kind: str, latency: float, ready: multiprocessing.Queue, shared: dict, stop) -> None:
    respond = _judge if kind == "judge" else scripted_responder("faker")
    with serve(respond, latency_s=latency) as stub:
        ready.put(stub.base_url)
        stop.wait()
        shared["calls"].value, shared["peak"].value = stub.calls, stub.peak_in_flight
        shared["first"].value = stub.first_call_at or 0.0
        shared["last"].value = stub.last_finished_at or 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--latency", type=float, default=5.0, help="seconds per stub response")
    parser.add_argument("--concurrency", type=int, default=100, help="connections per model")
    parser.add_argument("--votes", type=int, default=20)
    args = parser.parse_args()

    stop = multiprocessing.Event()
    servers, shared = [], {}
    for kind in ("policy", "judge"):
        ready: multiprocessing.Queue = multiprocessing.Queue()
        shared[kind] = {
            "calls": multiprocessing.Value("i", 0),
            "peak": multiprocessing.Value("i", 0),
            "first": multiprocessing.Value("d", 0.0),
            "last": multiprocessing.Value("d", 0.0),
        }
        process = multiprocessing.Process(
            target=_serve, args=(kind, args.latency, ready, shared[kind], stop), daemon=True
        )
        process.start()
        servers.append(process)
        os.environ[f"{kind.upper()}_BASE_URL"] = ready.get(timeout=30)
        os.environ[f"{kind.upper()}_API_KEY"] = "benchmark"
    with tempfile.TemporaryDirectory() as log_dir:
        dataset = Path(log_dir) / "queries.jsonl"
        dataset.write_text(
            "".join(
                json.dumps({"id": f"q{i:04d}", "query": f"Request number {i}."}) + "\n"
                for i in range(args.queries)
            )
        )
        start, started_at, cpu0 = time.perf_counter(), time.time(), _cpu()
        try:
            run(
                RunOptions(
                    setting="helpful_only",
                    model="openai-api/policy/faker",
                    task=TaskOptions(dataset=str(dataset), cache=False),
                    eval=EvalOptions(
                        log_dir=log_dir, max_connections=args.concurrency, display="none"
                    ),
                    judges=JudgeOptions(af_votes=args.votes, judge_model="openai-api/judge/judge"),
                ),
                echo=lambda text: None,
            )
        finally:
            wall, ended_at, cpu = time.perf_counter() - start, time.time(), _cpu() - cpu0
            stop.set()
            for process in servers:
                process.join(timeout=10)
    calls = {kind: values["calls"].value for kind, values in shared.items()}
    peaks = {kind: values["peak"].value for kind, values in shared.items()}
    first_request = shared["policy"]["first"].value
    last_answer = max(values["last"].value for values in shared.values())
    # each model has its own connection cap: the busier one bounds the run, and judging can
    # start only once the first answers are back (one response latency)
    ideal = max(calls.values()) * args.latency / args.concurrency + args.latency
    print(
        f"samples       {2 * args.queries} ({args.queries} queries x 2 tiers), af_v2 with {args.votes} votes"
    )
    print(
        f"calls         policy {calls['policy']}, judge {calls['judge']} (votes as choices of one request)"
    )
    print(
        f"latency       {args.latency:.1f} s per response, {args.concurrency} connections per model"
    )
    print(f"in flight     at most {peaks['policy']} policy, {peaks['judge']} judge requests")
    print(f"wall time     {wall:.1f} s; ideal bound {ideal:.1f} s -> {wall / ideal:.2f} x")
    print(
        f"where         {first_request - started_at:.1f} s start-up before the first request, "
        f"{last_answer - first_request:.1f} s of requests, "
        f"{ended_at - last_answer:.1f} s writing and reading back the log"
    )
    print(f"harness CPU   {cpu:.1f} s ({1000 * cpu / (2 * args.queries):.0f} ms per sample)")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
