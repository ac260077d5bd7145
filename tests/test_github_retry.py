"""RetryPolicy decisions on the exceptions githubkit raises, and SerialWrites' write lock.

The answers here are built as httpx responses and classified by githubkit's own `_check`, so
the policy sees exactly what it sees in production; the end-to-end fault scenarios against
the sandbox live in tests/test_github.py.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from githubkit.auth import UnauthAuthStrategy
from githubkit.exception import RequestError, RequestTimeout

from bot.app_auth import github_client
from bot.github_retry import (
    SECONDARY_DEFAULT_WAIT,
    GitHubError,
    GitHubUnavailable,
    RateLimited,
    RetryPolicy,
    SerialWrites,
)

URL = "https://api.github.com/repos/alice/demo/git/refs"
NOW = 1_700_000_000.0


def failure(status: int, *, headers: dict[str, str] | None = None, body: Any = None) -> Exception:
    """The exception our githubkit client raises for this answer."""
    request = httpx.Request("POST", URL)
    response = httpx.Response(
        status, headers=headers, json=body or {"message": "boom"}, request=request
    )
    try:
        github_client(UnauthAuthStrategy(), base_url="https://api.github.com")._check(response)
    except Exception as exc:
        return exc
    raise AssertionError(f"githubkit accepted a {status}")


class Script:
    """Raises the given exceptions in order, then returns "ok"; records the sleeps asked for."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0
        self.sleeps: list[float] = []

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


def policy(script: Script, **kwargs: Any) -> RetryPolicy:
    return RetryPolicy(sleep=script.sleep, clock=lambda: NOW, **kwargs)


async def test_server_errors_are_retried_with_growing_jittered_backoff() -> None:
    script = Script(failure(500), failure(502), failure(503))
    result = await policy(script, backoff_initial=1.0, backoff_max=100).call(script, what="get ref")
    assert result == "ok"
    assert script.calls == 4
    # Full jitter: each wait is random in [0, initial * 2**n], bounded by the cap.
    for n, wait in enumerate(script.sleeps):
        assert 0 <= wait <= 1.0 * 2 ** (n + 1)


async def test_network_errors_and_timeouts_are_retried() -> None:
    request = httpx.Request("GET", URL)
    script = Script(
        RequestError(httpx.RemoteProtocolError("Server disconnected", request=request)),
        RequestTimeout(httpx.ReadTimeout("timed out", request=request)),
    )
    assert await policy(script).call(script, what="get ref") == "ok"
    assert script.calls == 3


async def test_attempts_are_bounded_and_the_error_says_so() -> None:
    script = Script(*[failure(502, body={"message": "Bad gateway"}) for _ in range(10)])
    with pytest.raises(
        GitHubUnavailable, match=r"get ref: gave up after 3 attempts.*502 Bad gateway"
    ):
        await policy(script, max_attempts=3).call(script, what="get ref")
    assert script.calls == 3


async def test_total_wait_is_bounded() -> None:
    # Each secondary limit asks for 50 s; a 120 s budget allows two waits, not three.
    script = Script(*[failure(403, headers={"retry-after": "50"}) for _ in range(5)])
    with pytest.raises(RateLimited) as caught:
        await policy(script, max_attempts=10, max_total_wait=120).call(script, what="comment")
    assert script.sleeps == [50.0, 50.0]
    assert caught.value.retry_after == 50.0


async def test_other_client_errors_fail_at_once_with_githubs_message() -> None:
    body = {
        "message": "Validation Failed",
        "errors": [
            {
                "resource": "PullRequest",
                "code": "custom",
                "message": "No commits between main and x",
            }
        ],
        "documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
    }
    script = Script(failure(422, body=body))
    with pytest.raises(GitHubError) as caught:
        await policy(script).call(script, what="open pull request")
    assert script.calls == 1 and script.sleeps == []
    error = caught.value
    assert not isinstance(error, GitHubUnavailable | RateLimited)
    assert error.status == 422
    assert str(error) == "open pull request: 422 Validation Failed (No commits between main and x)"
    assert error.documentation_url == body["documentation_url"]


