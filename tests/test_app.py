"""The webhook endpoint as GitHub sees it: every answer it can give, and what it stores."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import AsyncIterator

import httpx
import pytest
from githubkit.webhooks import sign
from starlette.applications import Starlette

from bot.settings import Settings
from bot.store import Store
from bot.store.deliveries import Deliveries
from tests.fixtures.webhooks import load_payload
from tests.helpers.deliveries import SECRET, post_event, signed_headers
from webhooks.app import create_app
from webhooks.sansio import MAX_BODY_BYTES

HOOK = "/api/github/webhooks"


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Starlette]:
    application = create_app(settings.model_copy(update={"workers": 0}))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c


async def stored_ids(app: Starlette) -> list[str]:
    return [d.delivery.delivery_id for d in await app.state.store.deliveries.recent()]


def comment_body() -> bytes:
    return json.dumps(load_payload("issue_comment", "created.1")).encode()


async def test_signed_delivery_is_committed_before_202(app: Starlette, client: httpx.AsyncClient, settings: Settings) -> None:
    body = comment_body()
    response = await client.post(HOOK, content=body, headers=signed_headers("issue_comment", body, delivery="d-1"))
    assert response.status_code == 202
    assert response.json()["delivery"] == "d-1"
    # A second connection, as another process would open, already sees it: it was committed.
    other = await Store.open(settings.database_url)
    try:
        stored = await other.deliveries.get("d-1")
    finally:
        await other.close()
    assert stored is not None
    assert stored.status == "pending"
    assert stored.delivery.event == "issue_comment"
    assert stored.delivery.action == "created"
    assert stored.delivery.repository == "Codertocat/Hello-World"
    assert stored.delivery.body == body
    assert stored.delivery.headers["x-github-delivery"] == "d-1"
    assert "x-hub-signature-256" in stored.delivery.headers


async def test_installation_id_is_stored(app: Starlette, client: httpx.AsyncClient) -> None:
    payload = load_payload("installation", "created.1")
    response = await post_event(client, "installation", payload, delivery="inst-1")
    assert response.status_code == 202
    stored = await app.state.store.deliveries.get("inst-1")
    assert stored.delivery.installation_id == payload["installation"]["id"]


async def test_store_failure_is_not_answered_202(settings: Settings) -> None:
    class BrokenDeliveries(Deliveries):
        async def accept(self, delivery, *, status="pending", note=""):  # type: ignore[no-untyped-def]
            raise RuntimeError("disk full")

    broken = await Store.open(settings.database_url)
    broken.deliveries = BrokenDeliveries(broken.db, broken.journal)
    application = create_app(settings.model_copy(update={"workers": 0}), store=broken)
    try:
        async with application.router.lifespan_context(application):
            transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
                response = await post_event(c, "issue_comment", comment_body())
        # GitHub sees a failure and can redeliver; it never sees a 2xx for a lost delivery.
        assert response.status_code == 500
    finally:
        await broken.close()


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda h: h.pop("X-Hub-Signature-256"), "missing X-Hub-Signature-256"),
        (lambda h: h.update({"X-Hub-Signature-256": "sha256=" + "0" * 64}), "does not match"),
        (lambda h: h.update({"X-Hub-Signature-256": sign("wrong secret", comment_body())}), "does not match"),
        (lambda h: h.update({"X-Hub-Signature-256": "sha1=" + "0" * 40}), "does not match"),
        (
            lambda h: (h.pop("X-Hub-Signature-256"), h.update({"X-Hub-Signature": sign(SECRET, comment_body(), "sha1")})),
            "only a SHA-1",
        ),
    ],
    ids=["missing", "zeros", "wrong-secret", "sha1-in-256-header", "sha1-only"],
)
async def test_bad_signature_is_401_and_nothing_stored(
    app: Starlette, client: httpx.AsyncClient, mutate: object, message: str
) -> None:
    body = comment_body()
    headers = signed_headers("issue_comment", body)
    mutate(headers)  # type: ignore[operator]
    response = await client.post(HOOK, content=body, headers=headers)
    assert response.status_code == 401
    assert message in response.json()["message"]
    assert await stored_ids(app) == []
    assert await app.state.store.journal.entries() == []


async def test_body_changed_after_signing_is_401(app: Starlette, client: httpx.AsyncClient) -> None:
    body = comment_body()
    headers = signed_headers("issue_comment", body)
    response = await client.post(HOOK, content=body.replace(b"Codertocat", b"Mallory"), headers=headers)
    assert response.status_code == 401
    assert await stored_ids(app) == []


async def test_form_encoded_delivery_is_accepted(app: Starlette, client: httpx.AsyncClient) -> None:
    payload = load_payload("issue_comment", "created.1")
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    headers = signed_headers("issue_comment", body, delivery="form-1")
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    response = await client.post(HOOK, content=body, headers=headers)
    assert response.status_code == 202
    stored = await app.state.store.deliveries.get("form-1")
    assert stored.delivery.payload() == payload
    assert stored.delivery.repository == "Codertocat/Hello-World"


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", ""])
async def test_other_content_types_are_415(app: Starlette, client: httpx.AsyncClient, content_type: str) -> None:
    body = comment_body()
    headers = signed_headers("issue_comment", body)
    headers["Content-Type"] = content_type
    response = await client.post(HOOK, content=body, headers=headers)
    assert response.status_code == 415
    assert "not supported" in response.json()["message"]
    assert await stored_ids(app) == []


async def test_declared_oversize_body_is_413_before_reading(app: Starlette, client: httpx.AsyncClient) -> None:
    body = comment_body()
    headers = signed_headers("issue_comment", body)
    received = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal received
        for _ in range(4):
            received += 1
            yield b" " * 1024

    headers["Content-Length"] = str(MAX_BODY_BYTES + 1)
    response = await client.post(HOOK, content=endless(), headers=headers)
    assert response.status_code == 413
    assert "25 MB" in response.json()["message"]
    assert await stored_ids(app) == []


async def test_streamed_oversize_body_is_413(app: Starlette, client: httpx.AsyncClient) -> None:
    chunk = b" " * (1024 * 1024)
    sent = 0

    async def stream() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(40):  # 40 MB, without a Content-Length
            sent += len(chunk)
            yield chunk

    headers = signed_headers("issue_comment", b"")
    response = await client.post(HOOK, content=stream(), headers=headers)
    assert response.status_code == 413
    # The intake stopped reading just past the cap instead of taking all 40 MB.
    assert sent <= MAX_BODY_BYTES + 2 * len(chunk)
    assert await stored_ids(app) == []


@pytest.mark.parametrize("missing", ["X-GitHub-Event", "X-GitHub-Delivery"])
async def test_missing_event_or_delivery_header_is_400(app: Starlette, client: httpx.AsyncClient, missing: str) -> None:
    body = comment_body()
    headers = signed_headers("issue_comment", body)
    del headers[missing]
    response = await client.post(HOOK, content=body, headers=headers)
    assert response.status_code == 400
    assert missing in response.json()["message"]
    assert await stored_ids(app) == []


@pytest.mark.parametrize(
    ("body", "message"),
    [(b"{not json", "not valid JSON"), (b"[1, 2]", "not an object"), (b"\xff\xfe", "not UTF-8")],
    ids=["malformed", "array", "binary"],
)
async def test_malformed_json_is_400(app: Starlette, client: httpx.AsyncClient, body: bytes, message: str) -> None:
    response = await client.post(HOOK, content=body, headers=signed_headers("issue_comment", body))
    assert response.status_code == 400
    assert message in response.json()["message"]
    assert await stored_ids(app) == []


async def test_overlong_delivery_id_is_400(app: Starlette, client: httpx.AsyncClient) -> None:
    body = comment_body()
    response = await client.post(HOOK, content=body, headers=signed_headers("issue_comment", body, delivery="x" * 101))
    assert response.status_code == 400
    assert await stored_ids(app) == []


async def test_redelivery_is_200_and_stored_once(app: Starlette, client: httpx.AsyncClient) -> None:
    body = comment_body()
    first = await client.post(HOOK, content=body, headers=signed_headers("issue_comment", body, delivery="same"))
    again = await client.post(HOOK, content=body, headers=signed_headers("issue_comment", body, delivery="same"))
    assert first.status_code == 202
    assert again.status_code == 200
    assert "duplicate" in again.json()["message"]
    assert await stored_ids(app) == ["same"]
    kinds = [e.kind for e in await app.state.store.journal.entries()]
    assert kinds == ["delivery.accepted", "delivery.duplicate"]


async def test_ping_is_200(app: Starlette, client: httpx.AsyncClient) -> None:
    response = await post_event(client, "ping", load_payload("ping", "default.1"), delivery="ping-1")
    assert response.status_code == 200
    assert response.json()["message"] == "pong"
    assert (await app.state.store.deliveries.get("ping-1")).status == "ping"
    assert await app.state.store.deliveries.backlog() == 0


@pytest.mark.parametrize(
    ("event", "fixture"),
    [("pull_request", "labeled.1"), ("issues", None), ("workflow_run", "requested.1")],
)
async def test_unused_events_are_202_recorded_as_ignored(
    app: Starlette, client: httpx.AsyncClient, event: str, fixture: str | None
) -> None:
    payload = load_payload(event, fixture) if fixture else {"action": "opened", "issue": {"number": 1}}
    response = await post_event(client, event, payload, delivery="unused")
    assert response.status_code == 202
    assert response.json()["message"].startswith("ignored")
    stored = await app.state.store.deliveries.get("unused")
    assert stored.status == "ignored"
    assert await app.state.store.deliveries.backlog() == 0
    assert [e.kind for e in await app.state.store.journal.entries()] == ["delivery.ignored"]


async def test_healthz_reports_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "sqlite", "backlog": 0}


async def test_healthz_is_503_when_the_database_is_gone(app: Starlette, client: httpx.AsyncClient, settings: Settings) -> None:
    import shutil
    from pathlib import Path

    db = Path(settings.database_url.split("///", 1)[1])
    await app.state.store.close()  # drop pooled connections, as a restart of the database would
    for leftover in db.parent.glob(db.name + "*"):
        leftover.unlink()
    db.mkdir()  # a directory where the database file was: no connection can open it
    try:
        response = await client.get("/healthz")
    finally:
        shutil.rmtree(db)
    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert "OperationalError" in response.json()["database"]


async def test_metrics_count_deliveries_and_backlog(client: httpx.AsyncClient) -> None:
    await post_event(client, "issue_comment", load_payload("issue_comment", "created.1"))
    await post_event(client, "issue_comment", load_payload("issue_comment", "created.1"), delivery="dup")
    await post_event(client, "issue_comment", load_payload("issue_comment", "created.1"), delivery="dup")
    await post_event(client, "pull_request", load_payload("pull_request", "labeled.1"))
    await client.post(HOOK, content=b"{}", headers={"Content-Type": "application/json"})
    page = (await client.get("/metrics")).text
    assert 'evolve_deliveries_total{event="issue_comment",outcome="accepted"} 2.0' in page
    assert 'evolve_deliveries_total{event="issue_comment",outcome="duplicate"} 1.0' in page
    assert 'evolve_deliveries_total{event="pull_request",outcome="ignored"} 1.0' in page
    assert 'evolve_deliveries_total{event="unknown",outcome="rejected"} 1.0' in page
    assert "evolve_delivery_backlog 2.0" in page
    assert "evolve_delivery_processing_seconds_bucket" in page or "evolve_delivery_processing_seconds" in page


async def test_custom_webhook_path(settings: Settings) -> None:
    application = create_app(settings.model_copy(update={"workers": 0, "webhook_path": "/hooks"}))
    async with application.router.lifespan_context(application):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://t") as c:
            assert (await post_event(c, "issue_comment", comment_body(), path="/hooks")).status_code == 202
            assert (await post_event(c, "issue_comment", comment_body())).status_code == 404
