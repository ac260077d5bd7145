"""Rewrite rules: written by maintainers or learned from reviewers' examples, run by ast-grep."""

from bot.rules.examples import REWRITE_COMMAND, Example, ExampleError
from bot.rules.learned import LearnedRule, example_key, retirement
from bot.rules.learning import learn_rules
from bot.rules.matching import find_matches
from bot.rules.patterns import RewriteError, language_for, pattern_problem, syntax_problems
from bot.rules.previews import diff_line_count, unified_diff
from bot.rules.regions import EditRegion, edit_regions
from bot.rules.reviews import example_from_commit, example_from_suggestion, surroundings_of
from bot.rules.rewriting import apply_rewrite
from bot.rules.rule import ItemMap, NameTable, RewriteRule, ValueSet
from bot.rules.sites import find_sites
from bot.rules.surroundings import Surroundings

__all__ = [
    "REWRITE_COMMAND",
    "EditRegion",
    "Example",
    "ExampleError",
    "ItemMap",
    "LearnedRule",
    "NameTable",
    "RewriteError",
    "RewriteRule",
    "Surroundings",
    "ValueSet",
    "apply_rewrite",
    "diff_line_count",
    "edit_regions",
    "example_from_commit",
    "example_from_suggestion",
    "example_key",
    "find_matches",
    "find_sites",
    "language_for",
    "learn_rules",
    "pattern_problem",
    "retirement",
    "surroundings_of",
    "syntax_problems",
    "unified_diff",
]
