"""The REST endpoints, in api.github.com's URL shapes, status codes and JSON shapes."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from starlette.responses import Response

from bot.sandbox import shapes
from bot.sandbox.auth import mint_token, require_app
from bot.sandbox.git import (
    EMPTY_TREE_SHA,
    EXECUTABLE_MODE,
    FILE_MODE,
    SUBMODULE_MODE,
    SYMLINK_MODE,
    TREE_MODE,
    Identity,
    TreeChange,
)
from bot.sandbox.model import Account, ApiError, App, Issue, iso, utcnow
from bot.sandbox.pulls import MERGED_MESSAGE
from bot.sandbox.routing import Endpoint, RoutedRequest, reply

NOT_FOUND = "Not Found"
DOCS = "https://docs.github.com/rest"
DOCS_REFS = "https://docs.github.com/rest/git/refs"
DOCS_TREES = "https://docs.github.com/rest/git/trees#create-a-tree"
DOCS_COMMITS = "https://docs.github.com/rest/git/commits#create-a-commit"
DOCS_CONTENTS = "https://docs.github.com/rest/repos/contents#get-repository-content"
DOCS_PULLS = "https://docs.github.com/rest/pulls/pulls"
DOCS_CHECKS = "https://docs.github.com/rest/checks/runs"
REF_EXISTS = "Reference already exists"
REF_MISSING = "Reference does not exist"
REF_MALFORMED = "Reference name is not well formed"
REF_NEEDS_TWO_SLASHES = "ref must start with 'refs/' and have at least two slashes."
OBJECT_MISSING = "Object does not exist"
NO_COMMIT_FOR_REF = "No commit found for the ref {ref}"
NO_COMMIT_FOR_SHA = "No commit found for SHA: {sha}"
BAD_OBJECT_STATE = "GitRPC::BadObjectState"
CHECK_RUN_OTHER_APP = "Invalid app_id `{app_id}` - check run can only be modified by the GitHub App that created it."
VALID_TREE_MODES = (FILE_MODE, EXECUTABLE_MODE, TREE_MODE, SUBMODULE_MODE, SYMLINK_MODE)
CHECK_STATUSES = ("queued", "in_progress", "completed", "waiting", "requested", "pending")
CHECK_CONCLUSIONS = ("action_required", "cancelled", "failure", "neutral", "success", "skipped", "stale", "timed_out")

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


def _invalid(resource: str, field: str, *, code: str = "invalid", docs: str = DOCS, message: str | None = None) -> ApiError:
    error: dict[str, Any] = {"resource": resource, "field": field, "code": code}
    if message:
        error["message"] = message
    return ApiError(422, "Validation Failed", errors=[error], docs=docs)


def _actor(ctx: RoutedRequest) -> tuple[Account, App | None]:
    """Who acts for this request: the app's bot user (GitHub attributes app actions to it)."""
    app = ctx.caller.app
    if app is None:
        raise ApiError(401, "Requires authentication", docs=ctx.endpoint.docs)
    return app.bot, app


async def _commit_of(ctx: RoutedRequest, ref: str | None, *, missing_status: int = 404) -> str:
    """The commit `ref` (sha, branch, tag, `heads/x`, `refs/heads/x`) names; the default branch if None."""
    repo = ctx.repo
    ref = ref or repo.default_branch
    candidates = [ref]
    if not ref.startswith("refs/"):
        candidates += [f"refs/heads/{ref}", f"refs/tags/{ref}", f"refs/{ref}"]
    for candidate in candidates:
        sha = await repo.git.resolve(candidate)
        if sha:
            return sha
    if missing_status == 422:
        raise ApiError(422, NO_COMMIT_FOR_SHA.format(sha=ref), docs=ctx.endpoint.docs)
    raise ApiError(404, NO_COMMIT_FOR_REF.format(ref=ref), docs=ctx.endpoint.docs)


# -- apps and installations -------------------------------------------------------------


async def get_app(ctx: RoutedRequest) -> Response:
    app = require_app(ctx.caller)
    body = shapes.app(ctx.sandbox.urls, app)
    body["installations_count"] = len(ctx.sandbox.world.installations_of(app))
    return reply(body)


async def list_app_installations(ctx: RoutedRequest) -> Response:
    app = require_app(ctx.caller)
    items = [shapes.installation(ctx.sandbox.urls, i) for i in ctx.sandbox.world.installations_of(app)]
    page, links = ctx.paginate(items)
    return reply(page, headers=links)


async def get_app_installation(ctx: RoutedRequest) -> Response:
    app = require_app(ctx.caller)
    inst = ctx.sandbox.world.installations.get(ctx.int_param("installation_id"))
    if inst is None or inst.app is not app:
        raise ApiError(404, NOT_FOUND, docs=ctx.endpoint.docs)
    return reply(shapes.installation(ctx.sandbox.urls, inst))


async def create_access_token(ctx: RoutedRequest) -> Response:
    app = require_app(ctx.caller)
    inst = ctx.sandbox.world.installations.get(ctx.int_param("installation_id"))
    if inst is None or inst.app is not app:
        raise ApiError(404, NOT_FOUND, docs=ctx.endpoint.docs)
    body = await ctx.body()
    world = ctx.sandbox.world
    repo_ids: set[int] | None = None
    names = body.get("repositories")
    ids = body.get("repository_ids")
    if names is not None or ids is not None:
        repo_ids = set()
        for name in names or []:
            repo = world.repo(f"{inst.account.login}/{name}")
            if repo is None or not inst.covers(repo):
                raise ApiError(422, "There is at least one repository that does not exist or is not accessible to the parent installation.", docs=ctx.endpoint.docs)
            repo_ids.add(repo.id)
        for repo_id in ids or []:
            repo = world.repo_by_id(int(repo_id))
            if repo is None or not inst.covers(repo):
                raise ApiError(422, "There is at least one repository that does not exist or is not accessible to the parent installation.", docs=ctx.endpoint.docs)
            repo_ids.add(repo.id)
    token = mint_token(world, inst, ttl=ctx.sandbox.token_ttl, permissions=body.get("permissions"), repository_ids=repo_ids)
    out: dict[str, Any] = {
        "token": token.token,
        "expires_at": iso(token.expires_at),
        "permissions": token.permissions,
        "repository_selection": "selected" if repo_ids is not None else inst.repository_selection,
    }
    if repo_ids is not None:
        out["repositories"] = [shapes.repository(ctx.sandbox.urls, world.repo_by_id(i)) for i in sorted(repo_ids)]  # type: ignore[arg-type]
    return reply(out, 201)


async def get_repo_installation(ctx: RoutedRequest) -> Response:
    app = require_app(ctx.caller)
    for inst in ctx.sandbox.world.installations_of(app):
        if inst.covers(ctx.repo):
            return reply(shapes.installation(ctx.sandbox.urls, inst))
    raise ApiError(404, NOT_FOUND, docs=ctx.endpoint.docs)


