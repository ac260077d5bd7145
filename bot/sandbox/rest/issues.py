"""The REST endpoints of issues: issues, comments, labels and reactions (on review comments too)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from bot.sandbox import shapes
from bot.sandbox.model import Issue, validation_failed
from bot.sandbox.routing import (
    ISSUES_R,
    ISSUES_W,
    PULLS_R,
    PULLS_W,
    REPO_PATH,
    Endpoint,
    RoutedRequest,
    reply,
)


def _issue(ctx: RoutedRequest) -> Issue:
    return ctx.sandbox.issue(ctx.repo, ctx.int_param("issue_number"))


async def get_issue(ctx: RoutedRequest) -> Response:
    item = _issue(ctx)
    count = sum(1 for c in ctx.sandbox.world.comments.values() if c.issue is item)
    return reply(shapes.issue(ctx.sandbox.urls, ctx.repo, item, comments=count))


async def update_issue(ctx: RoutedRequest) -> Response:
    body = await ctx.body()
    item = _issue(ctx)
    actor, _ = ctx.actor()
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
    actor, app = ctx.actor()
    text = body.get("body")
    if not isinstance(text, str):
        raise validation_failed("IssueComment", "body", code="missing_field", docs="https://docs.github.com/rest/issues/comments#create-an-issue-comment")
    comment = await ctx.sandbox.add_issue_comment(ctx.repo, item, user=actor, body=text, app=app)
    headers = {"Location": f"{ctx.sandbox.urls.repo(ctx.repo)}/issues/comments/{comment.id}"}
    return reply(shapes.issue_comment(ctx.sandbox.urls, comment), 201, headers)


async def get_issue_comment(ctx: RoutedRequest) -> Response:
    return reply(shapes.issue_comment(ctx.sandbox.urls, ctx.sandbox.issue_comment(ctx.repo, ctx.int_param("comment_id"))))


async def update_issue_comment(ctx: RoutedRequest) -> Response:
    body = await ctx.body()
    comment = ctx.sandbox.issue_comment(ctx.repo, ctx.int_param("comment_id"))
    actor, _ = ctx.actor()
    text = body.get("body")
    if not isinstance(text, str):
        raise validation_failed("IssueComment", "body", code="missing_field", docs="https://docs.github.com/rest/issues/comments#update-an-issue-comment")
    await ctx.sandbox.update_issue_comment(comment, body=text, editor=actor)
    return reply(shapes.issue_comment(ctx.sandbox.urls, comment))


async def delete_issue_comment(ctx: RoutedRequest) -> Response:
    comment = ctx.sandbox.issue_comment(ctx.repo, ctx.int_param("comment_id"))
    actor, _ = ctx.actor()
    await ctx.sandbox.remove_issue_comment(comment, deleter=actor)
    return reply(None, 204)


async def add_labels(ctx: RoutedRequest) -> Response:
    body = await ctx.body()
    item = _issue(ctx)
    actor, _ = ctx.actor()
    names = body.get("labels")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise validation_failed("Label", "labels", code="missing_field", docs="https://docs.github.com/rest/issues/labels#add-labels-to-an-issue")
    labels = await ctx.sandbox.label_issue(ctx.repo, item, names, actor=actor)
    return reply([shapes.label(ctx.sandbox.urls, ctx.repo, lab) for lab in labels])


async def list_labels(ctx: RoutedRequest) -> Response:
    item = _issue(ctx)
    return reply([shapes.label(ctx.sandbox.urls, ctx.repo, lab) for lab in item.labels])


async def _react(ctx: RoutedRequest, target: list[Any]) -> Response:
    body = await ctx.body()
    actor, _ = ctx.actor()
    content = body.get("content")
    if not isinstance(content, str):
        raise validation_failed("Reaction", "content", code="missing_field", docs="https://docs.github.com/rest/reactions/reactions")
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


ENDPOINTS: list[Endpoint] = [
    Endpoint("POST", f"{REPO_PATH}/pulls/comments/{{comment_id}}/reactions", react_review_comment, PULLS_W, docs="https://docs.github.com/rest/reactions/reactions#create-reaction-for-a-pull-request-review-comment"),
    Endpoint("GET", f"{REPO_PATH}/pulls/comments/{{comment_id}}/reactions", list_review_comment_reactions, PULLS_R, docs="https://docs.github.com/rest/reactions/reactions#list-reactions-for-a-pull-request-review-comment"),
    Endpoint("GET", f"{REPO_PATH}/issues/comments/{{comment_id}}", get_issue_comment, ISSUES_R, docs="https://docs.github.com/rest/issues/comments#get-an-issue-comment"),
    Endpoint("PATCH", f"{REPO_PATH}/issues/comments/{{comment_id}}", update_issue_comment, ISSUES_W, docs="https://docs.github.com/rest/issues/comments#update-an-issue-comment"),
    Endpoint("DELETE", f"{REPO_PATH}/issues/comments/{{comment_id}}", delete_issue_comment, ISSUES_W, docs="https://docs.github.com/rest/issues/comments#delete-an-issue-comment"),
    Endpoint("POST", f"{REPO_PATH}/issues/comments/{{comment_id}}/reactions", react_issue_comment, ISSUES_W, docs="https://docs.github.com/rest/reactions/reactions#create-reaction-for-an-issue-comment"),
    Endpoint("GET", f"{REPO_PATH}/issues/comments/{{comment_id}}/reactions", list_issue_comment_reactions, ISSUES_R, docs="https://docs.github.com/rest/reactions/reactions#list-reactions-for-an-issue-comment"),
    Endpoint("GET", f"{REPO_PATH}/issues/{{issue_number}}", get_issue, ISSUES_R, docs="https://docs.github.com/rest/issues/issues#get-an-issue"),
    Endpoint("PATCH", f"{REPO_PATH}/issues/{{issue_number}}", update_issue, ISSUES_W, docs="https://docs.github.com/rest/issues/issues#update-an-issue"),
    Endpoint("GET", f"{REPO_PATH}/issues/{{issue_number}}/comments", list_issue_comments, ISSUES_R, docs="https://docs.github.com/rest/issues/comments#list-issue-comments"),
    Endpoint("POST", f"{REPO_PATH}/issues/{{issue_number}}/comments", create_issue_comment, ISSUES_W, docs="https://docs.github.com/rest/issues/comments#create-an-issue-comment"),
    Endpoint("GET", f"{REPO_PATH}/issues/{{issue_number}}/labels", list_labels, ISSUES_R, docs="https://docs.github.com/rest/issues/labels#list-labels-for-an-issue"),
    Endpoint("POST", f"{REPO_PATH}/issues/{{issue_number}}/labels", add_labels, ISSUES_W, docs="https://docs.github.com/rest/issues/labels#add-labels-to-an-issue"),
    Endpoint("POST", f"{REPO_PATH}/issues/{{issue_number}}/reactions", react_issue, ISSUES_W, docs="https://docs.github.com/rest/reactions/reactions#create-reaction-for-an-issue"),
    Endpoint("GET", f"{REPO_PATH}/issues/{{issue_number}}/reactions", list_issue_reactions, ISSUES_R, docs="https://docs.github.com/rest/reactions/reactions#list-reactions-for-an-issue"),
]
