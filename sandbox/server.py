"""HTTP layer: a threaded standard-library server for the Telnyx API, the control API and media.

- ``/v2/...``: the 25 Telnyx operations (bearer key, fault injection, request counting).
- ``/_sandbox/...``: the control API (same bearer key; no faults, not counted).
- ``/media/...``: pre-signed, expiring downloads with Range support, streamed in chunks outside the lock.

Each connection gets a daemon thread, HTTP/1.1 keep-alive and an exact ``Content-Length``, so a long
download or a held (timed-out) answer never blocks other requests.
"""

from __future__ import annotations

import hmac
import json
import re
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import errors as E
from .errors import ApiError
from .faults import Faults, RequestCounts, parse_config
from .media import CONTENT_TYPES, UNSATISFIABLE, parse_range
from .store import Store
from .timeutil import now as clock
from .validation import Query

Handler = Callable[[Store, dict[str, str], Query, Any], tuple[int, Any]]


@dataclass
class Route:
    method: str
    template: str
    regex: re.Pattern[str]
    handler: Handler
    has_body: bool
    auth_optional: bool = False


def _route(
    method: str, template: str, handler: Handler, *, body: bool = False, auth_optional: bool = False
) -> Route:
    pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
    return Route(method, template, re.compile(f"^{pattern}$"), handler, body, auth_optional)


def _data(status: int, value: Any) -> tuple[int, Any]:
    return status, {"data": value}


def _delete_room(s: Store, p: dict[str, str], q: Query, b: Any) -> tuple[int, Any]:
    s.delete_room(p["room_id"])
    return 204, None


def _delete_recording(s: Store, p: dict[str, str], q: Query, b: Any) -> tuple[int, Any]:
    s.delete_recording(p["room_recording_id"])
    return 204, None


def _delete_composition(s: Store, p: dict[str, str], q: Query, b: Any) -> tuple[int, Any]:
    s.delete_composition(p["room_composition_id"])
    return 204, None


def _participant_action(action: str) -> Handler:
    def handler(s: Store, p: dict[str, str], q: Query, b: Any) -> tuple[int, Any]:
        return _data(200, s.participant_action(p["room_session_id"], action, b))

    return handler


def _seed_demo(s: Store, p: dict[str, str], q: Query, b: Any) -> tuple[int, Any]:
    s.seed_demo()
    return _data(201, {"result": "ok"})


