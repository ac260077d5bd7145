"""check_suite payloads become check signals naming the app and the pull requests."""

from __future__ import annotations

import pytest

from bot.signals import CheckSignal
from tests.fixtures.webhooks import all_payloads, load_payload
from tests.helpers.deliveries import route


@pytest.mark.parametrize("name", [n for e, n, _ in all_payloads() if e == "check_suite"])
def test_examples_give_check_signals(name: str) -> None:
    payload = load_payload("check_suite", name)
    (signal,) = route("check_suite", payload)
    suite = payload["check_suite"]
    assert isinstance(signal, CheckSignal)
    assert signal.source == "check_suite"
    assert signal.head_sha == suite["head_sha"]
    assert signal.conclusion == suite["conclusion"]
    # Old examples predate `slug`; the name stands in for it then.
    assert signal.app_slug == suite["app"].get("slug")
    assert signal.name == suite["app"].get("slug", suite["app"]["name"])
    assert signal.pull_requests == tuple(pr["number"] for pr in suite["pull_requests"])
