"""The router: what it handles, how routers compose, and that parsing validates the payload."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from bot.delivery import Delivery
from tests.fixtures.webhooks import load_payload
from webhooks.router import Router
from webhooks.routes import router


def test_handles_only_registered_pairs() -> None:
    assert router.handles("pull_request", "opened")
    assert not router.handles("pull_request", "labeled")
    assert router.handles("push", None)  # registered for every action
    assert not router.handles("issues", "opened")


def test_routers_compose() -> None:
    a, b = Router(), Router()
    a.register("push")(lambda e, c: [])
    b.register("status")(lambda e, c: [])
    assert Router(a, b).events == ["push", "status"]


def test_invalid_payload_raises_validation_error() -> None:
    payload = load_payload("pull_request", "opened.1")
    payload["pull_request"]["number"] = "seven"
    delivery = Delivery.from_payload("pull_request", payload, delivery_id="d", body=json.dumps(payload).encode())
    with pytest.raises(ValidationError):
        router.signals(delivery)
