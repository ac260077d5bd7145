"""GitHub App authentication: RS256 app JWTs, `ghs_` installation tokens and permission checks."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.sandbox.model import (
    PERMISSION_LEVELS,
    ApiError,
    App,
    Installation,
    InstallationToken,
    Repo,
    World,
    utcnow,
)

# Texts GitHub answers with, word for word.
BAD_CREDENTIALS = "Bad credentials"
REQUIRES_AUTHENTICATION = "Requires authentication"
JWT_UNDECODABLE = "A JSON web token could not be decoded"
JWT_EXPIRED = (
    "'Expiration time' claim ('exp') must be a numeric value representing the future time at which "
    "the assertion expires"
)
JWT_TOO_LONG = "'Expiration time' claim ('exp') is too far in the future"
JWT_IAT_INVALID = "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
JWT_ISSUER_INVALID = "'Issuer' claim ('iss') must be an Integer"
INTEGRATION_NOT_FOUND = "Integration not found"
NOT_ACCESSIBLE = "Resource not accessible by integration"
NOT_FOUND = "Not Found"
DOCS_AUTH = "https://docs.github.com/rest"
DOCS_APP_JWT = "https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app"

MAX_JWT_LIFETIME = dt.timedelta(minutes=10)
# GitHub tolerates some clock drift: an iat up to a minute ahead is accepted.
CLOCK_DRIFT = dt.timedelta(seconds=60)


def generate_key_pair() -> tuple[str, str]:
    """A fresh 2048-bit RSA key pair as (private PEM in PKCS#1, public PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return private_pem, public_pem


class KeyPairs:
    """The key pairs a sandbox hands its apps: a pair of its own for each app of one sandbox.

    A 2048-bit key takes about 0.2 s to make and a test run builds hundreds of sandboxes, each
    with a few apps, so the sandboxes of one process draw from one list that grows on demand:
    the n-th app of every sandbox gets the n-th pair. Two apps of one sandbox never share a key.
    Apps of two sandboxes in one process may, so a JWT made for one sandbox's app can pass in
    the other: sandboxes that must not trust each other belong in separate processes.
    """

    def __init__(self) -> None:
        self._handed = 0

    def next(self) -> tuple[str, str]:
        """(private PEM, public PEM) that no earlier app of this sandbox got."""
        if self._handed == len(_KEY_PAIRS_MADE):
            _KEY_PAIRS_MADE.append(generate_key_pair())
        pair = _KEY_PAIRS_MADE[self._handed]
        self._handed += 1
        return pair


# Every key pair this process has made for sandbox apps, in the order KeyPairs hands them out.
_KEY_PAIRS_MADE: list[tuple[str, str]] = []


@dataclass
class Caller:
    """Who made a request: an app (JWT), an installation (token), or nobody."""

    kind: str  # "app", "installation" or "anonymous"
    app: App | None = None
    token: InstallationToken | None = None

    @property
    def installation(self) -> Installation | None:
        return self.token.installation if self.token else None

    @property
    def rate_key(self) -> str:
        if self.token:
            return f"installation:{self.token.installation.id}"
        if self.app:
            return f"app:{self.app.id}"
        return "anonymous"


def verify_app_jwt(world: World, token: str, *, now: dt.datetime | None = None) -> App:
    """The App a JWT speaks for, or ApiError(401) with GitHub's message for what is wrong."""
    now = now or utcnow()
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise ApiError(401, JWT_UNDECODABLE, docs=DOCS_AUTH) from exc
    if header.get("alg") != "RS256":
        raise ApiError(401, JWT_UNDECODABLE, docs=DOCS_AUTH)
    iss = claims.get("iss")
    try:
        app_id = int(iss)
    except (TypeError, ValueError):
        # GitHub accepts the app's client id as issuer too.
        app = next((a for a in world.apps.values() if a.client_id == iss), None)
        if app is None:
            raise ApiError(401, JWT_ISSUER_INVALID, docs=DOCS_APP_JWT) from None
    else:
        app = world.apps.get(app_id)
        if app is None:
            raise ApiError(401, INTEGRATION_NOT_FOUND, docs=DOCS_APP_JWT)
    try:
        jwt.decode(token, app.public_key_pem, algorithms=["RS256"], options={"verify_exp": False, "verify_iat": False})
    except jwt.PyJWTError as exc:
        raise ApiError(401, JWT_UNDECODABLE, docs=DOCS_AUTH) from exc
    iat, exp = claims.get("iat"), claims.get("exp")
    if not isinstance(iat, int) or isinstance(iat, bool):
        raise ApiError(401, JWT_IAT_INVALID, docs=DOCS_APP_JWT)
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        raise ApiError(401, JWT_EXPIRED, docs=DOCS_APP_JWT)
    issued = dt.datetime.fromtimestamp(iat, dt.UTC)
    expires = dt.datetime.fromtimestamp(exp, dt.UTC)
    if issued > now + CLOCK_DRIFT:
        raise ApiError(401, JWT_IAT_INVALID, docs=DOCS_APP_JWT)
    if expires <= now:
        raise ApiError(401, JWT_EXPIRED, docs=DOCS_APP_JWT)
    if expires - issued > MAX_JWT_LIFETIME:
        raise ApiError(401, JWT_TOO_LONG, docs=DOCS_APP_JWT)
    return app


def mint_token(
    world: World,
    installation: Installation,
    *,
    ttl: dt.timedelta,
    permissions: dict[str, str] | None = None,
    repository_ids: set[int] | None = None,
) -> InstallationToken:
    """A new `ghs_` token; narrower permissions/repositories may be asked for, never wider."""
    granted = dict(installation.permissions)
    if permissions:
        for name, level in permissions.items():
            have = granted.get(name)
            if have is None or PERMISSION_LEVELS.get(level, 99) > PERMISSION_LEVELS.get(have, 0):
                raise ApiError(
                    422,
                    "The permissions requested are not granted to this installation.",
                    docs="https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app",
                )
        granted = dict(permissions)
    granted.setdefault("metadata", "read")
    token = InstallationToken(
        token="ghs_" + secrets.token_urlsafe(27).replace("-", "a").replace("_", "b")[:36],
        installation=installation,
        expires_at=utcnow() + ttl,
        permissions=granted,
        repository_ids=repository_ids,
    )
    world.tokens[token.token] = token
    return token


def authenticate(world: World, authorization: str | None, *, now: dt.datetime | None = None) -> Caller:
    """Read the Authorization header; 401 for anything GitHub would not accept."""
    if not authorization:
        return Caller("anonymous")
    scheme, _, credential = authorization.strip().partition(" ")
    credential = credential.strip()
    if scheme.lower() not in ("token", "bearer") or not credential:
        raise ApiError(401, BAD_CREDENTIALS, docs=DOCS_AUTH)
    if credential.count(".") == 2:
        return Caller("app", app=verify_app_jwt(world, credential, now=now))
    found = world.tokens.get(credential)
    if found is None or found.expires_at <= (now or utcnow()):
        raise ApiError(401, BAD_CREDENTIALS, docs=DOCS_AUTH)
    if found.installation.id not in world.installations:
        raise ApiError(401, BAD_CREDENTIALS, docs=DOCS_AUTH)
    return Caller("installation", app=found.installation.app, token=found)


def require_app(caller: Caller) -> App:
    """App-level endpoints (`/app...`) take a JWT and nothing else."""
    if caller.kind != "app" or caller.app is None:
        if caller.kind == "anonymous":
            raise ApiError(401, REQUIRES_AUTHENTICATION, docs=DOCS_APP_JWT)
        raise ApiError(401, JWT_UNDECODABLE, docs=DOCS_APP_JWT)
    return caller.app


def check_repo_access(caller: Caller, repo: Repo, needs: Sequence[tuple[str, str]], *, docs: str) -> None:
    """404 when the caller may not see `repo`, 403 when it lacks every permission in `needs`."""
    writes = any(level != "read" for _, level in needs)
    if caller.kind == "anonymous":
        if repo.private:
            raise ApiError(404, NOT_FOUND, docs=docs)
        if writes:
            raise ApiError(401, REQUIRES_AUTHENTICATION, docs=docs)
        return
    if caller.kind == "app":
        # An app's JWT reaches only /app endpoints and the repository installation lookup.
        raise ApiError(403, NOT_ACCESSIBLE, docs=docs)
    token = caller.token
    assert token is not None
    inside = token.installation.covers(repo) and (token.repository_ids is None or repo.id in token.repository_ids)
    if not inside:
        # Public repositories stay readable for any token, as on GitHub; the rest does not exist.
        if repo.private:
            raise ApiError(404, NOT_FOUND, docs=docs)
        if writes:
            raise ApiError(403, NOT_ACCESSIBLE, docs=docs)
        return
    if not needs:
        return
    for name, level in needs:
        have = token.permissions.get(name, "none")
        if PERMISSION_LEVELS.get(have, 0) >= PERMISSION_LEVELS[level]:
            return
    raise ApiError(403, NOT_ACCESSIBLE, docs=docs)
