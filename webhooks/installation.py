"""installation and installation_repositories: kept as installation state in the store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bot.signals import InstallationSignal

from .router import Context, Router, value

router = Router()


def _names(repos: Any) -> tuple[str, ...]:
    return tuple(r.full_name for r in value(repos) or ())


def _account(installation: Any) -> str:
    account = value(installation.account)
    return str(value(getattr(account, "login", None)) or value(getattr(account, "slug", None)) or "unknown")


@router.register("installation", action="created")
@router.register("installation", action="deleted")
@router.register("installation", action="suspend")
@router.register("installation", action="unsuspend")
@router.register("installation", action="new_permissions_accepted")
def installation(event: Any, ctx: Context) -> Iterator[InstallationSignal]:
    inst = event.installation
    yield InstallationSignal(
        **ctx.base(installation_id=inst.id),
        account=_account(inst),
        repository_selection=value(inst.repository_selection),
        added=_names(getattr(event, "repositories", None)) if event.action == "created" else (),
    )


@router.register("installation_repositories", action="added")
@router.register("installation_repositories", action="removed")
def installation_repositories(event: Any, ctx: Context) -> Iterator[InstallationSignal]:
    inst = event.installation
    yield InstallationSignal(
        **ctx.base(installation_id=inst.id),
        account=_account(inst),
        repository_selection=value(event.repository_selection),
        added=_names(event.repositories_added),
        removed=_names(event.repositories_removed),
    )
