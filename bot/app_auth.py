"""GitHub App authentication: the App's JWT and cached, single-flight installation tokens.

We mint the JWT ourselves and hand githubkit plain auth flows instead of using its
`AppAuthStrategy`/`AppInstallationAuthStrategy`, because those (githubkit 0.16):
- fetch an installation token inside the auth flow of whichever request needs it, so N
  concurrent tasks with a cold cache send N token requests (no single-flight);
- refresh one minute before expiry, with no way to set the margin;
- send the token request outside any retry policy, and a failure there surfaces wrapped
  in a generic RequestError;
- sign a JWT with `exp` = now + 9 min and `iat` = now - 1 min, not configurable for clock skew.
Here `InstallationTokens` keeps one token per installation behind a per-installation
asyncio lock, refreshes it 5 minutes before `expires_at`, and fetches it through githubkit's
`apps.create_installation_access_token` under the same RetryPolicy as every other call.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import ssl
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import httpx
import jwt
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from githubkit import GitHub
from githubkit.auth.base import BaseAuthStrategy
from githubkit.throttling import BaseThrottler

from bot.github_retry import RetryPolicy, SerialWrites
from bot.settings import Settings, SettingsError

if TYPE_CHECKING:
    from githubkit import GitHubCore

# https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app
# httpx's async event hooks: {"request": [...], "response": [...]}.
EventHooks = Mapping[str, list[Callable[..., Any]]]

JWT_BACKDATE = timedelta(seconds=60)  # GitHub: "60 seconds in the past to allow for clock drift"
JWT_LIFETIME = timedelta(minutes=9)  # GitHub's maximum is 10 minutes from now; keep a minute spare
TOKEN_REFRESH_MARGIN = timedelta(minutes=5)
USER_AGENT = "evolve-bot"
# The REST version every call asks for. githubkit defaults to its newest (2026-03-10), which
# GitHub Enterprise Server does not serve and whose pull requests lack `merge_commit_sha`;
# 2022-11-28 is what both github.com and GHES speak and what GitHub's OpenAPI
# description (our conformance test's judge) describes.
REST_API_VERSION: Literal["2022-11-28"] = "2022-11-28"

MISSING_APP_ID = (
    "APP_ID is not set. Set it to your GitHub App's numeric App ID "
    "(the App's settings page shows it)."
)
BAD_APP_ID = "APP_ID must be your GitHub App's numeric App ID, got {value!r}."
MISSING_KEY = (
    "Neither PRIVATE_KEY nor PRIVATE_KEY_PATH is set. Set PRIVATE_KEY_PATH to the .pem file "
    "GitHub generated for your App, or PRIVATE_KEY to its contents."
)
KEY_NOT_PEM = (
    "{setting} is not a PEM private key ({reason}). Use the .pem file GitHub generated for "
    "your App; it starts with '-----BEGIN RSA PRIVATE KEY-----'."
)
KEY_ENCRYPTED = "{setting} is a passphrase-protected key; GitHub App keys are used unencrypted."
KEY_NOT_RSA = (
    "{setting} is not an RSA key but {kind}; GitHub App keys are RSA (JWTs are signed RS256)."
)


KEY_KINDS = (
    (ec.EllipticCurvePrivateKey, "an EC key"),
    (ed25519.Ed25519PrivateKey, "an Ed25519 key"),
    (ed448.Ed448PrivateKey, "an Ed448 key"),
    (dsa.DSAPrivateKey, "a DSA key"),
)


class AppCredentialsError(SettingsError):
    """The App's id or private key is missing or unusable; the message names the setting."""


def parse_app_id(value: object) -> int:
    """APP_ID as a positive int, or AppCredentialsError naming APP_ID."""
    if value is None or value == "":
        raise AppCredentialsError(MISSING_APP_ID)
    if isinstance(value, bool):
        raise AppCredentialsError(BAD_APP_ID.format(value=value))
    if isinstance(value, int):
        app_id = value
    elif isinstance(value, str) and value.strip().isdigit():
        app_id = int(value.strip())
    else:
        raise AppCredentialsError(BAD_APP_ID.format(value=value))
    if app_id <= 0:
        raise AppCredentialsError(BAD_APP_ID.format(value=value))
    return app_id


def load_private_key(pem: str, *, setting: str) -> RSAPrivateKey:
    """Parse an unencrypted RSA private key, or raise AppCredentialsError naming `setting`."""
    try:
        key = serialization.load_pem_private_key(pem.strip().encode(), password=None)
    except TypeError:
        raise AppCredentialsError(KEY_ENCRYPTED.format(setting=setting)) from None
    except (ValueError, UnicodeError) as exc:
        reason = str(exc).split("\n")[0] or type(exc).__name__
        raise AppCredentialsError(KEY_NOT_PEM.format(setting=setting, reason=reason)) from None
    except UnsupportedAlgorithm as exc:  # a key type cryptography does not know
        raise AppCredentialsError(KEY_NOT_PEM.format(setting=setting, reason=str(exc))) from None
    if not isinstance(key, RSAPrivateKey):
        kind = next((name for cls, name in KEY_KINDS if isinstance(key, cls)), type(key).__name__)
        raise AppCredentialsError(KEY_NOT_RSA.format(setting=setting, kind=kind))
    return key


