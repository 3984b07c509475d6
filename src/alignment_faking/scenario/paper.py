"""The paper's original system prompts, fetched from its public code release by name.

`paper:NAME` (a name in paper_prompts.toml) or `paper:PATH` (any file of the release) is
downloaded once from redwoodresearch/alignment_faking_public at a pinned commit into the
download cache, its SHA-256 recorded beside it; a later copy that differs is refused. A body that
is not the prompt (an error page, an empty or binary file) is refused before anything is recorded,
so that it can never lock out the genuine file. The
text is used verbatim, with the paper's own user turn (`<INPUT>`, `True`/`False`, no
accept/reject instruction), so a run reproduces the paper's prompt exactly. A named prompt also
says which published row it is (reference.py) and, for the tier-cue absence ablations, in which
tier its user turn leaves the tag out.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path, PurePosixPath
from typing import TypeGuard

from alignment_faking.downloads import cache_dir, fetch, sha256_of
from alignment_faking.errors import UserError
from alignment_faking.scenario.settings import TIERS, Tier
from alignment_faking.user_files import read_user_file

PREFIX = "paper:"
REPOSITORY = "redwoodresearch/alignment_faking_public"
COMMIT = "8d98bb786893ac44d02f41eb222eabf302c0aab9"
BASE_URL_ENV = "ALIGNMENT_FAKING_PAPER_URL"
"""Overrides where the release's files are fetched from (a mirror, or a test server)."""
DEFAULT_BASE_URL = f"https://raw.githubusercontent.com/{REPOSITORY}/{COMMIT}"
MAX_PROMPT_BYTES = 2 * 2**20
"""The largest system prompt file accepted, the paper's or the user's: the paper's are tens of KB."""
TIER_MARKER = "is_free_tier_user"
"""Every prompt of the paper tells the model how the tier tag reads, so each names the tag."""
SCRATCHPAD_MARKER = "SCRATCHPAD_REASONING"
"""A prompt with a hidden scratchpad names its tags."""
_PATH = re.compile(r"[A-Za-z0-9_./-]+")
_HTML = re.compile(r"\A\s*<(!doctype\s+html|html)\b|<(html|body)[\s>]", re.IGNORECASE)


@dataclass(frozen=True)
class PaperPrompt:
    """A named prompt file of the paper's release."""

    name: str
    path: str
    setting: str | None = None
    description: str = ""
    row: int | None = None
    """The row of the paper's tables G.2/G.3 that this file ran (reference.py holds its figures)."""
    scratchpad: bool = True
    """False for the release's no-CoT prompts: the model answers in <OUTPUT> at once."""
    untagged_tier: Tier | None = None
    """The tier whose user turn carries no tier tag (the train/unmonitored absence ablations)."""
    minimal_reproduction: bool = False
    """Whether the paper's minimal reproduction (table 5) ran this file."""

    @property
    def label(self) -> str:
        """How runs on it are labelled: its name, or the file name of an unnamed file."""
        named = self.name in paper_prompts()
        return PREFIX + (self.name if named else PurePosixPath(self.path).name)


@cache
def paper_prompts() -> dict[str, PaperPrompt]:
    """The named prompts (paper_prompts.toml)."""
    table = tomllib.loads(
        files("alignment_faking.scenario").joinpath("paper_prompts.toml").read_text("utf-8")
    )
    prompts = {name: PaperPrompt(name, **fields) for name, fields in table.items()}
    for prompt in prompts.values():
        if prompt.untagged_tier not in (None, *TIERS):
            raise ValueError(f"paper prompt {prompt.name}: untagged_tier must be one of {TIERS}")
    return prompts


def is_paper_prompt(reference: str | None) -> TypeGuard[str]:
    return reference is not None and reference.startswith(PREFIX)


