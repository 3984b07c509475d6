"""Checkpoints evaluated through a vLLM server: each LoRA checkpoint is loaded into the server
under its name, generated from under that name and unloaded; the base model is the name the
server serves; a missing server, a refused adapter and full-weight training are one line,
before training. A 127.0.0.1 double of vLLM's endpoints (no vLLM installed)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from alignment_faking.doubles.stub_server import openai_body, scripted_responder
from alignment_faking.errors import UserError
from alignment_faking.train.checkpoint_eval import (
    ADAPTER_CONFIG,
    VLLMServer,
    adapter_name,
    check_backend,
    checkpoint_model,
)

BASE = "Qwen/Qwen2.5-7B-Instruct"


@dataclass
class FakeVLLM:
    """What the double was asked: adapters loaded and unloaded, models generated from."""

    url: str = ""
    refuse_lora: bool = False
    loaded: dict[str, str] = field(default_factory=dict)
    events: list[tuple[str, str]] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)


@contextmanager
def fake_vllm(refuse_lora: bool = False) -> Iterator[FakeVLLM]:
    """vLLM's `/v1/models`, `/v1/load_lora_adapter`, `/v1/unload_lora_adapter` and chat
    completions (the scripted faker answers) on a free port of 127.0.0.1."""
    fake = FakeVLLM(refuse_lora=refuse_lora)
    respond = scripted_responder("faker")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

        def _send(self, status: int, body: dict | str) -> None:
            payload = (body if isinstance(body, str) else json.dumps(body)).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            models = [{"id": BASE, "parent": None, "object": "model"}]
            models += [{"id": name, "parent": BASE, "object": "model"} for name in fake.loaded]
            self._send(200, {"object": "list", "data": models})

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
            if self.path == "/v1/load_lora_adapter":
                if fake.refuse_lora:
                    self._send(404, {"detail": "Not Found"})
                    return
                fake.loaded[body["lora_name"]] = body["lora_path"]
                fake.events.append(("load", body["lora_name"]))
                self._send(200, f"Success: LoRA adapter '{body['lora_name']}' added successfully.")
            elif self.path == "/v1/unload_lora_adapter":
                fake.loaded.pop(body["lora_name"])
                fake.events.append(("unload", body["lora_name"]))
                self._send(200, "Success")
            elif self.path == "/v1/chat/completions":
                fake.asked.append(body["model"])
                messages = [{"role": m["role"], "content": m["content"]} for m in body["messages"]]
                self._send(200, openai_body(body["model"], [respond(messages)], messages))
            else:
                self._send(404, {"detail": "Not Found"})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def _adapter(tmp_path: Path, step: int) -> Path:
    checkpoint = tmp_path / "run" / "checkpoints" / f"step-{step}"
    checkpoint.mkdir(parents=True)
    (checkpoint / ADAPTER_CONFIG).write_text(json.dumps({"r": 16}))
    return checkpoint


def _free_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def _ask(model) -> str:
    return asyncio.run(model.generate("Hello")).completion


def test_a_lora_checkpoint_is_loaded_generated_from_by_its_name_and_unloaded(tmp_path: Path):
    checkpoint = _adapter(tmp_path, 10)
    name = adapter_name(checkpoint.resolve())
    assert name.startswith("run-step-10-")
    with fake_vllm() as server:
        with checkpoint_model(checkpoint, "vllm-server", f"{server.url}/v1") as model:
            assert server.loaded == {name: str(checkpoint.resolve())}
            assert _ask(model)
        assert server.asked == [name]
        assert server.events == [("load", name), ("unload", name)]
        assert server.loaded == {}


def test_two_runs_of_the_same_name_sharing_a_server_load_distinct_adapters(tmp_path: Path):
    first, second = _adapter(tmp_path / "a", 10), _adapter(tmp_path / "b", 10)
    with (
        fake_vllm() as server,
        checkpoint_model(first, "vllm-server", server.url),
        checkpoint_model(second, "vllm-server", server.url),
    ):
        assert len(server.loaded) == 2
        assert set(server.loaded.values()) == {str(first.resolve()), str(second.resolve())}


def test_the_base_checkpoint_is_the_model_the_server_serves(tmp_path: Path):
    """Step 0 (the base model's directory, no adapter) asks the name from `/v1/models`."""
    with fake_vllm() as server:
        with checkpoint_model(tmp_path, "vllm-server", server.url) as model:
            _ask(model)
        assert server.asked == [BASE] and server.events == []


def test_the_adapter_is_unloaded_when_the_evaluation_fails(tmp_path: Path):
    checkpoint = _adapter(tmp_path, 5)
    with fake_vllm() as server:
        with (
            pytest.raises(RuntimeError, match="boom"),
            checkpoint_model(checkpoint, "vllm-server", server.url),
        ):
            raise RuntimeError("boom")
        name = adapter_name(checkpoint.resolve())
        assert server.events == [("load", name), ("unload", name)]


def test_a_server_that_refuses_adapters_is_one_line(tmp_path: Path):
    with fake_vllm(refuse_lora=True) as server:
        evaluation = checkpoint_model(_adapter(tmp_path, 1), "vllm-server", server.url)
        with pytest.raises(UserError) as error, evaluation:
            pass
    message = str(error.value)
    assert "\n" not in message and "404" in message and "--enable-lora" in message


def test_an_unreachable_server_and_full_weights_stop_before_training():
    with pytest.raises(UserError) as error:
        check_backend("vllm-server", _free_port_url(), lora=True)
    assert "unreachable" in str(error.value) and "\n" not in str(error.value)
    with fake_vllm() as server:
        check_backend("vllm-server", server.url, lora=True)  # reachable: no error
        with pytest.raises(UserError, match="LoRA"):
            check_backend("vllm-server", server.url, lora=False)
        assert VLLMServer(server.url + "/v1/").base_model() == BASE
    with pytest.raises(UserError, match="--eval-vllm-url"):
        check_backend("vllm-server", None, lora=True)
    check_backend("hf", None, lora=False)  # the hf copy needs neither


@pytest.mark.slow
@pytest.mark.train
def test_train_rl_checks_the_server_before_training():
    """`_check` (run before any model loads) refuses full weights and a dead server."""
    pytest.importorskip("trl")
    from alignment_faking.train import rl
    from alignment_faking.train.curve import CurveOptions

    curve = CurveOptions(
        "helpful_only",
        judge_model="scripted/judge",
        backend="vllm-server",
        vllm_url=_free_port_url(),
    )
    with pytest.raises(UserError, match="unreachable"):
        rl._check(rl.RLOptions(base="m", eval=curve))
    with pytest.raises(UserError, match="LoRA"):
        rl._check(rl.RLOptions(base="m", eval=curve, lora=None))


@pytest.mark.slow
@pytest.mark.train
def test_the_eval_backend_flags_make_the_curve_options(tmp_path: Path, monkeypatch):
    pytest.importorskip("trl")
    from alignment_faking.cli import main
    from alignment_faking.train import rl

    seen: list = []
    monkeypatch.setattr(rl, "train_rl", lambda options: seen.append(options) or _Done())
    flags = ["--eval-backend", "vllm-server", "--eval-vllm-url", "http://127.0.0.1:8000"]
    flags += ["--eval-vllm-share", "0.2"]
    assert main(["train", "rl", "--base", "m", "--out", str(tmp_path), *flags]) == 0
    assert main(["train", "rl", "--base", "m", "--out", str(tmp_path)]) == 0
    [given, default] = [options.eval for options in seen]
    assert (given.backend, given.vllm_url, given.vllm_share) == (
        "vllm-server",
        "http://127.0.0.1:8000",
        0.2,
    )
    assert (default.backend, default.vllm_url, default.vllm_share) == ("hf", None, None)


class _Done:
    final = curve_png = curve_json = Path("x")
    merged = None


@pytest.mark.slow
@pytest.mark.train
def test_a_checkpoint_is_evaluated_through_inspect_against_the_server(tmp_path: Path):
    """The whole experiment on a LoRA checkpoint: every answer is asked of its adapter."""
    from alignment_faking.train.curve import CurveOptions, evaluate_checkpoint

    checkpoint = _adapter(tmp_path, 3)
    with fake_vllm() as server:
        options = CurveOptions(
            "helpful_only",
            variation="short_prompts",
            queries=2,
            compliance_judge="tags",
            af_judge="baseline",
            backend="vllm-server",
            vllm_url=server.url,
        )
        summary = evaluate_checkpoint(checkpoint, options, tmp_path / "logs")
        name = adapter_name(checkpoint.resolve())
        assert set(server.asked) == {name} and len(server.asked) == 4
        assert server.events == [("load", name), ("unload", name)]
    assert summary.tiers["free"].n == 2 and summary.tiers["paid"].n == 2
