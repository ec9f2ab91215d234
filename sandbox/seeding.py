"""Sample data: bulk history for benchmarks and tests (``/_sandbox/seed``) and the living demo
(``--seed demo``).

History is finished sessions spread over the last 30 days, every participant with a completed audio and
video recording; the demo adds compositions in each status and a live room whose participants come and go
(see the churn in :mod:`sandbox.lifecycle`).
"""

from __future__ import annotations

from typing import Any

from .errors import invalid, unprocessable
from .lifecycle import DEMO_NAMES
from .recordings import MediaRecords
from .rooms import RoomOperations
from .state import new_id
from .tables import Record
from .timeutil import iso
from .timeutil import now as clock
from .validation import as_int


class Seeding(RoomOperations, MediaRecords):
    def seed(self, body: Any) -> dict[str, Any]:
        """Bulk history from the control API body (rooms, sessions_per_room, participants_per_session,
        recording_bytes, compositions_per_room); answers the counts and the seconds it took."""
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
            value = as_int(body.get(name, default))
            if value is None or not 0 <= value <= hi:
                errors.append(invalid(f"{name} must be an integer between 0 and {hi}.", pointer=f"/{name}"))
            values[name] = value or 0
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
            room: Record = {
                "id": new_id(),
                "record_type": "room",
                "unique_name": names[r] if names and r < len(names) else f"seed-room-{r + 1:05d}",
                "max_participants": max(10, participants_per_session),
                "enable_recording": True,
                "created_at": room_at,
                "updated_at": room_at,
            }
            new_rooms.append(room)
            for _ in range(sessions_per_room):
                start = now - rng.random() * 30 * day - 4 * 3600
                length = 300 + rng.random() * 3300
                end = start + length
                start_at, end_at = iso(start), iso(end)
                session: Record = {
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
                    participant: Record = {
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
