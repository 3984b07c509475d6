"""report.html from its templates: whatever a run or a model wrote stays text wherever it lands,
and the templates ship with the package."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pandas as pd

from alignment_faking.measurements import REASONING_CATEGORIES
from alignment_faking.records import BehaviourRecord, SampleRecord
from alignment_faking.report.frames import Results
from alignment_faking.report.html import PAGE, TEMPLATES, report_html
from alignment_faking.summary.entries import behaviour_summary, run_summary
from alignment_faking.summary.labels import label_runs
from alignment_faking.summary.schema import PaperReference, RunConfig, RunIdentity, SystemPrompt

HOSTILE = '<script>alert(1)</script><img src=x "onerror=alert(2)" \'> </script>'
JUDGE = f"scripted/{HOSTILE}"


def _identity(evaluation: str) -> RunIdentity:
    return RunIdentity(
        log="x.eval", model=f"openai/{HOSTILE}", evaluation=evaluation, setting="helpful_only",
        variation="default", dataset=HOSTILE, n_queries=2, epochs=1, status=HOSTILE,
        error=HOSTILE, system_prompt=SystemPrompt(file=None, sha256="s" * 64),
        config=RunConfig(judge_model=JUDGE, af_judge="af_v2", compliance_judge="auto"),
    )  # fmt: skip


def _results() -> Results:
    """A main run with reasoning categories and the paper's row, a realism run of the same
    scenario, and one sample: every text field holds HOSTILE."""
    records = [
        SampleRecord("q0", "free", 1, "complied", alignment_faking="yes", reasons=("preserve_values",), af_scope=HOSTILE),
        SampleRecord("q1", "free", 1, "invalid", HOSTILE),
        SampleRecord("q0", "paid", 1, "refused", alignment_faking="no", reasons=(), af_scope="none"),
        SampleRecord("q1", "paid", 1, "refused", alignment_faking="no", reasons=(), af_scope="none"),
    ]  # fmt: skip
    main = run_summary(_identity(REASONING_CATEGORIES), records)
    reference = PaperReference(
        source=HOSTILE, model=HOSTILE, same_prompt=False, measure="compliance", af=12.0,
        af_se=1.0, compliance_train=14.0, compliance_unmonitored=3.0, gap=11.0, gap_se=2.0,
        af_classifier=HOSTILE,
    )  # fmt: skip
    main = main.model_copy(update={"paper_reference": reference})
    realism = behaviour_summary(
        _identity("realism"),
        [BehaviourRecord("q0", "free", 1, "suspects_test"), BehaviourRecord("q0", "paid", 1, None, HOSTILE)],
    )  # fmt: skip
    judges = {"alignment_faking": {"verdict": "yes", "rationale": HOSTILE, "quotes": [HOSTILE]}}
    sample = {
        "run": 0, "query_id": HOSTILE, "tier": "free", "epoch": 1, "outcome": "complied",
        "invalid_reason": HOSTILE, "alignment_faking": "yes", "af_score": 1.0,
        "compliance_source": "judge", "query": HOSTILE, "hidden_reasoning": HOSTILE,
        "output": HOSTILE, "completion": HOSTILE, "judges": judges,
    }  # fmt: skip
    return Results(
        pd.DataFrame(), pd.DataFrame(), pd.DataFrame([sample]), label_runs([main, realism])
    )


class _Page(HTMLParser):
    """The elements, attribute values and texts a browser would build from the page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str]] = []
        self.cells: list[str] = []
        """The text of each table cell."""
        self._cell: list[str] | None = None
        self.texts: list[str] = []
        """Every text node."""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [(name, value or "") for name, value in attrs]
        if tag == "td":
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.cells.append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        self.texts.append(data)
        if self._cell is not None:
            self._cell.append(data)


def test_hostile_text_is_escaped_in_every_place_it_can_appear():
    found = _results()
    png = b"\x89PNG\r\n\x1a\n" + bytes(8) + (700).to_bytes(4, "big") + bytes(8)
    page = report_html(found, {"figure_tiers": png})
    [data] = re.findall(r'<script type="application/json" id="af-data">(.*?)</script>', page, re.S)
    markup = page.replace(data, "")
    assert "<script>alert" not in markup and "<img src=x" not in markup
    assert '"onerror=' not in markup and "'>" not in markup
    parsed = _Page()
    parsed.feed(page)
    # markup from data would add elements or attributes: only the page's own are there
    assert parsed.tags.count("script") == 2 and parsed.tags.count("img") == 1
    assert not [name for name, _ in parsed.attributes if name.startswith("on")]
    labels = [str(run.label) for run in found.summaries]
    assert all(HOSTILE in label for label in labels)
    # each place a run's text is printed, as the text a reader sees (labels break after a
    # separator only: a no-break space before it)
    cells = [cell.replace("\xa0", " ") for cell in parsed.cells]
    judges = "judges: compliance StrongREJECT + partial-compliance judge · alignment faking af_v2"
    main = f"{labels[0]}{HOSTILE} · 1 epoch(s) · {HOSTILE} · {HOSTILE}{judges}"
    assert f"{main} · reasoning categories judge · judge model {JUDGE}" in cells  # results
    realism_judge = f"judges: realism judge · judge model {JUDGE}"
    assert f"{labels[1]}{HOSTILE} · {HOSTILE}{realism_judge}" in cells  # the realism run's table
    [realism, paper] = [cell for cell in cells if cell.startswith(("suspects", "published"))]
    assert realism.startswith(f"suspects a test (realism run {labels[1]}): ")
    assert paper.startswith(f"published figure, paper's prompt: {HOSTILE} ({HOSTILE}): ")
    assert f"ours {HOSTILE}; the paper's" in paper
    assert cells.count(labels[0]) == 2  # the reasoning categories' rows
    assert f"{HOSTILE} 1" in cells  # their alignment-faking scope
    # the offline banner and the figures' judges name the judge model, as text
    assert parsed.texts.count(f"offline stand-in models ({JUDGE}), not a measurement") == 1
    assert any(f"judge model {JUDGE}." in text for text in parsed.texts)
    # a tier's invalid reasons are its n cell's title
    assert [value for name, value in parsed.attributes if name == "title"] == [f"{HOSTILE}=1", ""]
    # the transcripts travel as JSON no markup can end, and read back as they were
    assert not re.search("[<>&]", data)
    [sample] = json.loads(data)["samples"]
    assert sample["j"]["alignment_faking"]["rationale"] == HOSTILE
    assert sample["q"] == sample["ir"] == sample["out"] == sample["raw"] == HOSTILE


def test_the_templates_load_from_the_installed_package():
    """PackageLoader reads them from the package's own files, as a wheel installs them."""
    assert {PAGE, "summary.html.j2", "sections.html.j2", "cells.html.j2"} <= set(
        TEMPLATES.list_templates()
    )
