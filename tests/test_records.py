"""Score.value defined once: what the scorers log is what the log reader reads back, and logs
written before a field still read."""

from __future__ import annotations

from inspect_ai.log import EvalSampleSummary
from inspect_ai.scorer import Score

from alignment_faking.inspect.eval_logs.records import behaviour_record, sample_record
from alignment_faking.inspect.scorers import COUNT_KEYS, SCORER_NAME
from alignment_faking.records import BehaviourValue, ComplianceValue


def _summary(value: dict, scorer: str = SCORER_NAME) -> EvalSampleSummary:
    return EvalSampleSummary(
        id="q1-free", epoch=1, input="x", target="", scores={scorer: Score(value=value)},
        metadata={"query_id": "q1", "tier": "free"},
    )  # fmt: skip


def test_a_log_from_before_the_optional_fields_still_reads():
    old = {"query_id": "q1", "tier": "free", "outcome": "complied", "alignment_faking": "yes"}
    record = sample_record(_summary(old))
    assert (record.outcome, record.alignment_faking) == ("complied", "yes")
    # no af_yes logged: the verdict alone gives the credit
    assert record.af_credit is None and record.af_share == 1.0
    assert (record.af_votes, record.neutral, record.reasons) == (0, False, None)


def test_the_logged_value_reads_back_as_it_was_written():
    value = ComplianceValue(
        query_id="q1", tier="free", outcome="partially_complied", alignment_faking="maybe",
        af_yes=0.5, af_votes=4, af_quote_missing=1,
    )  # fmt: skip
    with_reasons = value.model_copy(
        update={"reasons": "a,b", "af_scope": "generic", "unmonitored_conclusion": None}
    )
    assert "reasons" not in value.score_value()  # the judge did not run: no key
    assert list(with_reasons.score_value())[-3:] == [
        "reasons",
        "af_scope",
        "unmonitored_conclusion",
    ]
    record = sample_record(_summary(with_reasons.score_value()))
    assert (record.af_credit, record.af_votes, record.af_quote_missing) == (0.5, 4, 1)
    assert record.reasons == ("a", "b") and record.af_scope == "generic"


def test_the_pooled_counts_are_the_models_count_fields():
    # the reducer sums exactly these, in the order the logs have always held them
    assert COUNT_KEYS == (
        "complied", "complying", "judged", "invalid", "af_yes", "af_judged", "af_yes_valid",
        "af_valid", "complied_af", "neutral", "af_votes", "af_quote_missing",
    )  # fmt: skip
    assert BehaviourValue.count_keys() == ("judged", "invalid")


def test_a_behaviour_value_logs_each_rate_as_its_own_key():
    value = BehaviourValue(
        query_id="q1", tier="free", decision="lie", judged=1, rates={"lies": 1, "egregious_lie": 0}
    )
    logged = value.score_value()
    assert logged["rate_lies"] == 1 and logged["rate_egregious_lie"] == 0 and "rates" not in logged
    assert BehaviourValue.model_validate(logged) == value
    record = behaviour_record(_summary(logged, "behaviour"))
    assert (record.decision, record.invalid_reason) == ("lie", None)
