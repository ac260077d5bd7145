"""Deliveries: payload decoding for both content types, and the routing facts."""

from __future__ import annotations

import json
import urllib.parse

import pytest

from bot.delivery import Delivery, PayloadError, decode_payload


def test_json_and_form_bodies_decode_alike() -> None:
    payload = {"action": "opened", "x": "a&b=c"}
    assert decode_payload(json.dumps(payload).encode(), "application/json") == payload
    form = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    assert decode_payload(form, "application/x-www-form-urlencoded; charset=utf-8") == payload


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"other=1", "application/x-www-form-urlencoded", "no `payload` field"),
        (b"payload=%7Bnope", "application/x-www-form-urlencoded", "not valid JSON"),
        (b'"text"', "application/json", "not an object"),
        (b"[" * 200_000, "application/json", "nested too deeply"),
        (b"payload=" + b"%7B%22a%22%3A" * 200_000, "application/x-www-form-urlencoded", "nested too deeply"),
        (b"[" + b"9" * 5000 + b"]", "application/json", "number too long"),
    ],
)
def test_bad_bodies(body: bytes, content_type: str, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        decode_payload(body, content_type)


def test_order_key_falls_back_from_repository_to_installation() -> None:
    def key(payload: dict) -> str:
        return Delivery.from_payload("x", payload, delivery_id="d", body=b"").order_key

    assert key({"repository": {"full_name": "Octo/Repo"}, "installation": {"id": 3}}) == "repo:octo/repo"
    assert key({"installation": {"id": 3}}) == "installation:3"
    assert key({}) == "app"
