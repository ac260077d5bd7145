"""A webhook delivery as received: the unit the store keeps and the workers process."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

# The headers worth keeping: enough to audit and to replay a delivery, nothing that authenticates.
KEPT_HEADERS = (
    "content-type",
    "user-agent",
    "x-github-event",
    "x-github-delivery",
    "x-github-hook-id",
    "x-github-hook-installation-target-id",
    "x-github-hook-installation-target-type",
    "x-hub-signature-256",
)

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"

MALFORMED_FORM = "form body is malformed: {error}"
NO_PAYLOAD_FIELD = "form body has no `payload` field"
NOT_UTF8 = "body is not UTF-8"
NOT_JSON = "body is not valid JSON: {error} at line {line} column {column}"
# json.loads recurses once per `[` or `{`: a deep enough body exhausts the interpreter's stack.
TOO_DEEP = "body is nested too deeply to read as JSON"
# Python refuses to read integers longer than sys.get_int_max_str_digits() (CVE-2020-10735).
NUMBER_TOO_LONG = "body has a number too long to read as JSON (more than {limit} digits)"
NOT_AN_OBJECT = "payload is JSON but not an object"


class PayloadError(ValueError):
    """The body is not a JSON object (directly, or in the form field `payload`)."""


def decode_payload(body: bytes, content_type: str) -> dict[str, Any]:
    """The JSON payload of a body sent as application/json or as a form with `payload=`."""
    if content_type.split(";")[0].strip().lower() == FORM_CONTENT_TYPE:
        try:
            fields = parse_qs(body.decode("utf-8"), strict_parsing=True)
        except (UnicodeDecodeError, ValueError) as exc:
            raise PayloadError(MALFORMED_FORM.format(error=exc)) from exc
        if "payload" not in fields:
            raise PayloadError(NO_PAYLOAD_FIELD)
        text = fields["payload"][0]
    else:
        text = body.decode("utf-8", errors="strict") if _is_utf8(body) else None
        if text is None:
            raise PayloadError(NOT_UTF8)
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PayloadError(NOT_JSON.format(error=exc.msg, line=exc.lineno, column=exc.colno)) from exc
    except RecursionError as exc:
        raise PayloadError(TOO_DEEP) from exc
    except ValueError as exc:
        raise PayloadError(NUMBER_TOO_LONG.format(limit=sys.get_int_max_str_digits())) from exc
    if not isinstance(payload, dict):
        raise PayloadError(NOT_AN_OBJECT)
    return payload


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    """One accepted delivery: its id, event, routing facts, kept headers and the raw body."""

    delivery_id: str
    event: str
    action: str | None
    installation_id: int | None
    repository: str | None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    body: bytes = b""

    @property
    def order_key(self) -> str:
        """Deliveries with the same key are processed in the order received."""
        if self.repository:
            return f"repo:{self.repository.lower()}"
        if self.installation_id is not None:
            return f"installation:{self.installation_id}"
        return "app"

    def payload(self) -> dict[str, Any]:
        return decode_payload(self.body, self.content_type)

    @classmethod
    def from_payload(
        cls,
        event: str,
        payload: dict[str, Any],
        *,
        delivery_id: str,
        body: bytes,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> Delivery:
        """Pick the routing facts out of a decoded payload."""
        action = payload.get("action")
        installation = payload.get("installation") or {}
        repository = payload.get("repository") or {}
        inst_id = installation.get("id") if isinstance(installation, dict) else None
        return cls(
            delivery_id=delivery_id,
            event=event,
            action=action if isinstance(action, str) else None,
            installation_id=inst_id if isinstance(inst_id, int) else None,
            repository=repository.get("full_name") if isinstance(repository, dict) else None,
            headers=dict(headers or {}),
            content_type=content_type,
            body=body,
        )
