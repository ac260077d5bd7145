"""The REST endpoints of pull requests: opening, listing, updating, files, commits, merging and reviews."""

from __future__ import annotations

from starlette.responses import Response

from bot.sandbox import shapes
from bot.sandbox.model import ApiError, Issue, validation_failed
from bot.sandbox.pulls import MERGED_MESSAGE
from bot.sandbox.rest.repositories import commit_json
from bot.sandbox.routing import (
    CONTENTS_W,
    NOT_FOUND,
    PULLS_R,
    PULLS_W,
    REPO_PATH,
    Endpoint,
    RoutedRequest,
    reply,
)

DOCS_PULLS = "https://docs.github.com/rest/pulls/pulls"


async def create_pull(ctx: RoutedRequest) -> Response:
    body = await ctx.body()
    actor, app = ctx.actor()
    head, base = body.get("head"), body.get("base")
    docs = f"{DOCS_PULLS}#create-a-pull-request"
    for name, value in (("head", head), ("base", base)):
        if not isinstance(value, str) or not value:
            raise validation_failed("PullRequest", name, code="missing_field", docs=docs)
    title = body.get("title")
    if not isinstance(title, str) or not title.strip():
        raise validation_failed("PullRequest", "title", code="missing_field", docs=docs)
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
        raise validation_failed("PullRequest", "state", docs=f"{DOCS_PULLS}#list-pull-requests")
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
    actor, _ = ctx.actor()
    state = body.get("state")
    if state is not None and state not in ("open", "closed"):
        raise validation_failed("PullRequest", "state", docs=f"{DOCS_PULLS}#update-a-pull-request")
    title = body.get("title")
    if title is not None and (not isinstance(title, str) or not title.strip()):
        raise validation_failed("PullRequest", "title", docs=f"{DOCS_PULLS}#update-a-pull-request")
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
    return reply([await commit_json(ctx, s, with_files=False) for s in page], headers=links)


async def merge_pull(ctx: RoutedRequest) -> Response:
    body = await ctx.body()
    item = _pull(ctx)
    actor, _ = ctx.actor()
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
    actor, _ = ctx.actor()
    comments = body.get("comments") or []
    if not isinstance(comments, list) or not all(isinstance(c, dict) for c in comments):
        raise validation_failed("PullRequestReview", "comments", docs="https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request")
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


ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", f"{REPO_PATH}/pulls", list_pulls, PULLS_R, docs=f"{DOCS_PULLS}#list-pull-requests"),
    Endpoint("POST", f"{REPO_PATH}/pulls", create_pull, PULLS_W, docs=f"{DOCS_PULLS}#create-a-pull-request"),
    Endpoint("GET", f"{REPO_PATH}/pulls/comments/{{comment_id}}", get_review_comment, PULLS_R, docs="https://docs.github.com/rest/pulls/comments#get-a-review-comment-for-a-pull-request"),
    Endpoint("GET", f"{REPO_PATH}/pulls/{{pull_number}}", get_pull, PULLS_R, docs=f"{DOCS_PULLS}#get-a-pull-request"),
    Endpoint("PATCH", f"{REPO_PATH}/pulls/{{pull_number}}", update_pull, PULLS_W, docs=f"{DOCS_PULLS}#update-a-pull-request"),
    Endpoint("GET", f"{REPO_PATH}/pulls/{{pull_number}}/files", pull_files, PULLS_R, docs=f"{DOCS_PULLS}#list-pull-requests-files"),
    Endpoint("GET", f"{REPO_PATH}/pulls/{{pull_number}}/commits", pull_commits, PULLS_R, docs=f"{DOCS_PULLS}#list-commits-on-a-pull-request"),
    Endpoint("PUT", f"{REPO_PATH}/pulls/{{pull_number}}/merge", merge_pull, CONTENTS_W, docs=f"{DOCS_PULLS}#merge-a-pull-request"),
    Endpoint("GET", f"{REPO_PATH}/pulls/{{pull_number}}/merge", check_merged, PULLS_R, docs=f"{DOCS_PULLS}#check-if-a-pull-request-has-been-merged"),
    Endpoint("GET", f"{REPO_PATH}/pulls/{{pull_number}}/reviews", list_reviews, PULLS_R, docs="https://docs.github.com/rest/pulls/reviews#list-reviews-for-a-pull-request"),
    Endpoint("POST", f"{REPO_PATH}/pulls/{{pull_number}}/reviews", create_review, PULLS_W, docs="https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request"),
    Endpoint("GET", f"{REPO_PATH}/pulls/{{pull_number}}/comments", list_review_comments, PULLS_R, docs="https://docs.github.com/rest/pulls/comments#list-review-comments-on-a-pull-request"),
]
