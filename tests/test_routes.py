"""The composed router covers every event family the intake promises."""

from webhooks.routes import router


def test_every_family_is_routed() -> None:
    assert set(router.events) == {
        "issue_comment", "pull_request", "pull_request_review", "pull_request_review_comment", "check_suite",
        "check_run", "workflow_run", "status", "push", "installation", "installation_repositories",
    }
