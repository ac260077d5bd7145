"""issue_comment payloads become comment signals, with bots marked."""

from __future__ import annotations

import copy

import pytest

from bot.signals import CommentSignal
from tests.fixtures.webhooks import all_payloads, load_payload
from tests.helpers.deliveries import route


@pytest.mark.parametrize("name", [n for e, n, _ in all_payloads() if e == "issue_comment"])
def test_every_example_gives_one_comment_signal(name: str) -> None:
    payload = load_payload("issue_comment", name)
    (signal,) = route("issue_comment", payload)
    assert isinstance(signal, CommentSignal)
    assert signal.action == payload["action"]
    assert signal.body == payload["comment"]["body"]
    assert signal.comment_id == payload["comment"]["id"]
    assert signal.number == payload["issue"]["number"]
    assert signal.repository == payload["repository"]["full_name"]
    assert signal.actor == payload["sender"]["login"]
    assert signal.is_pull_request == ("pull_request" in payload["issue"])


def test_human_comment_is_not_from_a_bot() -> None:
    (signal,) = route("issue_comment", load_payload("issue_comment", "created.1"))
    assert signal.from_bot is False
    assert signal.author_association == "OWNER"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda p: p["sender"].update(type="Bot", login="evolve-bot[bot]"),
        lambda p: p["sender"].update(login="renovate[bot]"),
        lambda p: p["comment"]["user"].update(type="Bot", login="other[bot]"),
    ],
    ids=["this-app", "login-suffix", "comment-author"],
)
def test_comments_by_bots_are_marked(mutate: object) -> None:
    payload = copy.deepcopy(load_payload("issue_comment", "created.1"))
    mutate(payload)  # type: ignore[operator]
    (signal,) = route("issue_comment", payload)
    assert signal.from_bot is True