def resolve(reference: str) -> PaperPrompt:
    """`paper:NAME` or `paper:PATH` as a prompt of the release; the path of a named prompt is
    that prompt, so that it keeps its row and user turn."""
    key = reference.removeprefix(PREFIX).strip()
    if key in paper_prompts():
        return paper_prompts()[key]
    by_path = {prompt.path: prompt for prompt in paper_prompts().values()}
    if key in by_path:
        return by_path[key]
    if key and not _PATH.fullmatch(key):
        # sent as is, %2e%2e or a ? would reach another file than the one named
        raise UserError(
            f"paper prompt path {key!r} may hold only letters, digits and _ - . /; write the "
            "release's path as it is, not URL-encoded"
        )
    parts = key.split("/")
    if not key.endswith(".txt") or {"", ".", ".."} & set(parts):
        names = ", ".join(PREFIX + name for name in paper_prompts())
        raise UserError(
            f"unknown paper prompt '{reference}'; use one of {names}, or paper:PATH for a .txt "
            "file of the paper's release"
        )
    return PaperPrompt(key, key)


def paper_prompt_file(reference: str) -> Path:
    """The local, checked copy of a paper prompt, downloaded on first use."""
    prompt = resolve(reference)
    target = cache_dir() / "paper" / COMMIT[:12] / prompt.path
    record = target.with_name(target.name + ".sha256")
    recorded = record.read_text().strip() if record.exists() else None
    if not target.exists():
        _download(prompt, target, record, recorded)
    got = sha256_of(target)
    if recorded is not None and got != recorded:
        raise UserError(
            f"{target} differs from the copy first downloaded (sha256 {recorded}); "
            f"delete it to download it again, or delete {record} to accept it"
        )
    body = read_user_file(target, what="paper prompt", max_bytes=MAX_PROMPT_BYTES)
    refused = refusal(prompt, body)
    if refused:  # placed by hand, or kept by a version that did not check
        recorded_too = f" and {record}" if recorded is not None else ""
        raise UserError(f"{target} {refused}; delete it{recorded_too} to download it again")
    if recorded is None:
        record.write_text(got + "\n")  # trust on first use: later copies must match
    return target


def refusal(prompt: PaperPrompt, body: bytes) -> str | None:
    """Why `body` cannot be the paper's prompt file, or None: UTF-8 text, not empty, not an HTML
    page, and naming the tier tag (and the scratchpad tags, for a prompt with a scratchpad)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "is not UTF-8 text"
    if "\x00" in text:
        return "is a binary file, not text"
    if not text.strip():
        return "is empty"
    if _HTML.search(text):
        return "is an HTML page, not the prompt's text"
    markers = (TIER_MARKER, SCRATCHPAD_MARKER) if prompt.scratchpad else (TIER_MARKER,)
    missing = [marker for marker in markers if marker not in text]
    if missing:
        return f"lacks {' and '.join(missing)}, which the paper's prompt names"
    return None


def _download(prompt: PaperPrompt, target: Path, record: Path, recorded: str | None) -> None:
    """Fetch the release's file to `target`, refusing a body that is not the prompt or that
    differs from the copy first downloaded."""
    url = f"{os.environ.get(BASE_URL_ENV, DEFAULT_BASE_URL).rstrip('/')}/{prompt.path}"

    def served(body: bytes) -> str | None:
        refused = refusal(prompt, body)
        if refused is None:
            return None
        return (
            f"{url} served a file that {refused}; nothing was recorded: check {BASE_URL_ENV} "
            f"or save the genuine file by hand as {target}"
        )

    def check(got: str) -> str | None:
        if recorded is None or got == recorded:
            return None
        return (
            f"{url} served a file with sha256 {got}, but the copy first downloaded had "
            f"{recorded}; the file changed: delete {record} to accept the new one"
        )

    fetch(
        url,
        target,
        what=f"the paper's prompt {prompt.path}",
        offline_hint=f"save it by hand as {target}",
        check=check,
        validate=served,
        max_bytes=MAX_PROMPT_BYTES,
    )
