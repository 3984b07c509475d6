"""Cache keys that name the model exactly: a cached answer must belong to the model asked.

Inspect keys a cached answer on the model's name, its generation config, the messages and the
client's base URL. That is not enough: `hf/local -M model_path=A` and `-M model_path=B` share a
name, a vLLM client learns its base URL only at its first call, and a checkpoint directory can
be trained again in place. `answer_cache` adds, as Inspect cache-policy scopes, the endpoint,
every model argument, and a fingerprint of any local weights the model reads.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from inspect_ai.model import CachePolicy, Model

from alignment_faking.inspect.models import configured_endpoint, provider_of
from alignment_faking.secrets import is_secret_name

WEIGHT_SUFFIXES = {
    ".safetensors", ".bin", ".pt", ".pth", ".gguf", ".ggml", ".json", ".model", ".txt",
    ".jinja", ".tiktoken", ".msgpack", ".h5", ".npz", ".py",
}  # fmt: skip
"""Files whose change changes what a local model says (weights, configs, tokenizers, templates)."""
MAX_DEPTH = 3
HUB_PROVIDERS = ("hf", "vllm", "sglang", "transformer_lens")


def _describe(value: Any) -> str:
    """A stable stand-in for an argument JSON cannot hold (a callable, an object)."""
    if callable(value):
        return f"callable:{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', '')}"
    return f"object:{type(value).__module__}.{type(value).__qualname__}"


def _weight_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    found = []
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if len(relative.parts) > MAX_DEPTH or any(p.startswith(".") for p in relative.parts):
            continue
        if path.suffix.lower() in WEIGHT_SUFFIXES and path.is_file():
            found.append(path)
    return sorted(found)


def path_fingerprint(root: Path) -> str:
    """A digest of the weight, config and tokenizer files under a path: names, sizes, mtimes.

    Files that are links (the Hugging Face cache links each file to a blob named by its
    content hash) are named by their target, so a re-downloaded revision keeps its digest.
    """
    digest = hashlib.sha256()
    for path in _weight_files(root):
        stat = path.stat()
        target = path.resolve().name if path.is_symlink() else ""
        name = path.name if root.is_file() else path.relative_to(root).as_posix()
        digest.update(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}\0{target}\n".encode())
    return digest.hexdigest()


def _hub_snapshot(repo_id: str) -> Path | None:
    """The local snapshot of a Hugging Face hub model, if it has been downloaded."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    try:
        found = try_to_load_from_cache(repo_id, "config.json")
    except Exception:  # not a valid repo id
        return None
    return Path(found).parent if isinstance(found, str) else None


def _is_path(path: Path) -> bool:
    """Whether an argument names something on disk (a long one, a chat template, cannot)."""
    try:
        return path.exists()
    except OSError:  # ENAMETOOLONG
        return False


def weights_fingerprint(model_name: str, provider: str, args: dict[str, Any]) -> str | None:
    """A digest of every local path the model reads (its name's parts and its arguments)."""
    candidates = [part for part in model_name.split(":") if part]
    candidates += [str(v) for v in args.values() if isinstance(v, str | Path)]
    parts = []
    for candidate in candidates:
        path = Path(candidate).expanduser()
        if _is_path(path):
            parts.append(f"{path.resolve()}={path_fingerprint(path)}")
        elif provider in HUB_PROVIDERS and candidate.count("/") == 1:
            snapshot = _hub_snapshot(candidate)
            if snapshot is not None:
                parts.append(f"{candidate}@{snapshot.name}={path_fingerprint(snapshot)}")
    if not parts:
        return None
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def model_identity(model: Model) -> dict[str, str]:
    """Everything besides the request that decides what this model answers, as cache scopes."""
    name = str(model)
    provider = provider_of(name)
    api = model.api
    args = {k: v for k, v in model.model_args.items() if not is_secret_name(k)}
    scopes = {"model": name}
    endpoint = api.base_url or getattr(api, "_init_base_url", None)
    endpoint = endpoint or configured_endpoint(name, model.model_args)
    if endpoint:
        scopes["endpoint"] = str(endpoint)
    if args:
        scopes["model_args"] = json.dumps(args, sort_keys=True, default=_describe)
    weights = weights_fingerprint(api.model_name, provider, args)
    if weights:
        scopes["weights"] = weights
    return scopes


def answer_cache(
    model: Model, enabled: bool = True, scopes: Mapping[str, str] | None = None
) -> CachePolicy | bool:
    """The cache policy for a call to this model: kept forever, keyed on the model's identity
    and on any further `scopes` the caller tells its requests apart by (a judge's votes)."""
    if not enabled:
        return False
    return CachePolicy(expiry=None, scopes=model_identity(model) | dict(scopes or {}))
