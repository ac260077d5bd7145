"""The sans-I/O reading of a request: which header problem gives which status."""

from __future__ import annotations

import pytest
from githubkit.webhooks import sign

from webhooks.sansio import BadRequest, PayloadTooLarge, UnsupportedMediaType, ValidationFailure, read_delivery

SECRET = "s"
BODY = b'{"action": "opened", "repository": {"full_name": "o/r"}, "installation": {"id": 5}}'


def headers(**changes: str | None) -> dict[str, str]:
    h = {"content-type": "application/json", "x-github-event": "pull_request", "x-github-delivery": "d1", "x-hub-signature-256": sign(SECRET, BODY)}
    for name, value in changes.items():
        name = name.replace("_", "-")
        if value is None:
            h.pop(name, None)
        else:
            h[name] = value
    return h


def test_valid_delivery() -> None:
    d = read_delivery(headers(), BODY, secret=SECRET)
    assert (d.delivery_id, d.event, d.action, d.installation_id, d.repository) == ("d1", "pull_request", "opened", 5, "o/r")
    assert d.headers["x-github-delivery"] == "d1"


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"x_hub_signature_256": None}, ValidationFailure),
        ({"x_hub_signature_256": sign(SECRET, BODY, "sha1")}, ValidationFailure),
        ({"content_type": "text/plain"}, UnsupportedMediaType),
        ({"content_length": str(26 * 1024 * 1024)}, PayloadTooLarge),
        ({"x_github_event": None}, BadRequest),
        ({"x_github_delivery": "  "}, BadRequest),
        ({"x_github_delivery": "bad\x00id"}, BadRequest),
    ],
)
def test_refusals(changes: dict[str, str | None], error: type[Exception]) -> None:
    with pytest.raises(error):
        read_delivery(headers(**changes), BODY, secret=SECRET)


def test_statuses() -> None:
    assert (BadRequest.status, ValidationFailure.status, UnsupportedMediaType.status, PayloadTooLarge.status) == (400, 401, 415, 413)
