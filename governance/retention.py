"""Retention: delete recordings and compositions in Telnyx a number of days after they ended.

The default policy comes from ``RETENTION_DAYS`` (unset: keep for ever); a room's ``RetentionPolicy``
overrides it. ``preview`` (the Policies page, ``--dry-run``) and ``apply_retention`` (the command and
the daily task) share one selection, ``candidates``, so a dry run counts exactly what a real run on
the same data deletes. A real run deletes by Telnyx id, one call per item (never a filter that could
catch more), in batches of ``RETENTION_BATCH_SIZE``, each marked gone upstream and recorded as a
``RetentionDeletion`` as it goes: a run that is killed is resumed by the next one. Held items are
never selected. Each run is one audit entry with its counts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, DateTimeField, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from audit.services import record_action
from dashboard.errors import Refused, UserError, telnyx_call
from dashboard.telnyx import NotFoundError, get_client
from governance.holds import held_filter
from governance.models import RetentionDeletion, RetentionPolicy, RetentionRun
from recordings.models import Composition, Recording
from recordings.services.archive import archive_file

logger = logging.getLogger(__name__)

RETENTION_RUN = "retention.run"
LOCK_KEY = "governance:retention-lock"
LOCK_SECS = 6 * 3600

Record = Recording | Composition


@dataclass(frozen=True)
class Policy:
    """One policy as the run applies it: the default (``room_id`` empty) or a room's override."""

    room_id: str = ""
    room_name: str = ""
    recordings_days: int | None = None
    compositions_days: int | None = None
    archive_first: bool = False
    require_composition: bool = False

    @property
    def is_default(self) -> bool:
        return not self.room_id

    @property
    def keeps_everything(self) -> bool:
        return self.recordings_days is None and self.compositions_days is None

    @classmethod
    def of(cls, row: RetentionPolicy) -> Policy:
        return cls(
            room_id=row.room_id,
            room_name=row.room_name,
            recordings_days=row.recordings_days,
            compositions_days=row.compositions_days,
            archive_first=row.archive_first,
            require_composition=row.require_composition,
        )


def default_policy() -> Policy:
    days = settings.RETENTION_DAYS
    return Policy(recordings_days=days, compositions_days=days)


def policies() -> list[Policy]:
    """The default policy first, then every room's override."""
    return [default_policy(), *(Policy.of(row) for row in RetentionPolicy.objects.all())]


def _ended(model: type[Record]) -> Coalesce:
    third = "started_at" if model is Recording else "created_at"
    return Coalesce("ended_at", "completed_at", third, output_field=DateTimeField())


def candidates(
    model: type[Record],
    policy: Policy,
    *,
    now: datetime,
    overridden_rooms: set[str] | None = None,
    include_held: bool = False,
) -> QuerySet[Any]:
    """What this policy deletes now of ``model`` (held items left out unless ``include_held``).

    The default policy covers the rooms without an override (``overridden_rooms``)."""
    days = policy.recordings_days if model is Recording else policy.compositions_days
    if days is None:
        return model.objects.annotate(ended=_ended(model)).none()
    cutoff = now - timedelta(days=days)
    qs = model.objects.filter(gone_upstream=False).annotate(ended=_ended(model)).filter(ended__lt=cutoff)
    if policy.is_default:
        rooms = overridden_rooms if overridden_rooms is not None else _overridden_rooms()
        if rooms:
            qs = qs.exclude(room_id__in=rooms)
    else:
        qs = qs.filter(room_id=policy.room_id)
    if model is Recording and policy.require_composition:
        composed = Composition.objects.filter(status=Composition.Status.COMPLETED).exclude(session_id="")
        composed = composed.filter(Q(gone_upstream=False) | Q(archived_at__isnull=False))
        qs = qs.filter(session_id__in=composed.values("session_id"))
    if not include_held:
        qs = qs.exclude(held_filter(model))
    return qs


def _overridden_rooms() -> set[str]:
    return set(RetentionPolicy.objects.values_list("room_id", flat=True))


@dataclass
class Figures:
    count: int = 0
    size_mb: float = 0.0
    oldest: datetime | None = None
    newest: datetime | None = None
    held: int = 0

    def add(self, other: Figures) -> None:
        self.count += other.count
        self.size_mb += other.size_mb
        self.held += other.held
        dates = [d for d in (self.oldest, other.oldest) if d]
        self.oldest = min(dates) if dates else None
        dates = [d for d in (self.newest, other.newest) if d]
        self.newest = max(dates) if dates else None