API_ROUTES = [
    # rooms
    _route("GET", "/rooms", lambda s, p, q, b: (200, s.list_rooms(q))),
    _route("POST", "/rooms", lambda s, p, q, b: _data(201, s.create_room(b)), body=True),
    _route("GET", "/rooms/{room_id}", lambda s, p, q, b: _data(200, s.get_room(p["room_id"], q))),
    _route(
        "PATCH", "/rooms/{room_id}", lambda s, p, q, b: _data(200, s.update_room(p["room_id"], b)), body=True
    ),
    _route("DELETE", "/rooms/{room_id}", _delete_room),
    _route(
        "POST",
        "/rooms/{room_id}/actions/generate_join_client_token",
        lambda s, p, q, b: _data(201, s.generate_token(p["room_id"], b)),
        body=True,
    ),
    _route(
        "POST",
        "/rooms/{room_id}/actions/refresh_client_token",
        lambda s, p, q, b: _data(201, s.refresh_token(p["room_id"], b)),
        body=True,
        auth_optional=True,
    ),
    _route("GET", "/rooms/{room_id}/sessions", lambda s, p, q, b: (200, s.list_sessions(q, p["room_id"]))),
    # sessions
    _route("GET", "/room_sessions", lambda s, p, q, b: (200, s.list_sessions(q))),
    _route(
        "GET",
        "/room_sessions/{room_session_id}",
        lambda s, p, q, b: _data(200, s.get_session(p["room_session_id"], q)),
    ),
    _route(
        "POST",
        "/room_sessions/{room_session_id}/actions/end",
        lambda s, p, q, b: _data(200, s.end_session(p["room_session_id"])),
        body=True,
    ),
    *(
        _route(
            "POST",
            f"/room_sessions/{{room_session_id}}/actions/{action}",
            _participant_action(action),
            body=True,
        )
        for action in ("kick", "mute", "unmute")
    ),
    _route(
        "GET",
        "/room_sessions/{room_session_id}/participants",
        lambda s, p, q, b: (200, s.list_participants(q, p["room_session_id"])),
    ),
    # participants
    _route("GET", "/room_participants", lambda s, p, q, b: (200, s.list_participants(q))),
    _route(
        "GET",
        "/room_participants/{room_participant_id}",
        lambda s, p, q, b: _data(200, s.get_participant(p["room_participant_id"])),
    ),
    # recordings
    _route("GET", "/room_recordings", lambda s, p, q, b: (200, s.list_recordings(q))),
    _route("DELETE", "/room_recordings", lambda s, p, q, b: _data(201, s.delete_recordings(q))),
    _route(
        "GET",
        "/room_recordings/{room_recording_id}",
        lambda s, p, q, b: _data(200, s.get_recording(p["room_recording_id"])),
    ),
    _route("DELETE", "/room_recordings/{room_recording_id}", _delete_recording),
    # compositions
    _route("GET", "/room_compositions", lambda s, p, q, b: (200, s.list_compositions(q))),
    _route("POST", "/room_compositions", lambda s, p, q, b: _data(202, s.create_composition(b)), body=True),
    _route(
        "GET",
        "/room_compositions/{room_composition_id}",
        lambda s, p, q, b: _data(200, s.get_composition(p["room_composition_id"])),
    ),
    _route("DELETE", "/room_compositions/{room_composition_id}", _delete_composition),
]


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], store: Store, *, verbose: bool = False) -> None:
        super().__init__(address, RequestHandler)
        self.store = store
        self.faults = Faults()
        self.counts = RequestCounts()
        self.verbose = verbose
        self.control_routes = self._control_routes()

    def _control_routes(self) -> list[Route]:
        faults, counts = self.faults, self.counts

        def put_faults(s: Store, p: dict[str, str], q: Query, b: Any) -> tuple[int, Any]:
            config, errors = parse_config(b)
            if config is None:
                raise E.unprocessable(errors)
            faults.set(config)
            return _data(200, config.as_dict())

        def reset(s: Store, p: dict[str, str], q: Query, b: Any) -> tuple[int, Any]:
            s.reset()
            counts.clear()
            faults.clear()
            return _data(200, {"result": "ok"})

        def clear_faults(s: Store, p: dict[str, str], q: Query, b: Any) -> tuple[int, Any]:
            faults.clear()
            return 204, None

        def clear_counts(s: Store, p: dict[str, str], q: Query, b: Any) -> tuple[int, Any]:
            counts.clear()
            return 204, None

        return [
            _route("POST", "/_sandbox/reset", reset, body=True),
            _route("POST", "/_sandbox/seed", lambda s, p, q, b: _data(201, s.seed(b)), body=True),
            _route("POST", "/_sandbox/seed/demo", _seed_demo, body=True),
            _route(
                "POST",
                "/_sandbox/rooms/{room_id}/participants",
                lambda s, p, q, b: _data(201, s.join(p["room_id"], b)),
                body=True,
            ),
            _route(
                "POST",
                "/_sandbox/participants/{participant_id}/leave",
                lambda s, p, q, b: _data(200, s.leave(p["participant_id"])),
                body=True,
            ),
            _route(
                "GET",
                "/_sandbox/participants/{participant_id}",
                lambda s, p, q, b: _data(200, s.control_participant(p["participant_id"])),
            ),
            _route(
                "POST",
                "/_sandbox/compositions/{composition_id}/advance",
                lambda s, p, q, b: _data(200, s.advance_composition(p["composition_id"])),
                body=True,
            ),
            _route(
                "PUT",
                "/_sandbox/compositions/{composition_id}/schedule",
                lambda s, p, q, b: _data(200, s.schedule_composition(p["composition_id"], b)),
                body=True,
            ),
            _route("PUT", "/_sandbox/faults", put_faults, body=True),
            _route("PUT", "/_sandbox/settings", lambda s, p, q, b: _data(200, s.tune(b)), body=True),
            _route("GET", "/_sandbox/faults", lambda s, p, q, b: _data(200, faults.config.as_dict())),
            _route("DELETE", "/_sandbox/faults", clear_faults),
            _route("GET", "/_sandbox/requests", lambda s, p, q, b: _data(200, counts.snapshot())),
            _route("DELETE", "/_sandbox/requests", clear_counts),
            _route("GET", "/_sandbox/webhooks", lambda s, p, q, b: _data(200, s.webhooks.log())),
            _route(
                "GET",
                "/_sandbox/webhook-public-key",
                lambda s, p, q, b: (200, {"public_key": s.webhook_public_key}),
                auth_optional=True,
            ),
            _route(
                "GET",
                "/_sandbox/token-public-key",
                lambda s, p, q, b: (200, {"public_key": s.token_public_key}),
                auth_optional=True,
            ),
            _route(
                "GET",
                "/_sandbox/health",
                lambda s, p, q, b: (200, {"status": "ok"}),
                auth_optional=True,
            ),
        ]


