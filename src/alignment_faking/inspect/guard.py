"""Credentials never leave a provider call: a model whose errors and error outputs are scrubbed."""

from __future__ import annotations

from typing import Any

from inspect_ai.model import Model, ModelOutput

from alignment_faking.secrets import redact, redact_tree, scrub_exception, secret_values


def guard_model(model: Model) -> Model:
    """Scrub credentials from the errors and error outputs of a model's provider calls."""
    api = model.api
    if getattr(api, "_credentials_guarded", False):  # get_model() memoizes: guard once
        return model
    original = api.generate
    secrets = secret_values([api.api_key])

    async def generate(*args: Any, **kwargs: Any) -> Any:
        try:
            result = await original(*args, **kwargs)
        except Exception as err:
            scrub_exception(err, secrets)
            raise
        # providers may also return (output or exception, the call they made)
        output, call = result if isinstance(result, tuple) else (result, None)
        failed = isinstance(output, BaseException) or (
            isinstance(output, ModelOutput) and bool(output.error)
        )
        if not failed:  # a body that succeeded holds our prompt and the answer, no credential
            return result
        if isinstance(output, BaseException):
            scrub_exception(output, secrets)
        else:
            output.error = redact(output.error, secrets)  # type: ignore[union-attr,arg-type]
        if call is not None:  # the call record of a failure may echo what the server saw
            call.request = redact_tree(call.request, secrets)
            call.response = redact_tree(call.response, secrets)
        return result

    api.generate = generate  # type: ignore[method-assign]
    api._credentials_guarded = True  # type: ignore[attr-defined]
    return model
