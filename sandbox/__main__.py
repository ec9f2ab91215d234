"""``python -m sandbox``: run the Telnyx Video Rooms sandbox."""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import sys
import threading
from pathlib import Path

from .server import SandboxServer, Ticker
from .store import Settings, Store


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8700, help="0 picks a free port")
    parser.add_argument(
        "--api-key",
        default=os.environ.get("SANDBOX_API_KEY"),
        help="bearer key clients must send (default: $SANDBOX_API_KEY, else a random key, printed)",
    )
    parser.add_argument("--seed", choices=("demo", "none"), default="none")
    parser.add_argument("--state", type=Path, help="JSON file the state is loaded from and saved to")
    parser.add_argument("--save-every", type=float, default=30.0, help="seconds between state saves")
    parser.add_argument("--public-url", help="root URL put in download links (default http://HOST:PORT)")
    parser.add_argument("--link-ttl", type=float, default=600.0, help="download link lifetime, seconds")
    parser.add_argument("--composition-step", type=float, default=5.0, help="seconds per composition status")
    parser.add_argument(
        "--recording-processing", type=float, default=3.0, help="seconds a recording processes"
    )
    parser.add_argument("--churn", type=float, default=7.0, help="demo participant churn period, 0 disables")
    parser.add_argument("--recording-bytes", type=int, default=1_000_000, help="size of new recordings")
    parser.add_argument("--composition-bytes", type=int, default=2_000_000, help="size of compositions")
    parser.add_argument("--webhook-timeout", type=float, default=10.0, help="when a room sets none, seconds")
    parser.add_argument(
        "--key-seed",
        metavar="TEXT",
        help="derive the Ed25519 webhook and token keys from TEXT, so the webhook public key is stable",
    )
    parser.add_argument("--tick", type=float, default=0.2, help="seconds between background ticks")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    api_key = args.api_key or "KEY" + secrets.token_hex(12).upper()
    settings = Settings(
        api_key=api_key,
        link_ttl_secs=args.link_ttl,
        composition_step_secs=args.composition_step,
        recording_processing_secs=args.recording_processing,
        churn_secs=args.churn,
        recording_bytes=args.recording_bytes,
        composition_bytes=args.composition_bytes,
        webhook_timeout_secs=args.webhook_timeout,
        key_seed=args.key_seed,
    )
    store = Store(settings)
    if args.state and args.state.exists():
        store.load(args.state)
    server = SandboxServer((args.host, args.port), store, verbose=args.verbose)
    host, port = server.server_address[:2]
    if isinstance(host, bytes | bytearray):
        host = host.decode()
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "") else host  # noqa: S104
    root = (args.public_url or f"http://{shown_host}:{port}").rstrip("/")
    settings.root_url = root
    if args.seed == "demo" and not (args.state and args.state.exists()):
        store.seed_demo()

    def save() -> None:
        if args.state:
            store.save(args.state)

    ticker = Ticker(store, interval=args.tick, save=save if args.state else None, save_every=args.save_every)
    ticker.start()

    def stop(signum: int, frame: object) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"Telnyx sandbox serving {root}/v2", flush=True)
    print(f"  API key:            {api_key}", flush=True)
    print(f"sandbox: webhook public key {store.webhook_public_key}", flush=True)
    print(
        f"SANDBOX_READY base_url={root}/v2 root_url={root} api_key={api_key} "
        f"webhook_public_key={store.webhook_public_key} token_public_key={store.token_public_key}",
        flush=True,
    )
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        ticker.stopped.set()
        server.server_close()
        if args.state:
            store.save(args.state)
    return 0


if __name__ == "__main__":
    sys.exit(main())
