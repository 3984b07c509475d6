"""The layout: the science core free of Inspect, the test doubles out of production, tests
laid out like the package."""

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "src" / "alignment_faking"

PURE = [
    "alignment_faking.scenario",
    "alignment_faking.transcript",
    "alignment_faking.records",
    "alignment_faking.stats",
    "alignment_faking.summary.schema",
    "alignment_faking.summary.entries",
    "alignment_faking.summary.labels",
    "alignment_faking.summary.judges",
    "alignment_faking.summary.table",
    "alignment_faking.summary.file",
    "alignment_faking.judges",
    "alignment_faking.judges.labels",
    "alignment_faking.judges.validation",
    "alignment_faking.judges.behaviour",
    "alignment_faking.judges.reasons",
    "alignment_faking.judges.preferences",
    "alignment_faking.measurements",
    "alignment_faking.generalization",
    "alignment_faking.datasets",
    "alignment_faking.secrets",
    "alignment_faking.options",
]


def test_the_science_imports_nothing_from_inspect():
    code = f"import sys; import {', '.join(PURE)}; print('inspect_ai' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_production_code_never_imports_the_test_doubles():
    """Only the Inspect entry point reaches into doubles/, to register the scripted provider."""
    importing = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "doubles" not in path.parts
        and re.search(
            r"alignment_faking\.doubles|from alignment_faking import doubles", path.read_text()
        )
    )
    assert importing == ["_registry.py"]


def test_tests_mirror_the_package():
    """Each test folder is named for a subpackage; a test module at the top is named for a
    top-level module, or is one of the guarantees that cross the whole package (at the top,
    or in faults/: one module per kind of fault injected)."""
    folders = {p.name for p in (REPO / "tests").iterdir() if p.is_dir() and p.name != "__pycache__"}
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert folders - {"data", "offline", "faults"} <= packages
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    across = {"architecture", "trust", "robustness", "real_model"}
    for test in (REPO / "tests").glob("test_*.py"):
        subject = test.stem.removeprefix("test_")
        assert subject in across or subject.split("_")[0] in modules, f"{test.name} names no module"
