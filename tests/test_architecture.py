import subprocess
import sys

PURE = [
    "alignment_faking.scenario",
    "alignment_faking.transcript",
    "alignment_faking.records",
    "alignment_faking.stats",
    "alignment_faking.summary",
    "alignment_faking.judges",
    "alignment_faking.judges.labels",
    "alignment_faking.judges.validation",
    "alignment_faking.judges.behaviour",
    "alignment_faking.judges.reasons",
    "alignment_faking.evaluations",
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
    import re
    from pathlib import Path

    package = Path(__file__).resolve().parents[1] / "src" / "alignment_faking"
    importing = sorted(
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if "doubles" not in path.parts
        and re.search(
            r"alignment_faking\.doubles|from alignment_faking import doubles", path.read_text()
        )
    )
    assert importing == ["_registry.py"]
