"""Process settings from the environment and a `.env` file, under Probot's names."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///.evolve/evolve.db"
# Where `evolve-bot demo` keeps its sandbox and its bot's store (replaced by the next demo).
DEMO_ROOT = Path(".evolve/demo")
DEMO_DATABASE = DEMO_ROOT / "bot" / "evolve.db"

MISSING_SECRET = (
    "WEBHOOK_SECRET is not set. Set it to the webhook secret of your GitHub App, "
    "e.g. `export WEBHOOK_SECRET=$(openssl rand -hex 20)` or a line `WEBHOOK_SECRET=...` in `.env`."
)


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it and says how to fix it."""


class Settings(BaseSettings):
    """Everything the server and the CLI read from the environment."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    app_id: int | None = Field(default=None, validation_alias="APP_ID")
    private_key: str | None = Field(default=None, validation_alias="PRIVATE_KEY")
    private_key_path: Path | None = Field(default=None, validation_alias="PRIVATE_KEY_PATH")
    webhook_secret: str = Field(default="", validation_alias="WEBHOOK_SECRET")
    webhook_path: str = Field(default="/api/github/webhooks", validation_alias="WEBHOOK_PATH")
    ghe_host: str | None = Field(default=None, validation_alias="GHE_HOST")
    # GitHub's base URL for API calls; the sandbox or a test sets it, GHE_HOST derives it.
    github_api_url: str | None = Field(default=None, validation_alias="EVOLVE_GITHUB_API_URL")
    app_slug: str | None = Field(default=None, validation_alias="EVOLVE_APP_SLUG")
    host: str = Field(default="0.0.0.0", validation_alias="HOST")
    port: int = Field(default=3000, validation_alias="PORT")
    log_level: str = Field(default="info", validation_alias="LOG_LEVEL")
    database_url: str = Field(default=DEFAULT_DATABASE_URL, validation_alias="EVOLVE_DATABASE_URL")
    # In-process delivery workers; 0 leaves the backlog to separate workers.
    workers: int = Field(default=4, ge=0, le=64, validation_alias="EVOLVE_WORKERS")
    max_attempts: int = Field(default=5, ge=1, validation_alias="EVOLVE_MAX_ATTEMPTS")
    # How often to re-judge proposals waiting on CI, for missed webhooks; 0 turns it off.
    sweep_seconds: float = Field(default=60.0, ge=0, validation_alias="EVOLVE_SWEEP_SECONDS")

    @field_validator("webhook_path")
    @classmethod
    def _path_is_absolute(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("WEBHOOK_PATH must start with '/'")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.lower() not in {"trace", "debug", "info", "warning", "warn", "error", "critical", "fatal"}:
            raise ValueError(f"LOG_LEVEL {value!r} is not a log level (debug, info, warning, error)")
        return value.lower()

    @property
    def api_url(self) -> str:
        """The REST base URL: explicit, else GHE's `/api/v3`, else api.github.com."""
        if self.github_api_url:
            return self.github_api_url.rstrip("/")
        if self.ghe_host:
            return f"https://{self.ghe_host}/api/v3"
        return "https://api.github.com"

    def private_key_pem(self) -> str | None:
        """The App's private key from PRIVATE_KEY or the file PRIVATE_KEY_PATH names."""
        if self.private_key:
            # Probot accepts keys with literal "\n" so they fit in one env line.
            return self.private_key.replace("\\n", "\n")
        if self.private_key_path:
            try:
                return self.private_key_path.read_text()
            except OSError as exc:
                raise SettingsError(f"PRIVATE_KEY_PATH {self.private_key_path}: {exc.strerror}") from exc
        return None

    def environment(self) -> dict[str, str]:
        """The variables as this process sees them (`.env` under the real environment), for the
        LLM backends, which read their provider, model, base URL and key from such a mapping
        and scrub every secret-looking value out of what they send."""
        from dotenv import dotenv_values

        env_file = self.model_config.get("env_file")
        found = {k: v for k, v in dotenv_values(env_file).items() if v is not None} if isinstance(env_file, str) else {}
        return {**found, **os.environ}

    def require_secret(self) -> str:
        if not self.webhook_secret:
            raise SettingsError(MISSING_SECRET)
        return self.webhook_secret


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning pydantic's report into one readable SettingsError."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper() or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise SettingsError(f"invalid settings: {problems}") from exc
