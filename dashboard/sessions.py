"""Sessions read from the shared cache, kept in the database: Django's ``cached_db`` store, whose
cache is only a shortcut here. A cache that cannot be reached falls back to the database on every
path (Django's own store already does so when saving, not when loading or deleting), so signing in,
reading pages and signing out keep working through a Redis outage."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.core.cache import BaseCache, caches

logger = logging.getLogger(__name__)


class SessionStore(cached_db.SessionStore):
    @property
    def _shared(self) -> BaseCache:
        return caches[settings.SESSION_CACHE_ALIAS]

    def load(self) -> dict[str, Any]:
        try:
            data = self._shared.get(self.cache_key)
        except Exception:  # noqa: BLE001
            data = None
        if data is not None:
            return data  # type: ignore[no-any-return]  # what save() stored: the session's dict
        stored = self._get_session_from_db()  # type: ignore[attr-defined]  # DBStore's, not in the stubs
        if not stored:
            return {}
        data = self.decode(stored.session_data)
        try:
            self._shared.set(self.cache_key, data, self.get_expiry_age(expiry=stored.expire_date))
        except Exception:  # noqa: BLE001
            logger.warning("could not keep a session in the cache", exc_info=True)
        return data

    def delete(self, session_key: str | None = None) -> None:
        DBStore.delete(self, session_key)
        key = session_key or self.session_key
        if key is None:
            return
        try:
            self._shared.delete(self.cache_key_prefix + key)
        except Exception:  # noqa: BLE001
            # The row is gone from the database; a cache that comes back with its copy would still
            # answer for the session until that copy expires, so this is logged as an error.
            logger.error("could not drop a deleted session from the cache", exc_info=True)
