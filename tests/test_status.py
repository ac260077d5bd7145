"""status payloads map commit states onto the check vocabulary."""

from __future__ import annotations

import copy

import pytest

from tests.fixtures.webhooks import load_payload
from tests.helpers.deliveries import route


@pytest.mark.parametrize(
    ("state", "status", "conclusion"),
    [("success", "completed", "success"), ("failure", "completed", "failure"), ("error", "completed", "failure"), ("pending", "pending", None)],
)
def test_states(state: str, status: str, conclusion: str | None) -> None:
    payload = copy.deepcopy(load_payload("status", "default.1"))
    payload["state"] = state
    (signal,) = route("status", payload)
    assert (signal.source, signal.name, signal.head_sha) == ("status", payload["context"], payload["sha"])
    assert (signal.status, signal.conclusion) == (status, conclusion)
