"""A scriptable OpenAI/Ollama-like HTTP server on loopback, for fault tests and the client bench.

Real sockets and real HTTP/1.1 keep-alive (``http.server`` with ``protocol_version`` 1.1), so
the client under test goes through its real transport. Each test sets ``server.handler``, a
function of the request returning a ``Reply``; every request is recorded in ``server.hits``.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Optional, Union


@dataclass
class Request:
    method: str
    path: str
    headers: dict
    body: bytes

    @property
    def json(self):
        return json.loads(self.body) if self.body else None


@dataclass
class Reply:
    status: int = 200
    body: Union[bytes, dict, list, str] = b""
    headers: dict = field(default_factory=dict)
    drip_s: Optional[float] = None  # send the body one byte at a time, this far apart
    hold: Optional[threading.Event] = None  # wait for this before answering

    def encoded(self) -> bytes:
        if isinstance(self.body, (dict, list)):
            return json.dumps(self.body).encode()
        return self.body.encode() if isinstance(self.body, str) else self.body


def openai_reply(content: str, finish_reason: str = "stop") -> Reply:
    return Reply(body={
        "id": "chatcmpl-test", "object": "chat.completion", "model": "fake",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish_reason}],
    })


def ollama_reply(content: str) -> Reply:
    return Reply(body={"model": "fake", "message": {"role": "assistant", "content": content}, "done": True, "done_reason": "stop"})


def free_port() -> int:
    """A loopback port nobody listens on (to test refused connections)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so connection reuse is observable

    def setup(self):
        super().setup()
        # Headers and body go out as two writes; without this, Nagle holds the body back until
        # the client's delayed ACK (40 ms) on a kept-alive connection.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.fake.lock:
            self.server.fake.connections += 1

    def log_message(self, format, *args):  # noqa: A002 - quiet test output
        pass

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(self.command, self.path, dict(self.headers), self.rfile.read(length) if length else b"")
        fake = self.server.fake
        with fake.lock:
            fake.hits.append(request)
        reply = fake.handler(request)
        if reply.hold is not None:
            reply.hold.wait(30)
        body = reply.encoded()
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if reply.drip_s is None:
                self.wfile.write(body)
                return
            for i in range(len(body)):
                self.wfile.write(body[i:i + 1])
                self.wfile.flush()
                time.sleep(reply.drip_s)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = _serve
    do_POST = _serve


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that gives up mid-answer (a timeout test) resets the connection: expected.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FakeLLMServer:
    def __init__(self, handler: Optional[Callable[[Request], Reply]] = None):
        self.handler = handler or (lambda request: openai_reply('{"part": {"cube": {"size": 20}}}'))
        self.hits: list = []
        self.connections = 0
        self.lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.fake = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="fake-llm", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def posts(self, path: str) -> list:
        with self.lock:
            return [h for h in self.hits if h.method == "POST" and h.path == path]

    def __enter__(self) -> FakeLLMServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)


def main() -> None:
    """Serve the default answer until killed; prints the URL first (used by bench/llm_client.py)."""
    with FakeLLMServer() as server:
        print(server.url, flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