async def list_installation_repos(ctx: RoutedRequest) -> Response:
    token = ctx.caller.token
    if token is None:
        raise ApiError(403, "Resource not accessible by integration" if ctx.caller.kind == "app" else "Requires authentication", docs=ctx.endpoint.docs)
    inst = token.installation
    repos = [r for r in ctx.sandbox.world.repos.values() if inst.covers(r) and (token.repository_ids is None or r.id in token.repository_ids)]
    page, links = ctx.paginate([shapes.repository(ctx.sandbox.urls, r) for r in repos])
    return reply({"total_count": len(repos), "repository_selection": inst.repository_selection, "repositories": page}, headers=links)


# -- repository and contents ---------------------------------------------------------------


async def get_repo(ctx: RoutedRequest) -> Response:
    return reply(shapes.repository(ctx.sandbox.urls, ctx.repo, full=True))


async def get_contents(ctx: RoutedRequest) -> Response:
    repo, urls = ctx.repo, ctx.sandbox.urls
    ref = ctx.query("ref") or repo.default_branch
    sha = await _commit_of(ctx, ref)
    path = ctx.params.get("path", "").strip("/")
    entry = await repo.git.entry_at(sha, path)
    if entry is None:
        raise ApiError(404, NOT_FOUND, docs=DOCS_CONTENTS)
    if entry.type == "blob" and entry.mode != SYMLINK_MODE:
        data = await repo.git.read_blob(entry.sha)
        return reply(shapes.content_file(urls, repo, path=path, sha=entry.sha, data=data, ref=ref))
    if entry.type == "blob":
        target = (await repo.git.read_blob(entry.sha)).decode(errors="replace")
        body = shapes.content_item(urls, repo, path=path, kind="symlink", sha=entry.sha, size=len(target), ref=ref)
        body["target"] = target
        return reply(body)
    if entry.type == "commit":
        body = shapes.content_item(urls, repo, path=path, kind="submodule", sha=entry.sha, size=0, ref=ref)
        body["submodule_git_url"] = ""
        return reply(body)
    listing = []
    for child in await repo.git.list_tree(entry.sha):
        kind = {"tree": "dir", "commit": "submodule"}.get(child.type, "symlink" if child.mode == SYMLINK_MODE else "file")
        child_path = f"{path}/{child.path}" if path else child.path
        listing.append(shapes.content_item(urls, repo, path=child_path, kind=kind, sha=child.sha, size=child.size or 0, ref=ref))
    return reply(listing)


# -- git references ------------------------------------------------------------------------


def _ref_json(ctx: RoutedRequest, name: str, sha: str, kind: str = "commit") -> dict[str, Any]:
    api = ctx.sandbox.urls.repo(ctx.repo)
    return {
        "ref": name,
        "node_id": shapes.node_id("REF", abs(hash((ctx.repo.id, name))) % (1 << 40)),
        "url": f"{api}/git/{name}",
        "object": {"type": kind, "sha": sha, "url": f"{api}/git/{kind}s/{sha}"},
    }


async def get_ref(ctx: RoutedRequest) -> Response:
    name = "refs/" + ctx.params["ref"].removeprefix("refs/")
    sha = await ctx.repo.git.ref(name)
    if sha is None:
        raise ApiError(404, NOT_FOUND, docs=f"{DOCS_REFS}#get-a-reference")
    kind = await ctx.repo.git.object_type(sha) or "commit"
    return reply(_ref_json(ctx, name, sha, kind))


async def matching_refs(ctx: RoutedRequest) -> Response:
    prefix = "refs/" + ctx.params.get("ref", "").removeprefix("refs/")
    found = []
    for name, sha in sorted((await ctx.repo.git.refs("refs/")).items()):
        if name.startswith(prefix):
            found.append(_ref_json(ctx, name, sha, await ctx.repo.git.object_type(sha) or "commit"))
    page, links = ctx.paginate(found)
    return reply(page, headers=links)


async def create_ref(ctx: RoutedRequest) -> Response:
    body = await ctx.body()
    name, sha = body.get("ref"), body.get("sha")
    docs = f"{DOCS_REFS}#create-a-reference"
    if not isinstance(name, str) or not isinstance(sha, str):
        raise _invalid("Reference", "ref" if not isinstance(name, str) else "sha", code="missing_field", docs=docs)
    if not name.startswith("refs/") or name.count("/") < 2:
        raise ApiError(422, REF_NEEDS_TWO_SLASHES, docs=docs)
    if ".." in name or name.endswith("/") or name.endswith(".lock") or any(c in name for c in " ~^:?*[\\"):
        raise ApiError(422, REF_MALFORMED, docs=docs)
    if await ctx.repo.git.object_type(sha) is None:
        raise ApiError(422, OBJECT_MISSING, docs=docs)
    if await ctx.repo.git.ref(name) is not None:
        raise ApiError(422, REF_EXISTS, docs=docs)
    actor, app = _actor(ctx)
    if name.startswith("refs/heads/"):
        await ctx.sandbox.update_branch(ctx.repo, name.removeprefix("refs/heads/"), sha, pusher=actor, app=app)
    else:
        await ctx.repo.git.set_ref(name, sha)
    return reply(_ref_json(ctx, name, sha, await ctx.repo.git.object_type(sha) or "commit"), 201)


async def update_ref(ctx: RoutedRequest) -> Response:
    body = await ctx.body()
    name = "refs/" + ctx.params["ref"].removeprefix("refs/")
    sha, force = body.get("sha"), bool(body.get("force", False))
    docs = f"{DOCS_REFS}#update-a-reference"
    if not isinstance(sha, str):
        raise _invalid("Reference", "sha", code="missing_field", docs=docs)
    before = await ctx.repo.git.ref(name)
    if before is None:
        raise ApiError(422, REF_MISSING, docs=docs)
    if await ctx.repo.git.object_type(sha) is None:
        raise ApiError(422, OBJECT_MISSING, docs=docs)
    actor, app = _actor(ctx)
    if name.startswith("refs/heads/"):
        await ctx.sandbox.update_branch(ctx.repo, name.removeprefix("refs/heads/"), sha, pusher=actor, force=force, app=app)
    else:
        if not force and not await ctx.repo.git.is_ancestor(before, sha):
            raise ApiError(422, "Update is not a fast forward", docs=docs)
        await ctx.repo.git.set_ref(name, sha)
    return reply(_ref_json(ctx, name, sha))


async def delete_ref(ctx: RoutedRequest) -> Response:
    name = "refs/" + ctx.params["ref"].removeprefix("refs/")
    before = await ctx.repo.git.ref(name)
    if before is None:
        raise ApiError(422, REF_MISSING, docs=f"{DOCS_REFS}#delete-a-reference")
    actor, _ = _actor(ctx)
    await ctx.repo.git.delete_ref(name)
    await ctx.sandbox.after_push(ctx.repo, name, before, "0" * 40, pusher=actor)
    return reply(None, 204)


# -- git objects ---------------------------------------------------------------------------


def _tree_json(ctx: RoutedRequest, sha: str, entries: list[Any]) -> dict[str, Any]:
    api = ctx.sandbox.urls.repo(ctx.repo)
    tree = []
    for e in entries:
        item: dict[str, Any] = {"path": e.path, "mode": e.mode, "type": e.type, "sha": e.sha}
        if e.type == "blob":
            item["size"] = e.size
            item["url"] = f"{api}/git/blobs/{e.sha}"
        elif e.type == "tree":
            item["url"] = f"{api}/git/trees/{e.sha}"
        tree.append(item)
    return {"sha": sha, "url": f"{api}/git/trees/{sha}", "tree": tree, "truncated": False}


