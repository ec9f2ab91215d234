"""Permissions from the shared cache: Django's ``ModelBackend`` asks the database twice per request
(the user's own permissions, then their groups'), and every page checks one.

Each user's permission set is kept under the current *generation*, a random token in the cache. Any
change that can alter anyone's permissions (a user's groups or permissions, a group's permissions,
a group or permission saved or deleted) draws a new generation at once and again when its
transaction commits, so no process goes on reading a set kept before the change: the second draw
covers a request that read the database between the first draw and the commit. Whether the user is
active or a superuser comes from the user row each request loads anyway, so it is never cached.

A cache that cannot be reached only costs the two queries again.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

GENERATION_KEY = "permissions:generation"
#: How long a kept set lives with no change seen (a bound for a change made outside the ORM).
KEEP_SECS = 300


def _user_key(pk: Any) -> str:
    return f"permissions:user:{pk}"


class CachedPermissionsBackend(ModelBackend):
    """``ModelBackend`` whose permission sets come from the cache until a change is made."""

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = kept_permissions(
                user_obj, lambda: super(CachedPermissionsBackend, self).get_all_permissions(user_obj)
            )
        perms: set[str] = user_obj._perm_cache
        return perms


def kept_permissions(user: Any, read: Callable[[], set[str]]) -> set[str]:
    """``read()``'s answer for ``user``, from the cache when it was kept under the current generation
    (and the same superuser flag)."""
    key = _user_key(user.pk)
    try:
        found = cache.get_many([GENERATION_KEY, key])
    except Exception:  # noqa: BLE001 - the database still answers
        logger.warning("permissions cache unreachable; reading the database", exc_info=True)
        return read()
    generation, kept = found.get(GENERATION_KEY), found.get(key)
    if generation is not None and kept is not None and kept[:2] == (generation, user.is_superuser):
        return set(kept[2])
    perms = read()
    try:
        if generation is None:
            cache.add(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
            generation = cache.get(GENERATION_KEY)
        cache.set(key, (generation, user.is_superuser, frozenset(perms)), KEEP_SECS)
    except Exception:  # noqa: BLE001
        logger.warning("could not keep permissions in the cache", exc_info=True)
    return perms


def new_generation() -> None:
    """Make every kept permission set stale, now and once the current transaction commits."""

    def draw() -> None:
        try:
            cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
        except Exception:  # noqa: BLE001
            # Kept sets then outlive the change by up to KEEP_SECS: say so loudly.
            logger.error("could not invalidate kept permissions after a change", exc_info=True)

    draw()
    transaction.on_commit(draw)


def permissions_changed(sender: Any, **kwargs: Any) -> None:
    """Signal receiver: a save, delete or many-to-many change of an auth model other than the user
    row itself (its flags are read fresh each request) may change someone's permissions."""
    if sender._meta.app_label == "auth" and sender._meta.model_name != "user":
        new_generation()
