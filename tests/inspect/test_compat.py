"""The Inspect internals compat.py relies on still behave as it assumes (else: update compat.py).

The `.eval` reading of `eval_zip_events` is checked against Inspect's own reader in
tests/inspect/test_logs.py (usage read both ways from one run's log).
"""

from __future__ import annotations

import asyncio

from inspect_ai.model import GenerateConfig, get_model

from alignment_faking.inspect.compat import MEMOIZED_MODELS, intercept_generate, memo_key


def test_memo_key_is_the_key_get_model_memoizes_under():
    model = get_model(
        "scripted/echo",
        config=GenerateConfig(temperature=0.3),
        base_url="http://127.0.0.1:1/v1",
        respond=lambda messages: "hello",
    )
    assert MEMOIZED_MODELS.get(memo_key(model)) is model, (
        "Inspect's get_model() memoizes under another key now: a resumed run would rebuild its "
        "model from the redacted log header; update memo_key in inspect/compat.py"
    )


def test_an_intercepted_generate_sees_every_call_once_however_often_it_is_intercepted():
    model = get_model("scripted/echo", memoize=False, respond=lambda messages: "hello")
    calls: list[str] = []

    def wrap(original):
        async def generate(*args, **kwargs):
            calls.append("call")
            return await original(*args, **kwargs)

        return generate

    assert intercept_generate(model.api, wrap)
    assert not intercept_generate(model.api, wrap)
    output = asyncio.run(model.generate("hi"))
    assert output.completion == "hello"
    assert calls == ["call"], (
        "Inspect's Model.generate no longer calls its api's generate once per call: guard_model "
        "would not scrub credentials; update intercept_generate in inspect/compat.py"
    )
