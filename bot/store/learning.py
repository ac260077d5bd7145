"""The learner's memory: review examples, retired rules and each repository's playbook."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, delete, insert, select, update

from bot.rules import Example, Surroundings
from bot.store import tables as t
from bot.store.engine import Database
from bot.store.journal import Journal


class Learning:
    """Every write and read of what the learner keeps between deliveries."""

    def __init__(self, db: Database, journal: Journal) -> None:
        self.db = db
        self.journal = journal

    # -- examples -----------------------------------------------------------------------------

    async def add_example(self, repository: str, example: Example, *, origin: str) -> bool:
        """Keep a before/after example once per origin; False when that origin was seen before."""
        values = {
            "repository": repository,
            "origin": origin,
            "source": example.source,
            "path": example.path,
            "language": example.language,
            "before": example.before,
            "after": example.after,
            "author": example.author,
            "pr": example.pr,
            "line": example.line,
            "outcome": example.outcome,
            "created_at": self.db.clock(),
            "surroundings": example.surroundings.to_dict() if example.surroundings else None,
        }
        async with self.db.transaction() as conn:
            result = await conn.execute(self.db.insert_ignore(t.examples, values))
        return bool(result.rowcount)

    async def examples(self, repository: str) -> list[Example]:
        e = t.examples
        async with self.db.connect() as conn:
            rows = (await conn.execute(select(e).where(e.c.repository == repository).order_by(e.c.id))).all()
        return [
            Example(
                before=r.before, after=r.after, path=r.path, language=r.language, source=r.source,
                author=r.author, pr=r.pr, line=r.line, outcome=r.outcome,
                surroundings=Surroundings.from_dict(r.surroundings) if r.surroundings else None,
            )
            for r in rows
        ]

    # -- retired rules ------------------------------------------------------------------------

    async def retire_rule(self, repository: str, rule_id: str, *, reason: str, examples: Sequence[str] = ()) -> None:
        """Retire a learned rule, with the keys of the examples it was learned from (if known)."""
        values = {"repository": repository, "rule_id": rule_id, "reason": reason, "at": self.db.clock(), "examples": list(examples) or None}
        async with self.db.transaction() as conn:
            await conn.execute(self.db.insert_ignore(t.retired_rules, values))

    async def unretire_rule(self, repository: str, rule_id: str) -> str | None:
        """Bring a retired rule back; the reason it was retired for, or None if it was not retired."""
        r = t.retired_rules
        where = and_(r.c.repository == repository, r.c.rule_id == rule_id)
        async with self.db.transaction() as conn:
            reason = (await conn.execute(select(r.c.reason).where(where))).scalar_one_or_none()
            if reason is not None:
                await conn.execute(delete(r).where(where))
        return reason

    async def retired_rules(self, repository: str) -> dict[str, str]:
        r = t.retired_rules
        async with self.db.connect() as conn:
            rows = (await conn.execute(select(r.c.rule_id, r.c.reason).where(r.c.repository == repository))).all()
        return {row.rule_id: row.reason for row in rows}

    async def retired_examples(self, repository: str) -> list[tuple[frozenset[str], str]]:
        """Per retired rule whose examples are known: their keys, and why it was retired."""
        r = t.retired_rules
        async with self.db.connect() as conn:
            rows = (await conn.execute(select(r.c.examples, r.c.reason).where(r.c.repository == repository).order_by(r.c.at))).all()
        return [(frozenset(str(k) for k in row.examples), row.reason) for row in rows if isinstance(row.examples, list) and row.examples]

    # -- the playbook -------------------------------------------------------------------------

    async def playbook_text(self, repository: str) -> tuple[str, str | None] | None:
        """The repository's playbook as last saved, and the file sha it was read from (if any)."""
        p = t.playbooks
        async with self.db.connect() as conn:
            row = (await conn.execute(select(p.c.text, p.c.file_sha).where(p.c.repository == repository))).one_or_none()
        return (row.text, row.file_sha) if row else None

    async def save_playbook(self, repository: str, text: str, *, file_sha: str | None, message: str) -> None:
        """Keep the repository's playbook and journal why it changed, in one transaction."""
        p = t.playbooks
        at = self.db.clock()
        async with self.db.transaction() as conn:
            exists_ = (await conn.execute(select(p.c.repository).where(p.c.repository == repository))).first()
            if exists_:
                await conn.execute(update(p).where(p.c.repository == repository).values(text=text, file_sha=file_sha, updated_at=at))
            else:
                await conn.execute(insert(p).values(repository=repository, text=text, file_sha=file_sha, updated_at=at))
            await self.journal.append(conn, "playbook.updated", message, at=at, repository=repository)
