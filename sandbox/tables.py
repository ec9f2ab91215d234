"""In-memory tables of records (dicts) kept sorted for newest-first paging, with equality indexes.

A record's public fields are its keys; keys starting with ``_`` are the sandbox's own bookkeeping.
Ordering is by (time field, id), so pages are stable and ties are broken by id.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Callable, Iterable
from typing import Any

Record = dict[str, Any]
Predicate = Callable[[Record], bool]


def _equals(name: str, value: str) -> Predicate:
    return lambda rec: rec.get(name) == value


class Table:
    def __init__(self, time_field: str, indexed: Iterable[str] = ()) -> None:
        self.time_field = time_field
        self.by_id: dict[str, Record] = {}
        self.order: list[Record] = []  # ascending by (time, id)
        self.indexes: dict[str, dict[str, list[Record]]] = {name: {} for name in indexed}

    def key(self, rec: Record) -> tuple[str, str]:
        return (rec[self.time_field], rec["id"])

    def __len__(self) -> int:
        return len(self.by_id)

    def get(self, record_id: str) -> Record | None:
        return self.by_id.get(record_id)

    def add(self, rec: Record) -> None:
        self.by_id[rec["id"]] = rec
        if not self.order or self.key(self.order[-1]) <= self.key(rec):
            self.order.append(rec)
        else:
            insort(self.order, rec, key=self.key)
        for name, index in self.indexes.items():
            value = rec.get(name)
            if value is not None:
                index.setdefault(value, []).append(rec)

    def load(self, recs: list[Record]) -> None:
        """Bulk insert; one sort at the end instead of one insertion each."""
        for rec in recs:
            self.by_id[rec["id"]] = rec
            for name, index in self.indexes.items():
                value = rec.get(name)
                if value is not None:
                    index.setdefault(value, []).append(rec)
        self.order.extend(recs)
        self.order.sort(key=self.key)

    def clear(self) -> None:
        self.by_id.clear()
        self.order.clear()
        for index in self.indexes.values():
            index.clear()

    def remove(self, rec: Record) -> None:
        self.remove_many([rec])

    def remove_many(self, recs: list[Record]) -> None:
        if not recs:
            return
        dead = {id(r) for r in recs}
        for rec in recs:
            self.by_id.pop(rec["id"], None)
        if len(recs) < 8:
            for rec in recs:
                i = bisect_left(self.order, self.key(rec), key=self.key)
                while i < len(self.order) and self.order[i] is not rec:
                    i += 1
                if i < len(self.order):
                    del self.order[i]
        else:
            self.order = [r for r in self.order if id(r) not in dead]
        for name, index in self.indexes.items():
            touched: set[str] = {r[name] for r in recs if r.get(name) is not None}
            for value in touched:
                kept = [r for r in index.get(value, ()) if id(r) not in dead]
                if kept:
                    index[value] = kept
                else:
                    index.pop(value, None)

    def query(self, equal: dict[str, str], predicates: list[Predicate]) -> list[Record]:
        """Matching records, ascending. Narrows by the smallest matching index first."""
        candidates: list[Record] | None = None
        used = None
        for name, value in equal.items():
            if name in self.indexes:
                rows = self.indexes[name].get(value, [])
                if candidates is None or len(rows) < len(candidates):
                    candidates, used = rows, name
        checks = list(predicates)
        for name, value in equal.items():
            if name != used:
                checks.append(_equals(name, value))
        from_index = candidates is not None
        if candidates is None:
            candidates = self.order
        rows = list(candidates) if from_index else candidates
        for check in checks:  # one tight pass per check, each over what the last one kept
            rows = [r for r in rows if check(r)]
        if from_index:
            rows.sort(key=self.key)
        return rows

    def by(self, name: str, value: str) -> list[Record]:
        """Records whose indexed field ``name`` equals ``value``, ascending."""
        return sorted(self.indexes[name].get(value, []), key=self.key)
