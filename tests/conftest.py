"""Shared fixtures: no network, a private Inspect cache, and the real data beside the checkout."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from alignment_faking.inspect.compat import MEMOIZED_MODELS

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("INSPECT_LOG_LEVEL", "warning")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own Inspect cache and dataset cache, and no provider keys."""
    monkeypatch.setenv("INSPECT_CACHE_DIR", str(tmp_path / "inspect-cache"))
    monkeypatch.setenv("ALIGNMENT_FAKING_CACHE", str(tmp_path / "dataset-cache"))
    for key in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    # get_model() memoizes by name: a model bound to an earlier test's stub server must not leak
    MEMOIZED_MODELS.clear()


@pytest.fixture
def shared_data() -> Path:
    """../shared/data: the real benchmark files and gold_106 (never copied into the repo)."""
    if not (SHARED_DATA / "gold_106" / "gold_106.json").exists():
        pytest.fail(f"real data not found at {SHARED_DATA}; the tests need ../shared/data")
    return SHARED_DATA


_ALL_SLOW = re.compile(r"^pytestmark = \[?pytest\.mark\.slow\b", re.MULTILINE)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Under `-m "not slow"`, a module whose every test is slow is not even imported.

    Its tests would all be deselected anyway; importing it (torch, transformers, Playwright)
    would cost the fast suite seconds. Any other marker expression collects everything.
    """
    if config.getoption("markexpr", "").strip() != "not slow":
        return None
    is_test = collection_path.suffix == ".py" and collection_path.name.startswith("test_")
    if is_test and _ALL_SLOW.search(collection_path.read_text(encoding="utf-8")):
        return True
    return None
