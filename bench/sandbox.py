"""Benchmark the sandbox: seeding, list latency over 100k recordings, and a 500 MB download.

    .venv/bin/python bench/sandbox.py [--recordings 100000] [--download-mb 500] [--samples 200]

Prints: seed time for the recordings; p50/p99 latency of GET /room_recordings?page[size]=250 (first page,
a deep page, and a filtered query); download throughput of one recording of --download-mb MB and the
sandbox's peak RSS while serving it (psutil, sampled every 20 ms).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sandbox.testing import SandboxProcess  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def latency(client: httpx.Client, params: dict[str, object], samples: int) -> tuple[float, float]:
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        response = client.get("/room_recordings", params=params)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
    return percentile(times, 50) * 1000, percentile(times, 99) * 1000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recordings", type=int, default=100_000)
    parser.add_argument("--download-mb", type=int, default=500)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    participants = 10
    sessions = 100
    rooms = max(1, args.recordings // (2 * participants * sessions))
    with SandboxProcess(churn=0) as sandbox:
        proc = psutil.Process(sandbox.pid)
        rss_idle = proc.memory_info().rss
        started = time.perf_counter()
        counts = sandbox.seed(rooms=rooms, sessions_per_room=sessions, participants_per_session=participants)
        seed_secs = time.perf_counter() - started
        print(
            f"seed: {counts['recordings']:,} recordings ({counts['participants']:,} participants, "
            f"{counts['sessions']:,} sessions, {counts['rooms']} rooms) in {seed_secs:.2f} s "
            f"(server-side {counts['elapsed_secs']:.2f} s); RSS {rss_idle / 2**20:.0f} -> "
            f"{proc.memory_info().rss / 2**20:.0f} MiB"
        )
        headers = {"Authorization": f"Bearer {sandbox.api_key}"}
        with httpx.Client(base_url=sandbox.base_url, headers=headers, timeout=30) as client:
            first = client.get("/room_recordings", params={"page[size]": 250}).json()
            sample = first["data"][0]
            day = sample["started_at"][:10]
            cases = {
                "page 1": {"page[size]": 250},
                "page 200": {"page[size]": 250, "page[number]": 200},
                "filter[date_started_at][gte]+type": {
                    "page[size]": 250,
                    "filter[date_started_at][gte]": day,
                    "filter[type]": "video",
                },
                "filter[room_id]": {"page[size]": 250, "filter[room_id]": sample["room_id"]},
            }
            for name, params in cases.items():
                p50, p99 = latency(client, params, args.samples)
                print(f"GET /room_recordings?page[size]=250 {name}: p50 {p50:.1f} ms, p99 {p99:.1f} ms")

        size = args.download_mb * 1_000_000
        big = sandbox.seed(rooms=1, sessions_per_room=1, participants_per_session=1, recording_bytes=size)
        params = {"filter[type]": "video", "filter[room_id]": big["room_ids"][0]}
        with httpx.Client(base_url=sandbox.base_url, headers=headers, timeout=60) as client:
            url = client.get("/room_recordings", params=params).json()["data"][0]["download_url"]
        peak = proc.memory_info().rss
        stop = threading.Event()

        def sample_rss() -> None:
            nonlocal peak
            while not stop.wait(0.02):
                peak = max(peak, proc.memory_info().rss)

        before = proc.memory_info().rss
        sampler = threading.Thread(target=sample_rss, daemon=True)
        sampler.start()
        received = 0
        started = time.perf_counter()
        with httpx.stream("GET", url, timeout=60) as response:
            assert int(response.headers["content-length"]) >= size
            for chunk in response.iter_raw(1 << 20):
                received += len(chunk)
        elapsed = time.perf_counter() - started
        stop.set()
        sampler.join()
        print(
            f"download: {received / 1e6:.0f} MB in {elapsed:.2f} s = {received / 1e6 / elapsed:.0f} MB/s; "
            f"sandbox RSS before {before / 2**20:.0f} MiB, peak while serving {peak / 2**20:.0f} MiB "
            f"(+{(peak - before) / 2**20:.1f} MiB)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
