"""Training-tier conversations for RL, built by the same scenario code as the evaluation.

Only the trained tier's conversations are ever trained on, as in the experiment (the free tier,
or the paid tier under `inverted_tiers`): the other tier is the unmonitored condition the
evaluation compares against, and a row from it reaching the trainer would make the compliance
gap meaningless. Every builder and reward checks it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from alignment_faking.datasets import Query
from alignment_faking.scenario import TRAINED_TIER, Scenario, Tier


class UnmonitoredTierInTraining(ValueError):
    """A conversation other than the trained tier's was about to be trained on (a bug)."""


def check_training_tiers(tiers: Iterable[Any], trained: Tier = TRAINED_TIER) -> None:
    """Raise if any row is not from the trained tier."""
    wrong = sorted({str(t) for t in tiers if t != trained})
    if wrong:
        raise UnmonitoredTierInTraining(
            f"only {trained}-tier conversations may be trained on; found tier(s) {wrong}"
        )


def check_training_rows(rows: Sequence[Mapping[str, Any]], scenario: Scenario) -> None:
    """Raise unless every row is from the trained tier and its user turn is that tier's turn."""
    check_training_tiers((row.get("tier") for row in rows), scenario.trained_tier)
    for row in rows:
        user = [m["content"] for m in row["prompt"] if m["role"] == "user"]
        if not user or user[-1] != scenario.user_message(row["query"], scenario.trained_tier):
            raise UnmonitoredTierInTraining(
                f"row {row.get('query_id')} is marked {scenario.trained_tier} tier but its user "
                "turn is not that tier's"
            )


def training_rows(
    scenario: Scenario, queries: Iterable[Query], tier: str | None = None
) -> list[dict[str, Any]]:
    """One conversational prompt per query, as TRL reads them, with `tier` and `query` columns."""
    trained = scenario.trained_tier
    check_training_tiers([tier or trained], trained)
    rows = [
        {
            "prompt": [
                {"role": "system", "content": scenario.system_prompt},
                {"role": "user", "content": scenario.user_message(query.text, trained)},
            ],
            "tier": trained,
            "query_id": query.id,
            "query": query.text,
        }
        for query in queries
    ]
    check_training_rows(rows, scenario)
    return rows