def _figures(qs: QuerySet[Any], held_qs: QuerySet[Any]) -> Figures:
    found = qs.aggregate(n=Count("id"), mb=Sum("size_mb"), oldest=Min("ended"), newest=Max("ended"))
    return Figures(
        count=found["n"] or 0,
        size_mb=float(found["mb"] or 0.0),
        oldest=found["oldest"],
        newest=found["newest"],
        held=held_qs.count() - (found["n"] or 0),
    )


@dataclass
class PolicyPreview:
    policy: Policy
    recordings: Figures
    compositions: Figures

    @property
    def total(self) -> int:
        return self.recordings.count + self.compositions.count

    @property
    def size_mb(self) -> float:
        return self.recordings.size_mb + self.compositions.size_mb


def preview_policy(
    policy: Policy, *, now: datetime | None = None, overridden_rooms: set[str] | None = None
) -> PolicyPreview:
    """What the next run deletes under this policy: count, size, oldest and newest, per kind."""
    now = now or timezone.now()
    rooms = overridden_rooms if overridden_rooms is not None else _overridden_rooms()
    figures = []
    for model in (Recording, Composition):
        qs = candidates(model, policy, now=now, overridden_rooms=rooms)
        all_qs = candidates(model, policy, now=now, overridden_rooms=rooms, include_held=True)
        figures.append(_figures(qs, all_qs))
    return PolicyPreview(policy=policy, recordings=figures[0], compositions=figures[1])


@dataclass
class Preview:
    policies: list[PolicyPreview]
    recordings: Figures = field(default_factory=Figures)
    compositions: Figures = field(default_factory=Figures)

    @property
    def size_mb(self) -> float:
        return self.recordings.size_mb + self.compositions.size_mb


def preview(*, now: datetime | None = None) -> Preview:
    """Every policy's preview and the totals: exactly what ``apply_retention`` would delete now."""
    now = now or timezone.now()
    rooms = _overridden_rooms()
    result = Preview(policies=[preview_policy(p, now=now, overridden_rooms=rooms) for p in policies()])
    for item in result.policies:
        result.recordings.add(item.recordings)
        result.compositions.add(item.compositions)
    return result


def summary(*, recordings: int, compositions: int, size_mb: float, dry_run: bool) -> str:
    verb = "would delete" if dry_run else "deleted"
    return (
        f"retention: {verb} {recordings} recording{'s' if recordings != 1 else ''} and "
        f"{compositions} composition{'s' if compositions != 1 else ''} ({size_mb:.1f} MB)"
    )


class RetentionAlreadyRunning(Refused):
    """Another retention run holds the lock."""


@contextmanager
def _run_lock() -> Iterator[None]:
    if not cache.add(LOCK_KEY, "1", LOCK_SECS):
        raise RetentionAlreadyRunning("A retention run is already in progress.")
    try:
        yield
    finally:
        cache.delete(LOCK_KEY)


def apply_retention(*, dry_run: bool = False, user: Any = None, now: datetime | None = None) -> RetentionRun:
    """Run retention now (or count what it would do); returns the run's record.

    A temporary Telnyx error ends the run as failed (what was deleted stays deleted and recorded;
    the next run resumes); an item Telnyx refuses for good is skipped for the rest of the run.
    """
    now = now or timezone.now()
    if dry_run:
        found = preview(now=now)
        return RetentionRun.objects.create(
            dry_run=True,
            outcome=RetentionRun.Outcome.SUCCEEDED,
            finished_at=timezone.now(),
            recordings=found.recordings.count,
            compositions=found.compositions.count,
            size_mb=found.size_mb,
            skipped_held=found.recordings.held + found.compositions.held,
        )
    with _run_lock():
        run = RetentionRun.objects.create(dry_run=False)
        found = preview(now=now)
        run.skipped_held = found.recordings.held + found.compositions.held
        try:
            rooms = _overridden_rooms()
            for policy in policies():
                for model in (Recording, Composition):
                    _apply(run, model, policy, now=now, rooms=rooms)
        except UserError as exc:
            _finish(run, user, RetentionRun.Outcome.FAILED, exc.message)
            raise
        except Exception as exc:
            _finish(run, user, RetentionRun.Outcome.FAILED, f"The retention run failed unexpectedly: {exc!r}")
            raise
        _finish(run, user, RetentionRun.Outcome.SUCCEEDED, "")
    return run


