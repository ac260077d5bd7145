"""Reading a commit's check runs and statuses into a verdict, for the PR's head and the default branch alike."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence

from bot.github import CheckRun
from bot.loop.context import OWN_CHECK, Loop, Repo
from bot.verdict import HeadCheck, HeadStatus, Verdict, judge


async def verdict_for(loop: Loop, repo: Repo, sha: str, *, since: dt.datetime | None) -> Verdict:
    runs, status = await asyncio.gather(repo.client.check_runs(sha), repo.client.combined_status(sha))
    statuses = [HeadStatus(context=st.context, state=st.state, description=st.description) for st in status.statuses]
    waited = max(loop.clock() - since, dt.timedelta(0)) if since else dt.timedelta(0)
    return judge(
        [head_check(r) for r in runs],
        statuses,
        required_checks=repo.config.required_checks,
        since_push=waited,
        untested_after=dt.timedelta(minutes=repo.config.untested_after_minutes),
        own_check=OWN_CHECK,
    )


def head_check(run: CheckRun) -> HeadCheck:
    return HeadCheck(
        name=run.name,
        status=run.status,
        conclusion=run.conclusion,
        started_at=run.started_at,
        completed_at=run.completed_at,
        title=run.title,
        summary=run.summary,
        text=run.text,
        id=run.id,
        details_url=run.html_url,
    )


def latest(runs: Sequence[CheckRun]) -> list[CheckRun]:
    """The newest run of each check name (re-runs leave the older ones listed)."""
    newest: dict[str, CheckRun] = {}
    for run in runs:
        if run.name not in newest or run.id > newest[run.name].id:
            newest[run.name] = run
    return list(newest.values())
