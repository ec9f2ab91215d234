"""Start the sandbox as a real separate process and drive its control API (standard library only).

    with SandboxProcess(composition_step=1, recording_processing=0.5) as sb:
        client = Telnyx(api_key=sb.api_key, base_url=sb.base_url, max_retries=0)
        room = client.rooms.create(unique_name="demo").data
        alice = sb.join(room.id, "alice")

Control methods raise :class:`SandboxError` on any non-2xx answer.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlencode

REPO_ROOT = Path(__file__).resolve().parent.parent


class SandboxError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"sandbox answered {status}: {body}")
        self.status = status
        self.body = body


class SandboxProcess:
    """A sandbox server in its own process on a free port.

    Attributes once started: ``base_url`` (ends in ``/v2``), ``root_url``, ``api_key``,
    ``webhook_public_key`` (base64), ``token_public_key`` (base64), ``pid``.
    """

    def __init__(
        self,
        *,
        api_key: str = "KEYSANDBOXTEST",
        host: str = "127.0.0.1",
        port: int = 0,
        seed: str = "none",
        state: str | os.PathLike[str] | None = None,
        link_ttl: float | None = None,
        composition_step: float | None = None,
        recording_processing: float | None = None,
        churn: float | None = 0,
        recording_bytes: int | None = None,
        composition_bytes: int | None = None,
        webhook_timeout: float | None = None,
        key_seed: str | None = None,
        tick: float | None = 0.05,
        extra_args: list[str] | None = None,
        startup_timeout: float = 20.0,
        python: str = sys.executable,
    ) -> None:
        self.api_key = api_key
        self.startup_timeout = startup_timeout
        args = ["--host", host, "--port", str(port), "--api-key", api_key, "--seed", seed]
        options = {
            "--state": state,
            "--link-ttl": link_ttl,
            "--composition-step": composition_step,
            "--recording-processing": recording_processing,
            "--churn": churn,
            "--recording-bytes": recording_bytes,
            "--composition-bytes": composition_bytes,
            "--webhook-timeout": webhook_timeout,
            "--key-seed": key_seed,
            "--tick": tick,
        }
        for flag, value in options.items():
            if value is not None:
                args += [flag, str(value)]
        self.command = [python, "-m", "sandbox", *args, *(extra_args or [])]
        self.process: subprocess.Popen[str] | None = None
        self.base_url = ""
        self.root_url = ""
        self.webhook_public_key = ""
        self.token_public_key = ""
        self.log_path = ""
        self._log_file: Any = None

    # --- lifecycle --------------------------------------------
    def start(self) -> SandboxProcess:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        env["PYTHONUNBUFFERED"] = "1"
        self._log_file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - lives as long as the process
            prefix="sandbox-", suffix=".log", delete=False
        )
        self.log_path = self._log_file.name
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            self.command,
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=self._log_file,
            text=True,
        )
        ready: dict[str, str] = {}
        done = threading.Event()

        def read_stdout() -> None:
            assert self.process is not None and self.process.stdout is not None
            for line in self.process.stdout:
                if line.startswith("SANDBOX_READY ") and not ready:
                    for pair in line.split()[1:]:
                        name, value = pair.split("=", 1)
                        ready[name] = value
                    done.set()
            done.set()

        threading.Thread(target=read_stdout, name="sandbox-stdout", daemon=True).start()
        if not done.wait(self.startup_timeout) or not ready:
            self.stop()
            raise RuntimeError(f"sandbox did not start; see {self.log_path}:\n{self.logs()}")
        self.base_url = ready["base_url"]
        self.root_url = ready["root_url"]
        self.webhook_public_key = ready["webhook_public_key"]
        self.token_public_key = ready["token_public_key"]
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self._log_file is not None:
            self._log_file.close()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def logs(self) -> str:
        return Path(self.log_path).read_text() if self.log_path else ""

    def __enter__(self) -> SandboxProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- HTTP -------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        auth: bool = True,
        timeout: float = 30.0,
    ) -> tuple[int, dict[str, str], Any]:
        """Any request to the sandbox: ``path`` is relative to the root (``/v2/rooms``, ``/_sandbox/reset``).

        Returns (status, headers, parsed JSON body or None); never raises for an HTTP status.
        """
        url = self.root_url + path + (("?" + urlencode(query)) if query else "")
        data = None if body is None else json.dumps(body).encode()
        all_headers = {"Accept": "application/json"}
        if data is not None:
            all_headers["Content-Type"] = "application/json"
        if auth:
            all_headers["Authorization"] = f"Bearer {self.api_key}"
        all_headers.update(headers or {})
        request = urllib.request.Request(url, data=data, method=method, headers=all_headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                status, raw, response_headers = response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as exc:
            status, raw, response_headers = exc.code, exc.read(), dict(exc.headers)
        parsed = json.loads(raw) if raw else None
        return status, response_headers, parsed

    def _control(self, method: str, path: str, body: Any = None) -> Any:
        status, _, parsed = self.request(method, "/_sandbox" + path, body)
        if not 200 <= status < 300:
            raise SandboxError(status, parsed)
        return parsed.get("data") if isinstance(parsed, dict) and "data" in parsed else parsed

    def _control_object(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        """``_control`` for the operations whose ``data`` is a JSON object."""
        return cast("dict[str, Any]", self._control(method, path, body))

    def _control_list(self, method: str, path: str, body: Any = None) -> list[dict[str, Any]]:
        """``_control`` for the operations whose ``data`` is a JSON array of objects."""
        return cast("list[dict[str, Any]]", self._control(method, path, body))

    # --- control API ------------------------------------------
    def reset(self) -> None:
        """Empty state, no faults, zero request counts, startup timings."""
        self._control("POST", "/reset", {})

    def seed(
        self,
        *,
        rooms: int = 10,
        sessions_per_room: int = 10,
        participants_per_session: int = 2,
        recording_bytes: int | None = None,
        compositions_per_room: int = 0,
    ) -> dict[str, Any]:
        """Bulk history: rooms x sessions x participants, two completed recordings per participant.

        Returns counts (rooms, sessions, participants, recordings, compositions, elapsed_secs) and
        ``room_ids`` (the first 1000).
        """
        body: dict[str, Any] = {
            "rooms": rooms,
            "sessions_per_room": sessions_per_room,
            "participants_per_session": participants_per_session,
            "compositions_per_room": compositions_per_room,
        }
        if recording_bytes is not None:
            body["recording_bytes"] = recording_bytes
        return self._control_object("POST", "/seed", body)

    def seed_demo(self) -> None:
        self._control("POST", "/seed/demo", {})

    def join(self, room_id: str, context: str = "") -> dict[str, Any]:
        """A participant joins (starting a session if none is active). Raises SandboxError(409) when the
        room is full or deleted, 404 when unknown."""
        return self._control_object("POST", f"/rooms/{room_id}/participants", {"context": context})

    def leave(self, participant_id: str) -> dict[str, Any]:
        return self._control_object("POST", f"/participants/{participant_id}/leave", {})

    def participant(self, participant_id: str) -> dict[str, Any]:
        """The participant plus ``audio_muted``, ``kicked``, ``left_reason``, ``room_id`` and
        ``recording_ids``."""
        return self._control_object("GET", f"/participants/{participant_id}")

    def advance_composition(self, composition_id: str) -> dict[str, Any]:
        """Move a composition to its next status now; returns it as the API would."""
        return self._control_object("POST", f"/compositions/{composition_id}/advance", {})

    def schedule_composition(
        self, composition_id: str, *, completes_in: float, processing_in: float | None = None
    ) -> dict[str, Any]:
        """Make a composition that is not completed yet complete ``completes_in`` seconds from now
        (an enqueued one starts processing after ``processing_in``, default the composition step).
        Returns id, status, ``processing_at`` and ``completes_at`` (Unix seconds)."""
        body: dict[str, Any] = {"completes_in_secs": completes_in}
        if processing_in is not None:
            body["processing_in_secs"] = processing_in
        return self._control_object("PUT", f"/compositions/{composition_id}/schedule", body)

    def complete_composition(self, composition_id: str) -> dict[str, Any]:
        composition = self.advance_composition(composition_id)
        while composition["status"] != "completed":
            composition = self.advance_composition(composition_id)
        return composition

    def set_faults(self, **config: Any) -> dict[str, Any]:
        """rate, statuses, retry_after, latency_ms, timeout_rate, timeout_secs, seed."""
        return self._control_object("PUT", "/faults", config)

    def clear_faults(self) -> None:
        self._control("DELETE", "/faults")

    def set_settings(self, **settings: Any) -> dict[str, Any]:
        """Change timings until the next reset: link_ttl_secs, composition_step_secs,
        recording_processing_secs, recording_bytes, composition_bytes, webhook_timeout_secs."""
        return self._control_object("PUT", "/settings", settings)

    def request_counts(self) -> dict[str, dict[int, int]]:
        """{"GET /room_recordings": {200: 3, 429: 1}, ...} since the last reset/clear."""
        counts = self._control_object("GET", "/requests")
        return {op: {int(s): n for s, n in by.items()} for op, by in counts.items()}

    def request_count(self, operation: str | None = None, status: int | None = None) -> int:
        """Total requests, optionally for one operation ("GET /rooms") and/or status."""
        total = 0
        for op, by in self.request_counts().items():
            if operation is None or op == operation:
                total += sum(n for s, n in by.items() if status is None or s == status)
        return total

    def clear_request_counts(self) -> None:
        self._control("DELETE", "/requests")

    def webhook_deliveries(self) -> list[dict[str, Any]]:
        """Every webhook POST attempted: event_id, event_type, url, attempt, status, error, elapsed_secs."""
        return self._control_list("GET", "/webhooks")

    def wait_for(self, predicate: Any, timeout: float = 10.0, interval: float = 0.05) -> Any:
        """Poll ``predicate()`` until it returns something truthy; return it or raise TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError("condition not met in time")
            time.sleep(interval)
