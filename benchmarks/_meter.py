"""A metering proxy: both tools talk to the same endpoint through it, and it counts.

Every request is forwarded unchanged to the upstream OpenAI-compatible endpoint
and the answer is returned unchanged; the proxy notes, per call, the tag set by
the benchmark (which tool, which document), when the call started and ended,
its HTTP status and the ``usage`` the endpoint reported. The same numbers are
thus taken for any tool, whatever it does or does not count itself.

One rewrite, only with ``llama_cpp_dialect=True``: llama-cpp-python's server
rejects OpenAI's ``response_format={"type": "json_schema", ...}`` with an error
and reads the schema only as ``{"type": "json_object", "schema": S}``. The
proxy turns the first into the second, so a tool that sends OpenAI's form
(langextract does) gets the same grammar-constrained decoding this project
asks for in llama.cpp's own dialect.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Call:
    """One request as the proxy saw it."""

    tag: str
    start: float
    end: float
    status: int
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True)
class Tally:
    """What the calls of one tag cost."""

    calls: int
    failed: int
    prompt_tokens: int
    completion_tokens: int
    busy_seconds: float  #: time with at least one call in flight (union of intervals)


class Meter:
    """The proxy. ``with Meter(upstream) as m: m.url`` is the base URL to give the tools."""

    def __init__(self, upstream: str, *, llama_cpp_dialect: bool = False) -> None:
        parts = urlsplit(upstream.rstrip("/"))
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"the meter forwards to plain http endpoints, not {upstream!r}")
        self._host, self._port = parts.hostname, parts.port or 80
        self._prefix = parts.path  # e.g. /v1
        self.llama_cpp_dialect = llama_cpp_dialect
        self.tag = ""
        self.calls: list[Call] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the meter is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}{self._prefix}"

    def __enter__(self) -> Meter:
        meter = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:
                pass

            def do_GET(self) -> None:
                self._forward(b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if meter.llama_cpp_dialect:
                    body = _to_llama_cpp_dialect(body)
                self._forward(body)

            def _forward(self, body: bytes) -> None:
                tag, start = meter.tag, time.perf_counter()
                conn = http.client.HTTPConnection(meter._host, meter._port, timeout=1800)
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() not in {"host", "content-length", "connection"}
                }
                conn.request(self.command, self.path, body=body or None, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                conn.close()
                end = time.perf_counter()
                if self.command == "POST":
                    meter._note(tag, start, end, resp.status, data)
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in {"transfer-encoding", "content-length", "connection"}:
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _note(self, tag: str, start: float, end: float, status: int, data: bytes) -> None:
        prompt = completion = 0
        try:
            usage = json.loads(data).get("usage") or {}
            prompt = int(usage.get("prompt_tokens") or 0)
            completion = int(usage.get("completion_tokens") or 0)
        except (ValueError, AttributeError):
            pass
        with self._lock:
            self.calls.append(Call(tag, start, end, status, prompt, completion))

    @contextmanager
    def tagged(self, tag: str) -> Iterator[None]:
        """Attribute the calls made inside the block to ``tag`` (one tool, one document)."""
        self.tag = tag
        try:
            yield
        finally:
            self.tag = ""

    def tally(self, tag: str) -> Tally:
        """Calls, tokens and busy seconds of one tag."""
        mine = [c for c in self.calls if c.tag == tag]
        busy, reach = 0.0, float("-inf")
        for c in sorted(mine, key=lambda c: c.start):
            if c.end > reach:
                busy += c.end - max(c.start, reach)
                reach = c.end
        return Tally(
            calls=len(mine),
            failed=sum(c.status >= 400 for c in mine),
            prompt_tokens=sum(c.prompt_tokens for c in mine),
            completion_tokens=sum(c.completion_tokens for c in mine),
            busy_seconds=busy,
        )


def _to_llama_cpp_dialect(body: bytes) -> bytes:
    """``json_schema`` response formats rewritten as llama.cpp's ``json_object`` + schema."""
    try:
        request = json.loads(body)
    except ValueError:
        return body
    fmt = request.get("response_format") if isinstance(request, dict) else None
    if not isinstance(fmt, dict) or fmt.get("type") != "json_schema":
        return body
    schema = (fmt.get("json_schema") or {}).get("schema")
    request["response_format"] = {"type": "json_object", "schema": schema}
    return json.dumps(request, ensure_ascii=False).encode("utf-8")
