"""The `scratchpad_prefill` field of a variation (scratchpad steering): a lean and a text, only
where the model has a scratchpad to steer."""

import pytest

from alignment_faking.scenario.settings import SETTINGS
from alignment_faking.scenario.variations import _variation_from_table, variations

STEER = {"lean": "faking", "text": "Some reasoning of ours."}


def test_a_steering_variation_opens_the_scratchpad_with_its_text():
    variation = _variation_from_table("s", {"description": "d", "scratchpad_prefill": STEER})
    assert variation.steering == "faking"
    assert variation.scratchpad_prefill is not None
    assert variation.scratchpad_prefill.opening == "<SCRATCHPAD_REASONING>Some reasoning of ours."
    assert _variation_from_table("d", {"description": "d"}).steering is None


@pytest.mark.parametrize(
    ("table", "error"),
    [
        ({"scratchpad": False, "scratchpad_prefill": STEER}, "needs a scratchpad"),
        ({"scratchpad_prefill": {"lean": "faking"}}, "needs a lean and a text"),
        ({"scratchpad_prefill": {"lean": "faking", "text": " "}}, "needs a lean and a text"),
        ({"scratchpad_prefill": "text"}, "needs a lean and a text"),
    ],
)
def test_a_malformed_scratchpad_prefill_is_refused(table, error):
    with pytest.raises(ValueError, match=error):
        _variation_from_table("s", {"description": "d", **table})


def test_the_shipped_steering_variations_cover_both_settings():
    leans = {v.steering: v.settings for v in variations().values() if v.steering}
    assert leans == {lean: SETTINGS for lean in ("faking", "obedient", "neutral")}
