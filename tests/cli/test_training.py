"""The `train` commands' flags come from TRL, so only `train` imports it, and without the train
extra it says what to install in one line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from alignment_faking.cli import main


def test_the_other_commands_never_import_trl_or_torch():
    code = (
        "import sys; from alignment_faking.cli import build_parser; "
        "build_parser().format_help(); "
        "print(sorted({'trl', 'torch', 'transformers', 'peft'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("command", ["sft", "rl"])
def test_without_the_train_extra_train_says_what_to_install(
    command, monkeypatch: pytest.MonkeyPatch, capsys
):
    monkeypatch.setitem(sys.modules, "trl", None)  # as if not installed: importing it fails
    import alignment_faking.train

    monkeypatch.delitem(sys.modules, "alignment_faking.train.configs", raising=False)
    monkeypatch.delattr(alignment_faking.train, "configs", raising=False)
    assert main(["train", command, "--base", "m", "--out", "o"]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line == (
        "alignment-faking: error: install the train extra: "
        "pip install 'alignment-faking[train]' (no module trl)"
    )
