"""The sandbox: a faithful local GitHub (REST, GraphQL, webhooks, CI) on real git repositories."""

from bot.sandbox.model import ApiError
from bot.sandbox.sandbox import Sandbox

__all__ = ["ApiError", "Sandbox"]
