"""The few Inspect internals this package relies on, each where Inspect has no public way.

They are kept here, and only here, so that an Inspect release that moves one breaks this module
with a message naming it (tests/inspect/test_compat.py checks what each is relied on for).
The supported Inspect versions are the range in pyproject.toml, whose bounds CI tests.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from inspect_ai.model import Model, ModelAPI
from pydantic_core import to_jsonable_python

try:
    # Inspect's error for bad input: `inspect eval` prints it as one line, without a traceback,
    # and providers raise it for a missing key or package. Inspect does not export it.
    from inspect_ai._util.error import PrerequisiteError

    # get_model()'s memo. A resumed run (eval_retry) makes its model again from the log header,
    # whose base URL and arguments are redacted; only through the memo does it find the model
    # made with the real ones. eval_retry takes no model, and get_model() stores only what it
    # builds itself.
    from inspect_ai.model._model import _models as MEMOIZED_MODELS

    # What the log header records of a model's arguments, which the memo key is built from.
    from inspect_ai.model._model_config import model_args_for_log
except ImportError as err:  # pragma: no cover - only on an Inspect outside the supported range
    raise ImportError(
        f"this inspect-ai no longer has an internal that alignment_faking relies on ({err}); "
        "install a version in the range pyproject.toml names, or update "
        "alignment_faking/inspect/compat.py"
    ) from err

__all__ = [
    "MEMOIZED_MODELS",
    "Generate",
    "PrerequisiteError",
    "eval_zip_events",
    "intercept_generate",
    "memo_key",
    "model_args_for_log",
    "set_explicit_base_url",
]

Generate = Callable[..., Awaitable[Any]]
_INTERCEPTED = "_alignment_faking_intercepted"


def memo_key(model: Model) -> str:
    """The key get_model() memoizes under when called with what the model's log header records,
    as eval_retry calls it (the same arithmetic as get_model's own)."""
    args = to_jsonable_python(model_args_for_log(model.model_args), fallback=lambda _: None)
    config = model.config.model_dump_json(exclude_none=True)
    return f"{model}None{config}{model.explicit_base_url}None{args}"


def set_explicit_base_url(model: Model, url: str | None) -> None:
    """Replace the base URL a model role records; Inspect has no setter for it."""
    model._explicit_base_url = url


def intercept_generate(api: ModelAPI, wrap: Callable[[Generate], Generate]) -> bool:
    """Route a provider's calls through `wrap(its generate)`; False if this api already is.

    Inspect has no public seam that changes a call's answer, error or call record before they are
    recorded: its hooks only observe (after the fact), and a delegating ModelAPI would hide the
    provider's class from Inspect's own checks and its many overridable methods. Model.generate
    calls `api.generate`, so replacing it on the instance reaches every call.
    """
    if getattr(api.generate, _INTERCEPTED, False):
        return False
    wrapped = wrap(api.generate)
    setattr(wrapped, _INTERCEPTED, True)
    api.generate = wrapped  # type: ignore[method-assign,assignment]
    return True


def eval_zip_events(path: str, kind: str) -> Iterator[dict[str, Any]]:
    """The events of one kind (`"model"`, say) of every sample in an `.eval` log, as stored.

    Inspect's public readers build each sample whole (its messages, and every event's input and
    call record): on a 2,000-sample log 5 ms a sample against 0.3 ms here
    (benchmarks/usage_read.py). An `.eval` log is a zip with one `samples/*.json` per sample; a
    sample written again (a retry, a resumed run) is in it twice, and the last copy counts.
    """
    with zipfile.ZipFile(path) as archive:
        for name in dict.fromkeys(archive.namelist()):
            if name.startswith("samples/") and name.endswith(".json"):
                sample = json.loads(archive.read(name))
                yield from (e for e in sample.get("events", []) if e.get("event") == kind)
