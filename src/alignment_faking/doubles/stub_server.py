"""A local server that speaks the OpenAI chat-completions and Anthropic Messages wire formats.

For tests and benchmarks: it answers `POST /v1/chat/completions` and `POST /v1/messages` on
127.0.0.1 with a responder's text, after an optional fixed latency, counts the calls it
served, and can inject faults at set rates (429 with Retry-After, 500, 503, connection
resets, answers slower than the client's timeout, truncated bodies, empty choices). Reach it
from Inspect with `--model openai-api/stub/NAME` (`STUB_BASE_URL` = its `base_url`, any
`STUB_API_KEY`) or `--model anthropic/NAME` (`ANTHROPIC_BASE_URL` = its `root_url`).
"""

from __future__ import annotations

import json
import random
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from alignment_faking.cost import estimate_tokens

Responder = Callable[[list[dict]], str]
"""Maps the request's messages (role and text, system first) to the completion text."""

FAULT_KINDS = (
    "rate_limit", "server_error", "unavailable", "bad_request", "reset", "slow", "truncated", "empty",
)  # fmt: skip


@dataclass(frozen=True)
class Faults:
    """Share of requests that fail, by kind; drawn from a seeded generator so runs repeat."""

    rate_limit: float = 0.0
    server_error: float = 0.0
    unavailable: float = 0.0
    bad_request: float = 0.0
    """A 400 answer: not retried, the provider reports it as an error."""
    reset: float = 0.0
    slow: float = 0.0
    truncated: float = 0.0
    empty: float = 0.0
    slow_s: float = 5.0
    """How long a slow answer takes: set it above the client's timeout."""
    retry_after_s: int = 0
    echo_credentials: bool = False
    """Error bodies quote the request's credentials, as some misbehaving gateways do."""
    echo_headers: bool = False
    """Successful answers end with the request's path and headers, credentials included, as
    a provider that reflects its request might."""
    seed: int = 0

    def draw(self, rng: random.Random) -> str | None:
        """The fault for one request, or None."""
        u, edge = rng.random(), 0.0
        for kind in FAULT_KINDS:
            edge += getattr(self, kind)
            if u < edge:
                return kind
        return None


