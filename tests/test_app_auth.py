"""App auth: JWT claims, one clear error per bad setting, and the installation-token cache."""

from __future__ import annotations

import asyncio
import ssl
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from bot.app_auth import (
    AppCredentials,
    AppCredentialsError,
    GitHubApp,
    InstallationToken,
    InstallationTokens,
)
from bot.github import InstallationClient
from bot.github_retry import GitHubError
from bot.settings import SettingsError, load_settings
from tests.helpers.github_world import TOKEN_ENDPOINT, GitHubWorld

ENV_NAMES = ("APP_ID", "PRIVATE_KEY", "PRIVATE_KEY_PATH", "GHE_HOST", "EVOLVE_GITHUB_API_URL")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Settings read the environment and ./.env: keep the developer's own out of these tests.
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def rsa_pem(rsa_key: rsa.RSAPrivateKey) -> str:
    return rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


def test_jwt_has_the_claims_github_requires(rsa_key: rsa.RSAPrivateKey, rsa_pem: str) -> None:
    credentials = AppCredentials.from_pem(12345, private_key=rsa_pem)
    now = 1_700_000_000
    token = credentials.jwt(now=now)
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    claims = jwt.decode(
        token,
        rsa_key.public_key(),
        algorithms=["RS256"],
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims["iss"] == "12345"
    assert claims["iat"] == now - 60
    assert now < claims["exp"] <= now + 600


def test_settings_build_credentials_and_base_url(rsa_pem: str, tmp_path: Path) -> None:
    key_file = tmp_path / "app.pem"
    key_file.write_text(rsa_pem)
    settings = load_settings(
        APP_ID="42", PRIVATE_KEY_PATH=str(key_file), GHE_HOST="ghe.example.com"
    )
    app = GitHubApp.from_settings(settings)
    assert app.app_id == 42
    assert app.base_url == "https://ghe.example.com/api/v3"
    sandbox = load_settings(
        APP_ID="42", PRIVATE_KEY=rsa_pem, EVOLVE_GITHUB_API_URL="http://127.0.0.1:9/"
    )
    assert GitHubApp.from_settings(sandbox).base_url == "http://127.0.0.1:9"


def test_private_key_with_escaped_newlines_in_one_env_line_works(rsa_pem: str) -> None:
    settings = load_settings(APP_ID="42", PRIVATE_KEY=rsa_pem.replace("\n", "\\n"))
    assert AppCredentials.from_settings(settings).app_id == 42


def test_missing_app_id_names_app_id(rsa_pem: str) -> None:
    with pytest.raises(AppCredentialsError, match=r"^APP_ID is not set"):
        GitHubApp.from_settings(load_settings(PRIVATE_KEY=rsa_pem))


@pytest.mark.parametrize("value", ["abc", "12a", "-5", "0", ""])
def test_non_numeric_app_id_names_app_id(value: str, rsa_pem: str) -> None:
    with pytest.raises(SettingsError, match="APP_ID"):
        GitHubApp.from_settings(load_settings(APP_ID=value, PRIVATE_KEY=rsa_pem))
    with pytest.raises(AppCredentialsError, match="APP_ID"):
        AppCredentials.from_pem(value, private_key=rsa_pem)


def test_missing_key_names_both_settings() -> None:
    with pytest.raises(
        AppCredentialsError, match=r"Neither PRIVATE_KEY nor PRIVATE_KEY_PATH is set"
    ):
        GitHubApp.from_settings(load_settings(APP_ID="42"))


def test_key_that_is_not_pem_names_private_key() -> None:
    with pytest.raises(AppCredentialsError, match=r"^PRIVATE_KEY is not a PEM private key"):
        GitHubApp.from_settings(load_settings(APP_ID="42", PRIVATE_KEY="hello, not a key"))


def test_key_file_that_is_not_pem_names_private_key_path(tmp_path: Path) -> None:
    key_file = tmp_path / "app.pem"
    key_file.write_text("ssh-rsa AAAAB3NzaC1yc2E not a pem\n")
    with pytest.raises(AppCredentialsError, match=r"^PRIVATE_KEY_PATH is not a PEM private key"):
        GitHubApp.from_settings(load_settings(APP_ID="42", PRIVATE_KEY_PATH=str(key_file)))


def test_missing_key_file_names_private_key_path(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"^PRIVATE_KEY_PATH .*nope\.pem"):
        GitHubApp.from_settings(
            load_settings(APP_ID="42", PRIVATE_KEY_PATH=str(tmp_path / "nope.pem"))
        )


def test_non_rsa_key_names_private_key_and_its_kind() -> None:
    ec_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    with pytest.raises(
        AppCredentialsError,
        match=r"^PRIVATE_KEY is not an RSA key but an EC key; GitHub App keys are RSA",
    ):
        GitHubApp.from_settings(load_settings(APP_ID="42", PRIVATE_KEY=ec_pem))


def test_public_key_is_not_mistaken_for_a_private_one(rsa_key: rsa.RSAPrivateKey) -> None:
    public_pem = (
        rsa_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    with pytest.raises(AppCredentialsError, match=r"^PRIVATE_KEY is not a PEM private key"):
        AppCredentials.from_pem(42, private_key=public_pem)


def test_encrypted_key_names_private_key(rsa_key: rsa.RSAPrivateKey) -> None:
    encrypted = rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    ).decode()
    with pytest.raises(AppCredentialsError, match=r"^PRIVATE_KEY is a passphrase-protected key"):
        AppCredentials.from_pem(42, private_key=encrypted)


def token(
    installation_id: int, n: int, *, lifetime: timedelta = timedelta(hours=1)
) -> InstallationToken:
    now = datetime.now(UTC)
    return InstallationToken(
        installation_id, f"ghs_{n}", expires_at=now + lifetime, obtained_at=now
    )


async def test_concurrent_callers_share_one_fetch_per_installation() -> None:
    fetched: list[int] = []

    async def fetch(installation_id: int) -> InstallationToken:
        fetched.append(installation_id)
        n = len(fetched)
        await asyncio.sleep(0.02)  # long enough for every caller to arrive while it is in flight
        return token(installation_id, n)

    tokens = InstallationTokens(fetch)
    got = await asyncio.gather(*(tokens.get(i) for i in [1, 2, 1, 1, 2, 1] * 5))
    assert sorted(fetched) == [1, 2]
    assert {t.token for t in got if t.installation_id == 1} == {f"ghs_{fetched.index(1) + 1}"}


async def test_token_is_refreshed_within_the_margin_of_expiry() -> None:
    clock = {"now": datetime.now(UTC)}
    fetched: list[InstallationToken] = []

    async def fetch(installation_id: int) -> InstallationToken:
        t = InstallationToken(
            installation_id,
            f"ghs_{len(fetched)}",
            expires_at=clock["now"] + timedelta(hours=1),
            obtained_at=clock["now"],
        )
        fetched.append(t)
        return t

    tokens = InstallationTokens(fetch, margin=timedelta(minutes=5), now=lambda: clock["now"])
    first = await tokens.get(7)
    clock["now"] += timedelta(minutes=54)
    assert await tokens.get(7) is first  # six minutes left: still good
    clock["now"] += timedelta(minutes=2)
    second = await tokens.get(7)  # four minutes left: inside the margin
    assert second is not first and len(fetched) == 2


async def test_invalidated_token_is_fetched_again_but_a_newer_one_is_kept() -> None:
    n = 0

    async def fetch(installation_id: int) -> InstallationToken:
        nonlocal n
        n += 1
        return token(installation_id, n)

    tokens = InstallationTokens(fetch)
    first = await tokens.get(3)
    tokens.invalidate(3, token=first.token)
    second = await tokens.get(3)
    assert second.token != first.token
    tokens.invalidate(3, token=first.token)  # a stale rejection must not drop the newer token
    assert await tokens.get(3) is second


def test_short_lived_token_is_reused_for_half_its_life() -> None:
    t = token(1, 1, lifetime=timedelta(minutes=4))
    assert t.refresh_at() == t.expires_at - timedelta(minutes=2)


def test_jwt_is_minted_fresh_and_never_expired(rsa_key: rsa.RSAPrivateKey, rsa_pem: str) -> None:
    credentials = AppCredentials.from_pem("77", private_key=rsa_pem)
    claims = jwt.decode(credentials.jwt(), rsa_key.public_key(), algorithms=["RS256"])
    assert claims["exp"] > time.time()


# --- against the sandbox ----------------------------------------------------------------------


async def test_concurrent_tasks_make_one_token_request_to_github(github: GitHubWorld) -> None:
    """Twenty tasks start cold at once; the sandbox sees one access-token request, then 20 reads."""
    results = await asyncio.gather(
        *(github.repo.read_file("README.md", ref="main") for _ in range(20))
    )
    assert all(r is not None and r.text == "# demo\n" for r in results)
    counts = github.sandbox.requests.counts(by="endpoint")
    assert counts[TOKEN_ENDPOINT] == 1
    assert counts["GET /repos/{owner}/{repo}/contents/{path}"] == 20
    # The reads all used the installation's token, not the App's JWT.
    reads = [r for r in github.sandbox.requests.records if r.endpoint != TOKEN_ENDPOINT]
    assert {r.installation_id for r in reads} == {github.installation.id}


async def test_cached_token_is_reused_across_clients_of_the_app(github: GitHubWorld) -> None:
    other = InstallationClient(github.app, github.installation.id).repo("alice", "demo")
    await github.repo.read_file("README.md", ref="main")
    await other.read_file("README.md", ref="main")
    assert github.sandbox.requests.counts(by="endpoint")[TOKEN_ENDPOINT] == 1


async def test_token_request_refused_by_github_says_so(github: GitHubWorld) -> None:
    """A token for an installation that does not exist: GitHub's 404, named, not retried."""
    with pytest.raises(
        GitHubError, match=r"installation token for installation 999: 404 Not Found"
    ):
        await github.app.installation_token(999)
    assert github.sleeps == []


async def test_wrong_private_key_is_reported_by_github_not_retried(github: GitHubWorld) -> None:
    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = impostor.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    app = GitHubApp(
        AppCredentials.from_pem(github.installation.app.id, private_key=pem), base_url=github.base_url
    )
    repo = InstallationClient(app, github.installation.id).repo("alice", "demo")
    with pytest.raises(
        GitHubError,
        match=r"installation token for installation \d+: 401 A JSON web token could not be decoded",
    ):
        await repo.read_file("README.md", ref="main")
    assert github.sandbox.requests.counts(by="endpoint") == {TOKEN_ENDPOINT: 1}


def test_every_client_shares_one_verifying_tls_context() -> None:
    from githubkit.auth import TokenAuthStrategy

    from bot.app_auth import github_client, tls_context

    context = tls_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert tls_context() is context
    client = github_client(TokenAuthStrategy("t"), base_url="https://ghe.example/api/v3")
    assert client.config.ssl_verify is context
