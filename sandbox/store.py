"""The sandbox's state and rules: rooms, sessions, participants, recordings, compositions.

Every public method takes the store lock, first moves time forward (recordings finish processing,
compositions step through their statuses), then applies one operation. A background ticker calls
:meth:`Store.tick` too, so webhooks for timed transitions leave on time even when nobody is reading.
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
from typing import Any

from . import tokens
from .errors import ApiError, error, forbidden, invalid, not_found, unprocessable
from .keys import new_private_bytes, private_bytes, private_key, public_b64
from .media import MediaFiles
from .tables import Record, Table
from .timeutil import iso
from .timeutil import now as clock
from .validation import (
    FilterSpec,
    Query,
    check_object,
    is_uuid,
    parse_resolution,
    validate_composition,
    validate_participant_action,
    validate_room,
    validate_token_request,
)
from .webhooks import Target, WebhookDispatcher, envelope

ACCOUNT_USER_ID = "5f9c2a1e-3b7d-4e8a-9c61-2d4b8e7f1a03"
DEMO_NAMES = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"]


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


ROOM_FILTERS = FilterSpec(
    dates={"date_created_at": "created_at", "date_updated_at": "updated_at"},
    equals={"unique_name": "unique_name"},
)
SESSION_FILTERS = FilterSpec(
    dates={"date_created_at": "created_at", "date_updated_at": "updated_at", "date_ended_at": "ended_at"},
    equals={"room_id": "room_id"},
    booleans={"active": "active"},
)
ROOM_SESSION_FILTERS = FilterSpec(
    dates=SESSION_FILTERS.dates,
    booleans={"active": "active"},
)
PARTICIPANT_FILTERS = FilterSpec(
    dates={"date_joined_at": "joined_at", "date_updated_at": "updated_at", "date_left_at": "left_at"},
    equals={"context": "context", "session_id": "session_id"},
)
SESSION_PARTICIPANT_FILTERS = FilterSpec(
    dates=PARTICIPANT_FILTERS.dates,
    equals={"context": "context"},
)
RECORDING_FILTERS = FilterSpec(
    dates={"date_started_at": "started_at", "date_ended_at": "ended_at"},
    equals={
        "room_id": "room_id",
        "session_id": "session_id",
        "participant_id": "participant_id",
        "status": "status",
        "type": "type",
    },
    uuids=("room_id", "session_id", "participant_id"),
    at_least={"duration_secs": "duration_secs"},
)
COMPOSITION_FILTERS = FilterSpec(
    dates={"date_created_at": "created_at"},
    equals={"session_id": "session_id", "status": "status"},
    uuids=("session_id",),
    enums={"status": ("completed", "processing", "enqueued")},
)


def new_id() -> str:
    return str(uuid.UUID(bytes=os.urandom(16), version=4))


def public(rec: Record) -> dict[str, Any]:
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


class Store:
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
        return public_b64(self.webhook_key)

    @property
    def token_public_key(self) -> str:
        return public_b64(self.token_key)

    # --- time -------------------------------------------------
    def tick(self, now: float | None = None) -> None:
        with self.lock:
            now = clock() if now is None else now
            self._advance(now)
            self._churn(now)

    def _advance(self, now: float) -> None:
        if self.pending_recordings:
            for rec in list(self.pending_recordings.values()):
                if rec["_completes_at"] <= now:
                    self._complete_recording(rec)
        if self.pending_compositions:
            for comp in list(self.pending_compositions.values()):
                while comp["_steps"] and comp["_steps"][0] <= now:
                    self._step_composition(comp, comp["_steps"].pop(0))

    def _complete_recording(self, rec: Record) -> None:
        at = iso(rec.pop("_completes_at"))
        self.pending_recordings.pop(rec["id"], None)
        rec["status"] = "completed"
        rec["completed_at"] = at
        rec["updated_at"] = at
        self.dirty = True
        room = self._room_or_snapshot(rec["room_id"])
        payload = {
            k: rec.get(k)
            for k in ("room_id", "session_id", "participant_id", "type", "codec", "duration_secs")
        }
        payload["recording_id"] = rec["id"]
        payload["size_mb"] = rec["size_mb"]
        payload["download_url"] = self._recording_link(rec, clock())
        self._emit(self._room_target(room), "video.room.recording.completed", payload)

    def _step_composition(self, comp: Record, at_ts: float) -> None:
        at = iso(at_ts)
        comp["updated_at"] = at
        self.dirty = True
        if comp["status"] == "enqueued":
            comp["status"] = "processing"
            return
        comp["status"] = "completed"
        comp["completed_at"] = at
        comp["size_mb"] = round(comp["_bytes"] / 1_000_000, 3)
        self.pending_compositions.pop(comp["id"], None)
        payload = {
            k: comp.get(k)
            for k in ("room_id", "session_id", "duration_secs", "format", "resolution", "size_mb")
        }
        payload["composition_id"] = comp["id"]
        payload["download_url"] = self._composition_link(comp, clock())
        self._emit(self._composition_target(comp), "video.room.composition.completed", payload)

    # --- webhooks ---------------------------------------------
    def _room_or_snapshot(self, room_id: str) -> Record | None:
        return self.rooms.get(room_id) or self.deleted_rooms.get(room_id)

    @staticmethod
    def _room_target(room: Record | None) -> Target:
        if room is None:
            return Target(None, None, None)
        return Target(
            room.get("webhook_event_url") or None,
            room.get("webhook_event_failover_url") or None,
            room.get("webhook_timeout_secs"),
        )

    @staticmethod
    def _composition_target(comp: Record) -> Target:
        return Target(
            comp.get("webhook_event_url") or None,
            comp.get("webhook_event_failover_url") or None,
            comp.get("webhook_timeout_secs"),
        )

    def _emit(self, target: Target, event_type: str, payload: dict[str, Any]) -> None:
        if target.url or target.failover_url:
            clean = {k: v for k, v in payload.items() if v is not None}
            self.webhooks.enqueue(target, envelope(event_type, clean, clock()))

    # --- links ------------------------------------------------
    def _expires(self, now: float) -> int:
        return math.ceil(now + self.settings.link_ttl_secs)

    def _recording_link(self, rec: Record, now: float) -> str:
        path = f"/media/recordings/{rec['id']}.{rec['_ext']}"
        return self.media.link(self.settings.root_url, path, self._expires(now))

    def _composition_link(self, comp: Record, now: float) -> str:
        return self.media.link(
            self.settings.root_url, f"/media/compositions/{comp['id']}.mp4", self._expires(now)
        )

    def media_file(self, kind: str, record_id: str) -> tuple[str, int] | None:
        """(extension, size) of a downloadable file, or None when it is gone or not ready."""
        with self.lock:
            self._advance(clock())
            table = self.recordings if kind == "recordings" else self.compositions
            rec = table.get(record_id)
            if rec is None or rec["status"] != "completed":
                return None
            return rec.get("_ext", "mp4"), rec["_bytes"]

    # --- output -----------------------------------------------
    def _room_out(self, room: Record, include_sessions: bool) -> dict[str, Any]:
        out = public(room)
        sessions = self.sessions.by("room_id", room["id"])[::-1] if include_sessions else []
        out["sessions"] = [self._session_out(s, False) for s in sessions]
        return out

    def _session_out(self, session: Record, include_participants: bool) -> dict[str, Any]:
        out = public(session)
        if include_participants:
            members = self.participants.by("session_id", session["id"])[::-1]
            out["participants"] = [public(p) for p in members]
        else:
            out["participants"] = []
        return out

    def _recording_out(self, rec: Record, now: float) -> dict[str, Any]:
        out = public(rec)
        if rec["status"] == "completed":
            out["download_url"] = self._recording_link(rec, now)
        return out

    def _composition_out(self, comp: Record, now: float) -> dict[str, Any]:
        out = public(comp)
        if comp["status"] == "completed":
            out["download_url"] = self._composition_link(comp, now)
        return out

    # --- rooms ------------------------------------------------
    def _room(self, room_id: str) -> Record:
        room = self.rooms.get(room_id) if is_uuid(room_id) else None
        if room is None:
            raise not_found("Room")
        return room

    def create_room(self, body: Any) -> dict[str, Any]:
        with self.lock:
            now = clock()
            self._advance(now)
            errors = check_object(body)
            if errors:
                raise unprocessable(errors)
            fields, errors = validate_room(body)
            if errors:
                raise unprocessable(errors)
            at = iso(now)
            room = {
                "id": new_id(),
                "record_type": "room",
                "unique_name": None,
                "max_participants": 10,
                "enable_recording": False,
                "webhook_event_url": None,
                "webhook_event_failover_url": "",
                "webhook_timeout_secs": None,
                "created_at": at,
                "updated_at": at,
                "active_session_id": None,
            }
            room.update(fields)
            if room["webhook_event_failover_url"] is None:
                room["webhook_event_failover_url"] = ""
            self.rooms.add(room)
            self.dirty = True
            return self._room_out(room, False)

    def update_room(self, room_id: str, body: Any) -> dict[str, Any]:
        with self.lock:
            now = clock()
            self._advance(now)
            room = self._room(room_id)
            errors = check_object(body)
            if errors:
                raise unprocessable(errors)
            fields, errors = validate_room(body)
            if errors:
                raise unprocessable(errors)
            if fields.get("webhook_event_failover_url", "") is None:
                fields["webhook_event_failover_url"] = ""
            for key in ("max_participants", "enable_recording"):
                if key in fields and fields[key] is None:
                    del fields[key]
            room.update(fields)
            room["updated_at"] = iso(now)
            self.dirty = True
            return self._room_out(room, False)

    def get_room(self, room_id: str, query: Query) -> dict[str, Any]:
        with self.lock:
            self._advance(clock())
            errors: list[dict[str, Any]] = []
            include = query.boolean("include_sessions", errors)
            if errors:
                raise unprocessable(errors)
            return self._room_out(self._room(room_id), bool(include))

    def list_rooms(self, query: Query) -> dict[str, Any]:
        with self.lock:
            self._advance(clock())
            errors: list[dict[str, Any]] = []
            include = query.boolean("include_sessions", errors)
            number, size = query.paging(errors)
            equal, predicates = ROOM_FILTERS.compile(query, errors)
            if errors:
                raise unprocessable(errors)
            page, meta = page_of(self.rooms.query(equal, predicates), number, size)
            return {"data": [self._room_out(r, bool(include)) for r in page], "meta": meta}

    def delete_room(self, room_id: str) -> None:
        with self.lock:
            now = clock()
            self._advance(now)
            room = self._room(room_id)
            session = self.sessions.get(room.get("active_session_id") or "")
            if session is not None:
                self._kick_all(session, now)
                self._end_session(session, "room_deleted", now)
            self.rooms.remove(room)
            self.deleted_rooms[room["id"]] = room
            if self.demo_room_id == room["id"]:
                self.demo_room_id = None
            self.dirty = True

    # --- join tokens ------------------------------------------
    def generate_token(self, room_id: str, body: Any) -> dict[str, Any]:
        with self.lock:
            self._advance(clock())
            room = self._room(room_id)
            errors = check_object(body) or validate_token_request(body, refresh=False)
            if errors:
                raise unprocessable(errors)
            now = int(clock())
            ttl = body.get("token_ttl_secs", 600)
            refresh_ttl = body.get("refresh_token_ttl_secs", 3600)
            return {
                "token": tokens.issue(self.token_key, room_id=room["id"], typ="access", now=now, ttl=ttl),
                "token_expires_at": iso(now + ttl),
                "refresh_token": tokens.issue(
                    self.token_key, room_id=room["id"], typ="refresh", now=now, ttl=refresh_ttl
                ),
                "refresh_token_expires_at": iso(now + refresh_ttl),
            }

    def refresh_token(self, room_id: str, body: Any) -> dict[str, Any]:
        with self.lock:
            self._advance(clock())
            room = self._room(room_id)
            errors = check_object(body) or validate_token_request(body, refresh=True)
            if errors:
                raise unprocessable(errors)
            now = int(clock())
            try:
                claims = tokens.verify(self.token_key, body["refresh_token"], now=now)
            except tokens.TokenRejected as exc:
                raise forbidden(str(exc)) from exc
            if claims.get("typ") != "refresh":
                raise forbidden("The token given is not a refresh token.")
            resources = [r for g in claims.get("grants") or [] for r in g.get("resources", [])]
            if tokens.room_resource(room["id"]) not in resources:
                raise forbidden("The refresh token was issued for another room.")
            ttl = body.get("token_ttl_secs", 600)
            return {
                "token": tokens.issue(self.token_key, room_id=room["id"], typ="access", now=now, ttl=ttl),
                "token_expires_at": iso(now + ttl),
            }

    # --- sessions ---------------------------------------------
    def _session(self, session_id: str) -> Record:
        session = self.sessions.get(session_id) if is_uuid(session_id) else None
        if session is None:
            raise not_found("Room session")
        return session

    def get_session(self, session_id: str, query: Query) -> dict[str, Any]:
        with self.lock:
            self._advance(clock())
            errors: list[dict[str, Any]] = []
            include = query.boolean("include_participants", errors)
            if errors:
                raise unprocessable(errors)
            return self._session_out(self._session(session_id), bool(include))

    def list_sessions(self, query: Query, room_id: str | None = None) -> dict[str, Any]:
        with self.lock:
            self._advance(clock())
            if room_id is not None:
                self._room(room_id)
            errors: list[dict[str, Any]] = []
            include = query.boolean("include_participants", errors)
            number, size = query.paging(errors)
            spec = SESSION_FILTERS if room_id is None else ROOM_SESSION_FILTERS
            equal, predicates = spec.compile(query, errors)
            if errors:
                raise unprocessable(errors)
            if room_id is not None:
                equal["room_id"] = room_id
            page, meta = page_of(self.sessions.query(equal, predicates), number, size)
            return {"data": [self._session_out(s, bool(include)) for s in page], "meta": meta}

    def end_session(self, session_id: str) -> dict[str, Any]:
        with self.lock:
            now = clock()
            self._advance(now)
            session = self._session(session_id)
            self._require_active(session)
            self._kick_all(session, now)
            self._end_session(session, "ended", now)
            return {"result": "ok"}

    @staticmethod
    def _require_active(session: Record) -> None:
        if not session["active"]:
            raise unprocessable([invalid("The room session has already ended.")])

    def participant_action(self, session_id: str, action: str, body: Any) -> dict[str, Any]:
        with self.lock:
            now = clock()
            self._advance(now)
            session = self._session(session_id)
            errors = check_object(body)
            if errors:
                raise unprocessable(errors)
            selected, excluded, errors = validate_participant_action(body)
            if errors:
                raise unprocessable(errors)
            self._require_active(session)
            present = self.present.get(session["id"], set())
            chosen = set(present) if selected == "all" else present & set(selected)
            chosen -= set(excluded)
            for pid in sorted(chosen):
                participant = self.participants.by_id[pid]
                if action == "mute":
                    participant["_audio_muted"] = True
                elif action == "unmute":
                    participant["_audio_muted"] = False
                else:
                    participant["_kicked"] = True
                    self._leave(participant, "kicked", now, end_when_empty=False)
            if action == "kick" and not self.present.get(session["id"]):
                self._end_session(session, "empty", now)
            self.dirty = True
            return {"result": "ok"}

    def _kick_all(self, session: Record, now: float) -> None:
        for pid in sorted(self.present.get(session["id"], ())):
            participant = self.participants.by_id[pid]
            participant["_kicked"] = True
            self._leave(participant, "kicked", now, end_when_empty=False)

    def _end_session(self, session: Record, reason: str, now: float) -> None:
        if not session["active"]:
            return
        at = iso(now)
        session["active"] = False
        session["ended_at"] = at
        session["_ended_ts"] = now
        session["updated_at"] = at
        self.present.pop(session["id"], None)
        room = self._room_or_snapshot(session["room_id"])
        if room is not None and room.get("active_session_id") == session["id"]:
            room["active_session_id"] = None
        target = self._room_target(room)
        self._emit(
            target,
            "video.room.session.ended",
            {
                "room_id": session["room_id"],
                "session_id": session["id"],
                "duration_secs": int(now - session["_started_ts"]),
                "ended_reason": reason,
            },
        )
        if room is not None and room.get("enable_recording"):
            for participant in self.participants.by("session_id", session["id"]):
                self._make_recordings(participant, now)
        self.dirty = True

    def _make_recordings(self, participant: Record, now: float) -> None:
        audio_id, video_id = participant.get("_rec_ids") or (new_id(), new_id())
        at = iso(now)
        duration = max(1, int(participant.get("_left_ts", now) - participant["_joined_ts"]))
        for rec_id, kind, ext, codec in (
            (audio_id, "audio", "wav", "opus"),
            (video_id, "video", "mp4", "h264"),
        ):
            if rec_id in self.recordings.by_id:
                continue
            size = self.media.actual_size(ext, self.settings.recording_bytes)
            rec = {
                "id": rec_id,
                "record_type": "room_recording",
                "room_id": participant["_room_id"],
                "session_id": participant["session_id"],
                "participant_id": participant["id"],
                "type": kind,
                "codec": codec,
                "status": "processing",
                "started_at": participant["joined_at"],
                "ended_at": participant.get("left_at", at),
                "duration_secs": duration,
                "size_mb": round(size / 1_000_000, 3),
                "created_at": at,
                "updated_at": at,
                "_ext": ext,
                "_bytes": size,
                "_completes_at": now + self.settings.recording_processing_secs,
            }
            self.recordings.add(rec)
            self.pending_recordings[rec_id] = rec

    # --- participants -----------------------------------------
    def _participant(self, participant_id: str) -> Record:
        participant = self.participants.get(participant_id) if is_uuid(participant_id) else None
        if participant is None:
            raise not_found("Room participant")
        return participant

    def get_participant(self, participant_id: str) -> dict[str, Any]:
        with self.lock:
            self._advance(clock())
            return public(self._participant(participant_id))

    def list_participants(self, query: Query, session_id: str | None = None) -> dict[str, Any]:
        with self.lock:
            self._advance(clock())
            if session_id is not None:
                self._session(session_id)
            errors: list[dict[str, Any]] = []
            number, size = query.paging(errors)
            spec = PARTICIPANT_FILTERS if session_id is None else SESSION_PARTICIPANT_FILTERS
            equal, predicates = spec.compile(query, errors)
            if errors:
                raise unprocessable(errors)
            if session_id is not None:
                equal["session_id"] = session_id
            page, meta = page_of(self.participants.query(equal, predicates), number, size)
            return {"data": [public(p) for p in page], "meta": meta}

    def _leave(self, participant: Record, reason: str, now: float, *, end_when_empty: bool = True) -> None:
        if participant.get("left_at") is not None:
            return
        at = iso(now)
        participant["left_at"] = at
        participant["updated_at"] = at
        participant["_left_ts"] = now
        participant["_left_reason"] = reason
        session = self.sessions.by_id[participant["session_id"]]
        session["updated_at"] = at
        present = self.present.get(session["id"], set())
        present.discard(participant["id"])
        room = self._room_or_snapshot(session["room_id"])
        self._emit(
            self._room_target(room),
            "video.room.participant.left",
            {
                "room_id": session["room_id"],
                "session_id": session["id"],
                "participant_id": participant["id"],
                "context": participant.get("context"),
                "duration_secs": int(now - participant["_joined_ts"]),
                "left_reason": "kick" if reason == "kicked" else reason,
            },
        )
        if end_when_empty and not present:
            self._end_session(session, "empty", now)
        self.dirty = True

    # --- control API: joining and leaving ---------------------
    def join(self, room_id: str, body: Any) -> dict[str, Any]:
        with self.lock:
            now = clock()
            self._advance(now)
            if not isinstance(body, dict):
                body = {}
            context = body.get("context", "")
            if not isinstance(context, str):
                raise unprocessable([invalid("context must be a string.", pointer="/context")])
            return self._control_participant(self._join(room_id, context, now))

    def _join(self, room_id: str, context: str, now: float) -> Record:
        if room_id in self.deleted_rooms:
            raise ApiError(409, [error("sandbox_room_deleted", "Room deleted", "The room was deleted.")])
        room = self._room(room_id)
        session = self.sessions.get(room.get("active_session_id") or "")
        if session is not None and len(self.present.get(session["id"], ())) >= room["max_participants"]:
            raise ApiError(
                409,
                [
                    error(
                        "sandbox_room_full",
                        "Room full",
                        f"The room already has max_participants ({room['max_participants']}) participants.",
                    )
                ],
            )
        at = iso(now)
        if session is None:
            session = {
                "id": new_id(),
                "record_type": "room_session",
                "room_id": room["id"],
                "active": True,
                "created_at": at,
                "updated_at": at,
                "_started_ts": now,
            }
            self.sessions.add(session)
            self.present[session["id"]] = set()
            room["active_session_id"] = session["id"]
            self._emit(
                self._room_target(room),
                "video.room.session.started",
                {"room_id": room["id"], "session_id": session["id"]},
            )
        participant = {
            "id": new_id(),
            "record_type": "room_participant",
            "session_id": session["id"],
            "context": context,
            "joined_at": at,
            "updated_at": at,
            "_room_id": room["id"],
            "_joined_ts": now,
            "_audio_muted": False,
            "_kicked": False,
            "_rec_ids": [new_id(), new_id()],
        }
        self.participants.add(participant)
        self.present[session["id"]].add(participant["id"])
        session["updated_at"] = at
        target = self._room_target(room)
        self._emit(
            target,
            "video.room.participant.joined",
            {
                "room_id": room["id"],
                "session_id": session["id"],
                "participant_id": participant["id"],
                "context": context,
            },
        )
        if room.get("enable_recording"):
            for rec_id, kind in zip(participant["_rec_ids"], ("audio", "video"), strict=True):
                self._emit(
                    target,
                    "video.room.recording.started",
                    {
                        "room_id": room["id"],
                        "session_id": session["id"],
                        "participant_id": participant["id"],
                        "recording_id": rec_id,
                        "type": kind,
                    },
                )
        self.dirty = True
        return participant

    def leave(self, participant_id: str) -> dict[str, Any]:
        with self.lock:
            now = clock()
            self._advance(now)
            participant = self._participant(participant_id)
            self._leave(participant, "left", now)
            return self._control_participant(participant)

    def control_participant(self, participant_id: str) -> dict[str, Any]:
        with self.lock:
            self._advance(clock())
            return self._control_participant(self._participant(participant_id))

    def _control_participant(self, participant: Record) -> dict[str, Any]:
        out = public(participant)
        out["room_id"] = participant["_room_id"]
        out["audio_muted"] = participant["_audio_muted"]
        out["kicked"] = participant["_kicked"]
        out["left_reason"] = participant.get("_left_reason")
        out["recording_ids"] = participant.get("_rec_ids")
        return out

    # --- recordings -------------------------------------------
    def _recording(self, recording_id: str) -> Record:
        rec = self.recordings.get(recording_id) if is_uuid(recording_id) else None
        if rec is None:
            raise not_found("Room recording")
        return rec

    def get_recording(self, recording_id: str) -> dict[str, Any]:
        with self.lock:
            now = clock()
            self._advance(now)
            return self._recording_out(self._recording(recording_id), now)

    def list_recordings(self, query: Query) -> dict[str, Any]:
        with self.lock:
            now = clock()
            self._advance(now)
            errors: list[dict[str, Any]] = []
            number, size = query.paging(errors)
            equal, predicates = RECORDING_FILTERS.compile(query, errors)
            if errors:
                raise unprocessable(errors)
            page, meta = page_of(self.recordings.query(equal, predicates), number, size)
            return {"data": [self._recording_out(r, now) for r in page], "meta": meta}

    def delete_recording(self, recording_id: str) -> None:
        with self.lock:
            self._advance(clock())
            rec = self._recording(recording_id)
            self.recordings.remove(rec)
            self.pending_recordings.pop(rec["id"], None)
            self.dirty = True

    def delete_recordings(self, query: Query) -> dict[str, Any]:
        """Bulk delete: every filter is honoured; paging parameters are validated but do not limit it."""
        with self.lock:
            self._advance(clock())
            errors: list[dict[str, Any]] = []
            query.paging(errors)
            equal, predicates = RECORDING_FILTERS.compile(query, errors)
            if errors:
                raise unprocessable(errors)
            rows = self.recordings.query(equal, predicates)
            doomed = list(rows)
            self.recordings.remove_many(doomed)
            for rec in doomed:
                self.pending_recordings.pop(rec["id"], None)
            self.dirty = True
            return {"room_recordings": len(doomed)}

    # --- compositions -----------------------------------------
    def _composition(self, composition_id: str) -> Record:
        comp = self.compositions.get(composition_id) if is_uuid(composition_id) else None
        if comp is None:
            raise not_found("Room composition")
        return comp

    def create_composition(self, body: Any) -> dict[str, Any]:
        with self.lock:
            now = clock()
            self._advance(now)
            errors = check_object(body) or validate_composition(body)
            if errors:
                raise unprocessable(errors)
            session = self.sessions.get(body["session_id"])
            if session is None:
                raise unprocessable([invalid("No room session has this id.", pointer="/session_id")])
            step = self.settings.composition_step_secs
            comp = self._new_composition(session, body, now, "enqueued", [now + step, now + 2 * step])
            return self._composition_out(comp, now)

    def _new_composition(
        self, session: Record, body: dict[str, Any], now: float, status: str, steps: list[float]
    ) -> Record:
        at = iso(now)
        ended_ts = session.get("_ended_ts") or now
        ended_at = session.get("ended_at") or at
        # "*" means every video recording of the session; the answer names them (the spec types the
        # items as uuids), as a client would need them to be.
        videos = [r["id"] for r in self.recordings.by("session_id", session["id"]) if r["type"] == "video"]
        layout = body.get("video_layout")
        if layout is None:
            layout = {"first": {"x_pos": 0, "y_pos": 0, "z_pos": 0, "video_sources": ["*"]}}
        layout = json.loads(json.dumps(layout))
        for region in layout.values():
            sources = region.get("video_sources")
            if sources == "*" or (isinstance(sources, list) and "*" in sources):
                extra = [s for s in sources if s != "*"] if isinstance(sources, list) else []
                region["video_sources"] = extra + [v for v in videos if v not in extra]
        width, height = parse_resolution(body.get("resolution", "1280x720")) or (1280, 720)
        comp = {
            "id": new_id(),
            "record_type": "composition",
            "room_id": session["room_id"],
            "session_id": session["id"],
            "user_id": ACCOUNT_USER_ID,
            "status": status,
            "format": body.get("format", "mp4"),
            "resolution": f"{width}x{height}",
            "video_layout": layout,
            "webhook_event_url": body.get("webhook_event_url") or None,
            "webhook_event_failover_url": body.get("webhook_event_failover_url") or "",
            "webhook_timeout_secs": body.get("webhook_timeout_secs"),
            "started_at": session["created_at"],
            "ended_at": ended_at,
            "duration_secs": max(1, int(ended_ts - session["_started_ts"])),
            "created_at": at,
            "updated_at": at,
            "_bytes": self.media.actual_size("mp4", self.settings.composition_bytes),
            "_ext": "mp4",
            "_steps": steps,
        }
        if status == "completed":
            comp["completed_at"] = at
            comp["size_mb"] = round(comp["_bytes"] / 1_000_000, 3)
        self.compositions.add(comp)
        if steps:
            self.pending_compositions[comp["id"]] = comp
        self.dirty = True
        return comp

    def get_composition(self, composition_id: str) -> dict[str, Any]:
        with self.lock:
            now = clock()
            self._advance(now)
            return self._composition_out(self._composition(composition_id), now)

    def list_compositions(self, query: Query) -> dict[str, Any]:
        with self.lock:
            now = clock()
            self._advance(now)
            errors: list[dict[str, Any]] = []
            number, size = query.paging(errors)
            equal, predicates = COMPOSITION_FILTERS.compile(query, errors)
            if errors:
                raise unprocessable(errors)
            page, meta = page_of(self.compositions.query(equal, predicates), number, size)
            return {"data": [self._composition_out(c, now) for c in page], "meta": meta}

    def delete_composition(self, composition_id: str) -> None:
        with self.lock:
            self._advance(clock())
            comp = self._composition(composition_id)
            self.compositions.remove(comp)
            self.pending_compositions.pop(comp["id"], None)
            self.dirty = True

    def advance_composition(self, composition_id: str) -> dict[str, Any]:
        """Move a composition to its next status now; later steps keep their spacing from now."""
        with self.lock:
            now = clock()
            self._advance(now)
            comp = self._composition(composition_id)
            if comp["status"] != "completed":
                comp["_steps"] = [
                    now + i * self.settings.composition_step_secs for i in range(len(comp["_steps"]))
                ]
                if not comp["_steps"]:
                    comp["_steps"] = [now]
                self._step_composition(comp, comp["_steps"].pop(0))
            return self._composition_out(comp, now)

    # --- control API: reset, seed, demo -----------------------
    TUNABLE = {
        "link_ttl_secs": float,
        "composition_step_secs": float,
        "recording_processing_secs": float,
        "churn_secs": float,
        "recording_bytes": int,
        "composition_bytes": int,
        "webhook_timeout_secs": float,
    }

    def reset(self) -> None:
        with self.lock:
            self._init_state()
            self.webhooks.clear_log()
            for name in self.TUNABLE:
                setattr(self.settings, name, getattr(self.startup, name))
            self.webhooks.default_timeout = self.settings.webhook_timeout_secs

    def tune(self, body: Any) -> dict[str, Any]:
        """Change timings at runtime (until the next reset)."""
        if not isinstance(body, dict):
            raise unprocessable([invalid("The body must be a JSON object.", pointer="/")])
        errors = []
        for name, value in body.items():
            kind = self.TUNABLE.get(name)
            if kind is None:
                errors.append(invalid(f"{name} is not a tunable setting.", pointer=f"/{name}"))
            elif isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                errors.append(invalid(f"{name} must be a number >= 0.", pointer=f"/{name}"))
        if errors:
            raise unprocessable(errors)
        with self.lock:
            for name, value in body.items():
                setattr(self.settings, name, self.TUNABLE[name](value))
            self.webhooks.default_timeout = self.settings.webhook_timeout_secs
            return {name: getattr(self.settings, name) for name in self.TUNABLE}

    def seed(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            body = {}
        errors: list[dict[str, Any]] = []
        limits = {
            "rooms": (10, 100_000),
            "sessions_per_room": (10, 100_000),
            "participants_per_session": (2, 50),
            "recording_bytes": (self.settings.recording_bytes, 1 << 40),
            "compositions_per_room": (0, 1000),
        }
        values: dict[str, int] = {}
        for name, (default, hi) in limits.items():
            value = body.get(name, default)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= hi:
                errors.append(invalid(f"{name} must be an integer between 0 and {hi}.", pointer=f"/{name}"))
            values[name] = value
        if (
            not errors
            and values["rooms"] * values["sessions_per_room"] * values["participants_per_session"] > 2_000_000
        ):
            errors.append(invalid("At most 2,000,000 participants per seed.", pointer="/rooms"))
        if errors:
            raise unprocessable(errors)
        started = clock()
        with self.lock:
            counts = self._seed_history(
                rooms=values["rooms"],
                sessions_per_room=values["sessions_per_room"],
                participants_per_session=values["participants_per_session"],
                recording_bytes=values["recording_bytes"],
                compositions_per_room=values["compositions_per_room"],
                now=clock(),
            )
        counts["elapsed_secs"] = round(clock() - started, 3)
        return counts

    def _seed_history(
        self,
        *,
        rooms: int,
        sessions_per_room: int,
        participants_per_session: int,
        recording_bytes: int,
        compositions_per_room: int,
        now: float,
        names: list[str] | None = None,
    ) -> dict[str, Any]:
        """Finished sessions spread over the last 30 days, each participant with completed recordings."""
        rng = self.rng
        day = 86_400.0
        audio_size = self.media.actual_size("wav", recording_bytes)
        video_size = self.media.actual_size("mp4", recording_bytes)
        audio_mb = round(audio_size / 1_000_000, 3)
        video_mb = round(video_size / 1_000_000, 3)
        new_rooms: list[Record] = []
        new_sessions: list[Record] = []
        new_participants: list[Record] = []
        new_recordings: list[Record] = []
        new_comps: list[tuple[Record, float]] = []
        for r in range(rooms):
            room_created = now - 31 * day - rng.random() * 60 * day
            room_at = iso(room_created)
            room = {
                "id": new_id(),
                "record_type": "room",
                "unique_name": names[r] if names and r < len(names) else f"seed-room-{r + 1:05d}",
                "max_participants": max(10, participants_per_session),
                "enable_recording": True,
                "webhook_event_failover_url": "",
                "created_at": room_at,
                "updated_at": room_at,
            }
            new_rooms.append(room)
            for _ in range(sessions_per_room):
                start = now - rng.random() * 30 * day - 4 * 3600
                length = 300 + rng.random() * 3300
                end = start + length
                start_at, end_at = iso(start), iso(end)
                session = {
                    "id": new_id(),
                    "record_type": "room_session",
                    "room_id": room["id"],
                    "active": False,
                    "created_at": start_at,
                    "updated_at": end_at,
                    "ended_at": end_at,
                    "_started_ts": start,
                    "_ended_ts": end,
                }
                new_sessions.append(session)
                for p in range(participants_per_session):
                    joined = start + (0 if p == 0 else rng.random() * 120)
                    left = end - (0 if p == 0 else rng.random() * 120)
                    joined_at, left_at = iso(joined), iso(left)
                    done_at = iso(end + 20 + rng.random() * 40)
                    pid = new_id()
                    duration = int(left - joined)
                    participant = {
                        "id": pid,
                        "record_type": "room_participant",
                        "session_id": session["id"],
                        "context": DEMO_NAMES[p % len(DEMO_NAMES)] + ("" if p < len(DEMO_NAMES) else str(p)),
                        "joined_at": joined_at,
                        "updated_at": left_at,
                        "left_at": left_at,
                        "_room_id": room["id"],
                        "_joined_ts": joined,
                        "_left_ts": left,
                        "_audio_muted": False,
                        "_kicked": False,
                        "_left_reason": "left",
                    }
                    new_participants.append(participant)
                    for kind, ext, codec, size, mb in (
                        ("audio", "wav", "opus", audio_size, audio_mb),
                        ("video", "mp4", "h264", video_size, video_mb),
                    ):
                        new_recordings.append(
                            {
                                "id": new_id(),
                                "record_type": "room_recording",
                                "room_id": room["id"],
                                "session_id": session["id"],
                                "participant_id": pid,
                                "type": kind,
                                "codec": codec,
                                "status": "completed",
                                "started_at": joined_at,
                                "ended_at": left_at,
                                "duration_secs": duration,
                                "size_mb": mb,
                                "created_at": end_at,
                                "updated_at": done_at,
                                "completed_at": done_at,
                                "_ext": ext,
                                "_bytes": size,
                            }
                        )
            room_sessions = new_sessions[-sessions_per_room:] if sessions_per_room else []
            for session in room_sessions[:compositions_per_room]:
                new_comps.append((session, session["_ended_ts"] + 120))
        self.rooms.load(new_rooms)
        self.sessions.load(new_sessions)
        self.participants.load(new_participants)
        self.recordings.load(new_recordings)
        for session, at in new_comps:
            self._new_composition(session, {}, at, "completed", [])
        self.dirty = True
        return {
            "rooms": len(new_rooms),
            "sessions": len(new_sessions),
            "participants": len(new_participants),
            "recordings": len(new_recordings),
            "compositions": len(new_comps),
            "room_ids": [r["id"] for r in new_rooms[:1000]],
        }

    def seed_demo(self) -> None:
        """A living dashboard: rooms with history, one live session whose participants come and go, and
        compositions in each status."""
        with self.lock:
            now = clock()
            self._seed_history(
                rooms=3,
                sessions_per_room=4,
                participants_per_session=3,
                recording_bytes=self.settings.recording_bytes,
                compositions_per_room=0,
                now=now,
                names=["All hands", "Customer onboarding", "Support escalations"],
            )
            history = self.sessions.order[-1]
            step_far = max(self.settings.composition_step_secs, 300.0)
            self._new_composition(history, {}, now - 3600, "completed", [])
            self._new_composition(history, {"resolution": "640x360"}, now, "processing", [now + 2 * step_far])
            self._new_composition(history, {}, now, "enqueued", [now + step_far, now + 3 * step_far])
            live = self.create_room({"unique_name": "Daily standup", "enable_recording": True})
            self.create_room({"unique_name": "Design review", "max_participants": 6})
            for name in DEMO_NAMES[:3]:
                self._join(live["id"], name, now)
            self.demo_room_id = live["id"]
            self.next_churn = now + self.settings.churn_secs

    def _churn(self, now: float) -> None:
        if not self.demo_room_id or self.settings.churn_secs <= 0 or now < self.next_churn:
            return
        self.next_churn = now + self.settings.churn_secs
        room = self.rooms.get(self.demo_room_id)
        if room is None:
            self.demo_room_id = None
            return
        session = self.sessions.get(room.get("active_session_id") or "")
        present = sorted(self.present.get(session["id"], ())) if session else []
        if len(present) <= 1 or (len(present) < room["max_participants"] - 1 and self.rng.random() < 0.5):
            taken = {self.participants.by_id[p]["context"] for p in present}
            free = [n for n in DEMO_NAMES if n not in taken] or DEMO_NAMES
            self._join(room["id"], self.rng.choice(free), now)
        else:
            self._leave(self.participants.by_id[self.rng.choice(present)], "left", now)

    # --- persistence ------------------------------------------
    def save(self, path: Path) -> None:
        with self.lock:
            state = {
                "version": 1,
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
        state = json.loads(path.read_text())
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
