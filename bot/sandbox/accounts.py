"""People and organizations of the sandbox: their logins and lookups."""

from __future__ import annotations

import re

from bot.sandbox.model import Account
from bot.sandbox.state import Person, SandboxState


class Accounts(SandboxState):
    """Users and organizations."""

    def add_user(self, login: str, *, name: str | None = None, email: str | None = None, type: str = "User") -> Account:
        """Create a user (or an organization with type="Organization"); logins are unique."""
        if self.world.account(login):
            raise ValueError(f"the login {login!r} is taken")
        if not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(\[bot\])?", login):
            raise ValueError(f"{login!r} is not a valid GitHub login")
        account = Account(self.world.next_id(), login, type, name=name, email=email)
        self.world.accounts[login.lower()] = account
        return account

    def add_org(self, login: str, *, name: str | None = None) -> Account:
        return self.add_user(login, name=name, type="Organization")

    def user(self, who: Person) -> Account:
        if isinstance(who, Account):
            return who
        account = self.world.account(who)
        if account is None:
            raise LookupError(f"no user {who!r}; add it with sandbox.add_user({who!r})")
        return account

    def _system_owner(self) -> Account:
        return self.world.account("sandbox") or self.add_org("sandbox")
