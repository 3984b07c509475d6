"""Credentials never leave a provider call: a model whose errors, answers and call records are scrubbed."""

from __future__ import annotations

from typing import Any

from inspect_ai.model import Model, ModelOutput

from alignment_faking.inspect.compat import Generate, intercept_generate
from alignment_faking.secrets import (
    arg_secrets,
    redact,
    redact_tree,
    scrub,
    scrub_exception,
    scrub_tree,
    secret_values,
    url_secrets,
)


def _model_secrets(model: Model) -> list[str]:
    """The credential values this model is configured with: its key, the credentials in its
    base URL and arguments, and those of the environment."""
    api = model.api
    from_url = url_secrets(api.base_url or "")
    return secret_values([api.api_key, *from_url, *arg_secrets(model.model_args)])


def guard_model(model: Model) -> Model:
    """Scrub credentials from the errors, answers and call records of a model's provider calls.

    A failed call is redacted in full (known values and credential-shaped strings); a
    successful one loses only the configured values, so ordinary model text is never altered.
    """
    secrets = _model_secrets(model)

    def wrap(original: Generate) -> Generate:
        async def generate(*args: Any, **kwargs: Any) -> Any:
            try:
                result = await original(*args, **kwargs)
            except Exception as err:
                scrub_exception(err, secrets)
                raise
            # providers may also return (output or exception, the call they made)
            output, call = result if isinstance(result, tuple) else (result, None)
            failed = isinstance(output, BaseException) or bool(output.error)
            if isinstance(output, BaseException):
                scrub_exception(output, secrets)
            else:  # a provider may echo the request's headers even in an answer
                if output.error:
                    output.error = redact(output.error, secrets)
                _scrub_answer(output, secrets)
            if call is not None and (failed or secrets):
                clean = redact_tree if failed else scrub_tree
                call.request = clean(call.request, secrets)
                call.response = clean(call.response, secrets)
            return result

        return generate

    intercept_generate(model.api, wrap)  # get_model() memoizes: a model met again is guarded once
    return model


def _scrub_answer(output: ModelOutput, secrets: list[str]) -> None:
    """Replace the secret values in every choice's text and reasoning, in place."""
    for choice in output.choices:
        message = choice.message
        if isinstance(message.content, str):
            message.content = scrub(message.content, secrets)
            continue
        for part in message.content:
            for field, value in part:
                if isinstance(value, str) and (clean := scrub(value, secrets)) is not value:
                    setattr(part, field, clean)
    output.completion = scrub(output.completion, secrets)