@dataclass(frozen=True)
class AppCredentials:
    """A GitHub App's id and RSA private key, checked when built."""

    app_id: int
    private_key: RSAPrivateKey = field(repr=False)

    @classmethod
    def from_pem(
        cls, app_id: object, *, private_key: str, setting: str = "PRIVATE_KEY"
    ) -> AppCredentials:
        return cls(parse_app_id(app_id), load_private_key(private_key, setting=setting))

    @classmethod
    def from_settings(cls, settings: Settings) -> AppCredentials:
        """Credentials from APP_ID and PRIVATE_KEY(_PATH), or one AppCredentialsError."""
        app_id = parse_app_id(settings.app_id)
        setting = "PRIVATE_KEY" if settings.private_key else "PRIVATE_KEY_PATH"
        pem = (
            settings.private_key_pem()
        )  # raises SettingsError naming PRIVATE_KEY_PATH if unreadable
        if not pem:
            raise AppCredentialsError(MISSING_KEY)
        return cls(app_id, load_private_key(pem, setting=setting))

    def jwt(self, *, now: float | None = None) -> str:
        """A fresh App JWT: iat = now - 60 s, exp = now + 9 min, iss = the App id, RS256."""
        issued = datetime.fromtimestamp(time.time() if now is None else now, tz=UTC)
        claims = {
            "iat": int((issued - JWT_BACKDATE).timestamp()),
            "exp": int((issued + JWT_LIFETIME).timestamp()),
            "iss": str(self.app_id),
        }
        return jwt.encode(claims, self.private_key, algorithm="RS256")


@dataclass(frozen=True)
class InstallationToken:
    """An installation access token, when GitHub says it expires, and the permissions it carries."""

    installation_id: int
    token: str = field(repr=False)
    expires_at: datetime
    obtained_at: datetime
    permissions: Mapping[str, str] = field(default_factory=dict)

    def refresh_at(self, margin: timedelta = TOKEN_REFRESH_MARGIN) -> datetime:
        # A token that lives less than twice the margin would never be reused; halve instead.
        return self.expires_at - min(margin, (self.expires_at - self.obtained_at) / 2)


def parse_expires_at(value: str) -> datetime:
    """GitHub's `expires_at` ("2016-07-11T22:14:10Z") as an aware datetime."""
    when = datetime.fromisoformat(value)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


class InstallationTokens:
    """Tokens cached until `margin` before expiry; one fetch per installation at a time."""

    def __init__(
        self,
        fetch: Callable[[int], Awaitable[InstallationToken]],
        *,
        margin: timedelta = TOKEN_REFRESH_MARGIN,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._fetch = fetch
        self._margin = margin
        self._now = now
        self._tokens: dict[int, InstallationToken] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    def cached(self, installation_id: int) -> InstallationToken | None:
        token = self._tokens.get(installation_id)
        if token is not None and self._now() < token.refresh_at(self._margin):
            return token
        return None

    async def get(self, installation_id: int) -> InstallationToken:
        """A token valid for at least the margin; concurrent callers share one fetch."""
        if token := self.cached(installation_id):
            return token
        lock = self._locks.setdefault(installation_id, asyncio.Lock())
        async with lock:
            # Whoever held the lock before us may have fetched it already.
            if token := self.cached(installation_id):
                return token
            token = await self._fetch(installation_id)
            self._tokens[installation_id] = token
            return token

    def invalidate(self, installation_id: int, *, token: str) -> None:
        """Forget `token` (GitHub rejected it) unless a newer one already replaced it."""
        cached = self._tokens.get(installation_id)
        if cached is not None and cached.token == token:
            del self._tokens[installation_id]


class _JWTAuth(httpx.Auth):
    def __init__(self, credentials: AppCredentials) -> None:
        self._credentials = credentials

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._credentials.jwt()}"
        yield request


@dataclass(frozen=True)
class AppJWTAuthStrategy(BaseAuthStrategy):
    """githubkit auth as the App itself: a new JWT per request (signing is cheap, none expires)."""

    credentials: AppCredentials

    def get_auth_flow(self, github: GitHubCore) -> httpx.Auth:
        return _JWTAuth(self.credentials)


class _InstallationAuth(httpx.Auth):
    def __init__(self, tokens: InstallationTokens, installation_id: int) -> None:
        self._tokens = tokens
        self._installation_id = installation_id

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("evolve-bot's GitHub client is async-only")

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self._tokens.get(self._installation_id)
        request.headers["Authorization"] = f"token {token.token}"
        response = yield request
        if response.status_code == 401:
            # Revoked or expired early (e.g. the App was reinstalled): one fresh token, one retry.
            self._tokens.invalidate(self._installation_id, token=token.token)
            token = await self._tokens.get(self._installation_id)
            request.headers["Authorization"] = f"token {token.token}"
            yield request


