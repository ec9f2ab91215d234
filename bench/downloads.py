"""Benchmark a 500 MB download through the dashboard beside nginx serving the same bytes.

Writes a 500 MB archived recording into a throwaway var dir, starts gunicorn as the README runs it
(gthread, 2 workers, 8 threads) and nginx (Debian's package) on loopback ports with its own minimal
config in the temp dir, downloads the file from each (median of ``--runs``), and prints MB/s, the
ratio, and the web workers' RSS before and after.

    .venv/bin/python bench/downloads.py [--mb 500] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-123"  # noqa: S105 - a throwaway user in a throwaway database
sys.path.insert(0, str(ROOT))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str) -> None:
    import httpx

    for _ in range(200):
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def _setup(var_dir: str, mb: int) -> str:
    """Django on a throwaway SQLite database, an Admin-role user, and an archived recording of ``mb``
    MB; returns the recording's id."""
    os.environ.update(
        DASHBOARD_VAR_DIR=var_dir,
        DJANGO_SECRET_KEY="bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",  # noqa: S106
        DJANGO_HTTPS="0",
        DJANGO_DEBUG="0",
        DASHBOARD_HASHED_STATIC="0",
        DJANGO_SETTINGS_MODULE="dashboard.settings",
        DASHBOARD_LOG_LEVEL="WARNING",
        TELNYX_API_KEY="KEYBENCHDOWNLOADS",
        TELNYX_API_BASE_URL="http://127.0.0.1:9/v2",  # never called: the file comes from the archive
    )
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command

    from dashboard.roles import Role
    from recordings.models import Recording

    call_command("migrate", verbosity=0)
    user = User.objects.create_user("bench-admin", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=Role.ADMIN.value))
    relative = "archive/bench/recording.mp4"
    path = Path(settings.MEDIA_ROOT) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    block = os.urandom(1 << 20)
    with path.open("wb") as out:
        for _ in range(mb * 1_000_000 // len(block)):
            out.write(block)
        out.write(block[: mb * 1_000_000 % len(block)])
    for folder in (Path(var_dir), *Path(settings.MEDIA_ROOT).rglob("*")):  # nginx's workers read as nobody
        folder.chmod(0o755)
    Path(settings.MEDIA_ROOT).chmod(0o755)
    now = datetime.now(UTC)
    recording = Recording.objects.create(
        telnyx_id="00000000-be4c-4000-8000-00000000d0d0",
        room_name="bench",
        type="video",
        status="completed",
        started_at=now,
        gone_upstream=True,
        gone_upstream_at=now,
        archive_file=relative,
        archive_size=path.stat().st_size,
        archived_at=now,
    )
    return recording.telnyx_id


def _nginx(root: str, port: int, tmp: str) -> subprocess.Popen[bytes]:
    conf = Path(tmp) / "nginx.conf"
    conf.write_text(
        f"""daemon off; worker_processes 1; pid {tmp}/nginx.pid; error_log {tmp}/error.log warn;
events {{ worker_connections 64; }}
http {{
  access_log off; sendfile on; tcp_nopush on;
  client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy; fastcgi_temp_path {tmp}/fcgi;
  uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
  server {{ listen 127.0.0.1:{port}; root {root}; }}
}}
"""
    )
    return subprocess.Popen(["/usr/sbin/nginx", "-c", str(conf), "-p", tmp])  # noqa: S603


def _rss(pid: int) -> int:
    import psutil

    proc = psutil.Process(pid)
    return sum(child.memory_info().rss for child in proc.children(recursive=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    import httpx

    with tempfile.TemporaryDirectory(prefix="bench-downloads-") as var_dir:
        recording_id = _setup(var_dir, args.mb)
        from django.conf import settings

        web_port, nginx_port = _free_port(), _free_port()
        env = {**os.environ}
        web = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "gunicorn", "dashboard.wsgi", "--worker-class", "gthread",
             "--workers", "2", "--threads", "8", "-b", f"127.0.0.1:{web_port}",
             "--timeout", "300", "--log-level", "warning"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        nginx = _nginx(str(settings.MEDIA_ROOT), nginx_port, var_dir)
        try:
            base = f"http://127.0.0.1:{web_port}"
            _wait(f"{base}/healthz")
            _wait(f"http://127.0.0.1:{nginx_port}/")
            client = httpx.Client(base_url=base, timeout=300)
            token = client.get("/accounts/login/").cookies.get("csrftoken")
            client.post(
                "/accounts/login/",
                data={"username": "bench-admin", "password": PASSWORD, "csrfmiddlewaretoken": token},
                headers={"Referer": f"{base}/accounts/login/"},
            )
            assert "sessionid" in client.cookies, "login failed"
            ours_url = f"{base}/recordings/{recording_id}/download"
            nginx_url = f"http://127.0.0.1:{nginx_port}/archive/bench/recording.mp4"
            plain = httpx.Client(timeout=300)
            client.get(ours_url, headers={"Range": "bytes=0-1023"})  # warm the workers
            rss_before = _rss(web.pid)

            cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())

            def fetch(http: httpx.Client, url: str) -> float:
                """MB/s of one download read by curl (a Python client would be the bottleneck)."""
                headers = ["-H", f"Cookie: {cookie}"] if http is client else []
                out = subprocess.run(  # noqa: S603
                    ["/usr/bin/curl", "-sS", "-o", "/dev/null", "-w",
                     "%{http_code} %{size_download} %{speed_download}", *headers, url],
                    capture_output=True, text=True, check=True,
                ).stdout.split()  # fmt: skip
                assert out[0] == "200" and int(out[1]) == args.mb * 1_000_000, (url, out)
                return float(out[2]) / 1e6

            ours, theirs = [], []
            for _ in range(args.runs):
                theirs.append(fetch(plain, nginx_url))
                ours.append(fetch(client, ours_url))
            rss_after = _rss(web.pid)
            ours_mbs, nginx_mbs = statistics.median(ours), statistics.median(theirs)
            print(f"## Download of a {args.mb} MB archived recording (median of {args.runs})")
            print(f"nginx on loopback:     {nginx_mbs:8.0f} MB/s")
            print(f"through the dashboard: {ours_mbs:8.0f} MB/s  ({ours_mbs / nginx_mbs:.2f}x nginx)")
            print(f"gunicorn workers RSS: {rss_before / 1e6:.1f} MB before, {rss_after / 1e6:.1f} MB after")
        finally:
            web.terminate()
            nginx.terminate()
            web.wait(10)
            nginx.wait(10)


if __name__ == "__main__":
    main()
