"""pull_request payloads: opened, synchronize, closed (merged or not) and reopened become signals."""

from __future__ import annotations

import copy

import pytest

from bot.signals import PullRequestSignal
from tests.fixtures.webhooks import all_payloads, load_payload
from tests.helpers.deliveries import route

USED = ("opened", "synchronize", "closed", "reopened")


@pytest.mark.parametrize("name", [n for e, n, _ in all_payloads() if e == "pull_request" and n.split(".")[0] in USED])
def test_used_actions_give_a_pull_request_signal(name: str) -> None:
    payload = load_payload("pull_request", name)
    (signal,) = route("pull_request", payload)
    assert isinstance(signal, PullRequestSignal)
    pr = payload["pull_request"]
    assert (signal.action, signal.number, signal.title) == (payload["action"], pr["number"], pr["title"])
    assert (signal.head_ref, signal.head_sha, signal.base_ref) == (pr["head"]["ref"], pr["head"]["sha"], pr["base"]["ref"])
    assert signal.author == pr["user"]["login"]


@pytest.mark.parametrize("name", [n for e, n, _ in all_payloads() if e == "pull_request" and n.split(".")[0] not in USED])
def test_other_actions_give_nothing(name: str) -> None:
    assert route("pull_request", load_payload("pull_request", name)) == []


def test_closed_unmerged_and_merged_are_told_apart() -> None:
    closed = load_payload("pull_request", "closed.1")
    (unmerged,) = route("pull_request", closed)
    assert unmerged.merged is False
    merged_payload = copy.deepcopy(closed)
    merged_payload["pull_request"].update(merged=True, merge_commit_sha="a" * 40)
    (merged,) = route("pull_request", merged_payload)
    assert merged.merged is True and merged.merge_commit_sha == "a" * 40


def test_synchronize_carries_before_and_after() -> None:
    payload = load_payload("pull_request", "synchronize.1")
    (signal,) = route("pull_request", payload)
    assert (signal.before, signal.after) == (payload["before"], payload["after"])


def test_bot_authored_pull_request_is_marked() -> None:
    payload = copy.deepcopy(load_payload("pull_request", "opened.1"))
    payload["pull_request"]["user"].update(login="evolve-bot[bot]", type="Bot")
    payload["sender"].update(login="evolve-bot[bot]", type="Bot")
    (signal,) = route("pull_request", payload)
    assert signal.author_is_bot and signal.from_bot
