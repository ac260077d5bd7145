"""pull_request_review payloads become review signals with a lower-case state."""

from __future__ import annotations

import copy

import pytest

from bot.signals import ReviewSignal
from tests.fixtures.webhooks import all_payloads, load_payload
from tests.helpers.deliveries import route


@pytest.mark.parametrize("name", [n for e, n, _ in all_payloads() if e == "pull_request_review"])
def test_every_example_gives_a_review_signal(name: str) -> None:
    payload = load_payload("pull_request_review", name)
    (signal,) = route("pull_request_review", payload)
    assert isinstance(signal, ReviewSignal)
    assert signal.review_id == payload["review"]["id"]
    assert signal.state == payload["review"]["state"].lower()
    assert signal.number == payload["pull_request"]["number"]


@pytest.mark.parametrize("state", ["approved", "changes_requested", "commented"])
def test_each_review_state(state: str) -> None:
    payload = copy.deepcopy(load_payload("pull_request_review", "submitted.1"))
    payload["review"]["state"] = state
    payload["review"]["body"] = "Looks good" if state == "approved" else "Please fix"
    (signal,) = route("pull_request_review", payload)
    assert signal.state == state
    assert signal.body == payload["review"]["body"]
