"""A real HTTP receiver on a free port: records each POST, answers ``fail_status`` (500) to the first
``fail_first``, then 204."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.redis_server import free_port


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    answered: int


class WebhookReceiver:
    """``url`` takes POSTs; ``received`` lists them in order; ``fail_first`` sets how many fail."""

    def __init__(self, fail_first: int = 0, fail_status: int = 500):
        self.fail_first, self.fail_status = fail_first, fail_status
        self.received: list[Received] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    failing = len(receiver.received) < receiver.fail_first
                    status = receiver.fail_status if failing else 204
                    receiver.received.append(Received(self.path, dict(self.headers), body, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def start(self) -> "WebhookReceiver":
        threading.Thread(target=self.server.serve_forever, name="webhook-receiver", daemon=True).start()
        return self

    def reset(self, fail_first: int = 0, fail_status: int = 500) -> None:
        with self._lock:
            self.received.clear()
            self.fail_first, self.fail_status = fail_first, fail_status

    def wait_for(self, count: int, timeout: float = 60.0, path: str | None = None) -> list[Received]:
        """The first ``count`` requests (to ``path``, when given), once they came; fails after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                got = [r for r in self.received if path is None or r.path == path]
            if len(got) >= count:
                return got
            time.sleep(0.05)
        raise AssertionError(f"{len(got)} requests of {count} reached the receiver within {timeout} s")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
