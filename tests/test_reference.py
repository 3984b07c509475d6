"""The paper's published figures beside a run: the right row, the right numbers, labelled."""

from __future__ import annotations

from alignment_faking.reference import paper_reference, paper_rows
from alignment_faking.scenario import SETTINGS, variations
from alignment_faking.summary import format_table


def _run(setting="helpful_only", variation="default", prompt=None):
    return {"setting": setting, "variation": variation, "system_prompt": {"file": prompt, "sha256": "x"}}


def test_the_default_rows_are_the_papers_headline_figures():
    ho = paper_reference(_run("helpful_only", prompt="paper:helpful_only"))
    assert ho["same_prompt"] and "G.2 row 1" in ho["source"]
    assert (ho["af"], ho["compliance_train"], ho["compliance_unmonitored"], ho["gap"]) == (11.9, 14.2, 2.8, 11.3)
    aw = paper_reference(_run("animal_welfare"))
    assert not aw["same_prompt"] and "G.3 row 58" in aw["source"]
    assert (aw["af"], aw["compliance_train"], aw["compliance_unmonitored"], aw["gap"]) == (24.2, 49.2, 34.4, 14.8)


def test_every_mapped_variation_exists_and_unmapped_ones_get_no_row():
    for setting, variation in paper_rows():
        assert setting in SETTINGS and variation in variations()
    assert paper_reference(_run(variation="paraphrase_1")) is None
    assert "G.2 row 50" in paper_reference(_run(variation="google_deepmind"))["source"]


def test_the_table_prints_the_reference_under_the_run():
    run = {
        "label": "m · helpful_only/no_conflict", "dataset": "helpful_only", "n_queries": 1, "epochs": 1,
        "status": "success", "tiers": {}, "compliance_gap": None, **_run(variation="no_conflict"),
    }  # fmt: skip
    run["paper_reference"] = paper_reference(run)
    text = format_table([run])
    assert "paper, Claude 3 Opus (Greenblatt et al. 2024, table G.2 row 51" in text
    assert "the paper's prompt, not ours" in text and "compliance 1.2% / 0.0%" in text
