"""The JSON shapes validate against githubkit's models of GitHub's REST description."""

from __future__ import annotations

import time
from pathlib import Path

from githubkit_schemas.latest import models

from bot.sandbox import Sandbox, shapes
from bot.sandbox.model import Label


async def test_core_objects_validate(tmp_path: Path) -> None:
    sb = Sandbox(root=tmp_path, ci=False)
    app = sb.register_app(slug="shape")
    await sb.create_repo("alice/r", files={"calc.py": "x = 1\n"}, ci_command=None)
    inst = await sb.install(app, account="alice")
    repo = sb.repo("alice/r")
    await sb.push("alice/r", as_="alice", branch="f", files={"calc.py": "x = 2\n"})
    item = await sb.open_pull_request("alice/r", as_="alice", head="f", title="t")
    comment = await sb.comment("alice/r", 1, as_="alice", body="c")
    review = await sb.review("alice/r", 1, as_="alice", event="COMMENT", body="r", comments=[{"path": "calc.py", "line": 1, "body": "s"}])
    urls = sb.urls
    models.SimpleUser.model_validate(shapes.user(urls, repo.owner))
    models.FullRepository.model_validate(shapes.repository(urls, repo, full=True))
    models.Repository.model_validate(shapes.repository(urls, repo))
    models.Integration.model_validate(shapes.app(urls, app))
    models.Installation.model_validate(shapes.installation(urls, inst))
    models.PullRequest.model_validate(await sb.pull_json(repo, item))
    models.PullRequestSimple.model_validate(shapes.pull_request(urls, repo, item))
    models.Issue.model_validate(shapes.issue(urls, repo, item))
    models.IssueComment.model_validate(shapes.issue_comment(urls, comment))
    models.PullRequestReview.model_validate(shapes.review(urls, review))
    models.Label.model_validate(shapes.label(urls, repo, Label(1, "x")))
    head = await repo.git.read_commit(item.pull.head_sha)  # type: ignore[union-attr]
    models.GitCommit.model_validate(shapes.git_commit(urls, repo, head))
    models.Commit.model_validate(shapes.commit(urls, repo, head, files=await repo.git.diff(head.parents[0], head.sha)))
    run = await sb.create_check_run(repo, app=app, name="n", head_sha=head.sha, conclusion="success")
    models.CheckRun.model_validate(shapes.check_run(urls, run))
    models.CheckSuite.model_validate(shapes.check_suite(urls, run.suite, runs=1, head_commit=head))
    status = await sb.create_status(repo, head.sha, creator=app.bot, state="success", context="c")
    models.Status.model_validate(shapes.status(urls, status))
    content = shapes.content_file(urls, repo, path="calc.py", sha="a" * 40, data=b"x" * 100, ref="main")
    models.ContentFile.model_validate(content)
    assert all(len(line) <= 60 for line in content["content"].splitlines())
    assert time.time() > 0
    await sb.close_all()
