"""The sandbox's state: settings, the store lock, the tables, the signing keys, and ``--state`` files.

Everything the operations share lives on :class:`StoreState`: lookups that answer 404, the webhook
target of a room or composition, and the expiring download link of a recording or composition. It holds
no rule of its own; the lifecycle, the API operations and the seeding build on it.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import random
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .errors import invalid, not_found, unprocessable
from .keys import new_private_bytes, private_bytes, private_key, public_b64
from .media import MediaFiles
from .tables import Record, Table
from .timeutil import now as clock
from .validation import is_uuid
from .webhooks import Target, WebhookDispatcher, envelope

STATE_VERSION = 2

MediaKind = Literal["recordings", "compositions"]
"""The two kinds of downloadable record; also the ``/media/<kind>/`` segment of their links."""


@dataclass
class Settings:
    api_key: str
    link_ttl_secs: float = 600.0
    composition_step_secs: float = 5.0
    recording_processing_secs: float = 3.0
    churn_secs: float = 7.0
    recording_bytes: int = 1_000_000
    composition_bytes: int = 2_000_000
    webhook_timeout_secs: float = 10.0
    key_seed: str | None = None
    root_url: str = "http://127.0.0.1"


TUNABLE: dict[str, type[int] | type[float]] = {
    "link_ttl_secs": float,
    "composition_step_secs": float,
    "recording_processing_secs": float,
    "churn_secs": float,
    "recording_bytes": int,
    "composition_bytes": int,
    "webhook_timeout_secs": float,
}
"""Settings the control API may change at runtime; a reset restores their startup values."""


def new_id() -> str:
    return str(uuid.UUID(bytes=os.urandom(16), version=4))


def public(rec: Record) -> dict[str, Any]:
    """The fields of ``rec`` an API answer shows: no bookkeeping (``_``) keys, no unset (None) values."""
    return {k: v for k, v in rec.items() if k[0] != "_" and v is not None}


def page_of(rows: list[Record], number: int, size: int) -> tuple[list[Record], dict[str, int]]:
    """Newest-first page ``number`` of ascending ``rows`` and its ``meta``."""
    total = len(rows)
    hi = total - (number - 1) * size
    lo = max(0, hi - size)
    page = rows[lo:hi][::-1] if hi > 0 else []
    meta = {
        "page_number": number,
        "page_size": size,
        "total_pages": math.ceil(total / size),
        "total_results": total,
    }
    return page, meta


class StoreState:
    """Tables, keys and settings behind one re-entrant lock.

    Every public operation of the store takes ``lock`` for its whole duration; the ``_`` methods here
    expect the caller to hold it.
    """

    def __init__(self, settings: Settings, media: MediaFiles | None = None) -> None:
        self.settings = settings
        self.startup = dataclasses.replace(settings)
        self.lock = threading.RLock()
        self.token_key = private_key(new_private_bytes(settings.key_seed, "tokens"))
        self.webhook_key = private_key(new_private_bytes(settings.key_seed, "webhooks"))
        self.link_secret = new_private_bytes(settings.key_seed, "links")
        self.media = media or MediaFiles(self.link_secret)
        self.media.secret = self.link_secret
        self.webhooks = WebhookDispatcher(self.webhook_key, default_timeout=settings.webhook_timeout_secs)
        self.rng = random.Random()  # noqa: S311 - sample data
        self._init_state()

    def _init_state(self) -> None:
        self.rooms = Table("created_at")  # indexes only for fields that never change
        self.sessions = Table("created_at", ("room_id",))
        self.participants = Table("joined_at", ("session_id",))
        self.recordings = Table("created_at", ("room_id", "session_id", "participant_id", "type"))
        self.compositions = Table("created_at", ("session_id",))
        self.deleted_rooms: dict[str, Record] = {}
        self.present: dict[str, set[str]] = {}  # session id -> ids of participants in it now
        self.pending_recordings: dict[str, Record] = {}
        self.pending_compositions: dict[str, Record] = {}
        self.demo_room_id: str | None = None
        self.next_churn = 0.0
        self.dirty = True

    @property
    def webhook_public_key(self) -> str:
        """Base64 of the webhook key's 32 raw public bytes, the form Telnyx's portal shows."""
        return public_b64(self.webhook_key)

    @property
    def token_public_key(self) -> str:
        return public_b64(self.token_key)

    # --- lookups ----------------------------------------------
    @staticmethod
    def _find(table: Table, record_id: str, what: str) -> Record:
        """The record of ``table`` with this id; 404 naming ``what`` when absent or not a uuid."""
        rec = table.get(record_id) if is_uuid(record_id) else None
        if rec is None:
            raise not_found(what)
        return rec

    def _room(self, room_id: str) -> Record:
        return self._find(self.rooms, room_id, "Room")

    def _session(self, session_id: str) -> Record:
        return self._find(self.sessions, session_id, "Room session")

    def _participant(self, participant_id: str) -> Record:
        return self._find(self.participants, participant_id, "Room participant")

    def _media_tables(self, kind: MediaKind) -> tuple[Table, dict[str, Record]]:
        """The table of recordings or compositions and its records still stepping through statuses."""
        if kind == "recordings":
            return self.recordings, self.pending_recordings
        return self.compositions, self.pending_compositions

    def _room_or_snapshot(self, room_id: str) -> Record | None:
        """The room, or what it was when deleted: events of its last session still go to its URLs."""
        return self.rooms.get(room_id) or self.deleted_rooms.get(room_id)

    # --- webhooks ---------------------------------------------
    @staticmethod
    def _target(owner: Record | None) -> Target:
        """Where events of a room (or of a composition, which names its own URLs) are delivered."""
        if owner is None:
            return Target(None, None, None)
        return Target(
            owner.get("webhook_event_url") or None,
            owner.get("webhook_event_failover_url") or None,
            owner.get("webhook_timeout_secs"),
        )

    def _emit(self, target: Target, event_type: str, payload: dict[str, Any]) -> None:
        """Queue one signed event; nothing is sent when the target has no URL. None values are left out."""
        if target.url or target.failover_url:
            clean = {k: v for k, v in payload.items() if v is not None}
            self.webhooks.enqueue(target, envelope(event_type, clean, clock()))

    # --- download links ---------------------------------------
    def _download_link(self, kind: MediaKind, rec: Record, now: float) -> str:
        """A signed link to the file of a completed recording or composition, valid ``link_ttl_secs``."""
        path = f"/media/{kind}/{rec['id']}.{rec.get('_ext', 'mp4')}"
        expires = math.ceil(now + self.settings.link_ttl_secs)
        return self.media.link(self.settings.root_url, path, expires)

    # --- runtime settings -------------------------------------
    def reset(self) -> None:
        """Empty every table, forget delivered webhooks and restore the startup timings."""
        with self.lock:
            self._init_state()
            self.webhooks.clear_log()
            for name in TUNABLE:
                setattr(self.settings, name, getattr(self.startup, name))
            self.webhooks.default_timeout = self.settings.webhook_timeout_secs

    def tune(self, body: Any) -> dict[str, Any]:
        """Change timings at runtime (until the next reset); answers every tunable setting."""
        if not isinstance(body, dict):
            raise unprocessable([invalid("The body must be a JSON object.", pointer="/")])
        errors = []
        for name, value in body.items():
            kind = TUNABLE.get(name)
            if kind is None:
                errors.append(invalid(f"{name} is not a tunable setting.", pointer=f"/{name}"))
            elif isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                errors.append(invalid(f"{name} must be a number >= 0.", pointer=f"/{name}"))
        if errors:
            raise unprocessable(errors)
        with self.lock:
            for name, value in body.items():
                setattr(self.settings, name, TUNABLE[name](value))
            self.webhooks.default_timeout = self.settings.webhook_timeout_secs
            return {name: getattr(self.settings, name) for name in TUNABLE}

    # --- persistence ------------------------------------------
    def save(self, path: Path) -> None:
        """Write the state and the signing keys to ``path`` atomically (temporary file, then rename)."""
        with self.lock:
            state = {
                "version": STATE_VERSION,
                "keys": {
                    "tokens": private_bytes(self.token_key).hex(),
                    "webhooks": private_bytes(self.webhook_key).hex(),
                    "links": self.link_secret.hex(),
                },
                "rooms": self.rooms.order,
                "deleted_rooms": list(self.deleted_rooms.values()),
                "sessions": self.sessions.order,
                "participants": self.participants.order,
                "recordings": self.recordings.order,
                "compositions": self.compositions.order,
                "demo_room_id": self.demo_room_id,
            }
            data = json.dumps(state, separators=(",", ":"))
            self.dirty = False
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(data)
        os.replace(tmp, path)

    def load(self, path: Path) -> None:
        """Replace the state and keys with those saved in ``path``; live sessions stay live."""
        state = json.loads(path.read_text())
        if state.get("version", 1) < 2:
            _upgrade_from_version_1(state)
        with self.lock:
            keys = state["keys"]
            self.token_key = private_key(bytes.fromhex(keys["tokens"]))
            self.webhook_key = private_key(bytes.fromhex(keys["webhooks"]))
            self.webhooks.key = self.webhook_key
            self.link_secret = bytes.fromhex(keys["links"])
            self.media.secret = self.link_secret
            self._init_state()
            self.rooms.load(state["rooms"])
            self.deleted_rooms = {r["id"]: r for r in state["deleted_rooms"]}
            self.sessions.load(state["sessions"])
            self.participants.load(state["participants"])
            self.recordings.load(state["recordings"])
            self.compositions.load(state["compositions"])
            for session in self.sessions.order:
                if session["active"]:
                    self.present[session["id"]] = set()
            for participant in self.participants.order:
                if participant.get("left_at") is None and participant["session_id"] in self.present:
                    self.present[participant["session_id"]].add(participant["id"])
            for rec in self.recordings.order:
                if rec["status"] != "completed":
                    self.pending_recordings[rec["id"]] = rec
            for comp in self.compositions.order:
                if comp["status"] != "completed":
                    self.pending_compositions[comp["id"]] = comp
            self.demo_room_id = state.get("demo_room_id")
            self.next_churn = clock() + self.settings.churn_secs
            self.dirty = False


def _upgrade_from_version_1(state: dict[str, Any]) -> None:
    """Version 1 files schedule a recording's completion as ``_completes_at`` rather than ``_steps``, and
    write an unset failover URL as an empty string rather than leaving it out."""
    for owner in (*state["rooms"], *state["deleted_rooms"], *state["compositions"]):
        if owner.get("webhook_event_failover_url") == "":
            owner["webhook_event_failover_url"] = None
    for rec in state["recordings"]:
        completes_at = rec.pop("_completes_at", None)
        rec.setdefault("_steps", [] if completes_at is None else [completes_at])
