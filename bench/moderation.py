"""Benchmark the moderation console for a 50-participant session in the sandbox.

Prints, for the participant-table partial (the request every open console makes every few seconds)
and for a mute-all POST: median and p95 time, response size, SQL queries per request and Telnyx
API calls per request (from the sandbox's own request counts).

    .venv/bin/python bench/moderation.py [--runs 50]

It starts its own sandbox process and uses a throwaway SQLite database under a temporary
directory, so it never touches a running dashboard.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _setup_django(var_dir: str) -> None:
    os.environ["DASHBOARD_VAR_DIR"] = var_dir
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
    os.environ["DJANGO_HTTPS"] = "0"
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "dashboard.settings"
    os.environ.setdefault("DASHBOARD_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="requests of each kind (default 50)")
    parser.add_argument("--participants", type=int, default=50)
    args = parser.parse_args()

    from sandbox.testing import SandboxProcess

    with (
        tempfile.TemporaryDirectory(prefix="bench-moderation-") as var_dir,
        SandboxProcess(api_key="KEYBENCHMODERATION", churn=0) as sandbox,
    ):
        _setup_django(var_dir)
        from django.conf import settings
        from django.contrib.auth.models import Group, User
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext, setup_test_environment
        from django.urls import reverse

        from dashboard.telnyx import get_client

        setup_test_environment()  # lets the test Client run against the configured hosts
        settings.ALLOWED_HOSTS = ["testserver"]
        settings.TELNYX_API_KEY = sandbox.api_key
        settings.TELNYX_API_BASE_URL = sandbox.base_url
        settings.DEBUG = False

        user = User.objects.create_user("bench-moderator")  # force_login: no password needed
        user.groups.add(Group.objects.get(name="Moderator"))
        browser = Client()
        browser.force_login(user)

        client = get_client()
        room = client.create_room(unique_name="bench", max_participants=50)
        for i in range(args.participants):
            sandbox.join(room.id, f"participant-{i:02d}")
        session_id = client.get_room(room.id).active_session_id
        assert session_id

        table_url = reverse("sessions:detail", args=[session_id])
        mute_url = reverse("sessions:mute", args=[session_id])
        table_headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "participant-table"}
        action_headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "moderation"}

        def measure(label: str, call) -> None:  # type: ignore[no-untyped-def]
            call()  # warm up: templates compiled, connections open
            times, sizes, queries, api_calls = [], [], [], []
            for _ in range(args.runs):
                sandbox.clear_request_counts()
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    response = call()
                    times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.status_code
                sizes.append(len(response.content))
                queries.append(len(captured.captured_queries))
                api_calls.append(sandbox.request_counts())
            calls = {op: sum(v.values()) for op, v in api_calls[-1].items()}
            print(f"{label}")
            print(
                f"  time      median {statistics.median(times):7.1f} ms"
                f"   p95 {_percentile(times, 0.95):7.1f} ms"
            )
            print(f"  size      {statistics.median(sizes) / 1024:7.1f} KiB")
            print(f"  SQL       {min(queries)}–{max(queries)} queries per request")
            total = [sum(sum(v.values()) for v in c.values()) for c in api_calls]
            print(f"  Telnyx    {min(total)}–{max(total)} API calls per request: {calls}")
            if os.environ.get("BENCH_SHOW_SQL"):
                for query in captured.captured_queries:
                    print("   ", query["sql"][:140])

        print(f"Session with {args.participants} participants, {args.runs} requests each\n")
        measure("participant-table partial (GET, HTMX poll)", lambda: browser.get(table_url, **table_headers))
        measure(
            "mute all (POST, HTMX)",
            lambda: browser.post(mute_url, {"scope": "all"}, **action_headers),
        )
        answer = browser.post(mute_url, {"scope": "all"}, **action_headers).content.decode()
        print("\nThe last answer's message:", answer.split('role="status">')[1].split("<")[0])


if __name__ == "__main__":
    main()