async def get_tree(ctx: RoutedRequest) -> Response:
    git = ctx.repo.git
    target = ctx.params["tree_sha"]
    kind = await git.object_type(target) if len(target) >= 4 else None
    if kind == "commit":
        tree = (await git.read_commit(await git.resolve(target) or target)).tree
    elif kind == "tree":
        tree = (await git.git("rev-parse", target)).decode().strip()
    else:
        sha = await git.resolve(f"refs/heads/{target}") or await git.resolve(target)
        if sha is None:
            raise ApiError(404, NOT_FOUND, docs="https://docs.github.com/rest/git/trees#get-a-tree")
        tree = (await git.read_commit(sha)).tree
    recursive = (ctx.query("recursive") or "") not in ("", "0", "false")
    return reply(_tree_json(ctx, tree, await git.list_tree(tree, recursive=recursive)))


async def create_tree(ctx: RoutedRequest) -> Response:
    body = await ctx.body()
    git = ctx.repo.git
    base_tree = body.get("base_tree")
    entries = body.get("tree")
    if not isinstance(entries, list):
        raise _invalid("Tree", "tree", code="missing_field", docs=DOCS_TREES)
    if base_tree is not None:
        if not isinstance(base_tree, str):
            raise _invalid("Tree", "base_tree", docs=DOCS_TREES)
        kind = await git.object_type(base_tree)
        if kind == "commit":
            base_tree = (await git.read_commit(base_tree)).tree
        elif kind != "tree":
            raise ApiError(422, "Invalid tree info", docs=DOCS_TREES)
    existing = {e.path for e in await git.list_tree(base_tree, recursive=True)} if base_tree else set()
    changes = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str) or not entry["path"].strip("/"):
            raise ApiError(422, "tree.path is not a valid path", docs=DOCS_TREES)
        path, mode = entry["path"].strip("/"), entry.get("mode", FILE_MODE)
        if mode not in VALID_TREE_MODES:
            raise ApiError(422, f"tree.mode contains a malformed mode: {mode}", docs=DOCS_TREES)
        kind = entry.get("type") or {TREE_MODE: "tree", SUBMODULE_MODE: "commit"}.get(mode, "blob")
        if "content" in entry and entry["content"] is not None:
            if not isinstance(entry["content"], str):
                raise ApiError(422, "tree.content is not a string", docs=DOCS_TREES)
            changes.append(TreeChange(path, mode=mode, content=entry["content"].encode()))
        elif "sha" in entry and entry["sha"] is None:
            # sha: null deletes the path; GitHub refuses to delete what is not there.
            if path not in existing:
                raise ApiError(422, BAD_OBJECT_STATE, docs=DOCS_TREES)
            changes.append(TreeChange(path))
        elif isinstance(entry.get("sha"), str):
            found = await git.object_type(entry["sha"])
            if found is None or (kind != "commit" and found != kind):
                raise ApiError(422, f"tree.sha {entry['sha']} is not a valid {kind}", docs=DOCS_TREES)
            changes.append(TreeChange(path, mode=mode, sha=entry["sha"]))
        else:
            raise ApiError(422, "Must supply either tree.sha or tree.content", docs=DOCS_TREES)
    tree = await git.build_tree(changes, base_tree=base_tree)
    return reply(_tree_json(ctx, tree, await git.list_tree(tree)), 201)


async def create_blob(ctx: RoutedRequest) -> Response:
    body = await ctx.body()
    content, encoding = body.get("content"), body.get("encoding", "utf-8")
    docs = "https://docs.github.com/rest/git/blobs#create-a-blob"
    if not isinstance(content, str):
        raise _invalid("Blob", "content", code="missing_field", docs=docs)
    if encoding not in ("utf-8", "utf8", "base64"):
        raise _invalid("Blob", "encoding", docs=docs, message=f"encoding must be utf-8 or base64, not {encoding}")
    try:
        data = base64.b64decode(content, validate=False) if encoding == "base64" else content.encode()
    except ValueError:
        raise _invalid("Blob", "content", docs=docs) from None
    sha = await ctx.repo.git.hash_blob(data)
    return reply({"url": f"{ctx.sandbox.urls.repo(ctx.repo)}/git/blobs/{sha}", "sha": sha}, 201)


async def get_blob(ctx: RoutedRequest) -> Response:
    sha = ctx.params["file_sha"]
    if await ctx.repo.git.object_type(sha) != "blob":
        raise ApiError(404, NOT_FOUND, docs="https://docs.github.com/rest/git/blobs#get-a-blob")
    data = await ctx.repo.git.read_blob(sha)
    return reply(
        {
            "content": base64.b64encode(data).decode(),
            "encoding": "base64",
            "url": f"{ctx.sandbox.urls.repo(ctx.repo)}/git/blobs/{sha}",
            "sha": sha,
            "size": len(data),
            "node_id": shapes.node_id("B", int(sha[:12], 16)),
        }
    )


def _identity_from(body: Any, fallback: Identity, *, field: str) -> Identity:
    if body is None:
        return fallback
    if not isinstance(body, dict) or not isinstance(body.get("name"), str) or not isinstance(body.get("email"), str):
        raise _invalid("Commit", field, docs=DOCS_COMMITS)
    epoch = fallback.epoch
    if body.get("date"):
        try:
            epoch = int(dt.datetime.fromisoformat(body["date"].replace("Z", "+00:00")).timestamp())
        except ValueError:
            raise _invalid("Commit", f"{field}.date", docs=DOCS_COMMITS) from None
    return Identity(body["name"], body["email"], epoch)


async def create_commit(ctx: RoutedRequest) -> Response:
    body = await ctx.body()
    git = ctx.repo.git
    message, tree, parents = body.get("message"), body.get("tree"), body.get("parents", [])
    if not isinstance(message, str):
        raise _invalid("Commit", "message", code="missing_field", docs=DOCS_COMMITS)
    if not isinstance(tree, str) or await git.object_type(tree) != "tree":
        raise ApiError(422, "Tree SHA does not exist", docs=DOCS_COMMITS)
    if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
        raise _invalid("Commit", "parents", docs=DOCS_COMMITS)
    for parent in parents:
        if await git.object_type(parent) != "commit":
            raise ApiError(422, "Parent SHA does not exist or is not a commit object", docs=DOCS_COMMITS)
    actor, _ = _actor(ctx)
    who = Identity(actor.login, actor.noreply_email, int(utcnow().timestamp()))
    author = _identity_from(body.get("author"), who, field="author")
    committer = _identity_from(body.get("committer"), author if body.get("author") else who, field="committer")
    sha = await git.write_commit(tree=tree, parents=parents, message=message, author=author, committer=committer)
    return reply(shapes.git_commit(ctx.sandbox.urls, ctx.repo, await git.read_commit(sha)), 201)


