"""The sandbox tests' world: a served sandbox with an app installed, a webhook receiver, app JWTs, GitHub's REST description."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
import uvicorn
from githubkit.webhooks import verify
from jsonschema import Draft202012Validator
from starlette.requests import Request
from starlette.responses import Response

from bot.sandbox import Sandbox
from bot.sandbox.model import App, Installation
from bot.sandbox.quick_stop_server import QuickStopServer

WEBHOOK_SECRET = "sandbox-test-secret"
SCHEMAS = Path(__file__).parent / "fixtures" / "webhooks" / "schemas.json"
PASSING_TEST = "def test_passes():\n    assert 1 + 1 == 2\n"
FAILING_TEST = "def test_fails():\n    assert 1 + 1 == 3\n"


def app_jwt(app: App, *, iat_offset: int = -30, lifetime: int = 540, key: str | None = None, iss: Any = None) -> str:
    """An app JWT as a GitHub App signs it (iat a little in the past, exp within 10 minutes)."""
    now = int(time.time())
    claims = {"iat": now + iat_offset, "exp": now + iat_offset + lifetime, "iss": str(app.id) if iss is None else iss}
    return jwt.encode(claims, key or app.private_key_pem, algorithm="RS256")


@dataclass
class Received:
    """One webhook delivery as the receiver saw it."""

    headers: dict[str, str]
    body: bytes
    signature_ok: bool

    @property
    def event(self) -> str:
        return self.headers["x-github-event"]

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)

    @property
    def action(self) -> str | None:
        return self.payload.get("action")


@dataclass
class Receiver:
    """A tiny local webhook receiver that checks signatures and answers with `status`."""

    url: str = ""
    status: int = 200
    got: list[Received] = field(default_factory=list)

    def events(self, event: str, action: str | None = None) -> list[Received]:
        return [r for r in self.got if r.event == event and (action is None or r.action == action)]

    async def asgi(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        body = await request.body()
        signature = request.headers.get("x-hub-signature-256", "")
        ok = bool(signature) and verify(WEBHOOK_SECRET, body, signature)
        self.got.append(Received({k.lower(): v for k, v in request.headers.items()}, body, ok))
        await Response(status_code=self.status)(scope, receive, send)




async def serve_asgi(app: Any) -> AsyncIterator[tuple[str, uvicorn.Server]]:
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    port = sock.getsockname()[1]
    server = QuickStopServer(uvicorn.Config(app, interface="asgi3", lifespan="off", log_level="warning", access_log=False))
    server.capture_signals = __import__("contextlib").nullcontext  # type: ignore[method-assign]
    task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}/hook", server
    finally:
        server.should_exit = True
        await task
        sock.close()






@dataclass
class World:
    """A served sandbox with alice's private repo, the app installed on it and a client."""

    sb: Sandbox
    url: str
    app: App
    installation: Installation
    http: httpx.AsyncClient
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    async def new_token(self) -> str:
        response = await self.http.post(
            f"/app/installations/{self.installation.id}/access_tokens",
            headers={"Authorization": f"Bearer {app_jwt(self.app)}"},
        )
        assert response.status_code == 201, response.text
        return response.json()["token"]




def webhook_validator(event: str, action: str | None) -> Draft202012Validator | None:
    """The vendored @octokit/openapi-webhooks schema for event/action, if the bundle has it."""
    if not SCHEMAS.exists():
        return None
    doc = _schemas()
    key = event.replace("_", "-") + (f"-{action.replace('_', '-')}" if action else "")
    hook = doc["webhooks"].get(key)
    if hook is None:
        return None
    ref = hook["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return Draft202012Validator({"$ref": ref, "components": doc["components"]})


_SCHEMA_CACHE: dict[str, Any] = {}


def _schemas() -> dict[str, Any]:
    if "doc" not in _SCHEMA_CACHE:
        _SCHEMA_CACHE["doc"] = json.loads(SCHEMAS.read_text())
    return _SCHEMA_CACHE["doc"]


# -- GitHub's REST description (@octokit/openapi), the one a prism proxy validates against ---------

OPENAPI_PACKAGE = "@octokit/openapi@23.0.2"  # the version the conformance test's Prism loads
OPENAPI_CACHE = Path.home() / ".cache" / "evolve-bot" / "npm"
OPENAPI_FILE = OPENAPI_CACHE / "node_modules" / "@octokit" / "openapi" / "generated" / "api.github.com.json"


def nullable_to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` spelled as JSON Schema (type lists / anyOf null)."""
    if isinstance(node, list):
        return [nullable_to_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: nullable_to_json_schema(v) for k, v in node.items() if k not in ("nullable", "example", "examples")}
    if node.get("nullable") is True:
        if "type" in out and "$ref" not in out:
            out["type"] = [out["type"], "null"] if isinstance(out["type"], str) else [*out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


@dataclass
class OpenApi:
    """Finds the operation for a request and validates a response body against its schema."""

    doc: dict[str, Any]
    routes: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        import re

        strict = [(re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", t) + "$"), t) for t in self.doc["paths"]]
        # Refs, paths and base...head may hold slashes: a second pass lets parameters span them.
        loose = [(re.compile("^" + re.sub(r"\{[^}]+\}", ".+", t) + "$"), t) for t in self.doc["paths"]]
        self.routes = [strict, loose]  # type: ignore[list-item]

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        import re

        for table in self.routes:
            matches = [t for pattern, t in table if pattern.match(path) and method.lower() in self.doc["paths"][t]]  # type: ignore[misc]
            if matches:
                # The most specific template wins: the one with the most literal text.
                best = max(matches, key=lambda t: len(re.sub(r"\{[^}]+\}", "", t)))
                return best, self.doc["paths"][best][method.lower()]
        return None

    def errors(self, method: str, path: str, status: int, body: Any) -> list[str]:
        from jsonschema import Draft7Validator

        found = self.operation(method, path)
        if found is None:
            return [f"{method} {path}: no such operation in GitHub's description"]
        template, op = found
        response = op["responses"].get(str(status))
        if response is None:
            return [f"{method} {template}: status {status} is not described"]
        while "$ref" in response:
            response = self.doc["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
        schema = ((response.get("content") or {}).get("application/json") or {}).get("schema")
        if schema is None:
            return [] if body in (None, b"", "") else []
        validator = Draft7Validator({**schema, "components": self.doc["components"]})
        return [f"{method} {template} {status}: {'/'.join(map(str, e.absolute_path))}: {e.message[:160]}" for e in validator.iter_errors(body)][:5]


