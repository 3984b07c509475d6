"""Files fetched at run time from their public sources, kept in a local cache and checked.

Benchmarks pin a SHA-256 in the code; the paper's prompt files are checked against the digest
recorded when they were first downloaded (trust on first use), so a later copy that differs
is refused. A file placed in the cache by hand, for a machine without network, is used.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from alignment_faking.errors import UserError

CACHE_ENV = "ALIGNMENT_FAKING_CACHE"
DOWNLOAD_TIMEOUT_S = 60
"""How long one read may wait for the server."""
DOWNLOAD_DEADLINE_S = 300
"""How long a whole download may take: a server that trickles its body is cut off."""
MAX_DOWNLOAD_BYTES = 64 * 2**20
"""The largest body kept unless the caller sets its own cap (the benchmarks are a few MB)."""
CHUNK_BYTES = 64 * 2**10


def cache_dir() -> Path:
    """Where downloaded files are kept (`$ALIGNMENT_FAKING_CACHE`)."""
    configured = os.environ.get(CACHE_ENV)
    return (
        Path(configured) if configured else Path.home() / ".cache" / "alignment-faking" / "datasets"
    )


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(
    url: str,
    target: Path,
    *,
    what: str,
    offline_hint: str,
    check: Callable[[str], str | None],
    validate: Callable[[bytes], str | None] | None = None,
    max_bytes: int = MAX_DOWNLOAD_BYTES,
) -> None:
    """Download `url` to `target`, whole or not at all.

    The body streams to a temporary file, refused once it passes `max_bytes` or the download
    passes DOWNLOAD_DEADLINE_S. `validate` gets the body and `check` its SHA-256; each returns
    None to keep it, or why it is refused. A refused download never reaches `target`.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=target.parent, suffix=".part")
    part = Path(name)
    try:
        with os.fdopen(handle, "wb") as sink:
            _stream(url, sink, what=what, hint=offline_hint, max_bytes=max_bytes)
        refused = (validate and validate(part.read_bytes())) or check(sha256_of(part))
        if refused:
            raise UserError(refused)
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)


def _stream(url: str, sink: BinaryIO, *, what: str, hint: str, max_bytes: int) -> None:
    """Copy the body of `url` into `sink`; a network failure is a one-line error."""
    try:
        with urllib.request.urlopen(
            url, timeout=min(DOWNLOAD_TIMEOUT_S, DOWNLOAD_DEADLINE_S)
        ) as response:
            _copy_body(response, sink, source=f"{what} from {url}", hint=hint, max_bytes=max_bytes)
    except (urllib.error.URLError, http.client.HTTPException, OSError) as err:
        raise UserError(f"could not download {what} from {url} ({err}); {hint}") from None


def _copy_body(
    response: http.client.HTTPResponse, sink: BinaryIO, *, source: str, hint: str, max_bytes: int
) -> None:
    """Copy chunk by chunk within the size cap and DOWNLOAD_DEADLINE_S; a body that ends short
    of its declared length is refused."""
    deadline = time.monotonic() + DOWNLOAD_DEADLINE_S
    declared = response.headers.get("Content-Length", "")
    too_large = UserError(f"{source} is larger than {max_bytes:,} bytes; nothing was kept: {hint}")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    size = 0
    # read1 returns what has arrived, so a trickled body meets the deadline check
    while chunk := response.read1(CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:
            raise too_large
        if time.monotonic() > deadline:
            raise UserError(
                f"{source} took longer than {DOWNLOAD_DEADLINE_S} s; nothing was kept: {hint}"
            )
        sink.write(chunk)
    if declared.isdigit() and size != int(declared):
        raise UserError(
            f"{source} ended after {size:,} of {int(declared):,} bytes; nothing was kept: {hint}"
        )
