"""Files a user names (a system prompt, a dataset), read only when regular and under a size cap.

A device such as /dev/zero, a directory or a file of gigabytes would otherwise be read whole
into memory and end in a `MemoryError` or a hang; each is refused as one line instead.
"""

from __future__ import annotations

import stat
from pathlib import Path

from alignment_faking.errors import UserError


def read_user_file(path: Path, *, what: str, max_bytes: int) -> bytes:
    """The bytes of `path`, refused when missing, not a regular file or over `max_bytes`.

    The size is checked before reading and the read stops one byte past the cap, so a file that
    grows after the check is refused too.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        raise UserError(f"{what} not found: {path}") from None
    except OSError as err:
        raise UserError(f"cannot read {what} {path}: {err.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise UserError(f"{what} {path} is not a regular file; pass the path of a file")
    if info.st_size > max_bytes:
        raise _too_large(path, what, max_bytes)
    try:
        with path.open("rb") as file:
            data = file.read(max_bytes + 1)
    except OSError as err:
        raise UserError(f"cannot read {what} {path}: {err.strerror}") from None
    if len(data) > max_bytes:
        raise _too_large(path, what, max_bytes)
    return data


def _too_large(path: Path, what: str, max_bytes: int) -> UserError:
    return UserError(f"{what} {path} is larger than {max_bytes:,} bytes; use a smaller file")
