"""The sandbox's ASGI app: auth, rate limits, faults and the request log around every endpoint."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from bot.sandbox.auth import Caller, authenticate, check_repo_access, require_app
from bot.sandbox.control import CONTROL_ENDPOINTS
from bot.sandbox.faults import (
    DOCS_RATE_LIMITS,
    PRIMARY_RATE_LIMIT,
    PRIMARY_RATE_LIMIT_ANON,
    SECONDARY_RATE_LIMIT,
    SERVER_ERROR,
    TOO_MANY_REQUESTS,
    Fault,
)
from bot.sandbox.graphql import GRAPHQL_ENDPOINTS
from bot.sandbox.local_github import LocalGitHub
from bot.sandbox.model import ApiError
from bot.sandbox.quick_stop_server import QuickStopServer
from bot.sandbox.ratelimits import RateWindow
from bot.sandbox.requestlog import RequestRecord
from bot.sandbox.rest import ENDPOINTS
from bot.sandbox.routing import Endpoint, RoutedRequest, error_reply, find_endpoint, reply
from bot.sandbox.shapes import Urls

API_VERSION_DEFAULT = "2022-11-28"
API_VERSIONS = ("2022-11-28", "2026-03-10")
UNSUPPORTED_VERSION = "API version {version} is not supported."
NOT_FOUND = "Not Found"
NOT_FOUND_DOCS = "https://docs.github.com/rest"
CONTROL_PREFIX = "/_sandbox"

# Open connections by client address, so a "drop" fault can close one without answering.
_TRANSPORTS: dict[tuple[str, int], asyncio.Transport] = {}


class DroppingH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, remembering each connection's transport by client address."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if self.client:
            _TRANSPORTS[(self.client[0], self.client[1])] = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if self.client:
            _TRANSPORTS.pop((self.client[0], self.client[1]), None)
        super().connection_lost(exc)


def request_id() -> str:
    """An id in GitHub's `x-github-request-id` form, e.g. `C0DE:1A2B3C:4D5E6F:7A8B9C:65F0A1B2`."""
    parts = [secrets.token_hex(2), secrets.token_hex(3), secrets.token_hex(3), secrets.token_hex(3), secrets.token_hex(4)]
    return ":".join(p.upper() for p in parts)


