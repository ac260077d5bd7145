"""Primary rate limits: each caller's hourly budget per resource (core, graphql), as GitHub counts it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.auth import Caller

WINDOW = 3600  # primary rate limits reset hourly


@dataclass
class RateWindow:
    """One caller's use of one resource in the current hour, and when the hour resets."""

    reset: int
    used: int = 0


@dataclass
class RateLimits:
    """Primary rate limits per caller and resource (core, graphql), in hourly windows."""

    limits: dict[str, int] = field(default_factory=lambda: {"installation": 5000, "app": 5000, "anonymous": 60, "graphql": 5000})
    windows: dict[tuple[str, str], RateWindow] = field(default_factory=dict)

    def limit_for(self, caller: Caller, resource: str) -> int:
        if resource == "graphql" and caller.kind != "anonymous":
            return self.limits["graphql"]
        return self.limits[caller.kind]

    def window(self, key: str, resource: str) -> RateWindow:
        now = int(time.time())
        current = self.windows.get((key, resource))
        if current is None or current.reset <= now:
            current = RateWindow(reset=now + WINDOW)
            self.windows[(key, resource)] = current
        return current

    def snapshot(self, caller: Caller) -> dict[str, Any]:
        resources = {}
        for resource in ("core", "graphql", "search"):
            window = self.window(caller.rate_key, resource)
            limit = self.limit_for(caller, resource if resource != "search" else "core")
            resources[resource] = {"limit": limit, "used": window.used, "remaining": max(0, limit - window.used), "reset": window.reset}
        return {"resources": resources, "rate": resources["core"]}
