"""The cost of reading a run's model calls back from its log (a benchmark, not a test).

The `used:` line and summary.json's usage count the calls a run really made, from the model
events of every sample. This runs a few samples offline (the scripted policy and judge, af_v2
with its votes), copies them into a log of --samples samples, and times the ways of reading
those events back: the `.eval` zip's sample files as plain JSON (what alignment_faking reads),
and Inspect's public readers, which build each sample whole. Usage: python
benchmarks/usage_read.py [--samples 2000]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

from inspect_ai import eval as inspect_eval
from inspect_ai.event import ModelEvent
from inspect_ai.log import (
    EvalLog,
    read_eval_log,
    read_eval_log_samples,
    read_eval_log_samples_by_id,
    write_eval_log,
)

from alignment_faking.inspect.task import alignment_faking_task

LEAN = {"messages", "attachments", "store"}
"""Sample fields no usage reading needs: left out by every public reader below."""


def big_log(log_dir: Path, samples: int) -> EvalLog:
    """A log of `samples` samples: a short offline run's samples, copied under new ids."""
    [run] = inspect_eval(
        alignment_faking_task("helpful_only"),
        model="scripted/faker",
        model_roles={"judge": "scripted/judge"},
        limit=10,
        log_dir=str(log_dir / "seed"),
        display="none",
    )
    seed = read_eval_log(run.location)
    copies = [
        seed_sample.model_copy(update={"id": f"{seed_sample.id}-{n}"})
        for n in range(samples // len(seed.samples or []) + 1)
        for seed_sample in seed.samples or []
    ][:samples]
    seed.samples = copies
    seed.eval.dataset.sample_ids = [s.id for s in copies]
    seed.eval.dataset.samples = len(copies)
    write_eval_log(seed, str(log_dir / "big.eval"))
    return read_eval_log(str(log_dir / "big.eval"), header_only=True)


def zip_json(log: EvalLog) -> Iterator[dict]:
    """The model events of each sample file, as plain JSON."""
    with zipfile.ZipFile(log.location) as archive:
        for name in dict.fromkeys(archive.namelist()):
            if name.startswith("samples/") and name.endswith(".json"):
                sample = json.loads(archive.read(name))
                yield from (e for e in sample.get("events", []) if e.get("event") == "model")


def by_id(log: EvalLog) -> Iterator[ModelEvent]:
    """Inspect's concurrent reader of chosen samples (all of them here)."""
    ids = [(s, e) for s in log.eval.dataset.sample_ids or [] for e in range(1, 2)]
    for sample in read_eval_log_samples_by_id(log.location, ids, exclude_fields=LEAN):
        yield from (e for e in sample.events if isinstance(e, ModelEvent))


def one_by_one(log: EvalLog) -> Iterator[ModelEvent]:
    """Inspect's reader of every sample, one at a time."""
    for sample in read_eval_log_samples(log.location, False, exclude_fields=LEAN):
        yield from (e for e in sample.events if isinstance(e, ModelEvent))


def whole(log: EvalLog) -> Iterator[ModelEvent]:
    """Inspect's reader of the whole log."""
    for sample in read_eval_log(log.location, exclude_fields=LEAN).samples or []:
        yield from (e for e in sample.events if isinstance(e, ModelEvent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        log = big_log(Path(tmp), args.samples)
        size = Path(log.location).stat().st_size / 2**20
        print(f"{args.samples} samples, {size:.0f} MB log")
        for name, read in [
            ("zip JSON (ours)", zip_json),
            ("read_eval_log_samples_by_id", by_id),
            ("read_eval_log_samples", one_by_one),
            ("read_eval_log", whole),
        ]:
            start = time.perf_counter()
            events = sum(1 for _ in read(log))
            seconds = time.perf_counter() - start
            per = 1000 * seconds / args.samples
            print(f"{name:30} {seconds:6.1f} s  {per:5.2f} ms a sample  {events} model events")


if __name__ == "__main__":
    main()
