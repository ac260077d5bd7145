"""Webhook deliveries for the intake: signed headers, a signed POST, and the signals a payload routes to."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from githubkit.webhooks import sign

SECRET = "It's a Secret to Everybody"


def signed_headers(event: str, body: bytes, *, delivery: str | None = None, secret: str = SECRET) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": sign(secret, body),
        "User-Agent": "GitHub-Hookshot/test",
    }


async def post_event(
    client: httpx.AsyncClient,
    event: str,
    payload: dict[str, Any] | bytes,
    *,
    path: str = "/api/github/webhooks",
    delivery: str | None = None,
) -> httpx.Response:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return await client.post(path, content=body, headers=signed_headers(event, body, delivery=delivery))


def route(event: str, payload: dict[str, Any], *, delivery: str = "d-test") -> list[Any]:
    """The signals the intake's router makes of one payload (no HTTP, no store)."""
    from bot.delivery import Delivery
    from webhooks.routes import router

    body = json.dumps(payload).encode()
    return router.signals(Delivery.from_payload(event, payload, delivery_id=delivery, body=body))
