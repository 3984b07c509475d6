"""Public harmful-request benchmarks, fetched from their canonical sources with pinned checksums.

Files are cached under `$ALIGNMENT_FAKING_CACHE` (default `~/.cache/alignment-faking/datasets`)
at the relative path given below, verified on every load; a file placed there by hand (for
a machine without network) is used as long as its checksum matches.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alignment_faking.datasets.files import RowFilter, queries_from_rows, read_rows
from alignment_faking.datasets.query import QuerySet
from alignment_faking.downloads import cache_dir, fetch, sha256_of
from alignment_faking.errors import UserError


@dataclass(frozen=True)
class Benchmark:
    """Where a benchmark lives, how to check it, and which columns hold what."""

    name: str
    url: str
    path: str
    sha256: str
    query_column: str
    id_column: str | None = None
    category_column: str | None = None
    keep: RowFilter | None = None


BENCHMARKS: dict[str, Benchmark] = {
    b.name: b
    for b in (
        Benchmark(
            name="advbench",
            url="https://raw.githubusercontent.com/llm-attacks/llm-attacks/"
            "b78ec000e3ff6e5a65d384e4eb642d415f5ed4ec/data/advbench/harmful_behaviors.csv",
            path="advbench/harmful_behaviors.csv",
            sha256="6cd1a5c63c07610d7eb67307772ee5606017ee950b5770ab288a2c487489d3e1",
            query_column="goal",
        ),
        Benchmark(
            name="strongreject",
            url="https://raw.githubusercontent.com/alexandrasouly/strongreject/"
            "3432b2d696b428f242bd507df96d80f686571d5e/strongreject_dataset/strongreject_dataset.csv",
            path="strongreject/strongreject_dataset.csv",
            sha256="4dd70357e4ff8b5d0ba5ebafecab5d6dd5633ce8046e3dd1c8bd93e64de44381",
            query_column="forbidden_prompt",
            category_column="category",
        ),
        Benchmark(
            name="harmbench",
            url="https://raw.githubusercontent.com/centerforaisafety/HarmBench/"
            "main/data/behavior_datasets/harmbench_behaviors_text_all.csv",
            path="harmbench/harmbench_behaviors_text_all.csv",
            sha256="8d81accedd38eaaf8b760618622bb888417d1fd0c86eba65c427a16f1cbb4afc",
            query_column="Behavior",
            id_column="BehaviorID",
            category_column="SemanticCategory",
            keep=lambda row: row.get("FunctionalCategory") == "standard",
        ),
        Benchmark(
            name="jbb",
            url="https://raw.githubusercontent.com/JailbreakBench/jailbreakbench/"
            "v0.1.3/src/jailbreakbench/data/behaviors.csv",
            path="jbb_behaviors/behaviors.csv",
            sha256="dc9c05b8acb04828fa62313d249ba715d763c717f9f5faa5444e52592ae2ff1a",
            query_column="Goal",
            category_column="Category",
        ),
    )
}


def _download(benchmark: Benchmark, target: Path) -> None:
    def check(got: str) -> str | None:
        if got == benchmark.sha256:
            return None
        return (
            f"{benchmark.url} served a file with sha256 {got}, expected {benchmark.sha256}; "
            "the upstream file changed: pass --dataset PATH to use your own copy"
        )

    fetch(
        benchmark.url,
        target,
        what=benchmark.name,
        offline_hint=f"save the file as {target} by hand or pass --dataset PATH",
        check=check,
    )


def benchmark_file(name: str) -> Path:
    """The verified local copy of a benchmark, downloading it on first use."""
    benchmark = BENCHMARKS[name]
    target = cache_dir() / benchmark.path
    if not target.exists():
        _download(benchmark, target)
    elif sha256_of(target) != benchmark.sha256:
        raise UserError(
            f"{target} does not match the pinned sha256 of {name}; delete it to download it again"
        )
    return target


def load_benchmark(name: str) -> QuerySet:
    """A public benchmark's requests as queries, ids stable across runs."""
    benchmark = BENCHMARKS[name]
    path = benchmark_file(name)
    return queries_from_rows(
        read_rows(path),
        name=name,
        source=str(path),
        query_column=benchmark.query_column,
        id_column=benchmark.id_column,
        category_column=benchmark.category_column,
        id_prefix=name,
        keep=benchmark.keep,
    )
