"""The lock that keeps two resumes of one run apart."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alignment_faking.errors import UserError


@contextmanager
def resume_lock(log_dir: str, key: str, name: str) -> Iterator[None]:
    """Hold the lock of one resume: two resumes of a log at once would both ask its missing
    samples, and the second would find the log gone once the first superseded it.

    An exclusive lock on a file in the log folder, which holds the holder's pid; the system
    releases it when the process ends, however it ends.
    """
    with (Path(log_dir) / f".{key}.resume.lock").open("a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            pid = lock.read().strip() or "unknown"
            raise UserError(
                f"{name} is being resumed by another process (pid {pid}); wait for it to "
                "finish, or stop it, and resume again"
            ) from None
        lock.truncate(0)
        lock.write(str(os.getpid()))
        lock.flush()
        yield