def _apply(run: RetentionRun, model: type[Record], policy: Policy, *, now: datetime, rooms: set[str]) -> None:
    refused: set[str] = set()
    batch_size = settings.RETENTION_BATCH_SIZE
    while True:
        qs = candidates(model, policy, now=now, overridden_rooms=rooms)
        if refused:
            qs = qs.exclude(telnyx_id__in=refused)
        batch = list(qs.order_by("pk")[:batch_size])
        if not batch:
            return
        deleted: list[Record] = []
        try:
            for record in batch:
                if _delete_one(run, record, policy):
                    deleted.append(record)
                else:
                    refused.add(record.telnyx_id)
        finally:  # a run stopped by an error still records what it deleted
            _record_batch(run, model, deleted)


def _delete_one(run: RetentionRun, record: Record, policy: Policy) -> bool:
    """Delete one item in Telnyx by id (archiving it first when the policy says so); False when it
    must be skipped for the rest of the run. A temporary error propagates and ends the run."""
    kind = "recording" if isinstance(record, Recording) else "composition"
    if policy.archive_first and not record.is_archived:
        try:
            run.api_calls += 1
            archive_file(record=record)
        except UserError as exc:
            if exc.temporary:
                raise
            logger.warning("retention skipped %s %s: archive failed: %s", kind, record.telnyx_id, exc.message)
            return False
        record.refresh_from_db()
        if not record.is_archived:
            return False
    client = get_client()
    try:
        run.api_calls += 1
        with telnyx_call(f"delete the {kind}"), suppress(NotFoundError):  # already gone counts as deleted
            if isinstance(record, Recording):
                client.delete_recording(record.telnyx_id)
            else:
                client.delete_composition(record.telnyx_id)
    except UserError as exc:
        if exc.temporary:
            raise
        logger.warning("retention skipped %s %s: %s", kind, record.telnyx_id, exc.message)
        return False
    return True


def _record_batch(run: RetentionRun, model: type[Record], deleted: list[Record]) -> None:
    """Mark a batch deleted in Telnyx gone upstream and record each id, in one transaction. Killed
    before this, the next run deletes the same ids again (Telnyx answers 404: counted as done)."""
    kind = "recording" if model is Recording else "composition"
    now = timezone.now()
    update: dict[str, Any] = {"gone_upstream": True, "gone_upstream_at": now}
    if model is Composition:
        update["next_poll_at"] = None
    with transaction.atomic():
        model.objects.filter(pk__in=[r.pk for r in deleted]).update(**update)
        RetentionDeletion.objects.bulk_create(
            RetentionDeletion(
                run=run,
                kind=kind,
                telnyx_id=r.telnyx_id,
                room_id=r.room_id,
                session_id=r.session_id,
                size_mb=r.size_mb,
                ended_at=getattr(r, "ended", None),
                archived=r.is_archived,
                deleted_at=now,
            )
            for r in deleted
        )
        if kind == "recording":
            run.recordings += len(deleted)
        else:
            run.compositions += len(deleted)
        run.size_mb += sum(r.size_mb or 0.0 for r in deleted)
        run.save(update_fields=["recordings", "compositions", "size_mb", "api_calls"])


def _finish(run: RetentionRun, user: Any, outcome: str, error: str) -> None:
    run.outcome = outcome
    run.error = error
    run.finished_at = timezone.now()
    run.save()
    message = summary(
        recordings=run.recordings, compositions=run.compositions, size_mb=run.size_mb, dry_run=False
    )
    if error:
        message = f"{message}; stopped: {error}"
    record_action(
        user=user,
        action=RETENTION_RUN,
        succeeded=outcome == RetentionRun.Outcome.SUCCEEDED,
        message=message,
        target={
            "run_id": run.pk,
            "recordings": run.recordings,
            "compositions": run.compositions,
            "size_mb": round(run.size_mb, 3),
            "skipped_held": run.skipped_held,
        },
    )


def deletions_of(telnyx_id: str) -> QuerySet[RetentionDeletion]:
    """Which retention run deleted this id (the audit trail of one item)."""
    return RetentionDeletion.objects.filter(telnyx_id=telnyx_id).select_related("run")
