from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies: list[tuple[str, str]] = []

    operations = [
        migrations.CreateModel(
            name="Access",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                )
            ],
            options={
                "managed": False,
                "default_permissions": (),
                "permissions": [
                    ("view_dashboard", "See rooms, sessions, participants, recordings and compositions"),
                    ("download_recordings", "Play and download recordings and compositions"),
                    ("create_compositions", "Build compositions of ended sessions"),
                    ("moderate_sessions", "Mute, unmute and kick participants and end sessions"),
                    ("create_join_tokens", "Generate and refresh join tokens"),
                    ("manage_rooms", "Create, edit and delete rooms"),
                    ("delete_recordings", "Delete recordings and compositions"),
                    ("view_all_audit", "See every user's entries in the audit log"),
                ],
            },
        ),
        migrations.CreateModel(
            name="WorkerHeartbeat",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("hostname", models.CharField(max_length=255, unique=True)),
                ("last_seen", models.DateTimeField()),
                ("beats", models.PositiveBigIntegerField(default=0)),
            ],
        ),
    ]
