"""installation and installation_repositories payloads become installation signals."""

from __future__ import annotations

import pytest

from bot.signals import InstallationSignal
from tests.fixtures.webhooks import all_payloads, load_payload
from tests.helpers.deliveries import route


@pytest.mark.parametrize("name", [n for e, n, _ in all_payloads() if e == "installation"])
def test_installation_examples(name: str) -> None:
    payload = load_payload("installation", name)
    (signal,) = route("installation", payload)
    assert isinstance(signal, InstallationSignal)
    assert signal.installation_id == payload["installation"]["id"]
    assert signal.account == payload["installation"]["account"]["login"]
    if payload["action"] == "created":
        assert signal.added == tuple(r["full_name"] for r in payload["repositories"])


@pytest.mark.parametrize("name", [n for e, n, _ in all_payloads() if e == "installation_repositories"])
def test_installation_repositories_examples(name: str) -> None:
    payload = load_payload("installation_repositories", name)
    (signal,) = route("installation_repositories", payload)
    assert signal.added == tuple(r["full_name"] for r in payload["repositories_added"])
    assert signal.removed == tuple(r["full_name"] for r in payload["repositories_removed"])
    assert signal.repository_selection == payload["repository_selection"]