@pytest.mark.parametrize("status", [401, 403, 404, 409])
async def test_plain_4xx_is_not_retried(status: int) -> None:
    script = Script(failure(status, body={"message": "Resource not accessible by integration"}))
    with pytest.raises(GitHubError, match="Resource not accessible by integration"):
        await policy(script).call(script, what="merge")
    assert script.calls == 1


async def test_secondary_limit_waits_as_retry_after_says() -> None:
    script = Script(
        failure(
            403,
            headers={"retry-after": "7"},
            body={"message": "You have exceeded a secondary rate limit."},
        )
    )
    assert await policy(script).call(script, what="comment") == "ok"
    assert script.sleeps == [7.0]


async def test_secondary_limit_named_only_in_the_message_waits_a_minute() -> None:
    body = {
        "message": "You have exceeded a secondary rate limit. "
        "Please wait a few minutes before you try again."
    }
    script = Script(failure(403, body=body))
    assert await policy(script).call(script, what="comment") == "ok"
    assert script.sleeps == [SECONDARY_DEFAULT_WAIT]


async def test_429_waits_as_retry_after_says() -> None:
    script = Script(failure(429, headers={"retry-after": "3"}))
    assert await policy(script).call(script, what="read") == "ok"
    assert script.sleeps == [3.0]


async def test_retry_after_as_an_http_date_is_understood() -> None:
    script = Script(failure(429, headers={"retry-after": "Tue, 14 Nov 2023 22:13:40 GMT"}))
    assert await policy(script).call(script, what="read") == "ok"
    assert script.sleeps == [20.0]  # NOW is 22:13:20 GMT that day


async def test_primary_limit_waits_until_reset() -> None:
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 42)}
    script = Script(failure(403, headers=headers, body={"message": "API rate limit exceeded"}))
    assert await policy(script).call(script, what="read") == "ok"
    assert script.sleeps == [42.0]


async def test_primary_limit_past_the_cap_raises_at_once_with_when_to_come_back() -> None:
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 1800)}
    script = Script(
        failure(403, headers=headers, body={"message": "API rate limit exceeded for installation"})
    )
    with pytest.raises(
        RateLimited, match=r"read: .*1800 s wait, more than the 120 s cap.*API rate limit exceeded"
    ) as caught:
        await policy(script, rate_limit_cap=120).call(script, what="read")
    assert script.calls == 1 and script.sleeps == []
    assert caught.value.retry_after == 1800.0


def test_policy_needs_at_least_one_attempt() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)


async def test_serial_writes_never_overlap_while_reads_do() -> None:
    throttler = SerialWrites()
    active = {"write": 0, "read": 0}
    peak = {"write": 0, "read": 0}

    async def send(method: str) -> None:
        kind = "read" if method == "GET" else "write"
        async with throttler.async_acquire(httpx.Request(method, URL)):
            active[kind] += 1
            peak[kind] = max(peak[kind], active[kind])
            await asyncio.sleep(0.01)
            active[kind] -= 1

    await asyncio.gather(
        *(send(m) for m in ["POST", "PATCH", "GET", "GET", "PUT", "DELETE", "GET"] * 3)
    )
    assert peak == {"write": 1, "read": 9}


async def test_every_write_method_shares_the_one_lock() -> None:
    throttler = SerialWrites()
    inside = 0
    peak = 0

    async def write(method: str) -> None:
        nonlocal inside, peak
        async with throttler.async_acquire(httpx.Request(method, URL)):
            inside += 1
            peak = max(peak, inside)
            await asyncio.sleep(0.005)
            inside -= 1

    await asyncio.gather(*(write(m) for m in ["POST", "PATCH", "PUT", "DELETE"] * 4))
    assert peak == 1
