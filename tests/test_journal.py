"""Journal entries serialise with an ISO timestamp for `evolve-bot journal --json`."""

import datetime as dt

from bot.store.journal import JournalEntry


def test_to_dict() -> None:
    at = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)
    entry = JournalEntry(id=1, at=at, kind="delivery.accepted", message="m", delivery_id="d")
    assert entry.to_dict()["at"] == "2026-11-21T12:00:00+00:00"
    assert entry.to_dict()["kind"] == "delivery.accepted"
