"""The demo: the story `evolve-bot demo` plays, and the Stage it plays on (the sandbox GitHub and the bot, wired together)."""

from .stage import SLUG, Stage
from .story import print_json, run_demo, summary_table

__all__ = ["SLUG", "Stage", "print_json", "run_demo", "summary_table"]