async def get_git_commit(ctx: RoutedRequest) -> Response:
    sha = ctx.params["commit_sha"]
    if await ctx.repo.git.object_type(sha) != "commit":
        raise ApiError(404, NOT_FOUND, docs="https://docs.github.com/rest/git/commits#get-a-commit-object")
    return reply(shapes.git_commit(ctx.sandbox.urls, ctx.repo, await ctx.repo.git.read_commit(sha)))


# -- commits and comparisons ---------------------------------------------------------------


def _account_for(ctx: RoutedRequest, email: str) -> Account | None:
    for account in ctx.sandbox.world.accounts.values():
        if account.noreply_email == email or account.email == email:
            return account
    return None


async def _commit_json(ctx: RoutedRequest, sha: str, *, with_files: bool) -> dict[str, Any]:
    git = ctx.repo.git
    obj = await git.read_commit(sha)
    files = None
    if with_files:
        files = await git.diff(obj.parents[0] if obj.parents else EMPTY_TREE_SHA, sha)
    return shapes.commit(
        ctx.sandbox.urls, ctx.repo, obj,
        author=_account_for(ctx, obj.author.email), committer=_account_for(ctx, obj.committer.email), files=files,
    )


async def get_commit(ctx: RoutedRequest) -> Response:
    sha = await _commit_of(ctx, ctx.params["ref"], missing_status=422)
    return reply(await _commit_json(ctx, sha, with_files=True))


async def list_commits(ctx: RoutedRequest) -> Response:
    sha = await _commit_of(ctx, ctx.query("sha"))
    out = (await ctx.repo.git.git("rev-list", "--max-count=1000", sha)).decode().split()
    page, links = ctx.paginate(out)
    return reply([await _commit_json(ctx, s, with_files=False) for s in page], headers=links)


async def compare(ctx: RoutedRequest) -> Response:
    basehead = ctx.params["basehead"]
    if "..." in basehead:
        base_ref, head_ref = basehead.split("...", 1)
    elif ".." in basehead:
        base_ref, head_ref = basehead.split("..", 1)
    else:
        raise ApiError(404, NOT_FOUND, docs="https://docs.github.com/rest/commits/commits#compare-two-commits")
    base, head = await _commit_of(ctx, base_ref), await _commit_of(ctx, head_ref)
    git, urls, repo = ctx.repo.git, ctx.sandbox.urls, ctx.repo
    merge_base = await git.merge_base(base, head) or base
    ahead, behind = await git.ahead_behind(base, head)
    status = "identical" if base == head else "ahead" if behind == 0 else "behind" if ahead == 0 else "diverged"
    shas = await git.commits_between(merge_base, head)
    commits = [await _commit_json(ctx, s, with_files=False) for s in shas]
    files = await git.diff(merge_base, head)
    web = f"{urls.repo_web(repo)}/compare/{base_ref}...{head_ref}"
    return reply(
        {
            "url": f"{urls.repo(repo)}/compare/{base_ref}...{head_ref}",
            "html_url": web,
            "permalink_url": f"{urls.repo_web(repo)}/compare/{repo.owner.login}:{base[:7]}...{repo.owner.login}:{head[:7]}",
            "diff_url": f"{web}.diff",
            "patch_url": f"{web}.patch",
            "base_commit": await _commit_json(ctx, base, with_files=False),
            "merge_base_commit": await _commit_json(ctx, merge_base, with_files=False),
            "status": status,
            "ahead_by": ahead,
            "behind_by": behind,
            "total_commits": len(shas),
            "commits": commits,
            "files": [shapes.diff_entry(urls, repo, f, ref=head) for f in files],
        }
    )


async def get_branch(ctx: RoutedRequest) -> Response:
    name = ctx.params["branch"]
    sha = await ctx.repo.git.ref(f"refs/heads/{name}")
    if sha is None:
        raise ApiError(404, "Branch not found", docs="https://docs.github.com/rest/branches/branches#get-a-branch")
    api = ctx.sandbox.urls.repo(ctx.repo)
    return reply(
        {
            "name": name,
            "commit": await _commit_json(ctx, sha, with_files=False),
            "_links": {"self": f"{api}/branches/{name}", "html": f"{ctx.sandbox.urls.repo_web(ctx.repo)}/tree/{name}"},
            "protected": False,
            "protection": {"enabled": False, "required_status_checks": {"enforcement_level": "off", "contexts": [], "checks": []}},
            "protection_url": f"{api}/branches/{name}/protection",
        }
    )


# -- pull requests ---------------------------------------------------------------------------


async def create_pull(ctx: RoutedRequest) -> Response:
    body = await ctx.body()
    actor, app = _actor(ctx)
    head, base = body.get("head"), body.get("base")
    docs = f"{DOCS_PULLS}#create-a-pull-request"
    for name, value in (("head", head), ("base", base)):
        if not isinstance(value, str) or not value:
            raise _invalid("PullRequest", name, code="missing_field", docs=docs)
    title = body.get("title")
    if not isinstance(title, str) or not title.strip():
        raise _invalid("PullRequest", "title", code="missing_field", docs=docs)
    item = await ctx.sandbox.create_pull(
        ctx.repo, user=actor, app=app, head=head, base=base, title=title, body=body.get("body"),
        draft=bool(body.get("draft", False)), maintainer_can_modify=bool(body.get("maintainer_can_modify", False)),
    )
    headers = {"Location": f"{ctx.sandbox.urls.repo(ctx.repo)}/pulls/{item.number}"}
    return reply(await ctx.sandbox.pull_json(ctx.repo, item), 201, headers)


def _pull(ctx: RoutedRequest) -> Issue:
    return ctx.sandbox.pull(ctx.repo, ctx.int_param("pull_number"))


async def get_pull(ctx: RoutedRequest) -> Response:
    return reply(await ctx.sandbox.pull_json(ctx.repo, _pull(ctx)))


async def list_pulls(ctx: RoutedRequest) -> Response:
    state = ctx.query("state") or "open"
    if state not in ("open", "closed", "all"):
        raise _invalid("PullRequest", "state", docs=f"{DOCS_PULLS}#list-pull-requests")
    head, base = ctx.query("head"), ctx.query("base")
    items = []
    for item in sorted(ctx.repo.pulls(), key=lambda i: i.number, reverse=ctx.query("direction", "desc") == "desc"):
        pull = item.pull
        assert pull is not None
        if state != "all" and item.state != state:
            continue
        if base and pull.base_ref != base:
            continue
        if head:
            owner, _, branch = head.partition(":")
            if not branch:
                owner, branch = ctx.repo.owner.login, head
            if owner.lower() != ctx.repo.owner.login.lower() or pull.head_ref != branch:
                continue
        items.append(item)
    page, links = ctx.paginate(items)
    return reply([shapes.pull_request(ctx.sandbox.urls, ctx.repo, i) for i in page], headers=links)


