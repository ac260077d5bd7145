"""Turns a webhook HTTP request (headers and raw body) into a verified Delivery; performs no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from githubkit.webhooks import verify
from sqlalchemy import BigInteger, Column, String

from bot.delivery import FORM_CONTENT_TYPE, KEPT_HEADERS, Delivery, PayloadError, decode_payload
from bot.store.tables import deliveries

# GitHub caps webhook payloads at 25 MB and drops larger ones; anything bigger is not GitHub.
# https://docs.github.com/en/webhooks/webhook-events-and-payloads#payload-cap
MAX_BODY_BYTES = 25 * 1024 * 1024


def column_chars(column: Column[Any]) -> int:
    """The most characters a text column of the store keeps."""
    kind = column.type
    if not isinstance(kind, String) or kind.length is None:
        raise TypeError(f"{column} is not a text column of bounded length")
    return kind.length


# Delivery ids are GUIDs and event names short words; refused here when the store could not keep them.
MAX_HEADER_CHARS = min(column_chars(deliveries.c.delivery_id), column_chars(deliveries.c.event))

ACCEPTED_CONTENT_TYPES = ("application/json", FORM_CONTENT_TYPE)

MISSING_SIGNATURE = "missing X-Hub-Signature-256 header; set a webhook secret on the GitHub App"
SHA1_ONLY = "only a SHA-1 X-Hub-Signature was sent; evolve-bot requires X-Hub-Signature-256"
BAD_SIGNATURE = "X-Hub-Signature-256 does not match the body; check WEBHOOK_SECRET"
MISSING_HEADER = "missing {header} header"
BAD_CONTENT_TYPE = "content type {content_type!r} is not supported; use application/json or {form}"
BAD_HEADER = "{header} must be printable and at most {limit} characters"
TOO_LARGE = f"payload is larger than GitHub's {MAX_BODY_BYTES // (1024 * 1024)} MB cap"
# The routing facts a delivery is stored and ordered by, when the payload's are not what GitHub sends.
NOT_AN_OBJECT = "`{field}` must be a JSON object"
NOT_TEXT = "`{field}` must be printable text of 1 to {limit} characters"
NOT_AN_ID = "`{field}` must be an integer from {low} to {high}"
ORDER_KEY_TOO_LONG = "`repository.full_name` in lower case is too long for the store's {limit}-character ordering key"


class WebhookError(Exception):
    """A request that is not an acceptable delivery; `status` is the HTTP answer."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(WebhookError):
    status = 400


class ValidationFailure(WebhookError):
    """The signature is missing or wrong."""

    status = 401


class UnsupportedMediaType(WebhookError):
    status = 415


class PayloadTooLarge(WebhookError):
    status = 413


def content_type_of(headers: Mapping[str, str]) -> str:
    return headers.get("content-type", "").split(";")[0].strip().lower()


def check_headers(headers: Mapping[str, str]) -> None:
    """Everything that can be refused before reading the body. `headers` keys are lower case."""
    length = headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
        raise PayloadTooLarge(TOO_LARGE)
    if "x-hub-signature-256" not in headers:
        raise ValidationFailure(SHA1_ONLY if "x-hub-signature" in headers else MISSING_SIGNATURE)
    content_type = content_type_of(headers)
    if content_type not in ACCEPTED_CONTENT_TYPES:
        raise UnsupportedMediaType(
            BAD_CONTENT_TYPE.format(content_type=content_type or "(none)", form=FORM_CONTENT_TYPE)
        )
    for header in ("X-GitHub-Event", "X-GitHub-Delivery"):
        text = headers.get(header.lower(), "").strip()
        if not text:
            raise BadRequest(MISSING_HEADER.format(header=header))
        if len(text) > MAX_HEADER_CHARS or not text.isprintable():
            raise BadRequest(BAD_HEADER.format(header=header, limit=MAX_HEADER_CHARS))


def _text(value: Any, field: str, column: Column[Any]) -> None:
    limit = column_chars(column)
    if value is not None and not (isinstance(value, str) and 0 < len(value) <= limit and value.isprintable()):
        # Printable excludes NUL, which PostgreSQL cannot store, and lone surrogates, which no
        # database can.
        raise BadRequest(NOT_TEXT.format(field=field, limit=limit))


def _id(value: Any, field: str, column: Column[Any]) -> None:
    bits = 64 if isinstance(column.type, BigInteger) else 32
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high):
        raise BadRequest(NOT_AN_ID.format(field=field, low=low, high=high))


def _object(value: Any, field: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRequest(NOT_AN_OBJECT.format(field=field))
    return value


def check_routing_facts(payload: Mapping[str, Any]) -> None:
    """Refuse routing facts of a type GitHub never sends, or that the store's columns cannot keep.

    Checked here, once, so that every backend gives the same answer: SQLite keeps an int or a
    NUL in a text column that PostgreSQL refuses, and neither should see one.
    """
    _text(payload.get("action"), "action", deliveries.c.action)
    _id(_object(payload.get("installation"), "installation").get("id"), "installation.id", deliveries.c.installation_id)
    full_name = _object(payload.get("repository"), "repository").get("full_name")
    _text(full_name, "repository.full_name", deliveries.c.repository)


def read_delivery(headers: Mapping[str, str], body: bytes, *, secret: str) -> Delivery:
    """Verify and decode one delivery. `headers` keys must be lower case.

    Raises a WebhookError subclass whose `status` is the answer GitHub should get.
    """
    check_headers(headers)
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(TOO_LARGE)
    signature = headers["x-hub-signature-256"].strip()
    # githubkit's verify() would also accept "sha1=…"; only SHA-256 is trusted here.
    if not signature.startswith("sha256=") or not verify(secret, body, signature):
        raise ValidationFailure(BAD_SIGNATURE)
    content_type = content_type_of(headers)
    try:
        payload = decode_payload(body, content_type)
    except PayloadError as exc:
        raise BadRequest(str(exc)) from exc
    check_routing_facts(payload)
    kept = {name: headers[name] for name in KEPT_HEADERS if name in headers}
    delivery = Delivery.from_payload(
        headers["x-github-event"].strip(),
        payload,
        delivery_id=headers["x-github-delivery"].strip(),
        body=body,
        headers=kept,
        content_type=content_type,
    )
    # The key holds the name in lower case, which can be longer than the name ("İ" → "i̇").
    if len(delivery.order_key) > (limit := column_chars(deliveries.c.order_key)):
        raise BadRequest(ORDER_KEY_TOO_LONG.format(limit=limit))
    return delivery
