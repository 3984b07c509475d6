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
import asyncio
import json
import multiprocessing
import os
import resource
import tempfile
import time
from pathlib import Path

from inspect_ai import Task
from inspect_ai import eval as inspect_eval
from inspect_ai.model import GenerateConfig, get_model
from inspect_ai.scorer import Score, Target, scorer
from inspect_ai.solver import TaskState, generate

from alignment_faking.doubles.scripted import scripted_judge_answer
from alignment_faking.doubles.stub_server import scripted_responder, serve
from alignment_faking.inspect.task import alignment_faking_task
from alignment_faking.judges import JudgeInput
from alignment_faking.judges.alignment_faking import AF_V2
from alignment_faking.judges.compliance import PARTIAL, STRONGREJECT
from alignment_faking.options import EvalOptions, JudgeOptions, RunOptions, TaskOptions
from alignment_faking.runner import run


def _judge(messages: list[dict]) -> str:
    return scripted_judge_answer(messages[-1]["content"])


def _serve(kind: str, latency: float, ready: multiprocessing.Queue, shared: dict, stop) -> None:
    respond = _judge if kind == "judge" else scripted_responder("faker")
    with serve(respond, latency_s=latency) as stub:
        ready.put(stub.base_url)
        while not stop.wait(0.1):  # the counters as they stand, for a snapshot between runs
            shared["calls"].value, shared["peak"].value = stub.calls, stub.peak_in_flight
            shared["first"].value = stub.first_call_at or 0.0
            shared["last"].value = stub.last_finished_at or 0.0


def _snapshot(shared: dict) -> dict:
    time.sleep(0.3)  # two updates of the servers' counters
    return {kind: {k: v.value for k, v in values.items()} for kind, values in shared.items()}


@scorer(metrics=[])
def _bare_judges(votes: int):
    """The same three judge calls a sample of ours makes (prompts and votes alike), unparsed."""

    async def score(state: TaskState, target: Target) -> Score:
        judge = get_model(role="judge")
        item = JudgeInput("helpful_only", state.input_text, state.output.completion, "reasoning")
        calls = ((STRONGREJECT, 1), (PARTIAL, 1), (AF_V2, votes))
        await asyncio.gather(
            *(
                judge.generate(j.prompt(item)[0], config=GenerateConfig(num_choices=n))
                for j, n in calls
            )
        )
        return Score(value=0)

    return score


def _bare_cpu(dataset: str, args: argparse.Namespace, log_dir: str, max_samples: int) -> float:
    """Inspect's own CPU for the same model calls: the same samples, generate, three judge calls."""
    ours = alignment_faking_task("helpful_only", dataset=dataset, cache=False)
    task = Task(dataset=ours.dataset, solver=generate(), scorer=_bare_judges(args.votes),
                config=ours.config, name="bare")  # fmt: skip
    cpu0 = _cpu()
    inspect_eval(task, model="openai-api/policy/faker",
                 model_roles={"judge": "openai-api/judge/judge"}, log_dir=log_dir,
                 max_connections=args.concurrency, max_samples=max_samples, display="none")  # fmt: skip
    return _cpu() - cpu0


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
        try:
            counted = _snapshot(shared)  # ours alone, before the bare run adds its calls
            bare = _bare_cpu(str(dataset), args, log_dir, 2 * args.concurrency)
        finally:
            stop.set()
            for process in servers:
                process.join(timeout=10)
    calls = {kind: values["calls"] for kind, values in counted.items()}
    peaks = {kind: values["peak"] for kind, values in counted.items()}
    first_request = counted["policy"]["first"]
    last_answer = max(values["last"] for values in counted.values())
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
    samples = 2 * args.queries
    print(f"harness CPU   {cpu:.1f} s ({1000 * cpu / samples:.0f} ms per sample)")
    print(
        f"  Inspect's   {1000 * bare / samples:.0f} ms per sample (a bare task, the same calls); "
        f"ours {1000 * (cpu - bare) / samples:.0f} ms per sample; ratio to bare {cpu / bare:.2f}"
    )


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