async def update_pull(ctx: RoutedRequest) -> Response:
    body = await ctx.body()
    item = _pull(ctx)
    actor, _ = _actor(ctx)
    state = body.get("state")
    if state is not None and state not in ("open", "closed"):
        raise _invalid("PullRequest", "state", docs=f"{DOCS_PULLS}#update-a-pull-request")
    title = body.get("title")
    if title is not None and (not isinstance(title, str) or not title.strip()):
        raise _invalid("PullRequest", "title", docs=f"{DOCS_PULLS}#update-a-pull-request")
    await ctx.sandbox.edit_pull(ctx.repo, item, actor=actor, title=title, body=body.get("body"), base=body.get("base"))
    if state is not None:
        await ctx.sandbox.set_state(ctx.repo, item, state, actor=actor)
    return reply(await ctx.sandbox.pull_json(ctx.repo, item))


async def pull_files(ctx: RoutedRequest) -> Response:
    item = _pull(ctx)
    assert item.pull is not None
    merge_base = await ctx.sandbox.merge_base(ctx.repo, item)
    files = await ctx.repo.git.diff(merge_base, item.pull.head_sha)
    page, links = ctx.paginate(files)
    return reply([shapes.diff_entry(ctx.sandbox.urls, ctx.repo, f, ref=item.pull.head_sha) for f in page], headers=links)


async def pull_commits(ctx: RoutedRequest) -> Response:
    item = _pull(ctx)
    assert item.pull is not None
    merge_base = await ctx.sandbox.merge_base(ctx.repo, item)
    shas = await ctx.repo.git.commits_between(merge_base, item.pull.head_sha)
    page, links = ctx.paginate(shas)
    return reply([await _commit_json(ctx, s, with_files=False) for s in page], headers=links)


async def merge_pull(ctx: RoutedRequest) -> Response:
    body = await ctx.body()
    item = _pull(ctx)
    actor, _ = _actor(ctx)
    sha = await ctx.sandbox.merge_pull(
        ctx.repo, item, actor=actor, method=body.get("merge_method", "merge"), sha=body.get("sha"),
        commit_title=body.get("commit_title"), commit_message=body.get("commit_message"),
    )
    return reply({"sha": sha, "merged": True, "message": MERGED_MESSAGE})


async def check_merged(ctx: RoutedRequest) -> Response:
    item = _pull(ctx)
    if item.pull and item.pull.merged:
        return reply(None, 204)
    raise ApiError(404, NOT_FOUND, docs=f"{DOCS_PULLS}#check-if-a-pull-request-has-been-merged")


async def list_reviews(ctx: RoutedRequest) -> Response:
    item = _pull(ctx)
    reviews = [r for r in ctx.sandbox.world.reviews.values() if r.issue is item and r.state != "PENDING"]
    page, links = ctx.paginate(reviews)
    return reply([shapes.review(ctx.sandbox.urls, r) for r in page], headers=links)


async def create_review(ctx: RoutedRequest) -> Response:
    body = await ctx.body()
    item = _pull(ctx)
    actor, _ = _actor(ctx)
    comments = body.get("comments") or []
    if not isinstance(comments, list) or not all(isinstance(c, dict) for c in comments):
        raise _invalid("PullRequestReview", "comments", docs="https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request")
    review = await ctx.sandbox.submit_review(
        ctx.repo, item, user=actor, event=body.get("event"), body=body.get("body") or "", comments=comments, commit_id=body.get("commit_id"),
    )
    return reply(shapes.review(ctx.sandbox.urls, review))


async def list_review_comments(ctx: RoutedRequest) -> Response:
    item = _pull(ctx)
    comments = [c for c in ctx.sandbox.world.review_comments.values() if c.issue is item]
    page, links = ctx.paginate(comments)
    return reply([shapes.review_comment(ctx.sandbox.urls, c) for c in page], headers=links)


async def get_review_comment(ctx: RoutedRequest) -> Response:
    comment = ctx.sandbox.review_comment(ctx.repo, ctx.int_param("comment_id"))
    return reply(shapes.review_comment(ctx.sandbox.urls, comment))


# -- issues, comments, labels, reactions ---------------------------------------------------


def _issue(ctx: RoutedRequest) -> Issue:
    return ctx.sandbox.issue(ctx.repo, ctx.int_param("issue_number"))


async def get_issue(ctx: RoutedRequest) -> Response:
    item = _issue(ctx)
    count = sum(1 for c in ctx.sandbox.world.comments.values() if c.issue is item)
    return reply(shapes.issue(ctx.sandbox.urls, ctx.repo, item, comments=count))


async def update_issue(ctx: RoutedRequest) -> Response:
    body = await ctx.body()
    item = _issue(ctx)
    actor, _ = _actor(ctx)
    if item.pull is not None:
        await ctx.sandbox.edit_pull(ctx.repo, item, actor=actor, title=body.get("title"), body=body.get("body"))
    else:
        if isinstance(body.get("title"), str):
            item.title = body["title"]
        if "body" in body:
            item.body = body["body"]
    if body.get("state") is not None:
        await ctx.sandbox.set_state(ctx.repo, item, body["state"], actor=actor)
    if isinstance(body.get("labels"), list):
        item.labels = []
        await ctx.sandbox.label_issue(ctx.repo, item, [str(n) for n in body["labels"]], actor=actor)
    return await get_issue(ctx)


async def list_issue_comments(ctx: RoutedRequest) -> Response:
    item = _issue(ctx)
    comments = [c for c in ctx.sandbox.world.comments.values() if c.issue is item]
    page, links = ctx.paginate(comments)
    return reply([shapes.issue_comment(ctx.sandbox.urls, c) for c in page], headers=links)


async def create_issue_comment(ctx: RoutedRequest) -> Response:
    body = await ctx.body()
    item = _issue(ctx)
    actor, app = _actor(ctx)
    text = body.get("body")
    if not isinstance(text, str):
        raise _invalid("IssueComment", "body", code="missing_field", docs="https://docs.github.com/rest/issues/comments#create-an-issue-comment")
    comment = await ctx.sandbox.add_issue_comment(ctx.repo, item, user=actor, body=text, app=app)
    headers = {"Location": f"{ctx.sandbox.urls.repo(ctx.repo)}/issues/comments/{comment.id}"}
    return reply(shapes.issue_comment(ctx.sandbox.urls, comment), 201, headers)


async def get_issue_comment(ctx: RoutedRequest) -> Response:
    return reply(shapes.issue_comment(ctx.sandbox.urls, ctx.sandbox.issue_comment(ctx.repo, ctx.int_param("comment_id"))))


async def update_issue_comment(ctx: RoutedRequest) -> Response:
    body = await ctx.body()
    comment = ctx.sandbox.issue_comment(ctx.repo, ctx.int_param("comment_id"))
    actor, _ = _actor(ctx)
    text = body.get("body")
    if not isinstance(text, str):
        raise _invalid("IssueComment", "body", code="missing_field", docs="https://docs.github.com/rest/issues/comments#update-an-issue-comment")
    await ctx.sandbox.update_issue_comment(comment, body=text, editor=actor)
    return reply(shapes.issue_comment(ctx.sandbox.urls, comment))


async def delete_issue_comment(ctx: RoutedRequest) -> Response:
    comment = ctx.sandbox.issue_comment(ctx.repo, ctx.int_param("comment_id"))
    actor, _ = _actor(ctx)
    await ctx.sandbox.remove_issue_comment(comment, deleter=actor)
    return reply(None, 204)


