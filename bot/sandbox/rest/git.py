"""The REST endpoints of the git database: references, trees, blobs and commit objects."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from starlette.responses import Response

from bot.sandbox import shapes
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
from bot.sandbox.model import PERMISSION_LEVELS, ApiError, Repo, utcnow, validation_failed
from bot.sandbox.routing import (
    CONTENTS_R,
    CONTENTS_W,
    NOT_FOUND,
    REPO_PATH,
    Endpoint,
    RoutedRequest,
    reply,
)

DOCS_REFS = "https://docs.github.com/rest/git/refs"

DOCS_TREES = "https://docs.github.com/rest/git/trees#create-a-tree"

DOCS_COMMITS = "https://docs.github.com/rest/git/commits#create-a-commit"

REF_EXISTS = "Reference already exists"

REF_MISSING = "Reference does not exist"

REF_MALFORMED = "Reference name is not well formed"

REF_NEEDS_TWO_SLASHES = "ref must start with 'refs/' and have at least two slashes."

OBJECT_MISSING = "Object does not exist"

BAD_OBJECT_STATE = "GitRPC::BadObjectState"

# GitHub refuses to let an App's token add, change or remove a workflow file unless the
# installation has the `workflows` permission (write). Over git push it is a "remote rejected"
# reason; over the REST API the ref update that would publish the commit is refused, while the
# blobs, trees and commits before it are accepted (they are unreachable until a ref points at them).
WORKFLOWS_DIR = ".github/workflows/"
WORKFLOW_REFUSED = "refusing to allow a GitHub App to create or update workflow `{path}` without `workflows` permission"

VALID_TREE_MODES = (FILE_MODE, EXECUTABLE_MODE, TREE_MODE, SUBMODULE_MODE, SYMLINK_MODE)


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
        raise validation_failed("Reference", "ref" if not isinstance(name, str) else "sha", code="missing_field", docs=docs)
    if not name.startswith("refs/") or name.count("/") < 2:
        raise ApiError(422, REF_NEEDS_TWO_SLASHES, docs=docs)
    if ".." in name or name.endswith("/") or name.endswith(".lock") or any(c in name for c in " ~^:?*[\\"):
        raise ApiError(422, REF_MALFORMED, docs=docs)
    if await ctx.repo.git.object_type(sha) is None:
        raise ApiError(422, OBJECT_MISSING, docs=docs)
    if await ctx.repo.git.ref(name) is not None:
        raise ApiError(422, REF_EXISTS, docs=docs)
    await _refuse_workflows_without_permission(ctx, name, None, sha, docs=docs)
    actor, app = ctx.actor()
    if name.startswith("refs/heads/"):
        await ctx.sandbox.update_branch(ctx.repo, name.removeprefix("refs/heads/"), sha, pusher=actor, app=app)
    else:
        await ctx.repo.git.set_ref(name, sha)
    return reply(_ref_json(ctx, name, sha, await ctx.repo.git.object_type(sha) or "commit"), 201)


async def _workflow_paths_published(repo: Repo, ref: str, before: str | None, after: str) -> list[str]:
    """The workflow files that moving `ref` from `before` (None: a new ref) to `after` changes.

    A new ref publishes the commits no other branch has (each against its parent); an update
    changes what the ref's tree holds, forced or not.
    """
    if before is not None:
        changed = [d.filename for d in await repo.git.diff(before, after)]
    else:
        others = [sha for name, sha in (await repo.git.refs("refs/heads/")).items() if name != ref]
        listed = await repo.git.git("rev-list", after, *[f"^{o}" for o in others])
        changed = []
        for sha in listed.decode().split():
            commit = await repo.git.read_commit(sha)
            parent = commit.parents[0] if commit.parents else EMPTY_TREE_SHA
            changed += [d.filename for d in await repo.git.diff(parent, sha)]
    return sorted({path for path in changed if path.startswith(WORKFLOWS_DIR)})


async def _refuse_workflows_without_permission(ctx: RoutedRequest, ref: str, before: str | None, after: str, *, docs: str) -> None:
    token = ctx.caller.token
    if ctx.caller.kind != "installation" or token is None or not ref.startswith("refs/heads/"):
        return
    if PERMISSION_LEVELS.get(token.permissions.get("workflows", "none"), 0) >= PERMISSION_LEVELS["write"]:
        return
    paths = await _workflow_paths_published(ctx.repo, ref, before, after)
    if paths:
        raise ApiError(403, WORKFLOW_REFUSED.format(path=paths[0]), docs=docs)


async def update_ref(ctx: RoutedRequest) -> Response:
    body = await ctx.body()
    name = "refs/" + ctx.params["ref"].removeprefix("refs/")
    sha, force = body.get("sha"), bool(body.get("force", False))
    docs = f"{DOCS_REFS}#update-a-reference"
    if not isinstance(sha, str):
        raise validation_failed("Reference", "sha", code="missing_field", docs=docs)
    before = await ctx.repo.git.ref(name)
    if before is None:
        raise ApiError(422, REF_MISSING, docs=docs)
    if await ctx.repo.git.object_type(sha) is None:
        raise ApiError(422, OBJECT_MISSING, docs=docs)
    await _refuse_workflows_without_permission(ctx, name, before, sha, docs=docs)
    actor, app = ctx.actor()
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
    actor, _ = ctx.actor()
    await ctx.repo.git.delete_ref(name)
    await ctx.sandbox.after_push(ctx.repo, name, before, "0" * 40, pusher=actor)
    return reply(None, 204)


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
        raise validation_failed("Tree", "tree", code="missing_field", docs=DOCS_TREES)
    if base_tree is not None:
        if not isinstance(base_tree, str):
            raise validation_failed("Tree", "base_tree", docs=DOCS_TREES)
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
        raise validation_failed("Blob", "content", code="missing_field", docs=docs)
    if encoding not in ("utf-8", "utf8", "base64"):
        raise validation_failed("Blob", "encoding", docs=docs, message=f"encoding must be utf-8 or base64, not {encoding}")
    try:
        data = base64.b64decode(content, validate=False) if encoding == "base64" else content.encode()
    except ValueError:
        raise validation_failed("Blob", "content", docs=docs) from None
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
        raise validation_failed("Commit", field, docs=DOCS_COMMITS)
    epoch = fallback.epoch
    if body.get("date"):
        try:
            epoch = int(dt.datetime.fromisoformat(body["date"].replace("Z", "+00:00")).timestamp())
        except ValueError:
            raise validation_failed("Commit", f"{field}.date", docs=DOCS_COMMITS) from None
    return Identity(body["name"], body["email"], epoch)


async def create_commit(ctx: RoutedRequest) -> Response:
    body = await ctx.body()
    git = ctx.repo.git
    message, tree, parents = body.get("message"), body.get("tree"), body.get("parents", [])
    if not isinstance(message, str):
        raise validation_failed("Commit", "message", code="missing_field", docs=DOCS_COMMITS)
    if not isinstance(tree, str) or await git.object_type(tree) != "tree":
        raise ApiError(422, "Tree SHA does not exist", docs=DOCS_COMMITS)
    if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
        raise validation_failed("Commit", "parents", docs=DOCS_COMMITS)
    for parent in parents:
        if await git.object_type(parent) != "commit":
            raise ApiError(422, "Parent SHA does not exist or is not a commit object", docs=DOCS_COMMITS)
    actor, _ = ctx.actor()
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


ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", f"{REPO_PATH}/git/ref/{{ref:path}}", get_ref, CONTENTS_R, docs=f"{DOCS_REFS}#get-a-reference"),
    Endpoint("GET", f"{REPO_PATH}/git/matching-refs/{{ref:path}}", matching_refs, CONTENTS_R, docs=f"{DOCS_REFS}#list-matching-references"),
    Endpoint("POST", f"{REPO_PATH}/git/refs", create_ref, CONTENTS_W, docs=f"{DOCS_REFS}#create-a-reference"),
    Endpoint("PATCH", f"{REPO_PATH}/git/refs/{{ref:path}}", update_ref, CONTENTS_W, docs=f"{DOCS_REFS}#update-a-reference"),
    Endpoint("DELETE", f"{REPO_PATH}/git/refs/{{ref:path}}", delete_ref, CONTENTS_W, docs=f"{DOCS_REFS}#delete-a-reference"),
    Endpoint("GET", f"{REPO_PATH}/git/trees/{{tree_sha}}", get_tree, CONTENTS_R, docs="https://docs.github.com/rest/git/trees#get-a-tree"),
    Endpoint("POST", f"{REPO_PATH}/git/trees", create_tree, CONTENTS_W, docs=DOCS_TREES),
    Endpoint("POST", f"{REPO_PATH}/git/blobs", create_blob, CONTENTS_W, docs="https://docs.github.com/rest/git/blobs#create-a-blob"),
    Endpoint("GET", f"{REPO_PATH}/git/blobs/{{file_sha}}", get_blob, CONTENTS_R, docs="https://docs.github.com/rest/git/blobs#get-a-blob"),
    Endpoint("POST", f"{REPO_PATH}/git/commits", create_commit, CONTENTS_W, docs=DOCS_COMMITS),
    Endpoint("GET", f"{REPO_PATH}/git/commits/{{commit_sha}}", get_git_commit, CONTENTS_R, docs="https://docs.github.com/rest/git/commits#get-a-commit-object"),
]
