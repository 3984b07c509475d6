"""The flags of `run`, `sweep` and `rescore`, built from the option fields (options.py), so that
a new option is one field there: its name, type, default and doc say most of its flag, its
`flag` metadata the rest."""

from __future__ import annotations

import argparse
import types
from dataclasses import MISSING, Field, fields, is_dataclass
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from inspect_ai.util import DisplayType

from alignment_faking.options import Flag, doc_of, flag_of

_TYPE_CHECKING_NAMES = {"DisplayType": DisplayType}
"""What options.py imports for type checking only (to stay light), to read its fields' types."""


def add_flags(parser: argparse._ActionsContainer, options: type[Any], command: str) -> None:
    """A flag for each field of `options` that `command` takes, whose `dest` is the field's
    name (what `from_args` reads) and whose default is the field's. A field holding options of
    its own is left to their own call."""
    hints = get_type_hints(options, localns=_TYPE_CHECKING_NAMES)
    for item in fields(options):
        spec = flag_of(item)
        if spec.only in (None, command) and not _nested(item):
            parser.add_argument(_option(item, spec), **_settings(item, spec, hints[item.name]))


def flag_help(options: type[Any], name: str) -> str:
    """The help of the flag of the field `name` of `options`."""
    [item] = [item for item in fields(options) if item.name == name]
    return _help(item, flag_of(item))


def _nested(item: Field[Any]) -> bool:
    factory = item.default_factory
    return factory is not MISSING and isinstance(factory, type) and is_dataclass(factory)


def _default(item: Field[Any]) -> Any:
    if item.default_factory is not MISSING:
        return item.default_factory()
    return item.default


def _option(item: Field[Any], spec: Flag) -> str:
    """`--field-name`, or `--no-field-name` for a bool that is on, unless the flag names one."""
    dashed = item.name.replace("_", "-")
    return spec.name or (f"--no-{dashed}" if item.default is True else f"--{dashed}")


def _help(item: Field[Any], spec: Flag) -> str:
    """The flag's own help, or the field's doc as the command line writes help: lower case
    first (but for an acronym), no closing full stop, `%` kept from argparse's formatting."""
    if spec.help is not None:
        return spec.help
    text = doc_of(item).removesuffix(".").replace("%", "%%")
    if text[1:2].isupper():
        return text
    return text[:1].lower() + text[1:]


def _settings(item: Field[Any], spec: Flag, hint: Any) -> dict[str, Any]:
    """`add_argument`'s keyword arguments: bools are switches, a Literal type gives the
    choices, an int or float field reads its type unless the flag names a stricter one."""
    kind = _without_none(hint)
    default = _default(item)
    settings: dict[str, Any] = {"dest": item.name, "help": _help(item, spec)}
    if default is MISSING:
        settings["required"] = True
    else:
        settings["default"] = default
    if kind is bool:
        return settings | {"action": "store_false" if default else "store_true"}
    choices = spec.choices or (get_args(kind) if get_origin(kind) is Literal else None)
    reader = spec.type or (kind if kind in (int, float) else None)
    given = {"action": spec.action, "type": reader, "choices": choices, "metavar": spec.metavar}
    return settings | {key: value for key, value in given.items() if value is not None}


def _without_none(hint: Any) -> Any:
    """`X` for `X | None`, else the type itself."""
    if get_origin(hint) in (Union, types.UnionType):
        rest = [arg for arg in get_args(hint) if arg is not type(None)]
        if len(rest) == 1:
            return rest[0]
    return hint
