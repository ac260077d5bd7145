"""Every webhook the sandbox sends validates against GitHub's schemas and parses with githubkit."""

from __future__ import annotations

from githubkit.webhooks import parse_obj

from tests.helpers.sandbox_world import Receiver, World, webhook_validator


EXPECTED = {
    ("ping", None),
    ("installation", "created"),
    ("installation_repositories", "added"),
    ("push", None),
    ("pull_request", "opened"),
    ("pull_request", "synchronize"),
    ("pull_request", "edited"),
    ("pull_request", "labeled"),
    ("pull_request", "closed"),
    ("pull_request", "reopened"),
    ("issue_comment", "created"),
    ("issue_comment", "edited"),
    ("issue_comment", "deleted"),
    ("pull_request_review", "submitted"),
    ("pull_request_review_comment", "created"),
    ("check_suite", "completed"),
    ("check_run", "created"),
    ("check_run", "completed"),
    ("status", None),
}


async def drive_every_event(world: World) -> None:
    sb = world.sb
    await sb.push("alice/demo", as_="bob", branch="feature", files={"calc.py": "def add(a, b):\n    return b + a\n"}, message="Swap")
    pr = await sb.open_pull_request("alice/demo", as_="bob", head="feature", title="Swap operands", body="Why not")
    head = await sb.push("alice/demo", as_="bob", branch="feature", files={"notes.txt": "x\n"}, message="Notes")
    await sb.wait_ci("alice/demo", head)
    response = await world.http.patch("/repos/alice/demo/pulls/1", headers=world.auth, json={"title": "Swap the operands"})
    assert response.status_code == 200, response.text
    await sb.add_labels("alice/demo", pr.number, as_="alice", labels=["evolution"])
    comment = await sb.comment("alice/demo", pr.number, as_="alice", body="Looks fine")
    await sb.edit_comment("alice/demo", comment.id, as_="alice", body="Looks fine to me")
    await sb.delete_comment("alice/demo", comment.id, as_="alice")
    await sb.review(
        "alice/demo", pr.number, as_="alice", event="COMMENT", body="One idea",
        comments=[{"path": "calc.py", "line": 2, "body": "```suggestion\n    return a + b\n```"}],
    )
    response = await world.http.post(f"/repos/alice/demo/statuses/{head}", headers=world.auth, json={"state": "success", "context": "lint"})
    assert response.status_code == 201, response.text
    await sb.close("alice/demo", pr.number, as_="alice")
    await sb.reopen("alice/demo", pr.number, as_="alice")
    await sb.merge("alice/demo", pr.number, as_="alice")
    await sb.create_repo("alice/other", files={"a.txt": "a\n"}, ci_command=None)
    await sb.install(world.app, account="alice", repos=["alice/other"])
    await sb.wait_deliveries()


async def test_every_emitted_event_matches_the_schema_and_parses(world: World, receiver: Receiver) -> None:
    await drive_every_event(world)
    seen = {(r.event, r.action) for r in receiver.got}
    assert EXPECTED <= seen, f"missing: {EXPECTED - seen}"
    problems = []
    for got in receiver.got:
        validator = webhook_validator(got.event, got.action)
        if validator is not None:
            for error in list(validator.iter_errors(got.payload))[:3]:
                problems.append(f"{got.event}.{got.action}: {'/'.join(map(str, error.absolute_path))}: {error.message[:200]}")
        try:
            parse_obj(got.event, got.payload)
        except Exception as exc:  # noqa: BLE001 - report every failure at once
            problems.append(f"{got.event}.{got.action}: githubkit: " + "; ".join(line for line in str(exc).splitlines() if got.action and (got.action.title().replace("_", "") in line or line.startswith("  ")))[:1500])
    assert not problems, "\n".join(problems)


async def test_every_delivery_is_signed_and_carries_githubs_headers(world: World, receiver: Receiver) -> None:
    await world.sb.push("alice/demo", as_="bob", branch="main", files={"b.txt": "b\n"})
    await world.sb.wait_deliveries()
    assert receiver.got
    for got in receiver.got:
        assert got.signature_ok
        assert got.headers["x-hub-signature"].startswith("sha1=")
        assert got.headers["content-type"] == "application/json"
        assert got.headers["user-agent"].startswith("GitHub-Hookshot/")
        assert got.headers["x-github-hook-installation-target-type"] == "integration"
        assert got.headers["x-github-hook-installation-target-id"] == str(world.app.id)
        assert got.headers["x-github-hook-id"] == str(world.app.hook_id)
        assert len(got.headers["x-github-delivery"]) == 36
