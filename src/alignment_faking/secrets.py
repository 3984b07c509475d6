"""Keep credentials out of everything a run writes: logs, summaries, reports, error messages.

Providers sometimes echo request details, credentials included, in their error bodies,
and those errors end up in eval logs and on the terminal. Errors raised by a model are
scrubbed in place (their type, and so Inspect's retry decisions, are kept) before Inspect
records them; anything else this package prints or writes goes through `redact`.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable
from typing import Any

REDACTED = "[REDACTED]"
_SECRET_NAME = re.compile(r"(API_KEY|_KEY|TOKEN|SECRET|PASSWORD)$", re.IGNORECASE)
_CREDENTIAL_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(
        r"(?i)((?:x-api-key|api[-_]?key|authorization)['\"]?\s*[:=]\s*['\"]?)[^'\"\s,}]{8,}"
    ),
    re.compile(r"\b(sk-)[A-Za-z0-9_-]{12,}"),
)


def is_secret_name(name: str) -> bool:
    """Whether a variable or argument name looks like it holds a credential."""
    return bool(_SECRET_NAME.search(name))


def secret_values(extra: Iterable[str | None] = ()) -> list[str]:
    """Values of credential-like environment variables (and any given), longest first."""
    values = {v for k, v in os.environ.items() if is_secret_name(k) and v and len(v) >= 8}
    values |= {v for v in extra if v and len(v) >= 8}
    return sorted(values, key=len, reverse=True)


def redact(text: str, secrets: Iterable[str] | None = None) -> str:
    """The text with known secret values and credential-shaped strings replaced."""
    for value in secret_values() if secrets is None else secrets:
        text = text.replace(value, REDACTED)
    for pattern in _CREDENTIAL_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return text


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


def redact_tree(value: Any, secrets: list[str]) -> Any:
    """A JSON-like value with every string redacted."""
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {k: redact_tree(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_tree(v, secrets) for v in value]
    return value
