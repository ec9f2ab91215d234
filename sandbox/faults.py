"""Injected failures on the Telnyx API paths and counts of the requests received.

Decisions come from one seeded ``random.Random`` so a rate is measurable: with ``seed`` fixed, the same
sequence of requests meets the same sequence of faults.
"""

from __future__ import annotations

import random
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from .errors import invalid


@dataclass
class FaultConfig:
    rate: float = 0.0
    statuses: list[int] = field(default_factory=lambda: [429, 500, 503])
    retry_after: float = 1
    latency_ms: float = 0
    timeout_rate: float = 0.0
    timeout_secs: float = 30
    seed: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "rate": self.rate,
            "statuses": self.statuses,
            "retry_after": self.retry_after,
            "latency_ms": self.latency_ms,
            "timeout_rate": self.timeout_rate,
            "timeout_secs": self.timeout_secs,
            "seed": self.seed,
        }


@dataclass
class Decision:
    latency_secs: float = 0.0
    status: int | None = None  # an injected error status, or None
    hold_secs: float = 0.0  # a timeout: process, then hold the answer this long
    retry_after: float = 0


def parse_config(body: object) -> tuple[FaultConfig | None, list[dict[str, Any]]]:
    if not isinstance(body, dict):
        return None, [invalid("The body must be a JSON object.", pointer="/")]
    config = FaultConfig()
    errors: list[dict[str, Any]] = []
    for name in ("rate", "timeout_rate"):
        if name in body:
            value = body[name]
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                errors.append(invalid(f"{name} must be a number between 0 and 1.", pointer=f"/{name}"))
            else:
                setattr(config, name, float(value))
    for name in ("retry_after", "latency_ms", "timeout_secs"):
        if name in body:
            value = body[name]
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                errors.append(invalid(f"{name} must be a number >= 0.", pointer=f"/{name}"))
            else:
                setattr(config, name, value)
    if "statuses" in body:
        statuses = body["statuses"]
        if (
            not isinstance(statuses, list)
            or not statuses
            or not all(isinstance(s, int) and 400 <= s <= 599 for s in statuses)
        ):
            errors.append(invalid("statuses must be a non-empty list of 4xx/5xx codes.", pointer="/statuses"))
        else:
            config.statuses = statuses
    if "seed" in body:
        if body["seed"] is not None and not isinstance(body["seed"], int):
            errors.append(invalid("seed must be an integer.", pointer="/seed"))
        else:
            config.seed = body["seed"]
    return (None if errors else config), errors


class Faults:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.config = FaultConfig()
        self.rng = random.Random()  # noqa: S311 - test fault injection, not security

    def set(self, config: FaultConfig) -> None:
        with self.lock:
            self.config = config
            self.rng = random.Random(config.seed)  # noqa: S311

    def clear(self) -> None:
        self.set(FaultConfig())

    def decide(self) -> Decision:
        with self.lock:
            c = self.config
            decision = Decision(latency_secs=c.latency_ms / 1000.0, retry_after=c.retry_after)
            if c.timeout_rate > 0 and self.rng.random() < c.timeout_rate:
                decision.hold_secs = c.timeout_secs
            elif c.rate > 0 and self.rng.random() < c.rate:
                decision.status = self.rng.choice(c.statuses)
            return decision


class RequestCounts:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))

    def add(self, operation: str, status: int) -> None:
        with self.lock:
            self.counts[operation][status] += 1

    def clear(self) -> None:
        with self.lock:
            self.counts.clear()

    def snapshot(self) -> dict[str, dict[str, int]]:
        with self.lock:
            return {op: {str(s): n for s, n in sorted(by.items())} for op, by in sorted(self.counts.items())}
