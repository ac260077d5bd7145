"""Routes a delivery to the parsers registered for its event and action, collecting signals."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from githubkit.utils import UNSET
from githubkit.webhooks import parse_obj

from bot.delivery import Delivery
from bot.signals import Signal

Parser = Callable[[Any, "Context"], Iterable[Signal]]

BOT_SUFFIX = "[bot]"


def value(obj: Any) -> Any:
    """githubkit marks absent optional fields UNSET; the signals want None."""
    return None if obj is UNSET else obj


def is_bot(user: Any) -> bool:
    """A bot account: GitHub's user type, or the `[bot]` suffix every App's login carries."""
    if user is None or user is UNSET:
        return False
    return value(getattr(user, "type", None)) == "Bot" or str(getattr(user, "login", "")).endswith(BOT_SUFFIX)


class Context:
    """The facts every signal of one delivery shares."""

    def __init__(self, delivery: Delivery, event: Any, raw: dict[str, Any]) -> None:
        self.delivery = delivery
        self.event = event
        # The decoded JSON, for the few fields GitHub sends that githubkit's models leave out.
        self.raw = raw
        sender = value(getattr(event, "sender", None))
        self.actor: str | None = sender.login if sender is not None else None
        self.from_bot = is_bot(sender)

    def base(self, **overrides: Any) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "delivery_id": self.delivery.delivery_id,
            "event": self.delivery.event,
            "action": self.delivery.action,
            "installation_id": self.delivery.installation_id,
            "repository": self.delivery.repository,
            "actor": self.actor,
            "from_bot": self.from_bot,
        }
        fields.update(overrides)
        return fields


class Router:
    """`@router.register("pull_request", action="opened")`; routers compose like gidgethub's."""

    def __init__(self, *others: Router) -> None:
        self._parsers: dict[str, dict[str | None, list[Parser]]] = {}
        for other in others:
            for event, by_action in other._parsers.items():
                for action, parsers in by_action.items():
                    self._parsers.setdefault(event, {}).setdefault(action, []).extend(parsers)

    def register(self, event: str, *, action: str | None = None) -> Callable[[Parser], Parser]:
        def decorator(func: Parser) -> Parser:
            self._parsers.setdefault(event, {}).setdefault(action, []).append(func)
            return func

        return decorator

    def handles(self, event: str, action: str | None) -> bool:
        """Whether any parser wants this event and action; the rest are recorded as ignored."""
        by_action = self._parsers.get(event, {})
        return None in by_action or (action is not None and action in by_action)

    @property
    def events(self) -> list[str]:
        return sorted(self._parsers)

    def signals(self, delivery: Delivery) -> list[Signal]:
        """Validate the payload with githubkit's webhook models and run the matching parsers.

        Raises pydantic's ValidationError (or githubkit's WebhookTypeNotFound) when the payload
        does not match GitHub's schema; such a delivery can never succeed, so it is not retried.
        """
        by_action = self._parsers.get(delivery.event, {})
        parsers = [*by_action.get(None, []), *by_action.get(delivery.action, [])] if delivery.action else by_action.get(None, [])
        if not parsers:
            return []
        raw = delivery.payload()
        event = parse_obj(delivery.event, raw)
        context = Context(delivery, event, raw)
        found: list[Signal] = []
        for parser in parsers:
            found.extend(parser(event, context))
        return found
