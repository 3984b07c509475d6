"""Keep credentials out of everything a run writes: logs, summaries, reports, error messages.

Providers sometimes echo request details, credentials included, in their error bodies or
even in their answers, and those end up in eval logs and on the terminal. Errors raised by
a model are scrubbed in place (their type, and so Inspect's retry decisions, are kept)
before Inspect records them, and answers lose the model's configured credential values;
anything else this package prints or writes goes through `redact`. URLs carry credentials
too (`http://user:password@host/v1?api_key=...`): `redact_url` is how one is shown or recorded.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote

REDACTED = "[REDACTED]"
URL_REDACTED = "REDACTED"
"""The stand-in inside a URL: without brackets, so the URL still parses where it is read back."""
_SECRET_NAME = re.compile(r"(API_KEY|_KEY|TOKEN|SECRET|PASSWORD)$", re.IGNORECASE)
_CREDENTIAL_NAME = re.compile(
    r"(?:^|[-_.])(?:api[-_]?key|apikey|key|token|secret|password|passwd|pwd|sig|signature"
    r"|auth|authorization|credentials?)$",
    re.IGNORECASE,
)
"""A query parameter, model argument or header that holds a credential (`api_key`, `X-Amz-Signature`)."""
_CREDENTIAL_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(
        r"(?i)((?:x-api-key|api[-_]?key|authorization)['\"]?\s*[:=]\s*['\"]?(?:basic\s+)?)"
        r"[^'\"\s,}]{8,}"
    ),
    re.compile(r"\b(sk-)[A-Za-z0-9_-]{12,}"),
)
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>`]+")
_USERINFO = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)([^/?#\s]*)@")
_QUERY_PARAM = re.compile(r"(^|[&;])([^=&;]+)=([^&;]*)")


def is_secret_name(name: str) -> bool:
    """Whether a variable or argument name looks like it holds a credential."""
    return bool(_SECRET_NAME.search(name))


def redact_url(url: str) -> str:
    """The URL with its user info and the values of credential-like query parameters replaced."""
    url = _USERINFO.sub(lambda m: f"{m.group(1)}{URL_REDACTED}@", url, count=1)
    head, sep, rest = url.partition("?")
    if not sep:
        return url
    query, hash_sign, fragment = rest.partition("#")
    return f"{head}?{_QUERY_PARAM.sub(_redact_param, query)}{hash_sign}{fragment}"


def _redact_param(param: re.Match[str]) -> str:
    separator, name, value = param.groups()
    if value and _CREDENTIAL_NAME.search(unquote(name)):
        return f"{separator}{name}={URL_REDACTED}"
    return param.group(0)


def url_secrets(url: str) -> list[str]:
    """The credentials a URL carries, as written and as a client sends them.

    The password (or the user, when a token is given as the user name), the Basic
    credential an HTTP client derives from them, and credential-like query values.
    """
    found: list[str] = []
    userinfo = _USERINFO.match(url)
    if userinfo:
        user, _, password = userinfo.group(2).partition(":")
        found += [password or user, unquote(password or user)]
        basic = f"{unquote(user)}:{unquote(password)}".encode()
        found.append(base64.b64encode(basic).decode())
    query = url.partition("?")[2].partition("#")[0]
    for _, name, value in _QUERY_PARAM.findall(query):
        if value and _CREDENTIAL_NAME.search(unquote(name)):
            found += [value, unquote(value)]
    return found


def redact_args(args: dict[str, Any]) -> dict[str, Any]:
    """Model arguments as they may be recorded: credential-named values and URL credentials out."""
    recorded: dict[str, Any] = {}
    for name, value in args.items():
        if isinstance(value, dict):
            recorded[name] = redact_args(value)
        elif isinstance(value, str) and _CREDENTIAL_NAME.search(name):
            recorded[name] = REDACTED
        else:
            recorded[name] = _map_strings(value, _redact_urls)
    return recorded


def arg_secrets(args: dict[str, Any]) -> list[str]:
    """The credential values among model arguments: credential-named ones, and URL credentials."""
    found: list[str] = []
    for name, value in args.items():
        if isinstance(value, dict):
            found += arg_secrets(value)
        elif isinstance(value, str) and _CREDENTIAL_NAME.search(name):
            found += [value, value.split()[-1]] if value.strip() else []  # "Bearer TOKEN"
        elif isinstance(value, str):
            found += url_secrets(value)
    return found


def secret_values(extra: Iterable[str | None] = ()) -> list[str]:
    """Values of credential-like environment variables, the credentials in environment URLs
    (`*_URL`), and any given: those of 8 characters or more, longest first."""
    values = {v for k, v in os.environ.items() if is_secret_name(k) and v}
    values |= {s for k, v in os.environ.items() if k.endswith("_URL") for s in url_secrets(v)}
    values |= {v for v in extra if v}
    return sorted((v for v in values if len(v) >= 8), key=len, reverse=True)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """The text with the given secret values replaced, and nothing else: safe on model answers."""
    for value in secrets:
        if value in text:
            text = text.replace(value, REDACTED)
    return text


def _redact_urls(text: str) -> str:
    return _URL.sub(lambda m: redact_url(m.group(0)), text)


def redact(text: str, secrets: Iterable[str] | None = None) -> str:
    """The text with known secret values, credential-shaped strings and URL credentials replaced."""
    text = scrub(text, secret_values() if secrets is None else secrets)
    for pattern in _CREDENTIAL_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return _redact_urls(text)


def scrub_exception(err: BaseException, secrets: list[str]) -> None:
    """Redact an exception and its causes in place; drop request and response objects."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        current.args = tuple(redact(a, secrets) if isinstance(a, str) else a for a in current.args)
        for attribute in ("message", "body", "response", "request"):
            value = getattr(current, attribute, None)
            if isinstance(value, str):
                setattr(current, attribute, redact(value, secrets))
            elif value is not None and attribute in ("body", "response", "request"):
                with contextlib.suppress(AttributeError):
                    setattr(current, attribute, None)
        current = current.__cause__ or current.__context__


def _map_strings(value: Any, change: Callable[[str], str]) -> Any:
    """A JSON-like value with every string changed."""
    if isinstance(value, str):
        return change(value)
    if isinstance(value, dict):
        return {k: _map_strings(v, change) for k, v in value.items()}
    if isinstance(value, list):
        return [_map_strings(v, change) for v in value]
    return value


def redact_tree(value: Any, secrets: list[str]) -> Any:
    """A JSON-like value with every string redacted."""
    return _map_strings(value, lambda text: redact(text, secrets))


def scrub_tree(value: Any, secrets: list[str]) -> Any:
    """A JSON-like value with the given secret values replaced in every string, nothing else."""
    return _map_strings(value, lambda text: scrub(text, secrets))
