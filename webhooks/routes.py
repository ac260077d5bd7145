"""Composes every event family's router into the one the intake and the workers use."""

from __future__ import annotations

from . import (
    check_run,
    check_suite,
    installation,
    issue_comment,
    pull_request,
    pull_request_review,
    pull_request_review_comment,
    push,
    status,
    workflow_run,
)
from .router import Router

router = Router(
    issue_comment.router,
    pull_request.router,
    pull_request_review.router,
    pull_request_review_comment.router,
    check_suite.router,
    check_run.router,
    workflow_run.router,
    status.router,
    push.router,
    installation.router,
)
