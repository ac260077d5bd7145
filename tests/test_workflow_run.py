"""workflow_run: only completed runs are signals."""

from __future__ import annotations

from tests.fixtures.webhooks import load_payload
from tests.helpers.deliveries import route


def test_completed_run_is_a_check_signal() -> None:
    payload = load_payload("workflow_run", "completed.1")
    (signal,) = route("workflow_run", payload)
    run = payload["workflow_run"]
    assert (signal.source, signal.name, signal.head_sha) == ("workflow_run", run["name"], run["head_sha"])
    assert signal.conclusion == run["conclusion"]
    assert signal.head_branch == run["head_branch"]


def test_requested_run_is_not_a_signal() -> None:
    assert route("workflow_run", load_payload("workflow_run", "requested.1")) == []
