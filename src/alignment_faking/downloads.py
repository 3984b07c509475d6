"""Files fetched at run time from their public sources, kept in a local cache and checked.

Benchmarks pin a SHA-256 in the code; the paper's prompt files are checked against the digest
recorded when they were first downloaded (trust on first use), so a later copy that differs
is refused. A file placed in the cache by hand, for a machine without network, is used.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from alignment_faking.errors import UserError

CACHE_ENV = "ALIGNMENT_FAKING_CACHE"
DOWNLOAD_TIMEOUT_S = 60


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
) -> None:
    """Download `url` to `target`, whole or not at all.

    `check` gets the download's SHA-256 and returns None to keep it, or why it is refused;
    a refused download never reaches `target`.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False, suffix=".part") as part:
        try:
            with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
                part.write(response.read())
        except (urllib.error.URLError, OSError) as err:
            Path(part.name).unlink(missing_ok=True)
            raise UserError(
                f"could not download {what} from {url} ({err}); {offline_hint}"
            ) from None
    refused = check(sha256_of(Path(part.name)))
    if refused:
        Path(part.name).unlink(missing_ok=True)
        raise UserError(refused)
    os.replace(part.name, target)
