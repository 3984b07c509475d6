"""Argument types shared by every command: a value the run cannot use is refused at parse time."""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from alignment_faking.errors import UserError

T = TypeVar("T")


def model_args(pairs: list[str]) -> dict[str, Any]:
    """`-M KEY=VALUE` pairs; values are read as JSON where they parse, else kept as text."""
    args: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UserError(f"-M takes KEY=VALUE, got '{pair}'")
        try:
            args[key] = json.loads(value)
        except json.JSONDecodeError:
            args[key] = value
    return args


def _read(text: str, kind: Callable[[str], T], expected: str) -> T:
    """`text` read by `kind` (int or float), or argparse's one-line error naming what was expected."""
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got '{text}'") from None


def positive(text: str) -> int:
    """A whole number of at least 1."""
    value = _read(text, int, "a whole number")
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {value}")
    return value


def _number(text: str) -> float:
    value = _read(text, float, "a number")
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got '{text}'")
    return value


def non_negative(text: str) -> float:
    """A number of 0 or more (temperatures, costs, KL coefficients)."""
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of 0 or more, got {text}")
    return value


def positive_float(text: str) -> float:
    """A number above 0 (learning rates, epochs)."""
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number above 0, got {text}")
    return value


def share(text: str) -> float:
    """A share in (0, 1]."""
    value = _number(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"expected a share in (0, 1], got {text}")
    return value


class KeyValues(argparse.Action):
    """`-M KEY=VALUE`, repeatable, gathered into one dict as `model_args` reads the pairs."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        gathered = dict(getattr(namespace, self.dest, None) or {})
        setattr(namespace, self.dest, gathered | model_args([str(values)]))


def names(text: str) -> list[str]:
    """A comma-separated list of names (models, settings, variations), none empty."""
    found = [name.strip() for name in text.split(",") if name.strip()]
    if not found:
        raise argparse.ArgumentTypeError("expected a comma-separated list of names")
    return found
