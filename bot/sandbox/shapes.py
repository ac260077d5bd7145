"""JSON bodies in api.github.com's shapes (REST responses and webhook payload parts)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from bot.sandbox.git import CommitObject, FileDiff, Identity
from bot.sandbox.model import (
    Account,
    App,
    CheckRun,
    CheckSuite,
    CommitStatus,
    Installation,
    Issue,
    IssueComment,
    Label,
    Reaction,
    Repo,
    Review,
    ReviewComment,
    iso,
    node_id,
)

JSON = dict[str, Any]


@dataclass(frozen=True)
class Urls:
    """Where the sandbox is served: `api` for REST links, `web` for html links."""

    api: str = "http://127.0.0.1"
    web: str = "http://127.0.0.1"

    def repo(self, repo: Repo) -> str:
        return f"{self.api}/repos/{repo.full_name}"

    def repo_web(self, repo: Repo) -> str:
        return f"{self.web}/{repo.full_name}"


def user(urls: Urls, account: Account) -> JSON:
    # GitHub escapes bot logins in URLs (/users/dependabot%5Bbot%5D); a raw "[" is no URI.
    api = f"{urls.api}/users/{quote(account.login, safe='')}"
    return {
        "login": account.login,
        "id": account.id,
        "node_id": account.node_id,
        "avatar_url": f"{urls.web}/avatars/u/{account.id}?v=4",
        "gravatar_id": "",
        "url": api,
        "html_url": f"{urls.web}/{account.login}" if account.type != "Bot" else f"{urls.web}/apps/{account.login.removesuffix('[bot]')}",
        "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs",
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events",
        "type": account.type,
        "user_view_type": "public",
        "site_admin": account.site_admin,
    }


def repository(urls: Urls, repo: Repo, *, full: bool = False) -> JSON:
    """A `repository` (full=False) or `full-repository` (full=True) object."""
    api = urls.repo(repo)
    open_issues = sum(1 for issue in repo.issues.values() if issue.state == "open")
    body: JSON = {
        "id": repo.id,
        "node_id": repo.node_id,
        "name": repo.name,
        "full_name": repo.full_name,
        "private": repo.private,
        "owner": user(urls, repo.owner),
        "html_url": urls.repo_web(repo),
        "description": repo.description,
        "fork": False,
        "url": api,
        "archive_url": f"{api}/{{archive_format}}{{/ref}}",
        "assignees_url": f"{api}/assignees{{/user}}",
        "blobs_url": f"{api}/git/blobs{{/sha}}",
        "branches_url": f"{api}/branches{{/branch}}",
        "collaborators_url": f"{api}/collaborators{{/collaborator}}",
        "comments_url": f"{api}/comments{{/number}}",
        "commits_url": f"{api}/commits{{/sha}}",
        "compare_url": f"{api}/compare/{{base}}...{{head}}",
        "contents_url": f"{api}/contents/{{+path}}",
        "contributors_url": f"{api}/contributors",
        "deployments_url": f"{api}/deployments",
        "downloads_url": f"{api}/downloads",
        "events_url": f"{api}/events",
        "forks_url": f"{api}/forks",
        "git_commits_url": f"{api}/git/commits{{/sha}}",
        "git_refs_url": f"{api}/git/refs{{/sha}}",
        "git_tags_url": f"{api}/git/tags{{/sha}}",
        "git_url": f"git:{urls.web.split(':', 1)[1]}/{repo.full_name}.git",
        "issue_comment_url": f"{api}/issues/comments{{/number}}",
        "issue_events_url": f"{api}/issues/events{{/number}}",
        "issues_url": f"{api}/issues{{/number}}",
        "keys_url": f"{api}/keys{{/key_id}}",
        "labels_url": f"{api}/labels{{/name}}",
        "languages_url": f"{api}/languages",
        "merges_url": f"{api}/merges",
        "milestones_url": f"{api}/milestones{{/number}}",
        "notifications_url": f"{api}/notifications{{?since,all,participating}}",
        "pulls_url": f"{api}/pulls{{/number}}",
        "releases_url": f"{api}/releases{{/id}}",
        "ssh_url": f"git@sandbox:{repo.full_name}.git",
        "stargazers_url": f"{api}/stargazers",
        "statuses_url": f"{api}/statuses/{{sha}}",
        "subscribers_url": f"{api}/subscribers",
        "subscription_url": f"{api}/subscription",
        "tags_url": f"{api}/tags",
        "teams_url": f"{api}/teams",
        "trees_url": f"{api}/git/trees{{/sha}}",
        "clone_url": f"{urls.repo_web(repo)}.git",
        "mirror_url": None,
        "hooks_url": f"{api}/hooks",
        "svn_url": urls.repo_web(repo),
        "homepage": None,
        "language": "Python",
        "forks_count": 0,
        "stargazers_count": 0,
        "watchers_count": 0,
        "size": 0,
        "default_branch": repo.default_branch,
        "open_issues_count": open_issues,
        "is_template": False,
        "topics": [],
        "has_issues": True,
        "has_projects": False,
        "has_wiki": False,
        "has_pages": False,
        "has_downloads": True,
        "has_discussions": False,
        "archived": False,
        "disabled": False,
        "visibility": "private" if repo.private else "public",
        "pushed_at": iso(repo.pushed_at),
        "created_at": iso(repo.created_at),
        "updated_at": iso(repo.updated_at),
        "allow_forking": True,
        "web_commit_signoff_required": False,
        "license": None,
        "forks": 0,
        "open_issues": open_issues,
        "watchers": 0,
    }
    if full:
        body.update(
            subscribers_count=0,
            network_count=0,
            allow_auto_merge=repo.allow_auto_merge,
            allow_merge_commit=True,
            allow_squash_merge=True,
            allow_rebase_merge=True,
            allow_update_branch=False,
            delete_branch_on_merge=False,
            use_squash_pr_title_as_default=False,
            squash_merge_commit_title="COMMIT_OR_PR_TITLE",
            squash_merge_commit_message="COMMIT_MESSAGES",
            merge_commit_title="MERGE_MESSAGE",
            merge_commit_message="PR_TITLE",
        )
    return body


def app(urls: Urls, the_app: App) -> JSON:
    return {
        "id": the_app.id,
        "slug": the_app.slug,
        "client_id": the_app.client_id,
        "node_id": the_app.node_id,
        "owner": user(urls, the_app.owner),
        "name": the_app.name,
        "description": the_app.description,
        "external_url": f"{urls.web}/apps/{the_app.slug}",
        "html_url": f"{urls.web}/apps/{the_app.slug}",
        "created_at": iso(the_app.created_at),
        "updated_at": iso(the_app.created_at),
        "permissions": dict(the_app.permissions),
        "events": list(the_app.events),
        "installations_count": 0,
    }


def installation(urls: Urls, inst: Installation) -> JSON:
    account = user(urls, inst.account)
    # GitHub's description of GET /app/installations types the account as simple-user *and*
    # enterprise (allOf); these enterprise fields keep a validating proxy satisfied.
    account.update(
        name=inst.account.name or inst.account.login,
        slug=inst.account.login.lower(),
        created_at=iso(inst.account.created_at),
        updated_at=iso(inst.account.created_at),
    )
    return {
        "id": inst.id,
        "account": account,
        "repository_selection": inst.repository_selection,
        "access_tokens_url": f"{urls.api}/app/installations/{inst.id}/access_tokens",
        "repositories_url": f"{urls.api}/installation/repositories",
        "html_url": f"{urls.web}/settings/installations/{inst.id}",
        "app_id": inst.app.id,
        "client_id": inst.app.client_id,
        "app_slug": inst.app.slug,
        "target_id": inst.account.id,
        "target_type": inst.account.type,
        "permissions": dict(inst.permissions),
        "events": list(inst.events),
        "created_at": iso(inst.created_at),
        "updated_at": iso(inst.updated_at),
        "single_file_name": None,
        "has_multiple_single_files": False,
        "single_file_paths": [],
        "suspended_by": None,
        "suspended_at": None,
    }


def label(urls: Urls, repo: Repo, lab: Label) -> JSON:
    return {
        "id": lab.id,
        "node_id": lab.node_id,
        "url": f"{urls.repo(repo)}/labels/{lab.name}",
        "name": lab.name,
        "description": lab.description,
        "color": lab.color,
        "default": lab.default,
        "archived_at": None,
        "archived_by": None,
    }


def reaction(urls: Urls, react: Reaction) -> JSON:
    return {
        "id": react.id,
        "node_id": react.node_id,
        "user": user(urls, react.user),
        "content": react.content,
        "created_at": iso(react.created_at),
    }


def reaction_rollup(url: str, reactions: list[Reaction]) -> JSON:
    counts = {key: 0 for key in ("+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes")}
    for react in reactions:
        counts[react.content] += 1
    return {"url": url, "total_count": len(reactions), **counts}


def _author_association(repo: Repo, account: Account) -> str:
    if account is repo.owner:
        return "OWNER"
    if account.login.lower() in repo.collaborators:
        return "COLLABORATOR"
    return "NONE"


def issue(urls: Urls, repo: Repo, item: Issue, *, comments: int = 0) -> JSON:
    api = f"{urls.repo(repo)}/issues/{item.number}"
    body: JSON = {
        "id": item.id,
        "node_id": item.node_id,
        "url": api,
        "repository_url": urls.repo(repo),
        "labels_url": f"{api}/labels{{/name}}",
        "comments_url": f"{api}/comments",
        "events_url": f"{api}/events",
        "html_url": f"{urls.repo_web(repo)}/{'pull' if item.pull else 'issues'}/{item.number}",
        "number": item.number,
        "state": item.state,
        "state_reason": ("completed" if item.state == "closed" else None) if item.pull is None else None,
        "title": item.title,
        "body": item.body,
        "user": user(urls, item.user),
        "labels": [label(urls, repo, lab) for lab in item.labels],
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "locked": item.locked,
        "active_lock_reason": None,
        "comments": comments,
        "closed_at": iso(item.closed_at),
        "created_at": iso(item.created_at),
        "updated_at": iso(item.updated_at),
        "closed_by": user(urls, item.closed_by) if item.closed_by else None,
        "author_association": _author_association(repo, item.user),
        "reactions": reaction_rollup(f"{api}/reactions", item.reactions),
        "timeline_url": f"{api}/timeline",
        "performed_via_github_app": app(urls, item.app) if item.app else None,
    }
    if item.pull is not None:
        pull_api = f"{urls.repo(repo)}/pulls/{item.number}"
        web = f"{urls.repo_web(repo)}/pull/{item.number}"
        body["draft"] = item.pull.draft
        body["pull_request"] = {
            "url": pull_api,
            "html_url": web,
            "diff_url": f"{web}.diff",
            "patch_url": f"{web}.patch",
            "merged_at": iso(item.pull.merged_at),
        }
    return body


def issue_comment(urls: Urls, comment: IssueComment) -> JSON:
    repo = comment.repo
    api = f"{urls.repo(repo)}/issues/comments/{comment.id}"
    kind = "pull" if comment.issue.pull else "issues"
    return {
        "id": comment.id,
        "node_id": comment.node_id,
        "url": api,
        "html_url": f"{urls.repo_web(repo)}/{kind}/{comment.issue.number}#issuecomment-{comment.id}",
        "body": comment.body,
        "user": user(urls, comment.user),
        "created_at": iso(comment.created_at),
        "updated_at": iso(comment.updated_at),
        "issue_url": f"{urls.repo(repo)}/issues/{comment.issue.number}",
        "author_association": _author_association(repo, comment.user),
        "performed_via_github_app": app(urls, comment.app) if comment.app else None,
        "reactions": reaction_rollup(f"{api}/reactions", comment.reactions),
    }


def identity(who: Identity) -> JSON:
    from datetime import UTC, datetime

    return {"name": who.name, "email": who.email, "date": datetime.fromtimestamp(who.epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}


VERIFICATION_UNSIGNED = {"verified": False, "reason": "unsigned", "signature": None, "payload": None, "verified_at": None}


def git_commit(urls: Urls, repo: Repo, commit: CommitObject) -> JSON:
    api = f"{urls.repo(repo)}/git/commits/{commit.sha}"
    return {
        "sha": commit.sha,
        "node_id": node_id("C", int(commit.sha[:12], 16)),
        "url": api,
        "html_url": f"{urls.repo_web(repo)}/commit/{commit.sha}",
        "author": identity(commit.author),
        "committer": identity(commit.committer),
        "message": commit.message,
        "tree": {"sha": commit.tree, "url": f"{urls.repo(repo)}/git/trees/{commit.tree}"},
        "parents": [
            {"sha": p, "url": f"{urls.repo(repo)}/git/commits/{p}", "html_url": f"{urls.repo_web(repo)}/commit/{p}"}
            for p in commit.parents
        ],
        "verification": dict(VERIFICATION_UNSIGNED),
    }


def commit(
    urls: Urls,
    repo: Repo,
    obj: CommitObject,
    *,
    author: Account | None = None,
    committer: Account | None = None,
    files: list[FileDiff] | None = None,
) -> JSON:
    """A `commit` object (GET /repos/{o}/{r}/commits/{ref}); files and stats only when given."""
    api = f"{urls.repo(repo)}/commits/{obj.sha}"
    body: JSON = {
        "url": api,
        "sha": obj.sha,
        "node_id": node_id("C", int(obj.sha[:12], 16)),
        "html_url": f"{urls.repo_web(repo)}/commit/{obj.sha}",
        "comments_url": f"{api}/comments",
        "commit": {
            "url": f"{urls.repo(repo)}/git/commits/{obj.sha}",
            "author": identity(obj.author),
            "committer": identity(obj.committer),
            "message": obj.message,
            "comment_count": 0,
            "tree": {"sha": obj.tree, "url": f"{urls.repo(repo)}/git/trees/{obj.tree}"},
            "verification": dict(VERIFICATION_UNSIGNED),
        },
        "author": user(urls, author) if author else None,
        "committer": user(urls, committer) if committer else None,
        "parents": [
            {"sha": p, "url": f"{urls.repo(repo)}/commits/{p}", "html_url": f"{urls.repo_web(repo)}/commit/{p}"}
            for p in obj.parents
        ],
    }
    if files is not None:
        additions = sum(f.additions for f in files)
        deletions = sum(f.deletions for f in files)
        body["stats"] = {"total": additions + deletions, "additions": additions, "deletions": deletions}
        body["files"] = [diff_entry(urls, repo, f, ref=obj.sha) for f in files]
    return body


def diff_entry(urls: Urls, repo: Repo, file: FileDiff, *, ref: str) -> JSON:
    sha = file.sha or file.old_sha or "0" * 40
    body: JSON = {
        "sha": sha,
        "filename": file.filename,
        "status": file.status,
        "additions": file.additions,
        "deletions": file.deletions,
        "changes": file.changes,
        "blob_url": f"{urls.repo_web(repo)}/blob/{ref}/{file.filename}",
        "raw_url": f"{urls.repo_web(repo)}/raw/{ref}/{file.filename}",
        "contents_url": f"{urls.repo(repo)}/contents/{file.filename}?ref={ref}",
    }
    if file.patch is not None:
        body["patch"] = file.patch
    if file.previous_filename:
        body["previous_filename"] = file.previous_filename
    return body


def pull_links(urls: Urls, repo: Repo, number: int) -> JSON:
    api = f"{urls.repo(repo)}/pulls/{number}"
    return {
        "self": {"href": api},
        "html": {"href": f"{urls.repo_web(repo)}/pull/{number}"},
        "issue": {"href": f"{urls.repo(repo)}/issues/{number}"},
        "comments": {"href": f"{urls.repo(repo)}/issues/{number}/comments"},
        "review_comments": {"href": f"{api}/comments"},
        "review_comment": {"href": f"{urls.repo(repo)}/pulls/comments{{/number}}"},
        "commits": {"href": f"{api}/commits"},
        "statuses": {"href": f"{urls.repo(repo)}/statuses/{repo.issues[number].pull.head_sha}"},  # type: ignore[union-attr]
    }


def _branch(urls: Urls, repo: Repo, ref: str, sha: str) -> JSON:
    return {
        "label": f"{repo.owner.login}:{ref}",
        "ref": ref,
        "sha": sha,
        "user": user(urls, repo.owner),
        "repo": repository(urls, repo),
    }


@dataclass
class PullFacts:
    """What a full pull request shows beyond its stored state, computed from git and the threads."""

    mergeable: bool | None
    mergeable_state: str
    comments: int
    review_comments: int
    commits: int
    additions: int
    deletions: int
    changed_files: int
    rebaseable: bool | None = None


def pull_request(urls: Urls, repo: Repo, item: Issue, facts: PullFacts | None = None) -> JSON:
    """`pull-request` when facts are given, else `pull-request-simple`."""
    pull = item.pull
    assert pull is not None
    api = f"{urls.repo(repo)}/pulls/{item.number}"
    web = f"{urls.repo_web(repo)}/pull/{item.number}"
    auto_merge = None
    if pull.auto_merge:
        auto_merge = {
            "enabled_by": user(urls, pull.auto_merge["enabled_by"]),
            "merge_method": pull.auto_merge["merge_method"],
            "commit_title": pull.auto_merge.get("commit_title") or "",
            "commit_message": pull.auto_merge.get("commit_message") or "",
        }
    body: JSON = {
        "url": api,
        "id": pull.id,
        "node_id": pull.node_id,
        "html_url": web,
        "diff_url": f"{web}.diff",
        "patch_url": f"{web}.patch",
        "issue_url": f"{urls.repo(repo)}/issues/{item.number}",
        "commits_url": f"{api}/commits",
        "review_comments_url": f"{api}/comments",
        "review_comment_url": f"{urls.repo(repo)}/pulls/comments{{/number}}",
        "comments_url": f"{urls.repo(repo)}/issues/{item.number}/comments",
        "statuses_url": f"{urls.repo(repo)}/statuses/{pull.head_sha}",
        "number": item.number,
        "state": item.state,
        "locked": item.locked,
        "title": item.title,
        "user": user(urls, item.user),
        "body": item.body,
        "labels": [label(urls, repo, lab) for lab in item.labels],
        "milestone": None,
        "active_lock_reason": None,
        "created_at": iso(item.created_at),
        "updated_at": iso(item.updated_at),
        "closed_at": iso(item.closed_at),
        "merged_at": iso(pull.merged_at),
        "merge_commit_sha": pull.merge_commit_sha,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "head": _branch(urls, repo, pull.head_ref, pull.head_sha),
        "base": _branch(urls, repo, pull.base_ref, pull.base_sha),
        "_links": pull_links(urls, repo, item.number),
        "author_association": _author_association(repo, item.user),
        "auto_merge": auto_merge,
        "draft": pull.draft,
    }
    if facts is not None:
        body.update(
            merged=pull.merged,
            mergeable=facts.mergeable,
            rebaseable=facts.rebaseable,
            mergeable_state=facts.mergeable_state,
            merged_by=user(urls, pull.merged_by) if pull.merged_by else None,
            comments=facts.comments,
            review_comments=facts.review_comments,
            maintainer_can_modify=pull.maintainer_can_modify,
            commits=facts.commits,
            additions=facts.additions,
            deletions=facts.deletions,
            changed_files=facts.changed_files,
        )
    return body


def review(urls: Urls, rev: Review) -> JSON:
    repo = rev.repo
    web = f"{urls.repo_web(repo)}/pull/{rev.issue.number}"
    body: JSON = {
        "id": rev.id,
        "node_id": rev.node_id,
        "user": user(urls, rev.user),
        "body": rev.body,
        "state": rev.state,
        "html_url": f"{web}#pullrequestreview-{rev.id}",
        "pull_request_url": f"{urls.repo(repo)}/pulls/{rev.issue.number}",
        "_links": {"html": {"href": f"{web}#pullrequestreview-{rev.id}"}, "pull_request": {"href": f"{urls.repo(repo)}/pulls/{rev.issue.number}"}},
        "commit_id": rev.commit_id,
        "author_association": _author_association(repo, rev.user),
    }
    if rev.submitted_at is not None:
        body["submitted_at"] = iso(rev.submitted_at)
    return body


def review_comment(urls: Urls, comment: ReviewComment) -> JSON:
    repo = comment.repo
    extra: JSON = {"in_reply_to_id": comment.in_reply_to_id} if comment.in_reply_to_id else {}
    api = f"{urls.repo(repo)}/pulls/comments/{comment.id}"
    web = f"{urls.repo_web(repo)}/pull/{comment.issue.number}"
    return {
        "url": api,
        "pull_request_review_id": comment.review.id if comment.review else None,
        "id": comment.id,
        "node_id": comment.node_id,
        "diff_hunk": comment.diff_hunk,
        "path": comment.path,
        "position": comment.line,
        "original_position": comment.line,
        "commit_id": comment.commit_id,
        "original_commit_id": comment.commit_id,
        "user": user(urls, comment.user),
        "body": comment.body,
        "created_at": iso(comment.created_at),
        "updated_at": iso(comment.updated_at),
        "html_url": f"{web}#discussion_r{comment.id}",
        "pull_request_url": f"{urls.repo(repo)}/pulls/{comment.issue.number}",
        "author_association": _author_association(repo, comment.user),
        "_links": {
            "self": {"href": api},
            "html": {"href": f"{web}#discussion_r{comment.id}"},
            "pull_request": {"href": f"{urls.repo(repo)}/pulls/{comment.issue.number}"},
        },
        "start_line": comment.start_line,
        "original_start_line": comment.start_line,
        "start_side": comment.side if comment.start_line else None,
        "line": comment.line,
        "original_line": comment.line,
        "side": comment.side,
        "subject_type": "line",
        "reactions": reaction_rollup(f"{api}/reactions", comment.reactions),
        **extra,
    }


def _pull_refs(urls: Urls, repo: Repo, pulls: list[Issue]) -> list[JSON]:
    refs = []
    for item in pulls:
        assert item.pull is not None
        refs.append(
            {
                "url": f"{urls.repo(repo)}/pulls/{item.number}",
                "id": item.pull.id,
                "number": item.number,
                "head": {"ref": item.pull.head_ref, "sha": item.pull.head_sha, "repo": {"id": repo.id, "url": urls.repo(repo), "name": repo.name}},
                "base": {"ref": item.pull.base_ref, "sha": item.pull.base_sha, "repo": {"id": repo.id, "url": urls.repo(repo), "name": repo.name}},
            }
        )
    return refs


def open_pulls_at(repo: Repo, sha: str) -> list[Issue]:
    return [i for i in repo.pulls() if i.state == "open" and i.pull is not None and i.pull.head_sha == sha]


def check_suite(urls: Urls, suite: CheckSuite, *, runs: int, head_commit: CommitObject | None) -> JSON:
    repo = suite.repo
    return {
        "id": suite.id,
        "node_id": suite.node_id,
        "head_branch": suite.head_branch,
        "head_sha": suite.head_sha,
        "status": suite.status,
        "conclusion": suite.conclusion,
        "url": f"{urls.repo(repo)}/check-suites/{suite.id}",
        "before": suite.before,
        "after": suite.after,
        "pull_requests": _pull_refs(urls, repo, open_pulls_at(repo, suite.head_sha)),
        "app": app(urls, suite.app),
        "repository": repository(urls, repo),
        "created_at": iso(suite.created_at),
        "updated_at": iso(suite.updated_at),
        "head_commit": simple_commit(head_commit) if head_commit else None,
        "latest_check_runs_count": runs,
        "check_runs_url": f"{urls.repo(repo)}/check-suites/{suite.id}/check-runs",
        "rerequestable": True,
        "runs_rerequestable": True,
    }


def simple_commit(obj: CommitObject) -> JSON:
    from datetime import UTC, datetime

    return {
        "id": obj.sha,
        "tree_id": obj.tree,
        "message": obj.message,
        "timestamp": datetime.fromtimestamp(obj.committer.epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "author": {"name": obj.author.name, "email": obj.author.email},
        "committer": {"name": obj.committer.name, "email": obj.committer.email},
    }


def check_run(urls: Urls, run: CheckRun) -> JSON:
    repo = run.suite.repo
    api = f"{urls.repo(repo)}/check-runs/{run.id}"
    output = run.output or {}
    return {
        "id": run.id,
        "head_sha": run.head_sha,
        "node_id": run.node_id,
        "external_id": run.external_id or "",
        "url": api,
        "html_url": f"{urls.repo_web(repo)}/runs/{run.id}",
        "details_url": run.details_url or f"{urls.repo_web(repo)}/runs/{run.id}",
        "status": run.status,
        "conclusion": run.conclusion,
        "started_at": iso(run.started_at),
        "completed_at": iso(run.completed_at),
        "output": {
            "title": output.get("title"),
            "summary": output.get("summary"),
            "text": output.get("text"),
            "annotations_count": len(output.get("annotations") or []),
            "annotations_url": f"{api}/annotations",
        },
        "name": run.name,
        "check_suite": {"id": run.suite.id},
        "app": app(urls, run.suite.app),
        "pull_requests": _pull_refs(urls, repo, open_pulls_at(repo, run.head_sha)),
    }


def status(urls: Urls, item: CommitStatus) -> JSON:
    return {
        "url": f"{urls.repo(item.repo)}/statuses/{item.sha}",
        "avatar_url": f"{urls.web}/avatars/u/{item.creator.id}?v=4",
        "id": item.id,
        "node_id": item.node_id,
        "state": item.state,
        "description": item.description,
        "target_url": item.target_url,
        "context": item.context,
        "created_at": iso(item.created_at),
        "updated_at": iso(item.updated_at),
        "creator": user(urls, item.creator),
    }


def content_item(urls: Urls, repo: Repo, *, path: str, kind: str, sha: str, size: int, ref: str) -> JSON:
    """A directory listing entry (and the common part of a file's contents)."""
    api = f"{urls.repo(repo)}/contents/{path}?ref={ref}"
    git_kind = "trees" if kind == "dir" else "blobs"
    git_url = f"{urls.repo(repo)}/git/{git_kind}/{sha}"
    html = f"{urls.repo_web(repo)}/{'tree' if kind == 'dir' else 'blob'}/{ref}/{path}"
    return {
        "type": kind,
        "size": size,
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "sha": sha,
        "url": api,
        "git_url": git_url,
        "html_url": html,
        "download_url": f"{urls.repo_web(repo)}/raw/{ref}/{path}" if kind == "file" else None,
        "_links": {"self": api, "git": git_url, "html": html},
    }


def content_file(urls: Urls, repo: Repo, *, path: str, sha: str, data: bytes, ref: str) -> JSON:
    body = content_item(urls, repo, path=path, kind="file", sha=sha, size=len(data), ref=ref)
    encoded = base64.b64encode(data).decode()
    # GitHub wraps the base64 text at 60 columns, with a trailing newline.
    body["content"] = "".join(encoded[i : i + 60] + "\n" for i in range(0, len(encoded), 60))
    body["encoding"] = "base64"
    return body
