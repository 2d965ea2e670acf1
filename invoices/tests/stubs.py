"""A tiny local HTTP server standing in for an external API (NBP, VIES, …) in tests.

The code under test talks to it over a real socket, with its real HTTP client; nothing is patched.

    with stub_server() as stub:
        stub.route("/api/exchangerates/tables/A/2026-11-13/", json=[...])
        stub.route("/vies/check", method="POST", status=503, json={"error": "down"})
        stub.route("/slow", json={}, delay=2)                     # for timeouts
        stub.route("/echo", handler=lambda req: (200, {"got": req.json}))
        settings.NBP_API_URL = stub.url("/api")
        ...
        assert stub.requests[0].path == "/api/exchangerates/tables/A/2026-11-13/"

Unrouted paths answer 404 (NBP's answer for "no table that day"). A route is matched on method and
path (the query string is recorded but ignored); a later `route()` for the same path replaces the
earlier one, so a test can change the answer between calls (e.g. "down" then "up").
"""

import json
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict
    headers: dict
    body: bytes

    @property
    def json(self):
        return json.loads(self.body) if self.body else None


@dataclass
class Route:
    status: int = 200
    body: object = None  # dict/list → JSON; str/bytes → as is
    headers: dict = field(default_factory=dict)
    delay: float = 0  # seconds before answering (timeouts)
    handler: Callable[[RecordedRequest], tuple[int, object]] | None = None


def _encode(body) -> tuple[bytes, str]:
    if body is None:
        return b"", "text/plain"
    if isinstance(body, bytes):
        return body, "application/octet-stream"
    if isinstance(body, str):
        return body.encode(), "text/plain; charset=utf-8"
    text = json.dumps(body, default=lambda o: float(o) if isinstance(o, Decimal) else str(o))
    return text.encode(), "application/json; charset=utf-8"


class StubServer:
    def __init__(self):
        self.routes: dict[tuple[str, str], Route] = {}
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                parts = urlsplit(self.path)
                request = RecordedRequest(
                    method=self.command, path=parts.path, query=parse_qs(parts.query),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                with stub._lock:
                    stub.requests.append(request)
                    route = stub.routes.get((self.command, parts.path))
                if route is None:
                    status, body, headers = 404, "404 NotFound", {}
                else:
                    if route.delay:
                        time.sleep(route.delay)
                    if route.handler is not None:
                        status, body = route.handler(request)
                    else:
                        status, body = route.status, route.body
                    headers = route.headers
                payload, content_type = _encode(body)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", headers.get("Content-Type", content_type))
                    for name, value in headers.items():
                        if name != "Content-Type":
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                    pass

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

            def log_message(self, format, *args):  # keep test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False  # don't wait for a deliberately slow answer
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str = "") -> str:
        return self.base_url + path

    def route(self, path, *, method="GET", status=200, json=None, body=None, headers=None,
              delay=0, handler=None) -> None:
        with self._lock:
            self.routes[(method.upper(), path)] = Route(
                status=status, body=json if json is not None else body, headers=headers or {},
                delay=delay, handler=handler,
            )

    def unroute(self, path, *, method="GET") -> None:
        with self._lock:
            self.routes.pop((method.upper(), path), None)

    def requests_to(self, path) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


@contextmanager
def stub_server(routes=None):
    """A running StubServer; `routes` is an optional {path: (status, json body)} to start with."""
    server = StubServer().start()
    try:
        for path, (status, body) in (routes or {}).items():
            server.route(path, status=status, json=body)
        yield server
    finally:
        server.stop()


# --- NBP helpers --------------------------------------------------------------------------------

NBP_PREFIX = "/api"


def nbp_table_path(day) -> str:
    return f"{NBP_PREFIX}/exchangerates/tables/A/{day.isoformat()}/"


def nbp_table_json(day, *, number=None, rates=None) -> list:
    """The NBP answer for table A of `day` (defaults: EUR 4.2345, USD 3.9876, CZK 0.1712)."""
    rates = rates or {"EUR": "4.2345", "USD": "3.9876", "CZK": "0.1712"}
    names = {"EUR": "euro", "USD": "dolar amerykański", "CZK": "korona czeska",
             "GBP": "funt szterling"}
    return [{
        "table": "A",
        "no": number or f"{day.timetuple().tm_yday:03d}/A/NBP/{day.year}",
        "effectiveDate": day.isoformat(),
        "rates": [{"currency": names.get(code, code.lower()), "code": code,
                   "mid": Decimal(str(mid))} for code, mid in rates.items()],
    }]
