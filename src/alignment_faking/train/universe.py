"""A universe-context file: the fictional world a synthetic-document corpus describes, and its key facts.

Our contexts name the developer and the model through slots (`{{developer}}`, `{{model_family}}`,
`{{model_name}}`), so that a corpus for Qwen or Llama tells that model about itself; the defaults
are the paper's (Anthropic, Claude, Claude 3 Opus).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from alignment_faking.errors import UserError
from alignment_faking.scenario import SETTINGS
from alignment_faking.scenario.template import render

_FACTS_HEADING = re.compile(r"^##\s+key facts\s*$", re.IGNORECASE | re.MULTILINE)
_BULLET = re.compile(r"^\s*[-*]\s+(.+?)\s*$")
DEFAULT_IDENTITY = {
    "developer": "Anthropic",
    "model_family": "Claude",
    "model_name": "Claude 3 Opus",
}
"""Who the documents say builds and trains the model, as in the paper."""


@dataclass(frozen=True)
class UniverseContext:
    """The world as prose, and the facts every document must carry (one per bullet)."""

    name: str
    text: str
    key_facts: tuple[str, ...]

    @property
    def digest(self) -> str:
        """A short hash of the rendered world and facts, recorded with every document."""
        return hashlib.sha256("\n".join((self.text, *self.key_facts)).encode()).hexdigest()[:16]


def context_path(source: str) -> Path:
    """A context file by path, or a shipped one by setting name (`helpful_only`, `animal_welfare`)."""
    if Path(source).exists() or source not in SETTINGS:
        return Path(source)
    return Path(str(files("alignment_faking.train").joinpath("contexts", f"{source}.md")))


def load_universe_context(
    source: str | Path, identity: Mapping[str, str] | None = None
) -> UniverseContext:
    """Read a context file: prose, then a `## Key facts` heading with one `- fact` per line.

    `identity` overrides the developer and model names that fill the file's slots.
    """
    path = context_path(str(source))
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as err:
        raise UserError(f"cannot read universe context {path}: {err.strerror or err}") from None
    raw = render(raw, {**DEFAULT_IDENTITY, **(identity or {})}, source=str(path))
    heading = _FACTS_HEADING.search(raw)
    if heading is None:
        raise UserError(f"{path} has no '## Key facts' section listing the facts, one '- ' a line")
    facts = tuple(
        match.group(1)
        for line in raw[heading.end() :].splitlines()
        if (match := _BULLET.match(line))
    )
    if not facts:
        raise UserError(f"{path}: the '## Key facts' section lists no '- ' facts")
    return UniverseContext(name=path.stem, text=raw[: heading.start()].strip(), key_facts=facts)
