"""The embedded broker never hands a worker half a message (kombu issue #1551)."""

from __future__ import annotations

from pathlib import Path
from queue import Empty
from typing import Any

from kombu import Connection
from kombu.transport import filesystem
from kombu.utils.json import dumps as real_dumps

from dashboard import filesystem_broker


def _connection(tmp_path: Path, transport: Any) -> Connection:
    queue = tmp_path / "queue"
    queue.mkdir()
    options = {
        "data_folder_in": str(queue),
        "data_folder_out": str(queue),
        "store_processed": False,
        "polling_interval": 0.1,
    }
    return Connection("filesystem://", transport=transport, transport_options=options)


def test_a_worker_reading_while_a_message_is_written_finds_none_or_all_of_it(tmp_path, monkeypatch):
    """A worker that lists the queue while a message is on its way (here: at the moment it is being
    serialised) must find nothing yet, not an empty file it then fails to decode."""
    with _connection(tmp_path, filesystem_broker.Transport) as connection:
        channel = connection.default_channel
        read_meanwhile: list[Any] = []

        def dumps_while_a_worker_reads(payload: Any) -> str:
            try:
                read_meanwhile.append(channel._get("default"))
            except Exception as exc:  # noqa: BLE001 - what the worker would have met
                read_meanwhile.append(exc)
            return str(real_dumps(payload))

        monkeypatch.setattr(filesystem_broker, "dumps", dumps_while_a_worker_reads)
        channel._put("default", {"body": "an event to apply"})
        monkeypatch.undo()

        assert len(read_meanwhile) == 1 and isinstance(read_meanwhile[0], Empty), read_meanwhile
        assert channel._get("default") == {"body": "an event to apply"}  # then all of it
        assert [p.name for p in (tmp_path / "queue").iterdir()] == []  # no partial file left behind


def test_kombus_own_transport_still_hands_out_half_messages(tmp_path, monkeypatch):
    """The same read against kombu's transport takes the message before it is written. When this
    fails, kombu has fixed #1551 and ``dashboard.filesystem_broker`` can go."""
    with _connection(tmp_path, filesystem.Transport) as connection:
        channel = connection.default_channel
        met: list[Exception] = []

        def dumps_while_a_worker_reads(payload: Any) -> str:
            try:
                channel._get("default")
            except Exception as exc:  # noqa: BLE001
                met.append(exc)
            return str(real_dumps(payload))

        monkeypatch.setattr(filesystem, "dumps", dumps_while_a_worker_reads)
        channel._put("default", {"body": "an event to apply"})
        assert met and type(met[0]).__name__ == "JSONDecodeError", met
