"""Faults on demand: API errors, rate limits, latency and dropped connections, per endpoint or at random."""

from __future__ import annotations

import fnmatch
import itertools
import random
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.deliveries import WebhookFaults

KINDS = ("error", "secondary_rate_limit", "too_many_requests", "primary_rate_limit", "latency", "drop")
SECONDARY_RATE_LIMIT = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID {request_id}."
)
PRIMARY_RATE_LIMIT = "API rate limit exceeded for installation ID {installation_id}."
PRIMARY_RATE_LIMIT_ANON = "API rate limit exceeded for {address}."
TOO_MANY_REQUESTS = "Too many requests"
SERVER_ERROR = {500: "Server Error", 502: "Server Error", 503: "Service Unavailable", 504: "We couldn't respond to your request in time."}
DOCS_RATE_LIMITS = "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api"


@dataclass
class Fault:
    """A rule: requests matching method and path (glob on the path or the route template) fail.

    `times` is how many matching requests it hits (None: all), `probability` the chance per match.
    """

    id: int
    kind: str
    method: str = "*"
    path: str = "*"
    status: int = 500
    times: int | None = 1
    probability: float = 1.0
    latency: float = 0.0
    retry_after: int = 60
    kinds: tuple[str, ...] = ()  # for random rules: the kind is drawn per hit
    hits: int = 0

    def matches(self, method: str, path: str, template: str) -> bool:
        if self.method != "*" and self.method.upper() != method.upper():
            return False
        return fnmatch.fnmatchcase(path, self.path) or fnmatch.fnmatchcase(template, self.path)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "method": self.method, "path": self.path, "status": self.status,
            "times": self.times, "probability": self.probability, "latency": self.latency,
            "retry_after": self.retry_after, "kinds": list(self.kinds), "hits": self.hits,
        }


@dataclass
class FaultPlan:
    """The faults in force for API requests, plus the webhook pipe's (`webhooks`)."""

    webhooks: WebhookFaults = field(default_factory=WebhookFaults)
    rules: list[Fault] = field(default_factory=list)
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def add(
        self,
        kind: str,
        *,
        method: str = "*",
        path: str = "*",
        status: int | None = None,
        times: int | None = 1,
        probability: float = 1.0,
        latency: float = 0.0,
        retry_after: int = 60,
    ) -> Fault:
        """Add a rule; `path` globs the request path or the template ("/repos/*/pulls", "*check-runs*")."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {', '.join(KINDS)}")
        if kind == "error" and (status or 500) not in SERVER_ERROR:
            raise ValueError(f"an error fault answers 500, 502, 503 or 504, not {status}")
        if not 0.0 <= probability <= 1.0:
            raise ValueError("probability is between 0 and 1")
        if times is not None and times < 1:
            raise ValueError("times is at least 1 (or None for every request)")
        if kind == "latency" and latency <= 0:
            raise ValueError("a latency fault needs latency > 0 seconds")
        default_status = {"error": 500, "secondary_rate_limit": 403, "too_many_requests": 429, "primary_rate_limit": 403}.get(kind, 0)
        rule = Fault(next(self._ids), kind, method, path, status or default_status, times, probability, latency, retry_after)
        self.rules.append(rule)
        return rule

    def randomly(self, *, seed: int, rate: float, kinds: tuple[str, ...] = ("error", "secondary_rate_limit", "drop"), latency: float = 0.2) -> Fault:
        """Hit a share `rate` of all requests with a kind drawn from `kinds`, reproducibly from `seed`."""
        for kind in kinds:
            if kind not in KINDS:
                raise ValueError(f"unknown fault kind {kind!r}")
        self.rng = random.Random(seed)
        self.webhooks.rng = random.Random(seed)
        rule = self.add(kinds[0], times=None, probability=rate, latency=latency if "latency" in kinds else 0.0)
        rule.kinds = tuple(kinds)
        return rule

    def remove(self, fault_id: int) -> bool:
        before = len(self.rules)
        self.rules = [r for r in self.rules if r.id != fault_id]
        return len(self.rules) != before

    def clear(self) -> None:
        self.rules.clear()
        self.webhooks.clear()

    def draw(self, method: str, path: str, template: str) -> list[Fault]:
        """The faults that hit this request (latency may combine with one failure), used up."""
        hit: list[Fault] = []
        for rule in list(self.rules):
            if not rule.matches(method, path, template):
                continue
            if rule.probability < 1.0 and self.rng.random() >= rule.probability:
                continue
            rule.hits += 1
            if rule.times is not None:
                rule.times -= 1
                if rule.times <= 0:
                    self.rules.remove(rule)
            if rule.kinds:
                kind = self.rng.choice(rule.kinds)
                hit.append(Fault(rule.id, kind, status={"error": 502, "secondary_rate_limit": 403, "too_many_requests": 429, "primary_rate_limit": 403}.get(kind, 0), latency=rule.latency, retry_after=rule.retry_after))
            else:
                hit.append(rule)
        return hit
