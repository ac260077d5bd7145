"""The REST endpoints of a repository: itself, its contents, branches, commits, comparisons and permissions."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from bot.sandbox import shapes
from bot.sandbox.git import EMPTY_TREE_SHA, SYMLINK_MODE
from bot.sandbox.model import Account, ApiError
from bot.sandbox.routing import (
    CONTENTS_R,
    METADATA,
    NOT_FOUND,
    REPO_PATH,
    Endpoint,
    RoutedRequest,
    reply,
)

DOCS_CONTENTS = "https://docs.github.com/rest/repos/contents#get-repository-content"


async def get_repo(ctx: RoutedRequest) -> Response:
    return reply(shapes.repository(ctx.sandbox.urls, ctx.repo, full=True))


async def get_contents(ctx: RoutedRequest) -> Response:
    repo, urls = ctx.repo, ctx.sandbox.urls
    ref = ctx.query("ref") or repo.default_branch
    sha = await ctx.commit_of(ref)
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


def _account_for(ctx: RoutedRequest, email: str) -> Account | None:
    for account in ctx.sandbox.world.accounts.values():
        if account.noreply_email == email or account.email == email:
            return account
    return None


async def commit_json(ctx: RoutedRequest, sha: str, *, with_files: bool) -> dict[str, Any]:
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
    sha = await ctx.commit_of(ctx.params["ref"], missing_status=422)
    return reply(await commit_json(ctx, sha, with_files=True))


async def list_commits(ctx: RoutedRequest) -> Response:
    sha = await ctx.commit_of(ctx.query("sha"))
    out = (await ctx.repo.git.git("rev-list", "--max-count=1000", sha)).decode().split()
    page, links = ctx.paginate(out)
    return reply([await commit_json(ctx, s, with_files=False) for s in page], headers=links)


async def compare(ctx: RoutedRequest) -> Response:
    basehead = ctx.params["basehead"]
    if "..." in basehead:
        base_ref, head_ref = basehead.split("...", 1)
    elif ".." in basehead:
        base_ref, head_ref = basehead.split("..", 1)
    else:
        raise ApiError(404, NOT_FOUND, docs="https://docs.github.com/rest/commits/commits#compare-two-commits")
    base, head = await ctx.commit_of(base_ref), await ctx.commit_of(head_ref)
    git, urls, repo = ctx.repo.git, ctx.sandbox.urls, ctx.repo
    merge_base = await git.merge_base(base, head) or base
    ahead, behind = await git.ahead_behind(base, head)
    status = "identical" if base == head else "ahead" if behind == 0 else "behind" if ahead == 0 else "diverged"
    shas = await git.commits_between(merge_base, head)
    commits = [await commit_json(ctx, s, with_files=False) for s in shas]
    files = await git.diff(merge_base, head)
    web = f"{urls.repo_web(repo)}/compare/{base_ref}...{head_ref}"
    return reply(
        {
            "url": f"{urls.repo(repo)}/compare/{base_ref}...{head_ref}",
            "html_url": web,
            "permalink_url": f"{urls.repo_web(repo)}/compare/{repo.owner.login}:{base[:7]}...{repo.owner.login}:{head[:7]}",
            "diff_url": f"{web}.diff",
            "patch_url": f"{web}.patch",
            "base_commit": await commit_json(ctx, base, with_files=False),
            "merge_base_commit": await commit_json(ctx, merge_base, with_files=False),
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
            "commit": await commit_json(ctx, sha, with_files=False),
            "_links": {"self": f"{api}/branches/{name}", "html": f"{ctx.sandbox.urls.repo_web(ctx.repo)}/tree/{name}"},
            "protected": False,
            "protection": {"enabled": False, "required_status_checks": {"enforcement_level": "off", "contexts": [], "checks": []}},
            "protection_url": f"{api}/branches/{name}/protection",
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


ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", f"{REPO_PATH}", get_repo, METADATA, docs="https://docs.github.com/rest/repos/repos#get-a-repository"),
    Endpoint("GET", f"{REPO_PATH}/contents", get_contents, CONTENTS_R, docs=DOCS_CONTENTS),
    Endpoint("GET", f"{REPO_PATH}/contents/{{path:path}}", get_contents, CONTENTS_R, docs=DOCS_CONTENTS),
    Endpoint("GET", f"{REPO_PATH}/branches/{{branch:path}}", get_branch, CONTENTS_R, docs="https://docs.github.com/rest/branches/branches#get-a-branch"),
    Endpoint("GET", f"{REPO_PATH}/commits", list_commits, CONTENTS_R, docs="https://docs.github.com/rest/commits/commits#list-commits"),
    Endpoint("GET", f"{REPO_PATH}/commits/{{ref:path}}", get_commit, CONTENTS_R, docs="https://docs.github.com/rest/commits/commits#get-a-commit"),
    Endpoint("GET", f"{REPO_PATH}/compare/{{basehead:path}}", compare, CONTENTS_R, docs="https://docs.github.com/rest/commits/commits#compare-two-commits"),
    Endpoint("GET", f"{REPO_PATH}/collaborators/{{username}}/permission", collaborator_permission, METADATA, docs="https://docs.github.com/rest/collaborators/collaborators#get-repository-permissions-for-a-user"),
]
