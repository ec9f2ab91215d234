"""The embedded broker: kombu's filesystem transport, with messages that appear whole.

kombu writes a message straight into the queue folder (create, then write), while a worker that
lists the folder moves and reads any ``*.msg`` it finds, with no lock: a message caught between
the create and the write is read empty or half, fails to decode, and stops the worker's consumer
(kombu issue #1551). Here a message is written under a hidden name the worker skips, then renamed
into the queue: a rename within one folder is atomic, so a worker sees all of it or nothing.

The message is not synced to disk: a task lost in a power cut is found again by the sweeps that
look for work left undone (events not applied, compositions not polled), not by the broker.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    # kombu types its two bases' _put differently; this is the filesystem one's signature.
    def _put(self, queue: str, payload: dict[str, Any], **kwargs: Any) -> None:  # type: ignore[override]
        # The name kombu gives it: consumers take messages in the order of these names.
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f".{name}.part")
        try:
            with open(partial, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.rename(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
