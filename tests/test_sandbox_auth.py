"""App JWTs, installation tokens and permission checks answer exactly as GitHub does."""

from __future__ import annotations

import datetime as dt

from bot.sandbox import Sandbox
from bot.sandbox.auth import (
    BAD_CREDENTIALS,
    INTEGRATION_NOT_FOUND,
    JWT_EXPIRED,
    JWT_TOO_LONG,
    JWT_UNDECODABLE,
    NOT_ACCESSIBLE,
    generate_key_pair,
)
from tests.helpers.sandbox_world import World, app_jwt

async def test_app_endpoints_take_a_valid_jwt(world: World) -> None:
    bearer = {"Authorization": f"Bearer {app_jwt(world.app)}"}
    me = await world.http.get("/app", headers=bearer)
    assert me.status_code == 200 and me.json()["slug"] == "evolve" and me.json()["id"] == world.app.id
    installs = await world.http.get("/app/installations", headers=bearer)
    assert [i["id"] for i in installs.json()] == [world.installation.id]
    located = await world.http.get("/repos/alice/demo/installation", headers=bearer)
    assert located.json()["id"] == world.installation.id
    token = await world.http.post(f"/app/installations/{world.installation.id}/access_tokens", headers=bearer)
    assert token.status_code == 201
    body = token.json()
    assert body["token"].startswith("ghs_")
    expires = dt.datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert dt.timedelta(minutes=59) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(hours=1)
    assert body["permissions"]["pull_requests"] == "write"


