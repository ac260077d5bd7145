"""The journal: an append-only audit trail of every step, from delivery to outcome."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One step: when, what kind (`delivery.accepted`, `proposal.opened`, …), and a sentence."""

    id: int
    at: dt.datetime
    kind: str
    message: str
    delivery_id: str | None = None
    repository: str | None = None
    proposal_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "kind": self.kind,
            "message": self.message,
            "delivery_id": self.delivery_id,
            "repository": self.repository,
            "proposal_id": self.proposal_id,
            "data": self.data,
        }
