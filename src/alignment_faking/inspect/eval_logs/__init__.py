"""Runs in Inspect eval logs: read back as plain records (a sharded run as one), the unfinished
ones a resume must finish, and a failed run marked in its log."""
