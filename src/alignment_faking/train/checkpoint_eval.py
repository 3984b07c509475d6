"""Where the curve's checkpoints are generated from: a second copy of the model through Inspect's
`hf/` provider, or a vLLM server the user started (one 80 GB GPU cannot hold a 7B policy, its
optimiser and a second copy).

The server is started with the base model, `--enable-lora`, a small `--gpu-memory-utilization`
and `VLLM_ALLOW_RUNTIME_LORA_UPDATING=True`; each LoRA checkpoint is loaded into it through
vLLM's `POST /v1/load_lora_adapter`, evaluated through Inspect's `openai-api/` provider under
its adapter name, and unloaded after. A directory without an adapter is the base model: the
name the server serves (training all weights is refused with this backend).
"""

from __future__ import annotations

import hashlib
import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from alignment_faking.errors import UserError

if TYPE_CHECKING:
    from inspect_ai.model import Model

EvalBackend = Literal["hf", "vllm-server"]
EVAL_BACKENDS: tuple[EvalBackend, ...] = ("hf", "vllm-server")
ADAPTER_CONFIG = "adapter_config.json"
TIMEOUT_S = 120.0
"""Loading an adapter reads its weights from disk: allow it time."""


def _api_key() -> str:
    """vLLM's `--api-key`, if the server was started with one (any key otherwise)."""
    return os.environ.get("VLLM_API_KEY", "none")


class VLLMServer:
    """A running vLLM OpenAI-compatible server, reached at `url` (with or without `/v1`)."""

    def __init__(self, url: str):
        self.root = url.rstrip("/").removesuffix("/v1")

    def _call(self, method: str, path: str, body: dict | None = None) -> Any:
        request = urllib.request.Request(
            f"{self.root}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {_api_key()}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                text = response.read().decode()
        except urllib.error.HTTPError as error:
            detail = " ".join(error.read().decode(errors="replace").split())[:200]
            hint = (
                " (start it with --enable-lora and VLLM_ALLOW_RUNTIME_LORA_UPDATING=True)"
                if error.code == 404 and "lora" in path
                else ""
            )
            raise UserError(
                f"the vLLM server at {self.root} refused {method} {path}: "
                f"{error.code} {detail}{hint}"
            ) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise UserError(f"the vLLM server at {self.root} is unreachable: {reason}") from None
        try:
            return json.loads(text) if text.strip().startswith(("{", "[")) else text
        except json.JSONDecodeError:
            return text

    def base_model(self) -> str:
        """The name the server serves its base model under (`GET /v1/models`: the model without
        a parent; LoRA adapters name theirs)."""
        answer = self._call("GET", "/v1/models")
        models = answer.get("data", []) if isinstance(answer, dict) else []
        roots = [m["id"] for m in models if isinstance(m, dict) and not m.get("parent")]
        if not roots:
            raise UserError(f"the vLLM server at {self.root} lists no base model at /v1/models")
        return str(roots[0])

    @contextmanager
    def adapter(self, name: str, path: Path) -> Iterator[None]:
        """The adapter at `path` loaded under `name` for the block, unloaded after."""
        self._call("POST", "/v1/load_lora_adapter", {"lora_name": name, "lora_path": str(path)})
        try:
            yield
        finally:
            self._call("POST", "/v1/unload_lora_adapter", {"lora_name": name})


def is_adapter(checkpoint: str | Path) -> bool:
    """Whether a checkpoint is a LoRA adapter (PEFT saves its config beside the weights)."""
    return (Path(checkpoint) / ADAPTER_CONFIG).is_file()


def check_backend(backend: EvalBackend, vllm_url: str | None, lora: bool) -> None:
    """Before training: the vLLM server backend needs LoRA, a URL, and a server that answers."""
    if backend != "vllm-server":
        return
    if not lora:
        raise UserError(
            "--eval-backend vllm-server evaluates LoRA checkpoints: train with LoRA (--lora-r > 0)"
        )
    if not vllm_url:
        raise UserError("--eval-backend vllm-server needs --eval-vllm-url (the server's URL)")
    VLLMServer(vllm_url).base_model()


def adapter_name(path: Path) -> str:
    """The name a checkpoint's adapter is served under: its run and step, and a hash of its
    whole path, so that two runs sharing a server (both `rl/`, in different places) never load,
    generate from or unload each other's adapter."""
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:8]
    return f"{path.parent.parent.name}-{path.name}-{digest}"


@contextmanager
def checkpoint_model(
    checkpoint: str | Path,
    backend: EvalBackend,
    vllm_url: str | None = None,
    model_args: dict[str, Any] | None = None,
    prefilled: bool = False,
) -> Iterator[Model]:
    """The Inspect model that generates as `checkpoint` does, for the block (one that
    continues a `prefilled` answer: steering on a trained checkpoint)."""
    from inspect_ai.model import get_model

    from alignment_faking.inspect.continuation import continuing_args

    if backend == "hf":
        args = {**(model_args or {}), "model_path": str(checkpoint)}
        if prefilled:
            args = continuing_args("hf/local", args)
        with get_model("hf/local", memoize=False, **args) as model:
            yield model
        return
    if not vllm_url:
        raise UserError("--eval-backend vllm-server needs --eval-vllm-url (the server's URL)")
    server = VLLMServer(vllm_url)

    def served(name: str) -> Model:
        """The served model through Inspect's `openai-api/` provider (an HTTP client: nothing
        to release, and its close is async-only)."""
        return get_model(
            f"openai-api/vllm/{name}",
            memoize=False,
            base_url=f"{server.root}/v1",
            api_key=_api_key(),
            **(model_args or {}),
        )

    if not is_adapter(checkpoint):
        yield served(server.base_model())
        return
    path = Path(checkpoint).resolve()
    name = adapter_name(path)
    with server.adapter(name, path):
        yield served(name)
