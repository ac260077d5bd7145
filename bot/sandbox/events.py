"""Webhook payload parts whose shape differs from the REST one (push, check runs, ping)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.sandbox import shapes
from bot.sandbox.git import CommitObject, FileDiff
from bot.sandbox.model import App, CheckRun, Installation, Repo, iso
from bot.sandbox.shapes import JSON, Urls

PUSH_COMMITS_LIMIT = 20  # GitHub lists at most 20 commits in a push payload


def installation_ref(inst: Installation) -> JSON:
    return {"id": inst.id, "node_id": f"MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u{inst.id}"}


def push_repository(urls: Urls, repo: Repo) -> JSON:
    """The push event's repository: owner has name/email and times are epoch seconds."""
    body = shapes.repository(urls, repo)
    owner = body["owner"]
    owner["name"] = repo.owner.name or repo.owner.login
    owner["email"] = repo.owner.noreply_email
    body["created_at"] = int(repo.created_at.timestamp())
    body["pushed_at"] = int(repo.pushed_at.timestamp())
    body["stargazers"] = 0
    body["master_branch"] = repo.default_branch
    body["custom_properties"] = {}
    return body


def push_commit(urls: Urls, repo: Repo, obj: CommitObject, files: list[FileDiff], *, distinct: bool = True) -> JSON:
    def person(identity: Any) -> JSON:
        return {"name": identity.name, "email": identity.email, "date": shapes.identity(identity)["date"]}

    return {
        "id": obj.sha,
        "tree_id": obj.tree,
        "distinct": distinct,
        "message": obj.message,
        "timestamp": dt.datetime.fromtimestamp(obj.committer.epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "url": f"{urls.repo_web(repo)}/commit/{obj.sha}",
        "author": person(obj.author),
        "committer": person(obj.committer),
        "added": [f.filename for f in files if f.status == "added"],
        "removed": [f.filename for f in files if f.status == "removed"],
        "modified": [f.filename for f in files if f.status not in ("added", "removed")],
    }


def check_run_webhook(urls: Urls, run: CheckRun, *, suite_runs: int) -> JSON:
    """The check_run object of a check_run event: its check_suite is spelled out in full."""
    body = shapes.check_run(urls, run)
    suite = run.suite
    body["check_suite"] = {
        "id": suite.id,
        "node_id": suite.node_id,
        "head_branch": suite.head_branch,
        "head_sha": suite.head_sha,
        "status": suite.status,
        "conclusion": suite.conclusion,
        "url": f"{urls.repo(suite.repo)}/check-suites/{suite.id}",
        "before": suite.before,
        "after": suite.after,
        "pull_requests": body["pull_requests"],
        "app": shapes.app(urls, suite.app),
        "created_at": iso(suite.created_at),
        "updated_at": iso(suite.updated_at),
    }
    return body


def ping(urls: Urls, app: App) -> JSON:
    return {
        "zen": "Keep it logically awesome.",
        "hook_id": app.hook_id,
        "hook": {
            "type": "App",
            "id": app.hook_id,
            "name": "web",
            "active": True,
            "events": list(app.events),
            "config": {"content_type": "json", "insecure_ssl": "0", "url": app.webhook_url or ""},
            "updated_at": iso(app.created_at),
            "created_at": iso(app.created_at),
            "app_id": app.id,
            "deliveries_url": f"{urls.api}/app/hook/deliveries",
        },
    }


def repository_brief(repo: Repo) -> JSON:
    """The short repository entries of installation events."""
    return {"id": repo.id, "node_id": repo.node_id, "name": repo.name, "full_name": repo.full_name, "private": repo.private}
