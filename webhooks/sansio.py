"""Turns a webhook HTTP request (headers and raw body) into a verified Delivery; performs no I/O."""

from __future__ import annotations

from collections.abc import Mapping

from githubkit.webhooks import verify

from bot.delivery import FORM_CONTENT_TYPE, KEPT_HEADERS, Delivery, PayloadError, decode_payload

# GitHub caps webhook payloads at 25 MB and drops larger ones; anything bigger is not GitHub.
# https://docs.github.com/en/webhooks/webhook-events-and-payloads#payload-cap
MAX_BODY_BYTES = 25 * 1024 * 1024

# Delivery ids are GUIDs and event names short words; the store keeps up to 100 characters.
MAX_HEADER_CHARS = 100

ACCEPTED_CONTENT_TYPES = ("application/json", FORM_CONTENT_TYPE)

MISSING_SIGNATURE = "missing X-Hub-Signature-256 header; set a webhook secret on the GitHub App"
SHA1_ONLY = "only a SHA-1 X-Hub-Signature was sent; evolve-bot requires X-Hub-Signature-256"
BAD_SIGNATURE = "X-Hub-Signature-256 does not match the body; check WEBHOOK_SECRET"
MISSING_HEADER = "missing {header} header"
BAD_CONTENT_TYPE = "content type {content_type!r} is not supported; use application/json or {form}"
BAD_HEADER = "{header} must be printable and at most {limit} characters"
TOO_LARGE = f"payload is larger than GitHub's {MAX_BODY_BYTES // (1024 * 1024)} MB cap"


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
    kept = {name: headers[name] for name in KEPT_HEADERS if name in headers}
    return Delivery.from_payload(
        headers["x-github-event"].strip(),
        payload,
        delivery_id=headers["x-github-delivery"].strip(),
        body=body,
        headers=kept,
        content_type=content_type,
    )
