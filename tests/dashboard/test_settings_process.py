"""Settings as a deployment sees them: read in a fresh process from environment variables."""

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "a-production-like-secret-key-with-plenty-of-entropy-9f8e7d6c5b4a3210",
    "DJANGO_ALLOWED_HOSTS": "video.example.com",
    "DJANGO_HTTPS": "1",
}


def _manage(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TELNYX_"))}
    clean["DASHBOARD_VAR_DIR"] = str(tmp_path)
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION, tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_missing_secret_key_in_production_stops_start_up(tmp_path):
    env = {**PRODUCTION, "DJANGO_SECRET_KEY": ""}
    result = _manage("check", env=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_a_malformed_variable_names_itself(tmp_path):
    result = _manage("check", env={**PRODUCTION, "TELNYX_READ_TIMEOUT": "soon"}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "TELNYX_READ_TIMEOUT must be a number" in result.stderr


def test_database_url_selects_postgresql(tmp_path):
    code = (
        "from django.conf import settings; d = settings.DATABASES['default']; "
        "print(d['ENGINE'], d['NAME'], d['HOST'])"
    )
    env = {**PRODUCTION, "DATABASE_URL": "postgres://dash@db.internal:5432/videodash"}
    result = _manage("shell", "-v", "0", "-c", code, env=env, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "django.db.backends.postgresql videodash db.internal" in result.stdout


def test_without_redis_url_the_broker_is_embedded_under_var(tmp_path):
    code = (
        "from django.conf import settings; "
        "print(settings.CELERY_BROKER_URL, settings.CELERY_BROKER_TRANSPORT_OPTIONS['data_folder_in'])"
    )
    result = _manage("shell", "-v", "0", "-c", code, env={**PRODUCTION, "REDIS_URL": ""}, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["filesystem://", str(tmp_path / "broker" / "queue")]