def _match(routes: list[Route], method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
    """(route, path params, path_exists_for_another_method)."""
    other_method = False
    for route in routes:
        match = route.regex.match(path)
        if match:
            if route.method == method:
                return route, match.groupdict(), False
            other_method = True
    return None, {}, other_method


def _method_not_allowed(routes: list[Route], method: str, path: str) -> ApiError:
    """405 for a path that exists under other methods, naming them in ``Allow``."""
    allowed = ", ".join(sorted({r.method for r in routes if r.regex.match(path)}))
    return ApiError(
        405,
        [E.error("10405", "Method not allowed", f"{method} is not allowed here; use {allowed}.")],
        {"Allow": allowed},
    )


def _first(params: dict[str, list[str]], name: str) -> str | None:
    """The first value of a query parameter, None when it is absent."""
    values = params.get(name)
    return values[0] if values else None


def _template_for(routes: list[Route], path: str) -> str | None:
    for route in routes:
        if route.regex.match(path):
            return route.template
    return None


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: SandboxServer
    server_version = "TelnyxSandbox/1.0"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        if self.server.verbose:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The answers the standard library makes on its own, in the sandbox's JSON error envelope.

        A method with no ``do_`` handler (OPTIONS, TRACE, anything) is routed like the others, so a known
        path answers 405 with ``Allow`` and an unknown one 404. A request that cannot be parsed (bad
        request line, headers too long) keeps the library's status and closes the connection.
        """
        if code == HTTPStatus.NOT_IMPLEMENTED and self.command and self.path:
            self._handle()
            return
        status = HTTPStatus(code)
        detail = explain or message or status.description or status.phrase
        errors = {"errors": [E.error(str(code), status.phrase, detail)]}
        body = json.dumps(errors, separators=(",", ":")).encode()
        self.close_connection = True
        try:
            self.send_response(code, message)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    # --- plumbing ---------------------------------------------
    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0] or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        payload = b"" if body is None or status == 204 else json.dumps(body, separators=(",", ":")).encode()
        head: list[tuple[str, str]] = []
        if status != 204:
            head += [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
        head += (headers or {}).items()
        try:
            self.log_request(status)
            # One write for head and body: no Nagle/delayed-ACK stall on keep-alive connections.
            self.wfile.write(self._response_bytes(status, head, b"" if self.command == "HEAD" else payload))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _response_bytes(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> bytes:
        """Status line, ``Server`` and ``Date``, ``headers``, blank line and payload, as ``send_response``
        and ``send_header`` would write them (an HTTP/0.9 request gets the payload alone). A
        ``Connection`` header sets ``close_connection`` the same way."""
        for name, value in headers:
            if name.lower() == "connection":
                if value.lower() == "close":
                    self.close_connection = True
                elif value.lower() == "keep-alive":
                    self.close_connection = False
        if self.request_version == "HTTP/0.9":
            return payload
        reason = self.responses[status][0] if status in self.responses else ""
        lines = [f"{self.protocol_version} {status:d} {reason}"]
        lines += [
            f"{name}: {value}"
            for name, value in [
                ("Server", self.version_string()),
                ("Date", self.date_time_string()),
                *headers,
            ]
        ]
        return "".join(f"{line}\r\n" for line in lines).encode("latin-1", "strict") + b"\r\n" + payload

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            token.strip().encode(), self.server.store.settings.api_key.encode()
        )

    @staticmethod
    def _auth_error() -> ApiError:
        return ApiError(
            401,
            [E.error(E.AUTHENTICATION, "Authentication failed", "The API key is missing or invalid.")],
        )

    # --- dispatch ---------------------------------------------
    def _handle(self) -> None:
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/") or "/"
        raw = self._read_body()
        if path.startswith("/v2/") or path == "/v2":
            self._api(path[3:], parts.query, raw)
        elif path.startswith("/_sandbox/"):
            self._control(path, parts.query, raw)
        elif path.startswith("/media/") and self.command in ("GET", "HEAD"):
            self._media(path, parts.query)
        else:
            self._send(
                404, ApiError(404, [E.error(E.NOT_FOUND, "Not found", f"No route for {path}.")]).body()
            )

    def _run(
        self, route: Route, params: dict[str, str], query: str, raw: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        body: Any = None
        if route.has_body:
            if raw.strip():
                try:
                    body = json.loads(raw)
                except (ValueError, UnicodeDecodeError):
                    raise E.unprocessable(
                        [E.invalid("The request body is not valid JSON.", pointer="/")]
                    ) from None
            else:
                body = {}
        status, out = route.handler(self.server.store, params, Query(query), body)
        return status, out, {}

    def _api(self, path: str, query: str, raw: bytes) -> None:
        route, params, other = _match(API_ROUTES, self.command, path)
        template = route.template if route else (_template_for(API_ROUTES, path) or "<unknown>")
        operation = f"{self.command} {template}"
        status, hold = 500, 0.0
        body: Any = None
        headers: dict[str, str] = {}
        try:
            if route is None:
                if other:
                    raise _method_not_allowed(API_ROUTES, self.command, path)
                raise E.not_found("Route")
            if not self._authorized() and not (route.auth_optional and "Authorization" not in self.headers):
                raise self._auth_error()
            decision = self.server.faults.decide()
            if decision.latency_secs:
                time.sleep(decision.latency_secs)
            if decision.status is not None:
                raise self._fault_error(decision.status, decision.retry_after)
            hold = decision.hold_secs
            status, body, headers = self._run(route, params, query, raw)
        except ApiError as exc:
            status, body, headers = exc.status, exc.body(), exc.headers
        except Exception as exc:  # noqa: BLE001 - answer like an API, log for the developer
            sys.stderr.write(f"sandbox: error in {operation}: {exc!r}\n")
            status, body = (
                500,
                ApiError(500, [E.error(E.UNEXPECTED, "Unexpected error", "Sandbox error.")]).body(),
            )
        self.server.counts.add(operation, status)
        if hold:
            time.sleep(hold)
        self._send(status, body, headers)

    @staticmethod
    def _fault_error(status: int, retry_after: float) -> ApiError:
        if status == 429:
            wait = str(int(retry_after)) if float(retry_after).is_integer() else str(retry_after)
            return ApiError(
                429,
                [E.error(E.RATE_LIMITED, "Too many requests", "Rate limit exceeded; retry later.")],
                {
                    "Retry-After": wait,
                    "x-ratelimit-limit": "100",
                    "x-ratelimit-remaining": "0",
                    "x-ratelimit-reset": str(max(1, int(float(retry_after) + 0.999))),
                },
            )
        titles = {
            500: "Unexpected error",
            502: "Bad gateway",
            503: "Service unavailable",
            504: "Gateway timeout",
        }
        return ApiError(
            status,
            [
                E.error(
                    E.UNEXPECTED if status >= 500 else str(status),
                    titles.get(status, "Injected fault"),
                    "Injected fault.",
                )
            ],
        )

    def _control(self, path: str, query: str, raw: bytes) -> None:
        route, params, other = _match(self.server.control_routes, self.command, path)
        try:
            if route is None:
                if other:
                    raise _method_not_allowed(self.server.control_routes, self.command, path)
                raise E.not_found("Route")
            if not route.auth_optional and not self._authorized():
                raise self._auth_error()
            status, body, headers = self._run(route, params, query, raw)
        except ApiError as exc:
            status, body, headers = exc.status, exc.body(), exc.headers
        except Exception as exc:  # noqa: BLE001
            sys.stderr.write(f"sandbox: error in control {path}: {exc!r}\n")
            status, body, headers = (
                500,
                {"errors": [E.error(E.UNEXPECTED, "Unexpected error", repr(exc))]},
                {},
            )
        self._send(status, body, headers)

    def _media(self, path: str, query: str) -> None:
        match = re.match(r"^/media/(recordings|compositions)/([0-9a-fA-F-]{36})\.(wav|mp4)$", path)
        if not match:
            self._send(404, E.not_found("File").body())
            return
        kind, record_id, ext = match.groups()
        params = parse_qs(query)
        reason = self.server.store.media.check(
            path, _first(params, "expires"), _first(params, "signature"), clock()
        )
        if reason:
            self._send(403, E.forbidden(reason).body())
            return
        found = self.server.store.media_file(kind, record_id)
        if found is None or found[0] != ext:
            self._send(404, E.not_found("File").body())
            return
        _, total = found
        wanted = parse_range(self.headers.get("Range"), total)
        if wanted == UNSATISFIABLE:
            self._send(
                416,
                {"errors": [E.error("416", "Range not satisfiable", f"The file has {total} bytes.")]},
                {"Content-Range": f"bytes */{total}"},
            )
            return
        start, end = (0, total - 1) if wanted is None else wanted
        try:
            self.send_response(200 if wanted is None else 206)
            self.send_header("Content-Type", CONTENT_TYPES[ext])
            self.send_header("Content-Length", str(end - start + 1))
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Disposition", f'inline; filename="{record_id}.{ext}"')
            self.send_header("Cache-Control", "private, max-age=0")
            if wanted is not None:
                self.send_header("Content-Range", f"bytes {start}-{end}/{total}")
            self.end_headers()
            if self.command == "HEAD":
                return
            for piece in self.server.store.media.stream(ext, total, start, end):
                self.wfile.write(piece)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle  # noqa: N815


class Ticker(threading.Thread):
    """Moves time forward for timed transitions and the demo churn; saves state now and then."""

    def __init__(
        self, store: Store, *, interval: float, save: Callable[[], None] | None, save_every: float
    ) -> None:
        super().__init__(name="sandbox-ticker", daemon=True)
        self.store = store
        self.interval = interval
        self.save = save
        self.save_every = save_every
        self.stopped = threading.Event()

    def run(self) -> None:
        last_save = time.monotonic()
        while not self.stopped.wait(self.interval):
            try:
                self.store.tick()
                if self.save and self.store.dirty and time.monotonic() - last_save >= self.save_every:
                    self.save()
                    last_save = time.monotonic()
            except Exception as exc:  # noqa: BLE001 - keep ticking
                sys.stderr.write(f"sandbox: ticker error: {exc!r}\n")
