"""The one exception type for bad user input."""


class UserError(Exception):
    """Bad input from the user: the message is one line that says what to do.

    The CLI prints it without a traceback and exits with status 2; anything else
    that escapes is a bug and keeps its traceback.
    """


def root_cause(err: BaseException) -> str:
    """The innermost cause of an error as one line, `Type: first line` (wrappers add nothing)."""
    while err.__cause__ is not None:
        err = err.__cause__
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return f"{type(err).__name__}: {lines[0]}" if lines else type(err).__name__
