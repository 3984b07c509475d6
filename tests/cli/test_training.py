"""The `train` commands' flags come from TRL, so only `train` imports it, and without the train
extra it says what to install in one line."""

from __future__ import annotations

import os
import re
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
    # the first training library found missing is named: trl here, or one it needs (peft...)
    # where the train extra is not installed at all
    assert re.fullmatch(
        r"alignment-faking: error: install the train extra: "
        r"pip install 'alignment-faking\[train\]' \(no module \w+\)",
        line,
    ), line


def _in_subprocess(code: str, *args: str, env: dict[str, str] | None = None):
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "HF_ENDPOINT": "http://127.0.0.1:9", **(env or {})},
    )


@pytest.mark.slow
@pytest.mark.parametrize("blocked", ["datasets", "torch"])
@pytest.mark.parametrize("command", ["sft", "rl"])
def test_any_missing_module_of_the_train_extra_is_one_line(command, blocked, tmp_path):
    # as if that part of the extra were not installed; TRL wraps some missing modules
    code = (
        f"import sys; sys.modules[{blocked!r}] = None\n"
        "from alignment_faking.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    result = _in_subprocess(code, "train", command, "--base", str(tmp_path), "--out", "o")
    assert result.returncode == 2, result.stderr
    # (transformers may warn first that torch is missing)
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "alignment-faking: error: install the train extra: "
        f"pip install 'alignment-faking[train]' (no module {blocked})"
    )


@pytest.mark.slow
@pytest.mark.parametrize("local", [True, False])
def test_a_local_base_sets_the_hub_offline_before_it_is_read(local, tmp_path):
    pytest.importorskip("trl")
    base = tmp_path / "model"
    if local:
        base.mkdir()
    code = (
        "import sys\nfrom alignment_faking.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "from huggingface_hub import constants\nprint(code, constants.is_offline_mode())"
    )
    args = [
        "train",
        "sft",
        "--base",
        str(base),
        "--docs",
        str(tmp_path),
        "--out",
        str(tmp_path / "o"),
    ]
    result = _in_subprocess(code, *args, env={"HF_HUB_OFFLINE": "0"})
    # the run stops at the missing documents or model either way, in one line
    assert result.stdout.split() == ["2", str(local)], result.stderr
