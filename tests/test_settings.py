"""Settings: Probot's names, defaults, `.env`, and one readable error per bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import DEFAULT_DATABASE_URL, SettingsError, load_settings

NAMES = ("APP_ID", "PRIVATE_KEY", "PRIVATE_KEY_PATH", "WEBHOOK_SECRET", "WEBHOOK_PATH", "GHE_HOST", "PORT", "LOG_LEVEL", "EVOLVE_DATABASE_URL", "EVOLVE_GITHUB_API_URL")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults() -> None:
    s = load_settings()
    assert (s.webhook_path, s.port, s.log_level, s.database_url) == ("/api/github/webhooks", 3000, "info", DEFAULT_DATABASE_URL)
    assert s.api_url == "https://api.github.com"
    with pytest.raises(SettingsError, match="WEBHOOK_SECRET is not set"):
        s.require_secret()


def test_probot_names_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ID", "123")
    monkeypatch.setenv("WEBHOOK_SECRET", "s3")
    monkeypatch.setenv("WEBHOOK_PATH", "/hooks")
    monkeypatch.setenv("PORT", "8080")
    monkeypatch.setenv("GHE_HOST", "ghe.example.com")
    s = load_settings()
    assert (s.app_id, s.require_secret(), s.webhook_path, s.port) == (123, "s3", "/hooks", 8080)
    assert s.api_url == "https://ghe.example.com/api/v3"


def test_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("WEBHOOK_SECRET=from-dotenv\nLOG_LEVEL=debug\n")
    s = load_settings()
    assert (s.webhook_secret, s.log_level) == ("from-dotenv", "debug")


def test_private_key_inline_with_escaped_newlines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRIVATE_KEY", "-----BEGIN KEY-----\\nabc\\n-----END KEY-----")
    assert load_settings().private_key_pem() == "-----BEGIN KEY-----\nabc\n-----END KEY-----"


def test_private_key_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "key.pem").write_text("PEM")
    monkeypatch.setenv("PRIVATE_KEY_PATH", str(tmp_path / "key.pem"))
    assert load_settings().private_key_pem() == "PEM"
    monkeypatch.setenv("PRIVATE_KEY_PATH", str(tmp_path / "missing.pem"))
    with pytest.raises(SettingsError, match="PRIVATE_KEY_PATH .*missing.pem"):
        load_settings().private_key_pem()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [("PORT", "http", "PORT"), ("APP_ID", "abc", "APP_ID"), ("WEBHOOK_PATH", "hooks", "WEBHOOK_PATH must start"), ("LOG_LEVEL", "loud", "not a log level")],
)
def test_bad_values_name_the_setting(monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=message):
        load_settings()
