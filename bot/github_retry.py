"""The one retry policy for GitHub calls, and the per-installation lock that keeps writes serial."""

from __future__ import annotations

import asyncio
import email.utils
import threading
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any, TypeVar

import httpx
import tenacity
from githubkit.exception import (
    GraphQLFailed,
    RateLimitExceeded,
    RequestError,
    RequestFailed,
    RequestTimeout,
)
from githubkit.throttling import BaseThrottler

T = TypeVar("T")

# https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#avoid-concurrent-requests
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
# GitHub's advice when a secondary limit names no wait: "wait for at least one minute".
SECONDARY_DEFAULT_WAIT = 60.0
SECONDARY_MESSAGE = "secondary rate limit"

RATE_LIMITED = (
    "{what}: GitHub's rate limit asks for a {wait:.0f} s wait, more than the {cap:.0f} s cap"
)
GAVE_UP = "{what}: gave up after {attempts} attempts over {waited:.1f} s of waiting: {last}"


class GitHubError(Exception):
    """GitHub refused a call; the message is GitHub's own, with the call that got it."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        method: str = "",
        url: str = "",
        documentation_url: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.method = method
        self.url = url
        self.documentation_url = documentation_url


class RateLimited(GitHubError):
    """A rate limit needs a longer wait than the policy allows; retry after `retry_after` s."""

    def __init__(self, message: str, *, retry_after: float, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class GitHubUnavailable(GitHubError):
    """GitHub kept failing (5xx, dropped connections, time-outs) until the bounds ran out."""


def error_message(response: httpx.Response) -> tuple[str, str | None]:
    """GitHub's `message` (with a 422's `errors`) and `documentation_url` from an error response."""
    try:
        body = response.json()
    except ValueError:
        return (
            response.text.strip()[:500] or response.reason_phrase or str(response.status_code)
        ), None
    if not isinstance(body, dict):
        return str(body)[:500], None
    message = str(body.get("message") or response.reason_phrase or response.status_code)
    details = []
    for err in body.get("errors") or ():
        if isinstance(err, dict):
            details.append(err.get("message") or ", ".join(f"{k}={v}" for k, v in err.items()))
        else:
            details.append(str(err))
    if details:
        message = f"{message} ({'; '.join(str(d) for d in details)})"
    return message, body.get("documentation_url")


def to_github_error(exc: BaseException, *, what: str) -> BaseException:
    """Turn a githubkit exception into the GitHubError a caller can read; others pass through."""
    if isinstance(exc, GitHubError):
        return exc
    if isinstance(exc, RequestFailed):
        response = exc.response.raw_response
        message, docs = error_message(response)
        return GitHubError(
            f"{what}: {response.status_code} {message}",
            status=response.status_code,
            method=exc.request.method,
            url=str(exc.request.url),
            documentation_url=docs,
        )
    if isinstance(exc, GraphQLFailed):
        messages = "; ".join(err.message for err in exc.response.errors or ())
        return GitHubError(f"{what}: GraphQL: {messages}", method="POST")
    if isinstance(exc, RequestTimeout):
        return GitHubUnavailable(
            f"{what}: timed out", method=exc.request.method, url=str(exc.request.url)
        )
    if isinstance(exc, RequestError):
        inner = exc.exc
        # The installation-token auth flow runs inside githubkit's send, which wraps whatever
        # it raises; a token error already went through this policy, so surface it as it was.
        if isinstance(inner, GitHubError):
            return inner
        return GitHubUnavailable(f"{what}: {type(inner).__name__}: {inner}")
    return exc


@dataclass
class RetryPolicy:
    """Backoff with jitter on 5xx and network errors, header-guided waits on rate limits, bounded.

    Other 4xx answers raise GitHubError at once. `sleep` and `clock` are injectable so tests
    can run a policy without waiting.
    """

    max_attempts: int = 5
    # The sum of all waits for one call; past it the call fails rather than hang a worker.
    max_total_wait: float = 180.0
    backoff_initial: float = 0.5
    backoff_max: float = 20.0
    # A rate limit that asks for more than this raises RateLimited at once, so a job
    # queue can reschedule instead of a worker sleeping for up to an hour.
    rate_limit_cap: float = 120.0
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    clock: Callable[[], float] = time.time
    _backoff: tenacity.wait.wait_base = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("RetryPolicy.max_attempts must be at least 1")
        self._backoff = tenacity.wait_random_exponential(
            multiplier=self.backoff_initial, max=self.backoff_max
        )

    def rate_limit_wait(self, exc: BaseException) -> float | None:
        """Seconds a rate-limited answer asks us to wait, or None when `exc` is no rate limit."""
        if not isinstance(exc, RequestFailed):
            return None
        response = exc.response.raw_response
        if response.status_code not in (403, 429):
            return None
        headers = response.headers
        if retry_after := headers.get("retry-after"):
            return self._parse_retry_after(retry_after)
        if headers.get("x-ratelimit-remaining") == "0" and (
            reset := headers.get("x-ratelimit-reset")
        ):
            try:
                return max(0.0, float(reset) - self.clock())
            except ValueError:
                return SECONDARY_DEFAULT_WAIT
        message, _ = error_message(response)
        if response.status_code == 429 or SECONDARY_MESSAGE in message.lower():
            return SECONDARY_DEFAULT_WAIT
        if isinstance(exc, RateLimitExceeded):
            return exc.retry_after.total_seconds()
        return None

    def _parse_retry_after(self, value: str) -> float:
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return SECONDARY_DEFAULT_WAIT
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, when.timestamp() - self.clock())

    def _is_transient(self, exc: BaseException) -> bool:
        if isinstance(exc, RequestFailed):
            return exc.response.status_code >= 500
        if isinstance(exc, RequestError):
            # Timeouts and dropped connections, but not an error from the token flow.
            return not isinstance(exc.exc, GitHubError)
        return False

    def _should_retry(self, state: tenacity.RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome else None
        if exc is None:
            return False
        wait = self.rate_limit_wait(exc)
        if wait is not None:
            return wait <= self.rate_limit_cap
        return self._is_transient(exc)

    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        wait = self.rate_limit_wait(exc) if exc else None
        return wait if wait is not None else self._backoff(state)

    def _stop(self, state: tenacity.RetryCallState) -> bool:
        return (
            state.attempt_number >= self.max_attempts
            or state.idle_for + state.upcoming_sleep > self.max_total_wait
        )

    async def call(self, request: Callable[[], Awaitable[T]], *, what: str) -> T:
        """Run `request` (a new coroutine per attempt) under the policy; `what` names it."""
        retrying = tenacity.AsyncRetrying(
            retry=self._should_retry,
            wait=self._wait,
            stop=self._stop,
            sleep=self.sleep,
            reraise=True,
        )
        attempts = 0
        try:
            async for attempt in retrying:
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    return await request()
        except Exception as exc:
            raise self._final_error(exc, what=what, attempts=attempts, retrying=retrying) from exc
        raise AssertionError("unreachable: tenacity neither returned nor raised")

    def _final_error(
        self, exc: Exception, *, what: str, attempts: int, retrying: tenacity.AsyncRetrying
    ) -> BaseException:
        wait = self.rate_limit_wait(exc)
        error = to_github_error(exc, what=what)
        waited = float(retrying.statistics.get("idle_for", 0.0))
        if wait is not None and isinstance(error, GitHubError):
            if wait > self.rate_limit_cap:
                reason = RATE_LIMITED.format(what=what, wait=wait, cap=self.rate_limit_cap)
                reason = f"{reason} ({error.message})"
            else:
                reason = GAVE_UP.format(
                    what=what, attempts=attempts, waited=waited, last=error.message
                )
            return RateLimited(
                reason,
                retry_after=wait,
                status=error.status,
                method=error.method,
                url=error.url,
                documentation_url=error.documentation_url,
            )
        if self._is_transient(exc) and isinstance(error, GitHubError) and attempts > 1:
            return GitHubUnavailable(
                GAVE_UP.format(what=what, attempts=attempts, waited=waited, last=error.message),
                status=error.status,
                method=error.method,
                url=error.url,
            )
        return error


class SerialWrites(BaseThrottler):
    """githubkit throttler for one installation: writes one at a time, reads concurrently.

    GitHub's secondary-rate-limit advice is to send mutating requests serially; reads are
    only capped, like githubkit's own LocalThrottler.
    """

    def __init__(self, *, max_concurrency: int = 100) -> None:
        self.max_concurrency = max_concurrency
        self._write_lock = asyncio.Lock()
        self._reads = asyncio.Semaphore(max_concurrency)
        self._sync_write_lock = threading.Lock()
        self._sync_reads = threading.Semaphore(max_concurrency)

    @contextmanager
    def acquire(self, request: httpx.Request) -> Generator[None, Any, Any]:
        with self._sync_reads:
            if request.method in WRITE_METHODS:
                with self._sync_write_lock:
                    yield
            else:
                yield

    @asynccontextmanager
    async def async_acquire(self, request: httpx.Request) -> AsyncGenerator[None, Any]:
        async with self._reads:
            if request.method in WRITE_METHODS:
                async with self._write_lock:
                    yield
            else:
                yield
