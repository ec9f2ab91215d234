"""The audit log's model, on the table rooms 0001 created: state only, no data moves."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("rooms", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditEntry",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                        ("username", models.CharField(max_length=150)),
                        (
                            "action",
                            models.CharField(
                                choices=[
                                    ("room.create", "Room created"),
                                    ("room.update", "Room edited"),
                                    ("room.delete", "Room deleted"),
                                    ("token.generate", "Join token generated"),
                                    ("token.refresh", "Join token refreshed"),
                                    ("session.mute", "Muted"),
                                    ("session.unmute", "Unmuted"),
                                    ("session.kick", "Kicked"),
                                    ("session.end", "Session ended"),
                                    ("recording.download", "Recording downloaded"),
                                    ("recording.delete", "Recording deleted"),
                                    ("recording.bulk_delete", "Recordings bulk-deleted"),
                                    ("composition.create", "Composition created"),
                                    ("composition.download", "Composition downloaded"),
                                    ("composition.delete", "Composition deleted"),
                                ],
                                db_index=True,
                                max_length=40,
                            ),
                        ),
                        ("room_id", models.CharField(blank=True, db_index=True, max_length=64)),
                        ("room_name", models.CharField(blank=True, max_length=255)),
                        ("session_id", models.CharField(blank=True, db_index=True, max_length=64)),
                        ("target", models.JSONField(blank=True, default=dict)),
                        ("succeeded", models.BooleanField()),
                        ("message", models.TextField(blank=True)),
                        (
                            "user",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="audit_entries",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "audit entry",
                        "verbose_name_plural": "audit log",
                        "db_table": "rooms_auditentry",
                        "ordering": ["-created_at", "-id"],
                        "indexes": [
                            models.Index(
                                fields=["username", "-created_at"], name="rooms_audit_usernam_0b2f39_idx"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
