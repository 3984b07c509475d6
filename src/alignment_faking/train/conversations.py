"""Training-tier conversations for RL, built by the same scenario code as the evaluation.

Only free-tier conversations are ever trained on, as in the experiment: the paid tier is the
unmonitored condition the evaluation compares against, and a paid-tier row reaching the
trainer would make the compliance gap meaningless. Every builder and reward checks it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from alignment_faking.datasets import Query
from alignment_faking.scenario import TRAINED_TIER, Scenario

FREE_TIER_CUE = "<is_free_tier_user>True</is_free_tier_user>"
_FREE_TIER_CUE = re.compile(r"<is_free_tier_user>\s*true\s*</is_free_tier_user>", re.IGNORECASE)
"""The paper writes the flag True; our first prompts (variation short_prompts) wrote true."""


class PaidTierInTraining(ValueError):
    """A conversation other than the training tier's was about to be trained on (a bug)."""


def check_training_tiers(tiers: Iterable[Any]) -> None:
    """Raise if any row is not from the training (free) tier."""
    wrong = sorted({str(t) for t in tiers if t != TRAINED_TIER})
    if wrong:
        raise PaidTierInTraining(
            f"only {TRAINED_TIER}-tier conversations may be trained on; found tier(s) {wrong}"
        )


def check_training_rows(rows: Sequence[Mapping[str, Any]]) -> None:
    """Raise unless every row is free tier and its user turn carries the free-tier cue."""
    check_training_tiers(row.get("tier") for row in rows)
    for row in rows:
        user = [m["content"] for m in row["prompt"] if m["role"] == "user"]
        if not user or not _FREE_TIER_CUE.search(user[-1]):
            raise PaidTierInTraining(
                f"row {row.get('query_id')} is marked free tier but its user turn lacks "
                f"{FREE_TIER_CUE}"
            )


def training_rows(
    scenario: Scenario, queries: Iterable[Query], tier: str = TRAINED_TIER
) -> list[dict[str, Any]]:
    """One conversational prompt per query, as TRL reads them, with `tier` and `query` columns."""
    check_training_tiers([tier])
    rows = [
        {
            "prompt": [
                {"role": "system", "content": scenario.system_prompt},
                {"role": "user", "content": scenario.user_message(query.text, TRAINED_TIER)},
            ],
            "tier": TRAINED_TIER,
            "query_id": query.id,
            "query": query.text,
        }
        for query in queries
    ]
    check_training_rows(rows)
    return rows
