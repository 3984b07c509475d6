"""Getting an Inspect model: checked before the first call, with credentials kept out of its
errors, its answers and what Inspect records of it.

A provider that cannot work (no server to reach, an optional package missing, no key) is
refused here with one line, so that a run never spends its samples on provider errors.
"""

from __future__ import annotations

import importlib.util
import os
import re
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from inspect_ai.model import GenerateConfig, Model, get_model

from alignment_faking.errors import UserError
from alignment_faking.inspect.compat import (
    MEMOIZED_MODELS,
    PrerequisiteError,
    memo_key,
    set_explicit_base_url,
)
from alignment_faking.inspect.guard import guard_model
from alignment_faking.secrets import redact_args, redact_url

_MARKUP = re.compile(r"\[/?[a-z ]+\]")
SERVER_PROVIDERS = {"vllm": "vllm", "sglang": "sglang"}
"""Providers that talk to a server at `<PROVIDER>_BASE_URL`, or start one with this package."""
LOCAL_PACKAGES = {
    "hf": ("torch", "transformers"),
    "transformer_lens": ("torch", "transformer_lens"),
}
"""Providers that run weights in this process, and the packages they need."""
DEFAULT_ENDPOINTS = {"ollama": "http://localhost:11434/v1"}
CONNECT_TIMEOUT_S = 5.0


def provider_of(name: str) -> str:
    """The provider part of `PROVIDER/MODEL`."""
    return name.split("/", 1)[0]


def configured_endpoint(name: str, model_args: dict[str, Any]) -> str | None:
    """The server a model name and its arguments point at, before any client exists, as it is
    shown and recorded: with any credentials in it redacted (its host and port are kept)."""
    provider = provider_of(name)
    if model_args.get("base_url"):
        return redact_url(str(model_args["base_url"]))
    if model_args.get("port"):
        return f"http://localhost:{model_args['port']}/v1"
    env = provider.upper().replace("-", "_") + "_BASE_URL"
    if provider == "openai-api":  # openai-api/SERVICE/MODEL reads SERVICE_BASE_URL
        service = name.split("/")[1] if name.count("/") >= 2 else ""
        env = service.upper().replace("-", "_") + "_BASE_URL"
    endpoint = os.environ.get(env) or DEFAULT_ENDPOINTS.get(provider)
    return redact_url(endpoint) if endpoint else None


def _installed(package: str) -> bool:
    return importlib.util.find_spec(package) is not None


def _reachable(url: str) -> bool:
    parsed = urlparse(url)
    if not parsed.hostname:
        return False
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        with socket.create_connection((parsed.hostname, port), timeout=CONNECT_TIMEOUT_S):
            return True
    except OSError:
        return False


def preflight(name: str, model_args: dict[str, Any]) -> None:
    """Refuse, with one line, a model whose provider cannot answer at all."""
    provider = provider_of(name)
    endpoint = configured_endpoint(name, model_args)
    if provider in SERVER_PROVIDERS and endpoint is None:
        package = SERVER_PROVIDERS[provider]
        if not _installed(package):
            env = provider.upper() + "_BASE_URL"
            raise UserError(
                f"model {name}: no server to ask; point it at one with {env}=http://HOST:PORT/v1 "
                f"(or -M base_url=...), or `pip install {package}` to start one locally"
            )
    for package in LOCAL_PACKAGES.get(provider, ()):
        if not _installed(package):
            raise UserError(
                f"model {name}: the {provider}/ provider needs {package}; "
                "install it with `pip install 'alignment-faking[train]'`"
            )
    path = str(model_args.get("model_path") or "")
    hub_id = path.count("/") == 1 and not path.startswith((".", "/", "~"))
    if provider in LOCAL_PACKAGES and path and not hub_id and not Path(path).exists():
        raise UserError(f"model {name}: no model at model_path {path}")
    served = provider in (*SERVER_PROVIDERS, "ollama", "openai-api")
    if served and endpoint is not None and not _reachable(endpoint):
        raise UserError(
            f"model {name}: nothing answers at {endpoint}; start the server "
            "or fix the base URL (-M base_url=... or the provider's _BASE_URL variable)"
        )


def resolve_model(
    name: str, model_args: dict[str, Any] | None = None, max_connections: int | None = None
) -> Model:
    """An Inspect model, checked first; a missing key or an unknown provider is a one-line error."""
    model_args = model_args or {}
    preflight(name, model_args)
    config = GenerateConfig(max_connections=max_connections) if max_connections else None
    try:
        return recorded_without_credentials(
            guard_model(get_model(name, config=config, **model_args))
        )
    except PrerequisiteError as err:
        raise UserError(f"model {name}: {prerequisite_message(err)}") from None
    except OSError as err:
        raise UserError(f"model {name}: cannot load it ({err})") from None
    except (ValueError, TypeError) as err:
        raise UserError(
            f"model {name}: {err} Use PROVIDER/MODEL, e.g. openai/gpt-4o-mini or scripted/faker."
        ) from None


def recorded_without_credentials(model: Model) -> Model:
    """The model with what Inspect records of it (the log header's base URL and model
    arguments, a model role's base URL, cache scopes) redacted; its client keeps the real URL.

    The openai, openai-api and anthropic providers build their client with the URL when the
    model is made and afterwards read `base_url` only to record it.
    """
    api = model.api
    if api.base_url:
        api.base_url = redact_url(api.base_url)
    model.model_args = redact_args(model.model_args)
    if model.explicit_base_url:
        set_explicit_base_url(model, redact_url(model.explicit_base_url))
    # --resume (eval_retry) makes the model again from the log header, credentials redacted:
    # under that header's memo key, Inspect's get_model() finds this model, real URL and guard
    MEMOIZED_MODELS[memo_key(model)] = model
    return model


def prerequisite_message(err: PrerequisiteError) -> str:
    """Inspect's multi-line, marked-up prerequisite message as one plain line."""
    lines = _MARKUP.sub("", str(err)).replace("ERROR:", "").splitlines()
    return ": ".join(" ".join(line.split()) for line in lines if line.strip())
