"""What happens over time: participants join and leave, sessions start and end, moderators end sessions and
kick, recordings and compositions step through their statuses, and the demo room churns.

A session starts with the first join and ends when the last participant leaves or is kicked, when it is
ended, or when its room is deleted. A recording-enabled room gets an audio and a video recording per
participant when the session ends; they complete ``recording_processing_secs`` later. A composition moves
enqueued → processing → completed, one status every ``composition_step_secs``. Each transition sends the
webhook Telnyx would send to the room's (or the composition's own) URLs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import ApiError, error, invalid, unprocessable
from .state import MediaKind, StoreState, new_id, public
from .tables import Record
from .timeutil import iso
from .timeutil import now as clock
from .validation import check_object, validate_participant_action

DEMO_NAMES = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"]


@dataclass(frozen=True)
class Completion:
    """The webhook a recording or composition sends when it completes.

    ``fields`` are the payload keys in order; the one named ``id_field`` carries the record's id, the
    others its values of the same name. ``own_webhooks``: the record names its own webhook URLs (a
    composition) rather than using its room's (a recording).
    """

    event_type: str
    fields: tuple[str, ...]
    id_field: str
    own_webhooks: bool


COMPLETIONS: dict[MediaKind, Completion] = {
    "recordings": Completion(
        "video.room.recording.completed",
        (
            "room_id",
            "session_id",
            "participant_id",
            "type",
            "codec",
            "duration_secs",
            "recording_id",
            "size_mb",
        ),
        "recording_id",
        own_webhooks=False,
    ),
    "compositions": Completion(
        "video.room.composition.completed",
        ("room_id", "session_id", "duration_secs", "format", "resolution", "size_mb", "composition_id"),
        "composition_id",
        own_webhooks=True,
    ),
}


class Lifecycle(StoreState):
    # --- time -------------------------------------------------
    def tick(self, now: float | None = None) -> None:
        """Apply every transition due by ``now`` (default: the clock), including the demo churn."""
        with self.lock:
            now = clock() if now is None else now
            self._advance(now)
            self._churn(now)

    def _advance(self, now: float) -> None:
        """Step every pending recording, then every pending composition, through the steps due by ``now``."""
        for kind in COMPLETIONS:
            _, pending = self._media_tables(kind)
            for rec in list(pending.values()):
                while rec["_steps"] and rec["_steps"][0] <= now:
                    self._step(kind, rec, rec["_steps"].pop(0))

    def _step(self, kind: MediaKind, rec: Record, at_ts: float) -> None:
        """Move a recording/composition to its next status at ``at_ts``; once completed, send its webhook."""
        at = iso(at_ts)
        rec["updated_at"] = at
        self.dirty = True
        if rec["status"] == "enqueued":
            rec["status"] = "processing"
            return
        rec["status"] = "completed"
        rec["completed_at"] = at
        rec["size_mb"] = round(rec["_bytes"] / 1_000_000, 3)
        self._media_tables(kind)[1].pop(rec["id"], None)
        completion = COMPLETIONS[kind]
        payload: dict[str, Any] = {
            k: rec["id"] if k == completion.id_field else rec.get(k) for k in completion.fields
        }
        payload["download_url"] = self._download_link(kind, rec, clock())
        owner = rec if completion.own_webhooks else self._room_or_snapshot(rec["room_id"])
        self._emit(self._target(owner), completion.event_type, payload)

    # --- joining and leaving ----------------------------------
    def _join(self, room_id: str, context: str, now: float) -> Record:
        """A participant enters the room, starting a session if none is live. 409 when full or deleted."""
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
        target = self._target(room)
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
                target, "video.room.session.started", {"room_id": room["id"], "session_id": session["id"]}
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

    def _leave(self, participant: Record, reason: str, now: float, *, end_when_empty: bool = True) -> None:
        """The participant leaves (``reason`` "left" or "kicked"); the last one out ends the session unless
        ``end_when_empty`` is false. Leaving twice changes nothing."""
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
            self._target(room),
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

    def _kick_all(self, session: Record, now: float) -> None:
        for pid in sorted(self.present.get(session["id"], ())):
            participant = self.participants.by_id[pid]
            participant["_kicked"] = True
            self._leave(participant, "kicked", now, end_when_empty=False)

    def _end_session(self, session: Record, reason: str, now: float) -> None:
        """End a live session (no-op when already ended) and, in a recording room, make its recordings."""
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
        self._emit(
            self._target(room),
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
        """The participant's audio and video recordings, processing until ``recording_processing_secs``
        from ``now``; ids announced at join time are kept."""
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
                "_steps": [now + self.settings.recording_processing_secs],
            }
            self.recordings.add(rec)
            self.pending_recordings[rec_id] = rec

    @staticmethod
    def _require_active(session: Record) -> None:
        if not session["active"]:
            raise unprocessable([invalid("The room session has already ended.")])

    # --- API: ending sessions and moderating participants ------
    def end_session(self, session_id: str) -> dict[str, Any]:
        """Kick everyone and end the session; 422 when it has already ended."""
        with self.lock:
            now = clock()
            self._advance(now)
            session = self._session(session_id)
            self._require_active(session)
            self._kick_all(session, now)
            self._end_session(session, "ended", now)
            return {"result": "ok"}

    def participant_action(self, session_id: str, action: str, body: Any) -> dict[str, Any]:
        """``mute``, ``unmute`` or ``kick`` the chosen participants who are present; unknown ids are
        ignored. Kicking the last one ends the session."""
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

    @staticmethod
    def _control_participant(participant: Record) -> dict[str, Any]:
        """The participant as the API shows it, plus what only the sandbox knows (mute, kick, ids)."""
        out = public(participant)
        out["room_id"] = participant["_room_id"]
        out["audio_muted"] = participant["_audio_muted"]
        out["kicked"] = participant["_kicked"]
        out["left_reason"] = participant.get("_left_reason")
        out["recording_ids"] = participant.get("_rec_ids")
        return out

    # --- demo churn -------------------------------------------
    def _churn(self, now: float) -> None:
        """Every ``churn_secs``, someone joins or leaves the demo room's live session."""
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
