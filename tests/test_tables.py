"""UTC timestamps come back aware and equal on every backend; naive ones are refused."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.store import Store


async def test_timestamps_are_aware_utc(store: Store) -> None:
    await store.journal.record("x", "y")
    (entry,) = await store.journal.entries()
    assert entry.at.tzinfo is not None and entry.at.utcoffset() == dt.timedelta(0)


def test_naive_datetime_is_refused() -> None:
    from bot.store.tables import UTCDateTime

    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(dt.datetime(2026, 1, 1), None)
