"""A scripted OpenAI-compatible HTTP server on 127.0.0.1 for wire-level tests.

It speaks ``POST /v1/chat/completions`` and ``GET /v1/models``, answers from a
queue of scripted replies (then from ``default``), and records every request::

    with FakeOpenAI() as fake:
        fake.enqueue(status(429, retry_after=1), answer({"ids": ["u1"]}))
        client = LLMClient(Settings(backend="llm", base_url=fake.base_url, model="m"))
        ...
        assert len(fake.chat_requests) == 2

Replies render for the request they answer: an :func:`answer` is a tool call
when the request has ``tools`` (instructor's TOOLS mode) and message content
otherwise (JSON_SCHEMA / MD_JSON). Every completion carries ``usage``.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = [
    "FakeOpenAI",
    "Recorded",
    "Reply",
    "answer",
    "auto_units",
    "echo_auth",
    "hang",
    "malformed",
    "status",
    "truncated",
]

DEFAULT_USAGE = (100, 20, 0)  # prompt, completion, cached


@dataclass
class Reply:
    """One scripted reply.

    Attributes:
        kind: ``answer`` | ``raw`` | ``truncated`` | ``status`` | ``hang`` | ``echo_auth``
            | ``auto_units`` (see :func:`auto_units`).
        payload: object to send as JSON (``answer``/``truncated``) or raw text (``raw``).
        status: HTTP status for ``status``.
        headers: extra response headers.
        seconds: how long ``hang`` sleeps before answering (``auto_units``: before its answer).
        usage: (prompt, completion, cached) tokens reported.
        fenced: wrap content in a ```json fence (MD_JSON style).
    """

    kind: str
    payload: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    usage: tuple[int, int, int] = DEFAULT_USAGE
    fenced: bool = False


def answer(obj: Any, *, usage: tuple[int, int, int] = DEFAULT_USAGE, fenced: bool = False) -> Reply:
    """A complete answer carrying ``obj`` as JSON (valid or not for the response model)."""
    return Reply("answer", payload=obj, usage=usage, fenced=fenced)


def auto_units(*, seconds: float = 0.0, usage: tuple[int, int, int] = DEFAULT_USAGE) -> Reply:
    """A valid per-unit answer for whatever units the request asks about, after ``seconds``.

    The unit ids are the ``required`` keys of the request's schema (``response_format``
    or the tool's parameters); each gets category ``achievement`` and a summary made
    from the unit's ``[uN] text`` line in the prompt with digits removed (so it states
    no figure), or just ``"achievement"`` when the schema asks for a category alone.
    Usable as ``FakeOpenAI(default=auto_units())`` for whole batches.
    """
    return Reply("auto_units", seconds=seconds, usage=usage)


def _requested_units(body: dict[str, Any]) -> dict[str, Any]:
    """The answer object for an ``auto_units`` reply to ``body``."""
    schema: Any = None
    fmt = body.get("response_format") or {}
    if isinstance(fmt, dict):
        schema = fmt.get("schema") or (fmt.get("json_schema") or {}).get("schema")
    for tool in body.get("tools") or []:
        schema = schema or (tool.get("function") or {}).get("parameters")
    ids = list((schema or {}).get("required") or [])
    props = (schema or {}).get("properties") or {}
    messages = body.get("messages", [])
    text = "\n".join(m["content"] for m in messages if isinstance(m.get("content"), str))
    out: dict[str, Any] = {}
    for uid in ids:
        found = re.search(rf"^\[{re.escape(uid)}\] (.+)$", text, re.MULTILINE)
        raw = found.group(1) if found else uid
        summary = re.sub(r"[0-9０-９.%％]+", "", raw)[:40] or "完成相关工作"
        if "enum" in (props.get(uid) or {}):  # the judge task: a category per unit
            out[uid] = "achievement"
            continue
        out[uid] = {"category": "achievement", "summary": summary, "figures": []}
    return out


def malformed(
    text: str = '{"ids": ["u1", ', *, usage: tuple[int, int, int] = DEFAULT_USAGE
) -> Reply:
    """An answer whose text is not valid JSON (finish_reason ``stop``)."""
    return Reply("raw", payload=text, usage=usage)


def truncated(obj: Any, *, usage: tuple[int, int, int] = DEFAULT_USAGE) -> Reply:
    """The first half of ``obj``'s JSON with finish_reason ``length``."""
    return Reply("truncated", payload=obj, usage=usage)


def status(
    code: int, *, retry_after: float | None = None, message: str = "scripted error"
) -> Reply:
    """An HTTP error with an OpenAI-style error body (and ``Retry-After`` if given)."""
    headers = {} if retry_after is None else {"Retry-After": f"{retry_after:g}"}
    return Reply("status", payload=message, status=code, headers=headers)


def hang(seconds: float) -> Reply:
    """Wait ``seconds`` before answering 500 (longer than the client's timeout)."""
    return Reply("hang", seconds=seconds)


def echo_auth(code: int = 401) -> Reply:
    """An auth error whose body quotes the ``Authorization`` header back (a leaky server)."""
    return Reply("echo_auth", status=code)


@dataclass
class Recorded:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: Any
    at: float  # time.monotonic() on arrival

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The chat messages of a completion request."""
        return list((self.body or {}).get("messages", []))

    def text(self) -> str:
        """All message contents joined (for ``in`` assertions)."""
        parts = []
        for m in self.messages:
            content = m.get("content")
            parts.append(content if isinstance(content, str) else json.dumps(content))
        return "\n".join(p for p in parts if p)


class FakeOpenAI:
    """Threaded loopback server; use as a context manager or call start()/stop()."""

    def __init__(
        self,
        *,
        model: str = "fake-model",
        default: Reply | None = None,
        max_concurrent: int = 0,
        over_limit: str = "429",
        tcp_nodelay: bool = False,
    ) -> None:
        """A server not yet started (see :meth:`start`).

        Args:
            model: the id ``GET /v1/models`` lists.
            default: the reply once the scripted queue is empty (else HTTP 500).
            max_concurrent: most chat requests answered at once (0: no limit), like a
                provider's concurrency cap.
            over_limit: what a request over ``max_concurrent`` gets: ``"429"`` (an
                HTTP 429 with ``Retry-After: 0.05``, counted in ``rejected``) or
                ``"queue"`` (it waits for a free slot, as vLLM/llama.cpp queue).
            tcp_nodelay: send responses without Nagle's delay, as production servers
                do. Off by default: this server writes headers and body separately,
                so each reply then waits ~40 ms for the client's delayed ACK on
                Linux loopback (harmless in tests, distorting in benchmarks).
        """
        if over_limit not in ("429", "queue"):
            raise ValueError("over_limit must be '429' or 'queue'")
        self.model = model
        self.default = default or status(500, message="fake server: no scripted reply left")
        self.tcp_nodelay = tcp_nodelay
        self.max_concurrent = max_concurrent
        self.over_limit = over_limit
        self.rejected = 0  #: chat requests answered 429 because of ``max_concurrent``
        self._slots = threading.Semaphore(max_concurrent) if max_concurrent > 0 else None
        self.requests: list[Recorded] = []
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._count = 0
        self.in_flight = 0  #: chat requests being answered now
        self.max_in_flight = 0  #: the most chat requests ever answered at once

    # -- scripting --------------------------------------------------------------------

    def enqueue(self, *replies: Reply) -> FakeOpenAI:
        """Append replies; each chat request takes the next one."""
        with self._lock:
            self._queue.extend(replies)
        return self

    @property
    def chat_requests(self) -> list[Recorded]:
        """Recorded ``POST .../chat/completions`` requests, in order."""
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/v1``."""
        if self._server is None:
            raise RuntimeError("FakeOpenAI is not started")
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}/v1"

    def _next(self) -> Reply:
        with self._lock:
            self._count += 1
            return self._queue.popleft() if self._queue else self.default

    # -- lifecycle --------------------------------------------------------------------

    def start(self) -> FakeOpenAI:
        """Bind a free port on 127.0.0.1 and serve in a daemon thread."""
        handler = type(
            "Handler", (_Handler,), {"fake": self, "disable_nagle_algorithm": self.tcp_nodelay}
        )
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-openai", daemon=True)  # fmt: skip
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; hanging replies are released at once."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- rendering --------------------------------------------------------------------

    def completion(self, reply: Reply, body: dict[str, Any]) -> dict[str, Any]:
        """The chat.completion object for ``reply`` answering ``body``."""
        finish = "stop"
        if reply.kind == "raw":
            text = str(reply.payload)
        else:
            text = json.dumps(reply.payload, ensure_ascii=False)
            if reply.kind == "truncated":
                text, finish = text[: max(1, len(text) // 2)], "length"
        if reply.fenced:
            text = f"Here it is:\n```json\n{text}\n```"
        message: dict[str, Any] = {"role": "assistant", "content": text}
        tools = body.get("tools") or []
        if tools:
            name = tools[0].get("function", {}).get("name", "tool")
            message = {
                "role": "assistant",
                "content": None,
                "tool_calls": [{
                    "id": f"call_{self._count}",
                    "type": "function",
                    "function": {"name": name, "arguments": text},
                }],
            }  # fmt: skip
        prompt, completion, cached = reply.usage
        return {
            "id": f"chatcmpl-fake-{self._count}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", self.model),
            "choices": [{"index": 0, "message": message, "finish_reason": finish,
                         "logprobs": None}],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
                "prompt_tokens_details": {"cached_tokens": cached},
            },
        }  # fmt: skip


class _Handler(BaseHTTPRequestHandler):
    fake: FakeOpenAI
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _record(self, body: Any) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        record = Recorded(self.command, self.path, headers, body, time.monotonic())
        with self.fake._lock:
            self.fake.requests.append(record)

    def _send(self, code: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # client gave up
            self.wfile.write(data)

    def do_GET(self) -> None:
        self._record(None)
        if self.path.rstrip("/").endswith("/models"):
            self._send(
                200,
                {
                    "object": "list",
                    "data": [
                        {"id": self.fake.model, "object": "model", "created": 0, "owned_by": "fake"}
                    ],
                },
            )
            return
        self._send(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            body = {"_raw": raw.decode("utf-8", "replace")}
        self._record(body)
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        fake = self.fake
        if fake._slots is not None:  # a server-side concurrency cap
            if fake.over_limit == "queue":
                fake._slots.acquire()
            elif not fake._slots.acquire(blocking=False):
                with fake._lock:
                    fake.rejected += 1
                self._send(429, {"error": {"message": "too many concurrent requests",
                                           "type": "rate_limit", "code": 429}},
                           {"Retry-After": "0.05"})  # fmt: skip
                return
        try:
            reply = fake._next()
            with fake._lock:
                fake.in_flight += 1
                fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
            try:
                self._reply(reply, body)
            finally:
                with fake._lock:
                    fake.in_flight -= 1
        finally:
            if fake._slots is not None:
                fake._slots.release()

    def _reply(self, reply: Reply, body: Any) -> None:
        if reply.kind == "auto_units":
            self.fake._stopping.wait(reply.seconds)
            reply = Reply("answer", payload=_requested_units(body), usage=reply.usage)
            self._send(200, self.fake.completion(reply, body), reply.headers)
        elif reply.kind == "hang":
            self.fake._stopping.wait(reply.seconds)
            self._send(500, {"error": {"message": "hung reply", "type": "server_error"}})
        elif reply.kind == "status":
            self._send(reply.status, {"error": {"message": reply.payload, "type": "scripted",
                                                "code": reply.status}}, reply.headers)  # fmt: skip
        elif reply.kind == "echo_auth":
            auth = self.headers.get("authorization", "")
            self._send(reply.status, {"error": {
                "message": f"Incorrect API key provided: {auth.removeprefix('Bearer ')}",
                "type": "invalid_request_error", "code": "invalid_api_key"}})  # fmt: skip
        else:
            self._send(200, self.fake.completion(reply, body), reply.headers)
