"""Getting a model: what a resumed run rebuilds from a redacted log header is the model made
with the real credentials."""

from __future__ import annotations

from inspect_ai.model import get_model

from alignment_faking.inspect.compat import model_args_for_log
from alignment_faking.inspect.models import resolve_model

PASSWORD = "hunter2-very-secret"


def test_the_model_rebuilt_from_its_redacted_header_is_the_one_made_with_the_real_url():
    url = f"http://user:{PASSWORD}@127.0.0.1:1/v1"
    model = resolve_model("scripted/echo", {"base_url": url, "respond": lambda messages: "hi"})
    recorded = model.explicit_base_url
    assert recorded is not None and PASSWORD not in recorded and "127.0.0.1:1" in recorded
    # what eval_retry does with the log header: the name, config, base URL and arguments recorded
    rebuilt = get_model(
        str(model),
        config=model.config,
        base_url=recorded,
        **model_args_for_log(model.model_args),
    )
    assert rebuilt is model