@dataclass(frozen=True)
class InstallationAuthStrategy(BaseAuthStrategy):
    """githubkit auth as one installation, drawing tokens from a shared InstallationTokens."""

    tokens: InstallationTokens
    installation_id: int

    def get_auth_flow(self, github: GitHubCore) -> httpx.Auth:
        return _InstallationAuth(self.tokens, self.installation_id)


class GitHubClient(GitHub):  # type: ignore[type-arg]
    """githubkit's client, reading Retry-After as an HTTP date too (0.16 raises ValueError)."""

    def _extract_retry_after(self, response: Any) -> timedelta:
        value = response.headers.get("retry-after")
        if value is not None and not value.strip().isdigit():
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return timedelta(seconds=60)
            when = when if when.tzinfo else when.replace(tzinfo=UTC)
            return max(when - datetime.now(UTC), timedelta())
        return super()._extract_retry_after(response)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The verifying TLS context every client in this process shares.

    githubkit builds an httpx client per request made outside a client context, and httpx loads
    the CA bundle again for each (a tenth of a second). Built once, as httpx would build it
    (SSL_CERT_FILE and SSL_CERT_DIR honoured when the process starts using it).
    """
    return httpx.create_ssl_context()


def github_client(
    auth: BaseAuthStrategy,
    *,
    base_url: str,
    throttler: BaseThrottler | None = None,
    timeout: float = 30.0,
    event_hooks: EventHooks | None = None,
) -> GitHub:
    """A githubkit client, its retries and HTTP cache off: RetryPolicy is the one retry layer."""
    return GitHubClient(
        auth,
        base_url=base_url,
        ssl_verify=tls_context(),
        user_agent=USER_AGENT,
        auto_retry=False,
        http_cache=False,
        timeout=timeout,
        throttler=throttler,
        async_event_hooks=event_hooks,
    )


class GitHubApp:
    """The App as GitHub knows it: its credentials, base URL, retry policy and token cache."""

    def __init__(
        self,
        credentials: AppCredentials,
        *,
        base_url: str = "https://api.github.com",
        policy: RetryPolicy | None = None,
        token_margin: timedelta = TOKEN_REFRESH_MARGIN,
        timeout: float = 30.0,
        event_hooks: EventHooks | None = None,
    ) -> None:
        self.credentials = credentials
        self.base_url = base_url.rstrip("/")
        self.policy = policy or RetryPolicy()
        self.timeout = timeout
        # httpx hooks on every request/response of both clients: metrics, logs, test probes.
        self.event_hooks = event_hooks
        # Keep a strong reference: githubkit's namespaces hold only weak ones.
        self.gh = github_client(
            AppJWTAuthStrategy(credentials),
            base_url=self.base_url,
            timeout=timeout,
            event_hooks=event_hooks,
        )
        self.tokens = InstallationTokens(self._fetch_token, margin=token_margin)
        self._throttlers: dict[int, SerialWrites] = {}

    @classmethod
    def from_settings(cls, settings: Settings, *, policy: RetryPolicy | None = None) -> GitHubApp:
        """The App from APP_ID, PRIVATE_KEY(_PATH) and GHE_HOST / EVOLVE_GITHUB_API_URL."""
        return cls(AppCredentials.from_settings(settings), base_url=settings.api_url, policy=policy)

    @property
    def app_id(self) -> int:
        return self.credentials.app_id

    async def _fetch_token(self, installation_id: int) -> InstallationToken:
        # https://docs.github.com/en/rest/apps/apps#create-an-installation-access-token-for-an-app
        response = await self.policy.call(
            lambda: self.gh.rest(REST_API_VERSION).apps.async_create_installation_access_token(
                installation_id
            ),
            what=f"installation token for installation {installation_id}",
        )
        data = response.json()
        return InstallationToken(
            installation_id=installation_id,
            token=data["token"],
            expires_at=parse_expires_at(data["expires_at"]),
            obtained_at=datetime.now(UTC),
            permissions=dict(data.get("permissions") or {}),
        )

    def write_throttler(self, installation_id: int) -> SerialWrites:
        """The one write lock for `installation_id`, shared by every client of that installation."""
        return self._throttlers.setdefault(installation_id, SerialWrites())

    async def installation_token(self, installation_id: int) -> InstallationToken:
        return await self.tokens.get(installation_id)

    async def slug(self) -> str:
        """The App's slug (its bot is `<slug>[bot]`), asked of GitHub with the App's JWT."""
        # https://docs.github.com/en/rest/apps/apps#get-the-authenticated-app
        response = await self.policy.call(
            lambda: self.gh.rest(REST_API_VERSION).apps.async_get_authenticated(), what="the App's slug"
        )
        return str(response.json()["slug"])
