from __future__ import annotations

from django.db import models

from dashboard.roles import PERMISSIONS


class Access(models.Model):
    """Holds the dashboard's custom permissions; no table behind it."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = list(PERMISSIONS.items())

    def __str__(self) -> str:
        return "dashboard permissions"


class WorkerHeartbeat(models.Model):
    """Last time each Celery worker ran the periodic heartbeat task; shown on the overview."""

    hostname = models.CharField(max_length=255, unique=True)
    last_seen = models.DateTimeField()
    beats = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.hostname} at {self.last_seen:%Y-%m-%d %H:%M:%S}"
