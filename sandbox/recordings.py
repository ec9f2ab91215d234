"""API operations on recordings and compositions, the two kinds of record that end in a downloadable file.

Both are read, listed and deleted the same way, and a completed one carries a fresh ``download_url``
each time it is read (the link expires after ``link_ttl_secs``). Recordings are made by the lifecycle when
a session ends; compositions are asked for and then step through their statuses.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import ApiError, error, invalid, unprocessable
from .lifecycle import Lifecycle
from .state import MediaKind, new_id, page_of, public
from .tables import Record
from .timeutil import iso
from .timeutil import now as clock
from .validation import Errors, FilterSpec, Query, check_object, parse_resolution, validate_composition

ACCOUNT_USER_ID = "5f9c2a1e-3b7d-4e8a-9c61-2d4b8e7f1a03"

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
NAMES: dict[MediaKind, str] = {"recordings": "Room recording", "compositions": "Room composition"}
FILTERS: dict[MediaKind, FilterSpec] = {"recordings": RECORDING_FILTERS, "compositions": COMPOSITION_FILTERS}


class MediaRecords(Lifecycle):
    # --- shared by recordings and compositions ----------------
    def _media_record(self, kind: MediaKind, record_id: str) -> Record:
        return self._find(self._media_tables(kind)[0], record_id, NAMES[kind])

    def _media_out(self, kind: MediaKind, rec: Record, now: float) -> dict[str, Any]:
        """The record as the API shows it, with a download link valid from ``now`` once completed."""
        out = public(rec)
        if rec["status"] == "completed":
            out["download_url"] = self._download_link(kind, rec, now)
        return out

    def _get_media(self, kind: MediaKind, record_id: str) -> dict[str, Any]:
        with self.lock:
            now = clock()
            self._advance(now)
            return self._media_out(kind, self._media_record(kind, record_id), now)

    def _list_media(self, kind: MediaKind, query: Query) -> dict[str, Any]:
        with self.lock:
            now = clock()
            self._advance(now)
            errors: Errors = []
            number, size = query.paging(errors)
            equal, predicates = FILTERS[kind].compile(query, errors)
            if errors:
                raise unprocessable(errors)
            page, meta = page_of(self._media_tables(kind)[0].query(equal, predicates), number, size)
            return {"data": [self._media_out(kind, r, now) for r in page], "meta": meta}

    def _delete_media(self, kind: MediaKind, record_id: str) -> None:
        with self.lock:
            self._advance(clock())
            table, pending = self._media_tables(kind)
            rec = self._media_record(kind, record_id)
            table.remove(rec)
            pending.pop(rec["id"], None)
            self.dirty = True

    def media_file(self, kind: str, record_id: str) -> tuple[str, int] | None:
        """(extension, size) of a downloadable file, or None when it is gone or not ready."""
        with self.lock:
            self._advance(clock())
            media_kind: MediaKind = "recordings" if kind == "recordings" else "compositions"
            rec = self._media_tables(media_kind)[0].get(record_id)
            if rec is None or rec["status"] != "completed":
                return None
            return rec.get("_ext", "mp4"), rec["_bytes"]

    # --- recordings -------------------------------------------
    def get_recording(self, recording_id: str) -> dict[str, Any]:
        return self._get_media("recordings", recording_id)

    def list_recordings(self, query: Query) -> dict[str, Any]:
        return self._list_media("recordings", query)

    def delete_recording(self, recording_id: str) -> None:
        self._delete_media("recordings", recording_id)

    def delete_recordings(self, query: Query) -> dict[str, Any]:
        """Bulk delete: every filter is honoured; paging parameters are validated but do not limit it."""
        with self.lock:
            self._advance(clock())
            errors: Errors = []
            query.paging(errors)
            equal, predicates = RECORDING_FILTERS.compile(query, errors)
            if errors:
                raise unprocessable(errors)
            doomed = list(self.recordings.query(equal, predicates))
            self.recordings.remove_many(doomed)
            for rec in doomed:
                self.pending_recordings.pop(rec["id"], None)
            self.dirty = True
            return {"room_recordings": len(doomed)}

    # --- compositions -----------------------------------------
    def get_composition(self, composition_id: str) -> dict[str, Any]:
        return self._get_media("compositions", composition_id)

    def list_compositions(self, query: Query) -> dict[str, Any]:
        return self._list_media("compositions", query)

    def delete_composition(self, composition_id: str) -> None:
        self._delete_media("compositions", composition_id)

    def create_composition(self, body: Any) -> dict[str, Any]:
        """An enqueued composition of a session; it steps to processing, then completed,
        ``composition_step_secs`` apart."""
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
            return self._media_out("compositions", comp, now)

    def _new_composition(
        self, session: Record, body: dict[str, Any], now: float, status: str, steps: list[float]
    ) -> Record:
        """Add a composition of ``session``, created at ``now`` in ``status``, stepping at ``steps``."""
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
            "webhook_event_failover_url": body.get("webhook_event_failover_url") or None,
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

    def schedule_composition(self, composition_id: str, body: Any) -> dict[str, Any]:
        """Set when a composition that is not completed yet completes: ``completes_in_secs`` from now
        (required; 409 once completed), and when an enqueued one starts processing:
        ``processing_in_secs`` from now (default ``composition_step_secs``, never after completing).
        Answers the id, the status and the new times (``processing_at``, ``completes_at``: Unix
        seconds; ``processing_at`` is None when already processing), so a benchmark knows the moment
        each completion happens."""
        errors = check_object(body)
        if not errors:
            for name in ("completes_in_secs", "processing_in_secs"):
                value = body.get(name)
                if value is None and name == "processing_in_secs":
                    continue
                if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 86_400:
                    errors.append(
                        invalid(f"{name} must be a number of seconds, 0 to 86400.", pointer=f"/{name}")
                    )
        if errors:
            raise unprocessable(errors)
        with self.lock:
            now = clock()
            self._advance(now)
            comp = self._media_record("compositions", composition_id)
            if comp["status"] == "completed":
                raise ApiError(
                    409,
                    [
                        error(
                            "sandbox_composition_completed",
                            "Already completed",
                            "The composition has completed.",
                        )
                    ],
                )
            completes_at = now + float(body["completes_in_secs"])
            processing_at = None
            if comp["status"] == "enqueued":
                wait = body.get("processing_in_secs", self.settings.composition_step_secs)
                processing_at = min(now + float(wait), completes_at)
                comp["_steps"] = [processing_at, completes_at]
            else:
                comp["_steps"] = [completes_at]
            self.pending_compositions[comp["id"]] = comp
            self.dirty = True
            return {
                "id": comp["id"],
                "status": comp["status"],
                "processing_at": processing_at,
                "completes_at": completes_at,
            }

    def advance_composition(self, composition_id: str) -> dict[str, Any]:
        """Move a composition to its next status now; later steps keep their spacing from now."""
        with self.lock:
            now = clock()
            self._advance(now)
            comp = self._media_record("compositions", composition_id)
            if comp["status"] != "completed":
                comp["_steps"] = [
                    now + i * self.settings.composition_step_secs for i in range(len(comp["_steps"]))
                ]
                if not comp["_steps"]:
                    comp["_steps"] = [now]
                self._step("compositions", comp, comp["_steps"].pop(0))
            return self._media_out("compositions", comp, now)
