"""The request log: every API call with its status, installation and endpoint template."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from bot.sandbox.model import iso, utcnow

GROUPINGS = ("installation", "endpoint", "status", "app")


@dataclass(frozen=True)
class RequestRecord:
    """One API request as the sandbox answered it."""

    method: str
    path: str
    endpoint: str  # the route template, e.g. "GET /repos/{owner}/{repo}/pulls/{pull_number}"
    status: int  # 0 when the connection was dropped without an answer
    installation_id: int | None
    app_id: int | None
    request_id: str
    duration: float
    fault: str | None = None
    at: dt.datetime = field(default_factory=utcnow)

    def as_json(self) -> dict[str, Any]:
        body = asdict(self)
        body["at"] = iso(self.at)
        return body


class RequestLog:
    """Every request, in order; counts per installation, endpoint, status or app."""

    def __init__(self) -> None:
        self.records: list[RequestRecord] = []

    def add(self, record: RequestRecord) -> None:
        self.records.append(record)

    def counts(self, *, by: str = "endpoint", installation_id: int | None = None) -> dict[str, int]:
        """How many requests per `by` key (installation ids and statuses become strings)."""
        if by not in GROUPINGS:
            raise ValueError(f"cannot group requests by {by!r}; use one of {', '.join(GROUPINGS)}")
        counted: Counter[str] = Counter()
        for record in self.records:
            if installation_id is not None and record.installation_id != installation_id:
                continue
            key = {
                "installation": record.installation_id,
                "endpoint": record.endpoint,
                "status": record.status,
                "app": record.app_id,
            }[by]
            counted["none" if key is None else str(key)] += 1
        return dict(counted)

    def clear(self) -> None:
        self.records.clear()