async def add_labels(ctx: RoutedRequest) -> Response:
    body = await ctx.body()
    item = _issue(ctx)
    actor, _ = _actor(ctx)
    names = body.get("labels")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise _invalid("Label", "labels", code="missing_field", docs="https://docs.github.com/rest/issues/labels#add-labels-to-an-issue")
    labels = await ctx.sandbox.label_issue(ctx.repo, item, names, actor=actor)
    return reply([shapes.label(ctx.sandbox.urls, ctx.repo, lab) for lab in labels])


async def list_labels(ctx: RoutedRequest) -> Response:
    item = _issue(ctx)
    return reply([shapes.label(ctx.sandbox.urls, ctx.repo, lab) for lab in item.labels])


async def _react(ctx: RoutedRequest, target: list[Any]) -> Response:
    body = await ctx.body()
    actor, _ = _actor(ctx)
    content = body.get("content")
    if not isinstance(content, str):
        raise _invalid("Reaction", "content", code="missing_field", docs="https://docs.github.com/rest/reactions/reactions")
    reaction, new = ctx.sandbox.add_reaction(target, user=actor, content=content)
    return reply(shapes.reaction(ctx.sandbox.urls, reaction), 201 if new else 200)


def _list_reactions(ctx: RoutedRequest, target: list[Any]) -> Response:
    content = ctx.query("content")
    items = [r for r in target if content is None or r.content == content]
    page, links = ctx.paginate(items)
    return reply([shapes.reaction(ctx.sandbox.urls, r) for r in page], headers=links)


async def react_issue_comment(ctx: RoutedRequest) -> Response:
    return await _react(ctx, ctx.sandbox.issue_comment(ctx.repo, ctx.int_param("comment_id")).reactions)


async def list_issue_comment_reactions(ctx: RoutedRequest) -> Response:
    return _list_reactions(ctx, ctx.sandbox.issue_comment(ctx.repo, ctx.int_param("comment_id")).reactions)


async def react_issue(ctx: RoutedRequest) -> Response:
    return await _react(ctx, _issue(ctx).reactions)


async def list_issue_reactions(ctx: RoutedRequest) -> Response:
    return _list_reactions(ctx, _issue(ctx).reactions)


async def react_review_comment(ctx: RoutedRequest) -> Response:
    return await _react(ctx, ctx.sandbox.review_comment(ctx.repo, ctx.int_param("comment_id")).reactions)


async def list_review_comment_reactions(ctx: RoutedRequest) -> Response:
    return _list_reactions(ctx, ctx.sandbox.review_comment(ctx.repo, ctx.int_param("comment_id")).reactions)


# -- checks and statuses --------------------------------------------------------------------


