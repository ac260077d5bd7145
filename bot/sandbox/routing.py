"""Endpoint table plumbing: route templates, the per-request context, JSON replies and pagination."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.sandbox.auth import Caller
from bot.sandbox.local_github import LocalGitHub
from bot.sandbox.model import Account, ApiError, App, Repo

NOT_FOUND = "Not Found"
PROBLEMS_PARSING_JSON = "Problems parsing JSON"
REQUIRES_AUTHENTICATION = "Requires authentication"
NO_COMMIT_FOR_REF = "No commit found for the ref {ref}"
NO_COMMIT_FOR_SHA = "No commit found for SHA: {sha}"
BODY_NOT_OBJECT = "Invalid request.\n\nFor 'links/0/schema', {body} is not an object."
DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100
REPO_PATH = "/repos/{owner}/{repo}"  # where a repository's endpoints start
# What an endpoint needs (`Endpoint.needs`): any one of these (permission, level) pairs suffices.
READ = "read"
WRITE = "write"
CONTENTS_R = (("contents", READ),)
CONTENTS_W = (("contents", WRITE),)
PULLS_R = (("pull_requests", READ),)
PULLS_W = (("pull_requests", WRITE),)
ISSUES_R = (("issues", READ), ("pull_requests", READ))
ISSUES_W = (("issues", WRITE), ("pull_requests", WRITE))
CHECKS_R = (("checks", READ),)
CHECKS_W = (("checks", WRITE),)
STATUSES_R = (("statuses", READ),)
STATUSES_W = (("statuses", WRITE),)
METADATA = (("metadata", READ),)
# A path template segment: "{name}" matches one segment, "{name:path}" the rest (slashes too).
PLACEHOLDER = re.compile(
    r"""
    \{(?P<name>[a-z_]+)        # the parameter name
    (?::(?P<kind>path))?\}     # ":path" lets it span slashes
    """,
    re.VERBOSE,
)

Handler = Callable[["RoutedRequest"], Awaitable[Response]]


@dataclass
class Endpoint:
    """One route: method, template, handler, the permissions it needs and which auth it takes.

    `auth` is "repo" (installation token or anonymous on the repository in the path), "app"
    (app JWT only), "token" (installation token only) or "none". `needs` lists alternatives:
    any one (permission, level) suffices.
    """

    method: str
    template: str
    handler: Handler
    needs: tuple[tuple[str, str], ...] = (("metadata", "read"),)
    auth: str = "repo"
    docs: str = "https://docs.github.com/rest"
    resource: str = "core"
    pattern: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        regex, pos = "", 0
        for match in PLACEHOLDER.finditer(self.template):
            regex += re.escape(self.template[pos : match.start()])
            part = ".+" if match["kind"] == "path" else "[^/]+"
            regex += f"(?P<{match['name']}>{part})"
            pos = match.end()
        regex += re.escape(self.template[pos:])
        self.pattern = re.compile(f"^{regex}$")

    @property
    def name(self) -> str:
        return f"{self.method} {PLACEHOLDER.sub(lambda m: '{' + m['name'] + '}', self.template)}"


def find_endpoint(endpoints: Sequence[Endpoint], method: str, path: str) -> tuple[Endpoint | None, dict[str, str], bool]:
    """The endpoint for method+path, its path parameters, and whether the path exists for another method."""
    path_known = False
    if len(path) > 1:
        path = path.rstrip("/")
    for endpoint in endpoints:
        match = endpoint.pattern.match(path)
        if match is None:
            continue
        path_known = True
        if endpoint.method == method or (method == "HEAD" and endpoint.method == "GET"):
            return endpoint, match.groupdict(), True
    return None, {}, path_known


@dataclass
class RoutedRequest:
    """The request being routed, as a handler gets it: the sandbox's GitHub, the HTTP request, path
    parameters, the caller and the repo."""

    sandbox: LocalGitHub
    request: Request
    params: dict[str, str]
    caller: Caller
    endpoint: Endpoint
    repo_: Repo | None = None
    _body: Any = None

    @property
    def repo(self) -> Repo:
        assert self.repo_ is not None
        return self.repo_

    async def body(self) -> dict[str, Any]:
        """The JSON object sent; 400 "Problems parsing JSON" as GitHub answers for anything else."""
        if self._body is None:
            raw = await self.request.body()
            if not raw.strip():
                self._body = {}
            else:
                try:
                    self._body = json.loads(raw)
                except ValueError:
                    raise ApiError(400, PROBLEMS_PARSING_JSON, docs=self.endpoint.docs) from None
            if not isinstance(self._body, dict):
                raise ApiError(400, PROBLEMS_PARSING_JSON, docs=self.endpoint.docs)
        return self._body

    def query(self, name: str, default: str | None = None) -> str | None:
        return self.request.query_params.get(name, default)

    def int_param(self, name: str) -> int:
        try:
            return int(self.params[name])
        except ValueError:
            raise ApiError(404, NOT_FOUND, docs=self.endpoint.docs) from None

    def actor(self) -> tuple[Account, App | None]:
        """Who acts for this request: the app's bot user (GitHub attributes app actions to it)."""
        app = self.caller.app
        if app is None:
            raise ApiError(401, REQUIRES_AUTHENTICATION, docs=self.endpoint.docs)
        return app.bot, app

    async def commit_of(self, ref: str | None, *, missing_status: int = 404) -> str:
        """The commit `ref` (sha, branch, tag, `heads/x`, `refs/heads/x`) names; the default branch if None."""
        repo = self.repo
        ref = ref or repo.default_branch
        candidates = [ref]
        if not ref.startswith("refs/"):
            candidates += [f"refs/heads/{ref}", f"refs/tags/{ref}", f"refs/{ref}"]
        for candidate in candidates:
            sha = await repo.git.resolve(candidate)
            if sha:
                return sha
        if missing_status == 422:
            raise ApiError(422, NO_COMMIT_FOR_SHA.format(sha=ref), docs=self.endpoint.docs)
        raise ApiError(404, NO_COMMIT_FOR_REF.format(ref=ref), docs=self.endpoint.docs)

    def paginate(self, items: Sequence[Any]) -> tuple[list[Any], dict[str, str]]:
        """The requested page of `items` and the `Link` header GitHub sends with it."""
        try:
            per_page = max(1, min(int(self.query("per_page") or DEFAULT_PER_PAGE), MAX_PER_PAGE))
        except ValueError:
            per_page = DEFAULT_PER_PAGE
        try:
            page = max(1, int(self.query("page") or 1))
        except ValueError:
            page = 1
        last = max(1, -(-len(items) // per_page))
        chunk = list(items[(page - 1) * per_page : page * per_page])
        links = []
        base = str(self.request.url.replace(query=""))
        params = dict(parse_qsl(self.request.url.query))

        def link(number: int, rel: str) -> str:
            params.update(page=str(number), per_page=str(per_page))
            return f'<{base}?{urlencode(params)}>; rel="{rel}"'

        if page > 1:
            links.append(link(page - 1, "prev"))
        if page < last:
            links.append(link(page + 1, "next"))
            links.append(link(last, "last"))
        if page > 1:
            links.append(link(1, "first"))
        return chunk, ({"Link": ", ".join(links)} if links else {})


def reply(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    if status == 204:
        return Response(status_code=204, headers=headers)
    return JSONResponse(body, status_code=status, headers=headers, media_type="application/json; charset=utf-8")


def error_reply(error: ApiError) -> Response:
    return reply(error.body(), error.status, error.headers)
