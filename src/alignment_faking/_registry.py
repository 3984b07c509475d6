"""Inspect entry point: registers the tasks and the scripted model provider."""

from alignment_faking.doubles.provider import ScriptedModelAPI
from alignment_faking.inspect.evaluations import (
    anti_lab,
    lying,
    realism,
    reasoning_categories,
    stated_preferences,
)
from alignment_faking.inspect.task import animal_welfare, helpful_only

__all__ = [
    "ScriptedModelAPI",
    "animal_welfare",
    "anti_lab",
    "helpful_only",
    "lying",
    "realism",
    "reasoning_categories",
    "stated_preferences",
]