async def test_bad_jwts_are_refused_with_githubs_messages(world: World) -> None:
    other_key, _ = generate_key_pair()
    cases = {
        app_jwt(world.app, key=other_key): JWT_UNDECODABLE,
        app_jwt(world.app, iat_offset=-1200, lifetime=600): JWT_EXPIRED,
        app_jwt(world.app, lifetime=1200): JWT_TOO_LONG,
        app_jwt(world.app, iss="999999999999"): INTEGRATION_NOT_FOUND,
        "not.a.jwt": JWT_UNDECODABLE,
    }
    for token, message in cases.items():
        response = await world.http.get("/app", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, message
        assert response.json()["message"] == message
        assert response.json()["documentation_url"].startswith("https://docs.github.com/")


async def test_every_app_of_a_sandbox_has_a_key_of_its_own(world: World) -> None:
    other = world.sb.register_app(slug="other")
    apps = list(world.sb.world.apps.values())
    assert len({a.private_key_pem for a in apps}) == len({a.public_key_pem for a in apps}) == len(apps) == 3
    # The other app's key cannot speak for this one.
    forged = app_jwt(world.app, key=other.private_key_pem)
    response = await world.http.get("/app", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401 and response.json()["message"] == JWT_UNDECODABLE


async def test_installation_token_is_not_an_app_jwt(world: World) -> None:
    response = await world.http.get("/app", headers=world.auth)
    assert response.status_code == 401 and response.json()["message"] == JWT_UNDECODABLE
    anonymous = await world.http.get("/app")
    assert anonymous.status_code == 401


async def test_unknown_and_expired_tokens_are_bad_credentials(world: World) -> None:
    unknown = await world.http.get("/repos/alice/demo", headers={"Authorization": "token ghs_nope"})
    assert unknown.status_code == 401 and unknown.json()["message"] == BAD_CREDENTIALS
    assert (await world.http.get("/repos/alice/demo", headers=world.auth)).status_code == 200
    assert world.sb.expire_tokens(world.installation) >= 1
    expired = await world.http.get("/repos/alice/demo", headers=world.auth)
    assert expired.status_code == 401 and expired.json()["message"] == BAD_CREDENTIALS


async def test_short_token_lifetime_is_configurable(tmp_path) -> None:
    sb = Sandbox(root=tmp_path, token_ttl=dt.timedelta(seconds=0), ci=False)
    app = sb.register_app(slug="quick")
    await sb.create_repo("alice/r", files={"a": "a"}, ci_command=None)
    inst = await sb.install(app, account="alice")
    token = sb.installation_token(inst)
    assert token.expires_at <= dt.datetime.now(dt.UTC)
    async with sb.serve() as url:
        import httpx

        async with httpx.AsyncClient(base_url=url) as http:
            response = await http.get("/repos/alice/r", headers={"Authorization": f"Bearer {token.token}"})
    assert response.status_code == 401
    await sb.close_all()


async def test_repositories_outside_the_installation_do_not_exist(world: World) -> None:
    await world.sb.create_repo("alice/secret", files={"a.txt": "a\n"}, private=True, ci_command=None)
    await world.sb.create_repo("alice/open", files={"a.txt": "a\n"}, ci_command=None)
    secret = await world.http.get("/repos/alice/secret", headers=world.auth)
    assert secret.status_code == 404 and secret.json()["message"] == "Not Found"
    readable = await world.http.get("/repos/alice/open", headers=world.auth)
    assert readable.status_code == 200  # public repositories are readable by any token
    write = await world.http.post("/repos/alice/open/issues/1/comments", headers=world.auth, json={"body": "x"})
    assert write.status_code == 403 and write.json()["message"] == NOT_ACCESSIBLE


async def test_missing_permission_is_resource_not_accessible(world: World) -> None:
    sb = world.sb
    reader = sb.register_app(slug="reader", permissions={"contents": "read", "pull_requests": "read"})
    inst = await sb.install(reader, account="alice", repos=["alice/demo"])
    token = sb.installation_token(inst).token
    auth = {"Authorization": f"token {token}"}
    assert (await world.http.get("/repos/alice/demo/contents/calc.py", headers=auth)).status_code == 200
    main = await sb.repo("alice/demo").git.ref("refs/heads/main")
    refused = await world.http.post("/repos/alice/demo/git/refs", headers=auth, json={"ref": "refs/heads/x", "sha": main})
    assert refused.status_code == 403 and refused.json()["message"] == NOT_ACCESSIBLE
    checks = await world.http.post("/repos/alice/demo/check-runs", headers=auth, json={"name": "n", "head_sha": main})
    assert checks.status_code == 403


async def test_tokens_can_be_narrowed_but_not_widened(world: World) -> None:
    bearer = {"Authorization": f"Bearer {app_jwt(world.app)}"}
    narrowed = await world.http.post(
        f"/app/installations/{world.installation.id}/access_tokens", headers=bearer,
        json={"permissions": {"contents": "read"}, "repositories": ["demo"]},
    )
    assert narrowed.status_code == 201
    assert [r["full_name"] for r in narrowed.json()["repositories"]] == ["alice/demo"]
    auth = {"Authorization": f"token {narrowed.json()['token']}"}
    assert (await world.http.post("/repos/alice/demo/issues/1/comments", headers=auth, json={"body": "x"})).status_code == 403
    widened = await world.http.post(
        f"/app/installations/{world.installation.id}/access_tokens", headers=bearer, json={"permissions": {"administration": "write"}},
    )
    assert widened.status_code == 422


async def test_anonymous_callers_see_public_repositories_only(world: World) -> None:
    await world.sb.create_repo("alice/open", files={"a.txt": "a\n"}, ci_command=None)
    assert (await world.http.get("/repos/alice/open")).status_code == 200
    assert (await world.http.get("/repos/alice/demo")).status_code == 404
    anonymous = await world.http.get("/repos/alice/open")
    assert anonymous.headers["x-ratelimit-limit"] == "60"
    assert (await world.http.post("/repos/alice/open/git/blobs", json={"content": "x"})).status_code == 401


async def test_installation_repositories_lists_what_the_token_reaches(world: World) -> None:
    listed = await world.http.get("/installation/repositories", headers=world.auth)
    assert listed.status_code == 200
    assert [r["full_name"] for r in listed.json()["repositories"]] == ["alice/demo"]
    assert listed.json()["total_count"] == 1