class SandboxASGI:
    """Routes /_sandbox to the control API and everything else through GitHub's request pipeline."""

    def __init__(self, sandbox: LocalGitHub) -> None:
        self.sandbox = sandbox
        self.endpoints: list[Endpoint] = [*ENDPOINTS, *GRAPHQL_ENDPOINTS, Endpoint("GET", "/rate_limit", self._rate_limit, (), auth="any")]
        self.control = CONTROL_ENDPOINTS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        if request.url.path == CONTROL_PREFIX or request.url.path.startswith(CONTROL_PREFIX + "/"):
            response = await self._control(request)
        else:
            response = await self._api(request, scope)
            if response is None:
                return  # the connection was dropped on purpose
        await response(scope, receive, send)

    async def _control(self, request: Request) -> Response:
        endpoint, params, known = find_endpoint(self.control, request.method, request.url.path)
        if endpoint is None:
            return reply({"message": "Not Found" if not known else "Method Not Allowed", "documentation_url": "bot/sandbox/README.md"}, 404 if not known else 405)
        ctx = RoutedRequest(self.sandbox, request, params, Caller("anonymous"), endpoint)
        try:
            return await endpoint.handler(ctx)
        except ApiError as error:
            return error_reply(error)
        except (LookupError, ValueError) as error:
            return reply({"message": str(error).strip("'\""), "documentation_url": "bot/sandbox/README.md"}, 404 if isinstance(error, LookupError) else 422)

    async def _api(self, request: Request, scope: Scope) -> Response | None:
        sb = self.sandbox
        started = time.perf_counter()
        rid = request_id()
        method, path = request.method, request.url.path
        endpoint, params, known = find_endpoint(self.endpoints, method, path)
        template = endpoint.name if endpoint else f"{method} (unknown)"
        caller = Caller("anonymous")
        resource = endpoint.resource if endpoint else "core"
        fault_kind: str | None = None
        version = request.headers.get("x-github-api-version") or API_VERSION_DEFAULT
        headers = {"x-github-request-id": rid, "x-github-api-version-selected": version, "x-github-media-type": "github.v3; format=json"}
        response: Response | None
        try:
            if version not in API_VERSIONS:
                raise ApiError(400, UNSUPPORTED_VERSION.format(version=version), docs="https://docs.github.com/rest/about-the-rest-api/api-versions")
            faults = sb.faults.draw(method, path, endpoint.name if endpoint else path)
            for fault in faults:
                if fault.kind == "latency":
                    await asyncio.sleep(fault.latency)
            failure = next((f for f in faults if f.kind != "latency"), None)
            if failure is not None and failure.kind == "drop":
                fault_kind = "drop"
                await self._drop(scope)
                self._log(method, path, template, 0, caller, rid, started, fault_kind)
                return None
            caller = authenticate(sb.world, request.headers.get("authorization"))
            window = sb.rate_limits.window(caller.rate_key, resource)
            limit = sb.rate_limits.limit_for(caller, resource)
            if failure is not None:
                fault_kind = failure.kind
                raise self._fault_error(failure, caller, rid, window)
            if window.used >= limit:
                raise self._primary_limit(caller, rid, window, request)
            window.used += 1
            headers.update(self._rate_headers(limit, window, resource))
            if endpoint is None:
                raise ApiError(404, NOT_FOUND, docs=NOT_FOUND_DOCS)
            ctx = RoutedRequest(sb, request, params, caller, endpoint)
            if endpoint.auth == "app":
                require_app(caller)
            elif endpoint.auth == "token" and caller.kind == "anonymous":
                raise ApiError(401, "Requires authentication", docs=endpoint.docs)
            if "owner" in params and "repo" in params:
                repo = sb.world.repo(f"{params['owner']}/{params['repo']}")
                if repo is None:
                    raise ApiError(404, NOT_FOUND, docs=endpoint.docs)
                if endpoint.auth == "repo":
                    check_repo_access(caller, repo, endpoint.needs, docs=endpoint.docs)
                ctx.repo_ = repo
            response = await endpoint.handler(ctx)
        except ApiError as error:
            response = error_reply(error)
            if "x-ratelimit-limit" not in {k.lower() for k in error.headers}:
                window = sb.rate_limits.window(caller.rate_key, resource)
                headers.update(self._rate_headers(sb.rate_limits.limit_for(caller, resource), window, resource))
        for key, value in headers.items():
            if key.lower() not in response.headers:
                response.headers[key] = value
        self._log(method, path, template, response.status_code, caller, rid, started, fault_kind)
        return response

    def _log(self, method: str, path: str, template: str, status: int, caller: Caller, rid: str, started: float, fault: str | None) -> None:
        self.sandbox.requests.add(
            RequestRecord(
                method=method,
                path=path,
                endpoint=template,
                status=status,
                installation_id=caller.installation.id if caller.installation else None,
                app_id=caller.app.id if caller.app else None,
                request_id=rid,
                duration=round(time.perf_counter() - started, 4),
                fault=fault,
            )
        )

    @staticmethod
    def _rate_headers(limit: int, window: RateWindow, resource: str) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(limit),
            "x-ratelimit-remaining": str(max(0, limit - window.used)),
            "x-ratelimit-reset": str(window.reset),
            "x-ratelimit-used": str(window.used),
            "x-ratelimit-resource": resource,
        }

    def _primary_limit(self, caller: Caller, rid: str, window: RateWindow, request: Request) -> ApiError:
        limit = self.sandbox.rate_limits.limit_for(caller, "core")
        if caller.installation:
            message = PRIMARY_RATE_LIMIT.format(installation_id=caller.installation.id)
        else:
            message = PRIMARY_RATE_LIMIT_ANON.format(address=request.client.host if request.client else "127.0.0.1")
        headers = {
            "x-ratelimit-limit": str(limit),
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": str(window.reset),
            "x-ratelimit-used": str(window.used),
            "x-ratelimit-resource": "core",
        }
        return ApiError(403, message, docs=DOCS_RATE_LIMITS, headers=headers)

    def _fault_error(self, fault: Fault, caller: Caller, rid: str, window: RateWindow) -> ApiError:
        if fault.kind == "error":
            return ApiError(fault.status, SERVER_ERROR.get(fault.status, "Server Error"))
        if fault.kind == "secondary_rate_limit":
            return ApiError(403, SECONDARY_RATE_LIMIT.format(request_id=rid), docs=DOCS_RATE_LIMITS, headers={"Retry-After": str(fault.retry_after)})
        if fault.kind == "too_many_requests":
            return ApiError(429, TOO_MANY_REQUESTS, docs=DOCS_RATE_LIMITS, headers={"Retry-After": str(fault.retry_after)})
        # primary_rate_limit: the hour's budget is gone until the window resets.
        limit = self.sandbox.rate_limits.limit_for(caller, "core")
        window.used = max(window.used, limit)
        # The injected exhaustion lasts `retry_after` seconds, not the rest of the hour.
        window.reset = int(time.time()) + fault.retry_after
        inst = caller.installation
        message = PRIMARY_RATE_LIMIT.format(installation_id=inst.id) if inst else PRIMARY_RATE_LIMIT_ANON.format(address="127.0.0.1")
        return ApiError(
            403,
            message,
            docs=DOCS_RATE_LIMITS,
            headers={
                "x-ratelimit-limit": str(limit),
                "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": str(window.reset),
                "x-ratelimit-used": str(window.used),
                "x-ratelimit-resource": "core",
            },
        )

    async def _drop(self, scope: Scope) -> None:
        client = scope.get("client")
        transport = _TRANSPORTS.get((client[0], client[1])) if client else None
        if transport is not None:
            transport.abort()
            # Let uvicorn see the disconnect before the app returns, so it sends no 500 either.
            for _ in range(3):
                await asyncio.sleep(0)

    async def _rate_limit(self, ctx: RoutedRequest) -> Response:
        return reply(self.sandbox.rate_limits.snapshot(ctx.caller))


@asynccontextmanager
async def serve(
    sandbox: LocalGitHub,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    capture_signals: bool = False,
    sock: socket.socket | None = None,
) -> AsyncIterator[str]:
    """Run uvicorn in this loop on host:port (0: a free port), or on `sock`, a socket bound
    already (its address handed out before the sandbox serves); yields the base URL."""
    if sock is None:
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    else:
        host = sock.getsockname()[0]
    sock.listen(128)
    sock.setblocking(False)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    base_url = f"http://{shown}:{bound}"
    sandbox.urls = Urls(api=base_url, web=base_url)
    config = uvicorn.Config(
        SandboxASGI(sandbox),
        http=DroppingH11Protocol,  # type: ignore[arg-type]
        interface="asgi3",
        lifespan="off",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=2,
    )
    server = QuickStopServer(config)
    if not capture_signals:
        # Embedded in someone else's loop (tests): leave their Ctrl-C handling alone.
        server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign]
    task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]), name="sandbox-server")
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    sandbox.flush_unsent()
    try:
        yield base_url
    finally:
        server.should_exit = True
        try:
            await asyncio.wait_for(task, 5)
        except TimeoutError:
            task.cancel()
        sock.close()