def _parse_time(value: Any, field: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise _invalid("CheckRun", field, docs=DOCS_CHECKS) from None


def _validate_check_fields(body: dict[str, Any]) -> None:
    if body.get("status") is not None and body["status"] not in CHECK_STATUSES:
        raise _invalid("CheckRun", "status", docs=DOCS_CHECKS)
    if body.get("conclusion") is not None and body["conclusion"] not in CHECK_CONCLUSIONS:
        raise _invalid("CheckRun", "conclusion", docs=DOCS_CHECKS)
    if body.get("status") == "completed" and body.get("conclusion") is None:
        raise _invalid("CheckRun", "conclusion", code="missing_field", docs=DOCS_CHECKS)
    output = body.get("output")
    if output is not None and (not isinstance(output, dict) or not output.get("title") or not output.get("summary")):
        raise _invalid("CheckRun", "output", code="missing_field", docs=DOCS_CHECKS, message="output needs title and summary")


async def create_check_run(ctx: RoutedRequest) -> Response:
    body = await ctx.body()
    actor, app = _actor(ctx)
    assert app is not None
    name, head_sha = body.get("name"), body.get("head_sha")
    if not isinstance(name, str) or not name:
        raise _invalid("CheckRun", "name", code="missing_field", docs=DOCS_CHECKS)
    if not isinstance(head_sha, str) or await ctx.repo.git.object_type(head_sha) != "commit":
        raise _invalid("CheckRun", "head_sha", docs=DOCS_CHECKS, message=f"No commit found for SHA: {head_sha}")
    _validate_check_fields(body)
    head_sha = await ctx.repo.git.resolve(head_sha) or head_sha
    run = await ctx.sandbox.create_check_run(
        ctx.repo, app=app, name=name, head_sha=head_sha, status=body.get("status") or "queued",
        conclusion=body.get("conclusion"), external_id=body.get("external_id"), details_url=body.get("details_url"),
        output=body.get("output"), started_at=_parse_time(body.get("started_at"), "started_at"),
        completed_at=_parse_time(body.get("completed_at"), "completed_at"), sender=actor,
    )
    return reply(shapes.check_run(ctx.sandbox.urls, run), 201)


def _check_run(ctx: RoutedRequest) -> Any:
    run = ctx.sandbox.world.check_runs.get(ctx.int_param("check_run_id"))
    if run is None or run.suite.repo is not ctx.repo:
        raise ApiError(404, NOT_FOUND, docs=DOCS_CHECKS)
    return run


async def get_check_run(ctx: RoutedRequest) -> Response:
    return reply(shapes.check_run(ctx.sandbox.urls, _check_run(ctx)))


async def update_check_run(ctx: RoutedRequest) -> Response:
    body = await ctx.body()
    run = _check_run(ctx)
    actor, app = _actor(ctx)
    if run.suite.app is not app:
        raise ApiError(403, CHECK_RUN_OTHER_APP.format(app_id=app.id if app else 0), docs=DOCS_CHECKS)
    _validate_check_fields(body)
    await ctx.sandbox.update_check_run(
        run, sender=actor, name=body.get("name"), status=body.get("status"), conclusion=body.get("conclusion"),
        output=body.get("output"), details_url=body.get("details_url"), external_id=body.get("external_id"),
        started_at=_parse_time(body.get("started_at"), "started_at"), completed_at=_parse_time(body.get("completed_at"), "completed_at"),
    )
    return reply(shapes.check_run(ctx.sandbox.urls, run))


async def list_check_runs_for_ref(ctx: RoutedRequest) -> Response:
    sha = await _commit_of(ctx, ctx.params["ref"], missing_status=422)
    name, status = ctx.query("check_name"), ctx.query("status")
    runs = [r for r in ctx.sandbox.world.check_runs.values() if r.suite.repo is ctx.repo and r.head_sha == sha]
    if (ctx.query("filter") or "latest") == "latest":
        latest: dict[tuple[int, str], Any] = {}
        for run in runs:
            latest[(run.suite.app.id, run.name)] = run
        runs = list(latest.values())
    runs = [r for r in runs if (name is None or r.name == name) and (status is None or r.status == status)]
    runs.sort(key=lambda r: r.id, reverse=True)
    page, links = ctx.paginate(runs)
    return reply({"total_count": len(runs), "check_runs": [shapes.check_run(ctx.sandbox.urls, r) for r in page]}, headers=links)


async def list_check_suites_for_ref(ctx: RoutedRequest) -> Response:
    sha = await _commit_of(ctx, ctx.params["ref"], missing_status=422)
    world = ctx.sandbox.world
    suites = [s for s in world.check_suites.values() if s.repo is ctx.repo and s.head_sha == sha]
    head = await ctx.repo.git.read_commit(sha)
    page, links = ctx.paginate(suites)
    out = [shapes.check_suite(ctx.sandbox.urls, s, runs=sum(1 for r in world.check_runs.values() if r.suite is s), head_commit=head) for s in page]
    return reply({"total_count": len(suites), "check_suites": out}, headers=links)


async def create_status(ctx: RoutedRequest) -> Response:
    body = await ctx.body()
    actor, _ = _actor(ctx)
    sha = ctx.params["sha"]
    docs = "https://docs.github.com/rest/commits/statuses#create-a-commit-status"
    if await ctx.repo.git.object_type(sha) != "commit":
        raise ApiError(422, NO_COMMIT_FOR_SHA.format(sha=sha), docs=docs)
    state = body.get("state")
    if not isinstance(state, str):
        raise _invalid("Status", "state", code="missing_field", docs=docs)
    sha = await ctx.repo.git.resolve(sha) or sha
    item = await ctx.sandbox.create_status(
        ctx.repo, sha, creator=actor, state=state, context=body.get("context") or "default",
        target_url=body.get("target_url"), description=body.get("description"),
    )
    return reply(shapes.status(ctx.sandbox.urls, item), 201)


async def combined_status(ctx: RoutedRequest) -> Response:
    sha = await _commit_of(ctx, ctx.params["ref"], missing_status=422)
    statuses = ctx.sandbox.latest_statuses(ctx.repo, sha)
    states = {s.state for s in statuses}
    state = "failure" if states & {"failure", "error"} else "pending" if "pending" in states or not statuses else "success"
    api = ctx.sandbox.urls.repo(ctx.repo)
    return reply(
        {
            "state": state,
            "statuses": [shapes.status(ctx.sandbox.urls, s) | {"url": f"{api}/statuses/{sha}"} for s in statuses],
            "sha": sha,
            "total_count": len(statuses),
            "repository": shapes.repository(ctx.sandbox.urls, ctx.repo),
            "commit_url": f"{api}/commits/{sha}",
            "url": f"{api}/commits/{sha}/status",
        }
    )


async def collaborator_permission(ctx: RoutedRequest) -> Response:
    login = ctx.params["username"]
    account = ctx.sandbox.world.account(login)
    if account is None or account.type == "Organization":
        raise ApiError(404, NOT_FOUND if account is None else f"{login} is not a user", docs="https://docs.github.com/rest/collaborators/collaborators#get-repository-permissions-for-a-user")
    role = ctx.repo.permission_of(account)
    legacy = {"admin": "admin", "maintain": "write", "write": "write", "triage": "read", "read": "read", "none": "none"}[role]
    level = {"admin": 5, "maintain": 4, "write": 3, "triage": 2, "read": 1, "none": 0}[role]
    user = shapes.user(ctx.sandbox.urls, account)
    user["permissions"] = {"admin": level >= 5, "maintain": level >= 4, "push": level >= 3, "triage": level >= 2, "pull": level >= 1}
    user["role_name"] = role
    return reply({"permission": legacy, "role_name": role, "user": user})


R = "/repos/{owner}/{repo}"
ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/app", get_app, (), auth="app", docs="https://docs.github.com/rest/apps/apps#get-the-authenticated-app"),
    Endpoint("GET", "/app/installations", list_app_installations, (), auth="app", docs="https://docs.github.com/rest/apps/apps#list-installations-for-the-authenticated-app"),
    Endpoint("GET", "/app/installations/{installation_id}", get_app_installation, (), auth="app", docs="https://docs.github.com/rest/apps/apps#get-an-installation-for-the-authenticated-app"),
    Endpoint("POST", "/app/installations/{installation_id}/access_tokens", create_access_token, (), auth="app", docs="https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app"),
    Endpoint("GET", f"{R}/installation", get_repo_installation, (), auth="app", docs="https://docs.github.com/rest/apps/apps#get-a-repository-installation-for-the-authenticated-app"),
    Endpoint("GET", "/installation/repositories", list_installation_repos, (), auth="token", docs="https://docs.github.com/rest/apps/installations#list-repositories-accessible-to-the-app-installation"),
    Endpoint("GET", f"{R}", get_repo, METADATA, docs="https://docs.github.com/rest/repos/repos#get-a-repository"),
    Endpoint("GET", f"{R}/contents", get_contents, CONTENTS_R, docs=DOCS_CONTENTS),
    Endpoint("GET", f"{R}/contents/{{path:path}}", get_contents, CONTENTS_R, docs=DOCS_CONTENTS),
    Endpoint("GET", f"{R}/branches/{{branch:path}}", get_branch, CONTENTS_R, docs="https://docs.github.com/rest/branches/branches#get-a-branch"),
    Endpoint("GET", f"{R}/git/ref/{{ref:path}}", get_ref, CONTENTS_R, docs=f"{DOCS_REFS}#get-a-reference"),
    Endpoint("GET", f"{R}/git/matching-refs/{{ref:path}}", matching_refs, CONTENTS_R, docs=f"{DOCS_REFS}#list-matching-references"),
    Endpoint("POST", f"{R}/git/refs", create_ref, CONTENTS_W, docs=f"{DOCS_REFS}#create-a-reference"),
    Endpoint("PATCH", f"{R}/git/refs/{{ref:path}}", update_ref, CONTENTS_W, docs=f"{DOCS_REFS}#update-a-reference"),
    Endpoint("DELETE", f"{R}/git/refs/{{ref:path}}", delete_ref, CONTENTS_W, docs=f"{DOCS_REFS}#delete-a-reference"),
    Endpoint("GET", f"{R}/git/trees/{{tree_sha}}", get_tree, CONTENTS_R, docs="https://docs.github.com/rest/git/trees#get-a-tree"),
    Endpoint("POST", f"{R}/git/trees", create_tree, CONTENTS_W, docs=DOCS_TREES),
    Endpoint("POST", f"{R}/git/blobs", create_blob, CONTENTS_W, docs="https://docs.github.com/rest/git/blobs#create-a-blob"),
    Endpoint("GET", f"{R}/git/blobs/{{file_sha}}", get_blob, CONTENTS_R, docs="https://docs.github.com/rest/git/blobs#get-a-blob"),
    Endpoint("POST", f"{R}/git/commits", create_commit, CONTENTS_W, docs=DOCS_COMMITS),
    Endpoint("GET", f"{R}/git/commits/{{commit_sha}}", get_git_commit, CONTENTS_R, docs="https://docs.github.com/rest/git/commits#get-a-commit-object"),
    Endpoint("GET", f"{R}/commits", list_commits, CONTENTS_R, docs="https://docs.github.com/rest/commits/commits#list-commits"),
    Endpoint("GET", f"{R}/commits/{{ref:path}}/check-runs", list_check_runs_for_ref, CHECKS_R, docs=f"{DOCS_CHECKS}#list-check-runs-for-a-git-reference"),
    Endpoint("GET", f"{R}/commits/{{ref:path}}/check-suites", list_check_suites_for_ref, CHECKS_R, docs="https://docs.github.com/rest/checks/suites#list-check-suites-for-a-git-reference"),
    Endpoint("GET", f"{R}/commits/{{ref:path}}/status", combined_status, STATUSES_R, docs="https://docs.github.com/rest/commits/statuses#get-the-combined-status-for-a-specific-reference"),
    Endpoint("GET", f"{R}/commits/{{ref:path}}", get_commit, CONTENTS_R, docs="https://docs.github.com/rest/commits/commits#get-a-commit"),
    Endpoint("GET", f"{R}/compare/{{basehead:path}}", compare, CONTENTS_R, docs="https://docs.github.com/rest/commits/commits#compare-two-commits"),
    Endpoint("GET", f"{R}/pulls", list_pulls, PULLS_R, docs=f"{DOCS_PULLS}#list-pull-requests"),
    Endpoint("POST", f"{R}/pulls", create_pull, PULLS_W, docs=f"{DOCS_PULLS}#create-a-pull-request"),
    Endpoint("GET", f"{R}/pulls/comments/{{comment_id}}", get_review_comment, PULLS_R, docs="https://docs.github.com/rest/pulls/comments#get-a-review-comment-for-a-pull-request"),
    Endpoint("POST", f"{R}/pulls/comments/{{comment_id}}/reactions", react_review_comment, PULLS_W, docs="https://docs.github.com/rest/reactions/reactions#create-reaction-for-a-pull-request-review-comment"),
    Endpoint("GET", f"{R}/pulls/comments/{{comment_id}}/reactions", list_review_comment_reactions, PULLS_R, docs="https://docs.github.com/rest/reactions/reactions#list-reactions-for-a-pull-request-review-comment"),
    Endpoint("GET", f"{R}/pulls/{{pull_number}}", get_pull, PULLS_R, docs=f"{DOCS_PULLS}#get-a-pull-request"),
    Endpoint("PATCH", f"{R}/pulls/{{pull_number}}", update_pull, PULLS_W, docs=f"{DOCS_PULLS}#update-a-pull-request"),
    Endpoint("GET", f"{R}/pulls/{{pull_number}}/files", pull_files, PULLS_R, docs=f"{DOCS_PULLS}#list-pull-requests-files"),
    Endpoint("GET", f"{R}/pulls/{{pull_number}}/commits", pull_commits, PULLS_R, docs=f"{DOCS_PULLS}#list-commits-on-a-pull-request"),
    Endpoint("PUT", f"{R}/pulls/{{pull_number}}/merge", merge_pull, CONTENTS_W, docs=f"{DOCS_PULLS}#merge-a-pull-request"),
    Endpoint("GET", f"{R}/pulls/{{pull_number}}/merge", check_merged, PULLS_R, docs=f"{DOCS_PULLS}#check-if-a-pull-request-has-been-merged"),
    Endpoint("GET", f"{R}/pulls/{{pull_number}}/reviews", list_reviews, PULLS_R, docs="https://docs.github.com/rest/pulls/reviews#list-reviews-for-a-pull-request"),
    Endpoint("POST", f"{R}/pulls/{{pull_number}}/reviews", create_review, PULLS_W, docs="https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request"),
    Endpoint("GET", f"{R}/pulls/{{pull_number}}/comments", list_review_comments, PULLS_R, docs="https://docs.github.com/rest/pulls/comments#list-review-comments-on-a-pull-request"),
    Endpoint("GET", f"{R}/issues/comments/{{comment_id}}", get_issue_comment, ISSUES_R, docs="https://docs.github.com/rest/issues/comments#get-an-issue-comment"),
    Endpoint("PATCH", f"{R}/issues/comments/{{comment_id}}", update_issue_comment, ISSUES_W, docs="https://docs.github.com/rest/issues/comments#update-an-issue-comment"),
    Endpoint("DELETE", f"{R}/issues/comments/{{comment_id}}", delete_issue_comment, ISSUES_W, docs="https://docs.github.com/rest/issues/comments#delete-an-issue-comment"),
    Endpoint("POST", f"{R}/issues/comments/{{comment_id}}/reactions", react_issue_comment, ISSUES_W, docs="https://docs.github.com/rest/reactions/reactions#create-reaction-for-an-issue-comment"),
    Endpoint("GET", f"{R}/issues/comments/{{comment_id}}/reactions", list_issue_comment_reactions, ISSUES_R, docs="https://docs.github.com/rest/reactions/reactions#list-reactions-for-an-issue-comment"),
    Endpoint("GET", f"{R}/issues/{{issue_number}}", get_issue, ISSUES_R, docs="https://docs.github.com/rest/issues/issues#get-an-issue"),
    Endpoint("PATCH", f"{R}/issues/{{issue_number}}", update_issue, ISSUES_W, docs="https://docs.github.com/rest/issues/issues#update-an-issue"),
    Endpoint("GET", f"{R}/issues/{{issue_number}}/comments", list_issue_comments, ISSUES_R, docs="https://docs.github.com/rest/issues/comments#list-issue-comments"),
    Endpoint("POST", f"{R}/issues/{{issue_number}}/comments", create_issue_comment, ISSUES_W, docs="https://docs.github.com/rest/issues/comments#create-an-issue-comment"),
    Endpoint("GET", f"{R}/issues/{{issue_number}}/labels", list_labels, ISSUES_R, docs="https://docs.github.com/rest/issues/labels#list-labels-for-an-issue"),
    Endpoint("POST", f"{R}/issues/{{issue_number}}/labels", add_labels, ISSUES_W, docs="https://docs.github.com/rest/issues/labels#add-labels-to-an-issue"),
    Endpoint("POST", f"{R}/issues/{{issue_number}}/reactions", react_issue, ISSUES_W, docs="https://docs.github.com/rest/reactions/reactions#create-reaction-for-an-issue"),
    Endpoint("GET", f"{R}/issues/{{issue_number}}/reactions", list_issue_reactions, ISSUES_R, docs="https://docs.github.com/rest/reactions/reactions#list-reactions-for-an-issue"),
    Endpoint("POST", f"{R}/check-runs", create_check_run, CHECKS_W, docs=f"{DOCS_CHECKS}#create-a-check-run"),
    Endpoint("GET", f"{R}/check-runs/{{check_run_id}}", get_check_run, CHECKS_R, docs=f"{DOCS_CHECKS}#get-a-check-run"),
    Endpoint("PATCH", f"{R}/check-runs/{{check_run_id}}", update_check_run, CHECKS_W, docs=f"{DOCS_CHECKS}#update-a-check-run"),
    Endpoint("POST", f"{R}/statuses/{{sha}}", create_status, STATUSES_W, docs="https://docs.github.com/rest/commits/statuses#create-a-commit-status"),
    Endpoint("GET", f"{R}/collaborators/{{username}}/permission", collaborator_permission, METADATA, docs="https://docs.github.com/rest/collaborators/collaborators#get-repository-permissions-for-a-user"),
]