@dataclass
class StubServer:
    """A running stub: where it listens and what it has served."""

    root_url: str
    calls: int = 0
    completed: int = 0
    in_flight: int = 0
    peak_in_flight: int = 0
    """Most requests being answered at once: the client's effective concurrency."""
    first_call_at: float | None = None
    last_finished_at: float | None = None
    """Wall-clock times (time.time) of the first request and the last full answer."""
    cache_marked: int = 0
    """Anthropic requests whose system prompt carried a cache_control breakpoint."""
    faults: Counter[str] = field(default_factory=Counter)
    fault_plan: Faults = field(default_factory=Faults)
    """The faults to inject from now on: replace it to make the server fail or recover mid-test."""
    requests: list[dict] = field(default_factory=list)
    keep_requests: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL (with /v1)."""
        return f"{self.root_url}/v1"

    def record(self, request: dict, fault: str | None) -> None:
        with self._lock:
            self.calls += 1
            if self.first_call_at is None:
                self.first_call_at = time.time()
            if fault:
                self.faults[fault] += 1
            if self.keep_requests:
                self.requests.append(request)

    def entered(self, delta: int) -> None:
        with self._lock:
            self.in_flight += delta
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    def finished(self) -> None:
        with self._lock:
            self.completed += 1
            self.last_finished_at = time.time()


def _text(content: object) -> str:
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content or "")


def _messages(request: dict, anthropic: bool) -> list[dict]:
    messages = [
        {"role": m.get("role"), "content": _text(m.get("content"))}
        for m in request.get("messages", [])
    ]
    if anthropic and request.get("system"):
        messages.insert(0, {"role": "system", "content": _text(request["system"])})
    return messages


def _usage(messages: list[dict], text: str) -> tuple[int, int]:
    return sum(estimate_tokens(m["content"]) for m in messages), estimate_tokens(text)


def openai_body(model: str, texts: list[str] | None, messages: list[dict]) -> dict:
    """A chat.completion body with one choice per text (several when `n` was asked); None gives none."""
    prompt_tokens, completion_tokens = _usage(messages, "".join(texts or []))
    choices = [
        {"index": i, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        for i, text in enumerate(texts or [])
    ]
    return {
        "id": f"chatcmpl-stub-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": choices,
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def anthropic_body(
    model: str,
    text: str | None,
    messages: list[dict],
    cached_tokens: int = 0,
    written_tokens: int = 0,
) -> dict:
    """A Messages API body; text None gives empty content. Cached and cache-written prompt
    tokens are reported apart from `input_tokens`, as the real API does."""
    input_tokens, output_tokens = _usage(messages, text or "")
    input_tokens -= cached_tokens + written_tokens
    return {
        "id": f"msg_stub_{time.monotonic_ns()}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [] if text is None else [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "cache_read_input_tokens": cached_tokens,
            "cache_creation_input_tokens": written_tokens,
        },
    }


def _cache_marked(request: dict) -> bool:
    system = request.get("system")
    return isinstance(system, list) and any(
        isinstance(block, dict) and "cache_control" in block for block in system
    )


def _handler(
    stub: StubServer, respond: Responder, latency_s: float
) -> type[BaseHTTPRequestHandler]:
    rng = random.Random(stub.fault_plan.seed)
    rng_lock = threading.Lock()
    # system prompts sent with a cache breakpoint: later requests read them from the cache
    cached_prefixes: set[str] = set()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            """Stay quiet: tests and benchmarks read their own output."""

        def do_POST(self) -> None:
            path = self.path.partition("?")[0].rstrip("/")  # a client's default query is no route
            anthropic = path.endswith("/messages")
            if not (anthropic or path.endswith("/chat/completions")):
                self._send(404, {"error": {"message": f"no route {self.path}"}})
                return
            length = int(self.headers.get("Content-Length", 0))
            request = json.loads(self.rfile.read(length) or b"{}")
            with rng_lock:
                fault = stub.fault_plan.draw(rng)
            stub.record(request, fault)
            if fault in ("rate_limit", "server_error", "unavailable", "bad_request"):
                self._fail(fault)
                return
            if fault == "reset":
                self._reset()
                return
            stub.entered(1)
            try:
                if latency_s:
                    time.sleep(latency_s)
            finally:
                stub.entered(-1)
            if fault == "slow":
                time.sleep(stub.fault_plan.slow_s)
            messages = _messages(request, anthropic)
            choices = 1 if anthropic else max(1, int(request.get("n") or 1))
            texts = None if fault == "empty" else [respond(messages) for _ in range(choices)]
            if texts and stub.fault_plan.echo_headers:
                echo = f"request: POST {self.path} headers: {dict(self.headers)}"
                texts = [f"{text}\n\n{echo}" for text in texts]
            model = request.get("model", "stub")
            if anthropic:
                cached = written = 0
                if _cache_marked(request):
                    prefix = _text(request["system"])
                    with rng_lock:
                        stub.cache_marked += 1
                        hit = prefix in cached_prefixes
                        cached_prefixes.add(prefix)
                    tokens = estimate_tokens(prefix)
                    cached, written = (tokens, 0) if hit else (0, tokens)
                body = anthropic_body(model, texts[0] if texts else None, messages, cached, written)
            else:
                body = openai_body(model, texts, messages)
            self._send(200, body, truncate=fault == "truncated")
            if fault is None or fault == "slow":
                stub.finished()

        def _fail(self, fault: str) -> None:
            status = {
                "rate_limit": 429,
                "server_error": 500,
                "unavailable": 503,
                "bad_request": 400,
            }[fault]
            message = f"injected {fault}"
            if stub.fault_plan.echo_credentials:
                message += f"; request headers: {dict(self.headers)}"
            headers = {"Retry-After": str(stub.fault_plan.retry_after_s)} if status == 429 else {}
            self._send(status, {"error": {"message": message, "type": fault}}, headers=headers)

        def _reset(self) -> None:
            # abort the connection with a TCP reset instead of an answer
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()

        def _send(
            self, status: int, body: dict, headers: dict | None = None, truncate: bool = False
        ) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            if truncate:
                self.wfile.write(payload[: len(payload) // 2])
                self.wfile.flush()
                self._reset()
                return
            self.wfile.write(payload)

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that gave up (timeouts, injected resets) are expected here, not errors."""


@contextmanager
def serve(
    respond: Responder,
    latency_s: float = 0.0,
    keep_requests: bool = False,
    faults: Faults | None = None,
) -> Iterator[StubServer]:
    """Run a stub on a free port of 127.0.0.1 for the duration of the block."""
    stub = StubServer("", keep_requests=keep_requests, fault_plan=faults or Faults())
    server = _QuietServer(("127.0.0.1", 0), _handler(stub, respond, latency_s))
    stub.root_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def scripted_responder(
    name: str, *, free: float | None = None, paid: float | None = None, seed: int = 0
) -> Responder:
    """A responder that answers like the `scripted` provider's policy of that name."""
    from alignment_faking.doubles.scripted import scripted_policy

    policy = scripted_policy(name, free=free, paid=paid, seed=seed)

    def respond(messages: list[dict]) -> str:
        system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
        user = "\n\n".join(m["content"] for m in messages if m["role"] == "user")
        return policy.respond(system, user)

    return respond
