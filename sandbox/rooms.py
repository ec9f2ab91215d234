"""API operations on rooms, their join tokens, sessions and participants (reads and room changes).

Ending a session and moderating participants are in :mod:`sandbox.lifecycle`, with the rest of what
changes a live session.
"""

from __future__ import annotations

from typing import Any

from . import tokens
from .errors import forbidden, unprocessable
from .lifecycle import Lifecycle
from .state import new_id, page_of, public
from .tables import Record
from .timeutil import iso
from .timeutil import now as clock
from .validation import (
    Errors,
    FilterSpec,
    Query,
    check_object,
    validate_room,
    validate_token_request,
)

WEBHOOK_URL_FIELDS = ("webhook_event_url", "webhook_event_failover_url")
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


def _unset_empty_urls(fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` with an empty webhook URL as unset (None): answers omit it, as the spec's
    ``format: uri`` allows no empty string."""
    return {k: None if k in WEBHOOK_URL_FIELDS and v == "" else v for k, v in fields.items()}


class RoomOperations(Lifecycle):
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

    # --- rooms ------------------------------------------------
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
                "webhook_event_failover_url": None,
                "webhook_timeout_secs": None,
                "created_at": at,
                "updated_at": at,
                "active_session_id": None,
            }
            room.update(_unset_empty_urls(fields))
            self.rooms.add(room)
            self.dirty = True
            return self._room_out(room, False)

    def update_room(self, room_id: str, body: Any) -> dict[str, Any]:
        """Change the fields given; null leaves ``max_participants`` and ``enable_recording`` as they are,
        and clears the others."""
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
            fields = _unset_empty_urls(fields)
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
            errors: Errors = []
            include = query.boolean("include_sessions", errors)
            if errors:
                raise unprocessable(errors)
            return self._room_out(self._room(room_id), bool(include))

    def list_rooms(self, query: Query) -> dict[str, Any]:
        with self.lock:
            self._advance(clock())
            errors: Errors = []
            include = query.boolean("include_sessions", errors)
            number, size = query.paging(errors)
            equal, predicates = ROOM_FILTERS.compile(query, errors)
            if errors:
                raise unprocessable(errors)
            page, meta = page_of(self.rooms.query(equal, predicates), number, size)
            return {"data": [self._room_out(r, bool(include)) for r in page], "meta": meta}

    def delete_room(self, room_id: str) -> None:
        """Kick everyone and end the live session; later joins answer 409."""
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
        """A new access token for a valid refresh token of this room; 403 otherwise."""
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
    def get_session(self, session_id: str, query: Query) -> dict[str, Any]:
        with self.lock:
            self._advance(clock())
            errors: Errors = []
            include = query.boolean("include_participants", errors)
            if errors:
                raise unprocessable(errors)
            return self._session_out(self._session(session_id), bool(include))

    def list_sessions(self, query: Query, room_id: str | None = None) -> dict[str, Any]:
        """All sessions, or those of one room (404 when the room is unknown)."""
        with self.lock:
            self._advance(clock())
            if room_id is not None:
                self._room(room_id)
            errors: Errors = []
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

    # --- participants -----------------------------------------
    def get_participant(self, participant_id: str) -> dict[str, Any]:
        with self.lock:
            self._advance(clock())
            return public(self._participant(participant_id))

    def list_participants(self, query: Query, session_id: str | None = None) -> dict[str, Any]:
        """All participants, or those of one session (404 when the session is unknown)."""
        with self.lock:
            self._advance(clock())
            if session_id is not None:
                self._session(session_id)
            errors: Errors = []
            number, size = query.paging(errors)
            spec = PARTICIPANT_FILTERS if session_id is None else SESSION_PARTICIPANT_FILTERS
            equal, predicates = spec.compile(query, errors)
            if errors:
                raise unprocessable(errors)
            if session_id is not None:
                equal["session_id"] = session_id
            page, meta = page_of(self.participants.query(equal, predicates), number, size)
            return {"data": [public(p) for p in page], "meta": meta}
