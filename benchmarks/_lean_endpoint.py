"""A lean fixed-latency OpenAI-compatible endpoint for throughput benchmarks (asyncio).

It answers ``POST …/chat/completions`` exactly as ``tests/fake_openai.py``'s
``auto_units`` reply does (the same rendering code), after a fixed latency, with
HTTP/1.1 keep-alive — but on one asyncio event loop instead of a thread per
connection. A benchmark's endpoint shares this machine's cores with the client
it measures; the threaded test server spends about a millisecond of CPU per
request on HTTP parsing and thread switches, and on two cores that alone keeps
a client that does nothing but send requests at 1.3 × the ideal bound at
concurrency 64. A real endpoint's CPU is not on the client's machine; this one's
is kept small.

Usage (what ``ideal_bound.py`` does in a child process)::

    with LeanEndpoint(latency=0.3) as ep:   # ep.base_url, ep.requests, ep.max_in_flight
        ...
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

from fake_openai import FakeOpenAI, Reply, _requested_units

_REASONS = {200: "OK", 404: "Not Found", 429: "Too Many Requests"}


class LeanEndpoint:
    """The endpoint on ``127.0.0.1`` (a free port), served by an event loop in a thread.

    Args:
        latency: seconds before each answer.
        max_concurrent: most requests answered at once (0: no limit); over it,
            ``over_limit`` is ``"429"`` (answer 429 with ``Retry-After`` at once)
            or ``"queue"`` (wait for a slot).
    """

    def __init__(self, latency: float, max_concurrent: int = 0, over_limit: str = "429") -> None:
        self.latency = latency
        self.max_concurrent = max_concurrent
        self.over_limit = over_limit
        self.requests = 0
        self.rejected = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.arrivals: list[float] = []  #: time.monotonic() of each chat request
        self.base_url = ""
        self._render = FakeOpenAI(model="fake")  # its answer rendering, never started
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.base_events.Server | None = None
        self._slots: asyncio.Semaphore | None = None
        self._connections: set[asyncio.Task[None]] = set()

    def __enter__(self) -> LeanEndpoint:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    async def _start(self) -> None:
        if self.max_concurrent:
            self._slots = asyncio.Semaphore(self.max_concurrent)
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=1024)
        port = self._server.sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}/v1"

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in self._connections:
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
            task.add_done_callback(self._connections.discard)
        sock = writer.get_extra_info("socket")
        if sock is not None:  # as a production server: no Nagle delay on small answers
            import socket

            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                length = 0
                for line in lines[1:]:
                    if line[:15].lower() == "content-length:":
                        length = int(line[15:].strip())
                raw = await reader.readexactly(length) if length else b""
                status, payload, headers = await self._answer(method, path, raw)
                data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
                extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
                writer.write(
                    f"HTTP/1.1 {status} {_REASONS.get(status, 'OK')}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
                    f"{extra}\r\n".encode("latin-1") + data
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass  # the client closed the connection, or the endpoint stops
        finally:
            writer.close()

    async def _answer(
        self, method: str, path: str, raw: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        if method != "POST" or not path.rstrip("/").endswith("/chat/completions"):
            return 404, {"error": {"message": f"no route {path}", "type": "not_found"}}, {}
        self.requests += 1
        self.arrivals.append(time.monotonic())
        body = json.loads(raw or b"{}")
        if self._slots is not None and self.over_limit != "queue" and self._slots.locked():
            self.rejected += 1
            error = {"message": "too many concurrent requests", "type": "rate_limit", "code": 429}
            return 429, {"error": error}, {"Retry-After": "0.05"}
        if self._slots is not None:
            await self._slots.acquire()
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.latency)
            reply = Reply("answer", payload=_requested_units(body))
            return 200, self._render.completion(reply, body), {}
        finally:
            self.in_flight -= 1
            if self._slots is not None:
                self._slots.release()
