"""check_run payloads become check signals with the run's name, conclusion and summary."""

from __future__ import annotations

import pytest

from tests.fixtures.webhooks import all_payloads, load_payload
from tests.helpers.deliveries import route


@pytest.mark.parametrize("name", [n for e, n, _ in all_payloads() if e == "check_run" and not n.startswith("requested_action")])
def test_examples_give_check_signals(name: str) -> None:
    payload = load_payload("check_run", name)
    (signal,) = route("check_run", payload)
    run = payload["check_run"]
    assert (signal.source, signal.name, signal.head_sha) == ("check_run", run["name"], run["head_sha"])
    assert (signal.status, signal.conclusion) == (run["status"], run["conclusion"])
    assert signal.summary == run["output"]["summary"]


def test_requested_action_is_not_a_signal() -> None:
    assert route("check_run", load_payload("check_run", "requested_action.1")) == []
