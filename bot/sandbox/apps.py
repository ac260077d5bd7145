"""GitHub Apps in the sandbox: registering them, installing them and their installation tokens."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterable, Mapping

from bot.sandbox import events as hooks
from bot.sandbox import shapes
from bot.sandbox.auth import mint_token
from bot.sandbox.model import Account, App, Installation, InstallationToken, Repo, utcnow
from bot.sandbox.state import Person, SandboxState

ALL_EVENTS = [
    "check_run",
    "check_suite",
    "issue_comment",
    "pull_request",
    "pull_request_review",
    "pull_request_review_comment",
    "push",
    "status",
]
DEFAULT_PERMISSIONS = {
    "checks": "write",
    "contents": "write",
    "issues": "write",
    "metadata": "read",
    "pull_requests": "write",
    "statuses": "write",
}


class Apps(SandboxState):
    """Apps, installations and installation tokens."""

    def register_app(
        self,
        *,
        slug: str,
        name: str | None = None,
        owner: Person | None = None,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        permissions: Mapping[str, str] | None = None,
        events: Iterable[str] | None = None,
    ) -> App:
        """Register a GitHub App with an RSA key no other app here has; a webhook URL gets a `ping` delivery."""
        if any(a.slug == slug for a in self.world.apps.values()):
            raise ValueError(f"an app with slug {slug!r} exists")
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", slug):
            raise ValueError(f"{slug!r} is not a valid app slug (lower-case letters, digits and dashes)")
        for perm, level in (permissions or {}).items():
            if level not in ("read", "write", "admin"):
                raise ValueError(f"permission {perm}={level!r}: use read, write or admin")
        private_pem, public_pem = self._key_pairs.next()
        owner_account = self.user(owner) if owner else self._system_owner()
        bot = Account(self.world.next_id(), f"{slug}[bot]", "Bot")
        self.world.accounts[bot.login.lower()] = bot
        perms = {"metadata": "read", **dict(permissions if permissions is not None else DEFAULT_PERMISSIONS)}
        app = App(
            id=self.world.next_id(),
            slug=slug,
            name=name or slug,
            owner=owner_account,
            bot=bot,
            client_id="Iv1." + secrets.token_hex(8),
            private_key_pem=private_pem,
            public_key_pem=public_pem,
            webhook_url=webhook_url,
            webhook_secret=webhook_secret,
            permissions=perms,
            events=list(events) if events is not None else list(ALL_EVENTS),
            hook_id=next(self._hook_ids),
        )
        self.world.apps[app.id] = app
        if webhook_url:
            self._enqueue(app, "ping", hooks.ping(self.urls, app) | {"sender": shapes.user(self.urls, owner_account)})
        return app

    # -- installations and tokens --------------------------------------------------------------

    async def install(
        self,
        app: App,
        *,
        account: Person,
        repos: Iterable[str | Repo] | None = None,
        permissions: Mapping[str, str] | None = None,
    ) -> Installation:
        """Install `app` on `account` for `repos` (None: all); again on the same account adds repos."""
        owner = self.user(account)
        chosen = [self.repo(r) for r in repos] if repos is not None else None
        for repo in chosen or []:
            if repo.owner is not owner:
                raise ValueError(f"{repo.full_name} does not belong to {owner.login}")
        existing = next((i for i in self.world.installations.values() if i.app is app and i.account is owner), None)
        sender = owner
        if existing is not None:
            added = [r for r in chosen or [] if r.id not in existing.repository_ids]
            existing.repository_ids.update(r.id for r in added)
            if chosen is None:
                existing.repository_selection = "all"
            existing.updated_at = utcnow()
            if added:
                self._enqueue(
                    app,
                    "installation_repositories",
                    {
                        "action": "added",
                        "installation": shapes.installation(self.urls, existing),
                        "repository_selection": existing.repository_selection,
                        "repositories_added": [hooks.repository_brief(r) for r in added],
                        "repositories_removed": [],
                        "requester": None,
                        "sender": shapes.user(self.urls, sender),
                    },
                )
            return existing
        inst = Installation(
            id=self.world.next_id(),
            app=app,
            account=owner,
            repository_selection="all" if chosen is None else "selected",
            repository_ids={r.id for r in chosen or []},
            permissions=dict(permissions or app.permissions),
            events=list(app.events),
        )
        self.world.installations[inst.id] = inst
        covered = [r for r in self.world.repos.values() if inst.covers(r)]
        self._enqueue(
            app,
            "installation",
            {
                "action": "created",
                "installation": shapes.installation(self.urls, inst),
                "repositories": [hooks.repository_brief(r) for r in covered],
                "requester": None,
                "sender": shapes.user(self.urls, sender),
            },
        )
        return inst

    def installation_token(self, installation: Installation, *, ttl: dt.timedelta | None = None) -> InstallationToken:
        """Mint a token directly (what POST /app/installations/{id}/access_tokens does)."""
        return mint_token(self.world, installation, ttl=ttl if ttl is not None else self.token_ttl)

    def expire_tokens(self, installation: Installation | None = None) -> int:
        """Make every (or one installation's) token expired now; returns how many."""
        count = 0
        for token in self.world.tokens.values():
            if installation is None or token.installation is installation:
                token.expires_at = utcnow() - dt.timedelta(seconds=1)
                count += 1
        return count
