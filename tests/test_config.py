"""RepoConfig: what `.github/evolve.yml` may say, and the exact, line-numbered errors when it is wrong."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from bot.config import (
    DEFAULT_CONFIG_TEXT,
    MAX_CONFIG_CHARS,
    MODES,
    PROPOSAL_KINDS,
    BetaPrior,
    ConfigError,
    LlmSettings,
    RepoConfig,
    parse_config,
)

BRANCH_CHARS = "must not contain any of ~ ^ : ? * [ \\"
MODES_LIST = "suggest_only, ask_before, confidence, full_auto"
TOP_KEYS = (
    "mode, confidence_threshold, max_open_prs, paths, branch_prefix, labels, required_checks, "
    "automerge, max_diff_lines, untested_after_minutes, priors, learn, llm"
)


def error_of(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse_config(text)
    return caught.value


# --- defaults -------------------------------------------------------------------------------


def test_defaults() -> None:
    config = RepoConfig()
    assert config.mode == "ask_before"
    assert config.confidence_threshold == 0.8
    assert config.max_open_prs == 3
    assert config.paths.allow == ["**"]
    assert config.paths.deny == [".github/**"]
    assert config.branch_prefix == "evolve/"
    assert config.labels == ["evolve-bot"]
    assert config.required_checks is None
    assert config.automerge is False
    assert config.max_diff_lines == 400
    assert config.untested_after_minutes == 30
    assert config.learn.min_examples == 2
    assert config.learn.settle_days == 7
    assert config.llm is None
    assert {
        kind: (getattr(config.priors, kind).alpha, getattr(config.priors, kind).beta)
        for kind in PROPOSAL_KINDS
    } == {
        "rewrite": (2.8, 1.2),
        "instruction": (2, 2),
        "learned_rule": (2.4, 1.6),
        "revert": (3.6, 0.4),
        "playbook": (2, 2),
        "onboarding": (3.6, 0.4),
    }


@pytest.mark.parametrize(
    "text", ["", "\n\n", "# nothing configured yet\n", "---\n", "~\n", "   \n# a\n  # b\n"]
)
def test_an_empty_file_means_every_default(text: str) -> None:
    assert parse_config(text) == RepoConfig()


def test_the_config_is_frozen() -> None:
    config = parse_config("mode: confidence\n")
    with pytest.raises(ValidationError):
        config.mode = "full_auto"  # type: ignore[misc]


# --- valid values, key by key ----------------------------------------------------------------

VALID: list[tuple[str, str, Any]] = [
    *[(f"mode: {mode}\n", "mode", mode) for mode in MODES],
    ("confidence_threshold: 0\n", "confidence_threshold", 0.0),
    ("confidence_threshold: 1\n", "confidence_threshold", 1.0),
    ("confidence_threshold: 0.65\n", "confidence_threshold", 0.65),
    ("max_open_prs: 0\n", "max_open_prs", 0),
    ("max_open_prs: 10\n", "max_open_prs", 10),
    ("branch_prefix: bots/evolve-\n", "branch_prefix", "bots/evolve-"),
    ("branch_prefix: evolve\n", "branch_prefix", "evolve"),
    ("labels: []\n", "labels", []),
    ("labels: [evolve-bot, 'kind: cleanup']\n", "labels", ["evolve-bot", "kind: cleanup"]),
    ("required_checks: [ci/test, lint]\n", "required_checks", ["ci/test", "lint"]),
    ("required_checks: null\n", "required_checks", None),
    ("required_checks: []\n", "required_checks", []),
    ("automerge: true\n", "automerge", True),
    ("automerge: false\n", "automerge", False),
    ("max_diff_lines: 1\n", "max_diff_lines", 1),
    ("max_diff_lines: 2000\n", "max_diff_lines", 2000),
    ("untested_after_minutes: 5\n", "untested_after_minutes", 5),
    ("paths:\n  allow: [src/**]\n", "paths.allow", ["src/**"]),
    ("paths:\n  allow: [src/**]\n", "paths.deny", [".github/**"]),
    ("paths:\n  deny: []\n", "paths.deny", []),
    ("paths:\n  deny: ['**/*.lock', vendor/]\n", "paths.deny", ["**/*.lock", "vendor/"]),
    ("priors:\n  rewrite: {alpha: 2, beta: 8}\n", "priors.rewrite", BetaPrior(alpha=2, beta=8)),
    ("priors:\n  rewrite: {alpha: 2, beta: 8}\n", "priors.revert", BetaPrior(alpha=3.6, beta=0.4)),
    (
        "priors:\n  playbook:\n    alpha: 0.5\n    beta: 0.5\n",
        "priors.playbook",
        BetaPrior(alpha=0.5, beta=0.5),
    ),
    ("learn:\n  min_examples: 5\n", "learn.min_examples", 5),
    ("learn:\n  min_examples: 5\n", "learn.settle_days", 7),
    ("learn:\n  settle_days: 0\n", "learn.settle_days", 0),
    ("llm: null\n", "llm", None),
    (
        "llm:\n  provider: anthropic\n  model: claude-sonnet-4-5\n",
        "llm",
        LlmSettings(
            provider="anthropic",
            model="claude-sonnet-4-5",
            base_url=None,
            max_tokens_per_proposal=4000,
        ),
    ),
    (
        "llm:\n  provider: openai\n  model: qwen\n  base_url: http://127.0.0.1:8000/v1\n  max_tokens_per_proposal: 800\n",
        "llm",
        LlmSettings(
            provider="openai",
            model="qwen",
            base_url="http://127.0.0.1:8000/v1",
            max_tokens_per_proposal=800,
        ),
    ),
]


@pytest.mark.parametrize(("text", "key", "expected"), VALID)
def test_valid_values(text: str, key: str, expected: Any) -> None:
    value: Any = parse_config(text)
    for part in key.split("."):
        value = getattr(value, part)
    assert value == expected


def test_a_full_file_sets_every_key() -> None:
    config = parse_config(
        """\
mode: full_auto
confidence_threshold: 0.9
max_open_prs: 1
paths:
  allow: [src/**]
  deny: [src/vendor/**]
branch_prefix: bot/
labels: [bot]
required_checks: [test]
automerge: true
max_diff_lines: 100
untested_after_minutes: 15
priors:
  instruction: {alpha: 1, beta: 1}
learn: {min_examples: 3, settle_days: 14}
llm: {provider: openai, model: gpt-4o-mini}
"""
    )
    assert config.model_dump() == {
        **RepoConfig().model_dump(),
        "mode": "full_auto",
        "confidence_threshold": 0.9,
        "max_open_prs": 1,
        "paths": {"allow": ["src/**"], "deny": ["src/vendor/**"]},
        "branch_prefix": "bot/",
        "labels": ["bot"],
        "required_checks": ["test"],
        "automerge": True,
        "max_diff_lines": 100,
        "untested_after_minutes": 15,
        "priors": {**RepoConfig().priors.model_dump(), "instruction": {"alpha": 1.0, "beta": 1.0}},
        "learn": {"min_examples": 3, "settle_days": 14},
        "llm": {
            "provider": "openai",
            "model": "gpt-4o-mini",
            "base_url": None,
            "max_tokens_per_proposal": 4000,
        },
    }


def test_crlf_line_endings_parse_the_same() -> None:
    text = "mode: confidence\npaths:\n  allow: [src/**]\n"
    assert parse_config(text.replace("\n", "\r\n")) == parse_config(text)


# --- invalid values: (text, line, column, message) -------------------------------------------

INVALID: list[tuple[str, int, int, str]] = [
    # mode
    ("mode: yolo\n", 1, 7, f"mode: 'yolo' is not one of {MODES_LIST}"),
    ("mode: 1\n", 1, 7, f"mode: 1 is not one of {MODES_LIST}"),
    ("mode: null\n", 1, 7, f"mode: null is not one of {MODES_LIST}"),
    ("mode: [confidence]\n", 1, 7, f"mode: a list is not one of {MODES_LIST}"),
    ("labels: []\nmode: Full_Auto\n", 2, 7, f"mode: 'Full_Auto' is not one of {MODES_LIST}"),
    # confidence_threshold
    ("confidence_threshold: 1.5\n", 1, 23, "confidence_threshold: must be at most 1, got 1.5"),
    ("confidence_threshold: -0.1\n", 1, 23, "confidence_threshold: must be at least 0, got -0.1"),
    (
        "confidence_threshold: '0.9'\n",
        1,
        23,
        "confidence_threshold: expected a number, got text ('0.9')",
    ),
    (
        "confidence_threshold: true\n",
        1,
        23,
        "confidence_threshold: expected a number, got a boolean (true)",
    ),
    (
        "confidence_threshold: .nan\n",
        1,
        23,
        "confidence_threshold: must be a finite number, got nan",
    ),
    # max_open_prs
    ("max_open_prs: -1\n", 1, 15, "max_open_prs: must be at least 0, got -1"),
    ("max_open_prs: '3'\n", 1, 15, "max_open_prs: expected a whole number, got text ('3')"),
    ("max_open_prs: 2.5\n", 1, 15, "max_open_prs: expected a whole number, got a number (2.5)"),
    ("max_open_prs: 3.0\n", 1, 15, "max_open_prs: expected a whole number, got a number (3.0)"),
    ("max_open_prs: yes\n", 1, 15, "max_open_prs: expected a whole number, got a boolean (true)"),
    # paths
    ("paths: src/**\n", 1, 8, "paths: expected a mapping of keys, got text ('src/**')"),
    ("paths:\n  allow: src/**\n", 2, 10, "paths.allow: expected a list, got text ('src/**')"),
    (
        "paths:\n  deny:\n    - .github/**\n    - 5\n",
        4,
        7,
        "paths.deny[1]: expected text, got a number (5)",
    ),
    ("paths:\n  deny: ['', x]\n", 2, 10, "paths.deny[0]: must not be empty"),
    (
        "paths:\n  allow: ['!']\n",
        2,
        11,
        "paths.allow[0]: '!' is not a valid glob: Invalid git pattern: '!'",
    ),
    (
        "paths:\n  allow: ['#x']\n",
        2,
        11,
        (
            "paths.allow[0]: '#x' starts with '#', which gitignore-style globs read as a comment; "
            "write '\\#' for a literal '#'"
        ),
    ),
    (
        "paths:\n  include: [x]\n",
        2,
        3,
        "paths.include: unknown key (the keys here are allow, deny)",
    ),
    ("paths:\n  alow: [x]\n", 2, 3, "paths.alow: unknown key (did you mean 'allow'?)"),
    # branch_prefix
    ("branch_prefix: ''\n", 1, 16, "branch_prefix: must not be empty"),
    (
        "branch_prefix: 'evolve bot/'\n",
        1,
        16,
        "branch_prefix: must not contain spaces or control characters",
    ),
    ("branch_prefix: 'a..b/'\n", 1, 16, "branch_prefix: must not contain '..'"),
    ("branch_prefix: /evolve/\n", 1, 16, "branch_prefix: must not start with '/'"),
    *[
        (f"branch_prefix: 'evolve{char}'\n", 1, 16, f"branch_prefix: {BRANCH_CHARS}")
        for char in "~^:?*["
    ],
    ("branch_prefix: 'evolve\\'\n", 1, 16, f"branch_prefix: {BRANCH_CHARS}"),
    ("branch_prefix: 'a//b'\n", 1, 16, "branch_prefix: must not contain '//'"),
    ("branch_prefix: 'a@{'\n", 1, 16, "branch_prefix: must not contain '@{'"),
    (
        "branch_prefix: '.evolve/'\n",
        1,
        16,
        "branch_prefix: no part between slashes may start with '.'",
    ),
    (
        "branch_prefix: 'x.lock/'\n",
        1,
        16,
        "branch_prefix: no part between slashes may end with '.lock'",
    ),
    ("branch_prefix: 5\n", 1, 16, "branch_prefix: expected text, got a number (5)"),
    # labels
    ("labels: evolve-bot\n", 1, 9, "labels: expected a list, got text ('evolve-bot')"),
    ("labels: [1]\n", 1, 10, "labels[0]: expected text, got a number (1)"),
    ("labels: ['']\n", 1, 10, "labels[0]: must not be empty"),
    ("labels: [" + "x" * 51 + "]\n", 1, 10, "labels[0]: must be at most 50 characters long"),
    ("labels: [2024-01-01]\n", 1, 10, "labels[0]: expected text, got a date (2024-01-01)"),
    # required_checks
    ("required_checks: ci\n", 1, 18, "required_checks: expected a list, got text ('ci')"),
    ("required_checks: [ci, '  ']\n", 1, 23, "required_checks[1]: must not be empty"),
    # automerge
    ("automerge: 'yes'\n", 1, 12, "automerge: expected true or false, got text ('yes')"),
    ("automerge: 1\n", 1, 12, "automerge: expected true or false, got a number (1)"),
    # max_diff_lines, untested_after_minutes
    ("max_diff_lines: 0\n", 1, 17, "max_diff_lines: must be at least 1, got 0"),
    ("max_diff_lines: lots\n", 1, 17, "max_diff_lines: expected a whole number, got text ('lots')"),
    ("untested_after_minutes: 0\n", 1, 25, "untested_after_minutes: must be at least 1, got 0"),
    # priors
    (
        "priors:\n  rewrite:\n    alpha: 0\n    beta: 1\n",
        3,
        12,
        "priors.rewrite.alpha: must be greater than 0, got 0",
    ),
    (
        "priors:\n  rewrite:\n    alpha: 1\n    beta: x\n",
        4,
        11,
        "priors.rewrite.beta: expected a number, got text ('x')",
    ),
    (
        "priors:\n  rewrite:\n    alpha: -2.5\n    beta: 1\n",
        3,
        12,
        "priors.rewrite.alpha: must be greater than 0, got -2.5",
    ),
    (
        "priors:\n  rewite: {alpha: 1, beta: 1}\n",
        2,
        3,
        "priors.rewite: unknown key (did you mean 'rewrite'?)",
    ),
    (
        "priors:\n  rewrite: {alpha: 1, beta: 1, gamma: 2}\n",
        2,
        32,
        "priors.rewrite.gamma: unknown key (the keys here are alpha, beta)",
    ),
    ("priors:\n  rewrite: {alpha: 1}\n", 2, 3, "priors.rewrite: missing key 'beta'"),
    ("priors: [1]\n", 1, 9, "priors: expected a mapping of keys, got a list"),
    (
        "priors:\n  revert: 0.9\n",
        2,
        11,
        "priors.revert: expected a mapping of keys, got a number (0.9)",
    ),
    # learn
    ("learn:\n  min_examples: 0\n", 2, 17, "learn.min_examples: must be at least 1, got 0"),
    ("learn:\n  settle_days: -1\n", 2, 16, "learn.settle_days: must be at least 0, got -1"),
    (
        "learn:\n  min_exmaples: 3\n",
        2,
        3,
        "learn.min_exmaples: unknown key (did you mean 'min_examples'?)",
    ),
    # llm
    ("llm:\n  provider: openai\n", 1, 1, "llm: missing key 'model'"),
    (
        "llm:\n  provider: gemini\n  model: x\n",
        2,
        13,
        "llm.provider: 'gemini' is not one of openai, anthropic",
    ),
    (
        "llm:\n  provider: openai\n  model: gpt\n  base_url: ftp://x\n",
        4,
        13,
        "llm.base_url: 'ftp://x' is not an http(s) URL such as https://api.example.com/v1",
    ),
    (
        "llm:\n  provider: openai\n  model: gpt\n  max_tokens_per_proposal: 0\n",
        4,
        28,
        "llm.max_tokens_per_proposal: must be at least 1, got 0",
    ),
    ("llm:\n  provider: openai\n  model: ''\n", 3, 10, "llm.model: must not be empty"),
    ("llm: yes\n", 1, 6, "llm: expected a mapping of keys, got a boolean (true)"),
    (
        "llm:\n  provider: openai\n  model: x\n  api_key: sk-123\n",
        4,
        3,
        "llm.api_key: unknown key (the keys here are provider, model, base_url, max_tokens_per_proposal)",
    ),
    # unknown top-level keys
    ("Mode: full_auto\n", 1, 1, "Mode: unknown key (did you mean 'mode'?)"),
    ("mode: ask_before\nlabel: [x]\n", 2, 1, "label: unknown key (did you mean 'labels'?)"),
    ("automerg: true\n", 1, 1, "automerg: unknown key (did you mean 'automerge'?)"),
    ("xyz: 1\n", 1, 1, f"xyz: unknown key (the keys here are {TOP_KEYS})"),
    # YAML itself
    ("mode: a: b\n", 1, 8, "invalid YAML: mapping values are not allowed here"),
    (
        "mode: 'x\n",
        2,
        1,
        "invalid YAML: found unexpected end of stream (while scanning a quoted scalar)",
    ),
    (
        "\tmode: x\n",
        1,
        1,
        "invalid YAML: found character '\\t' that cannot start any token (while scanning for the next token)",
    ),
    (
        "mode: x\n---\nmode: y\n",
        2,
        1,
        "invalid YAML: but found another document (expected a single document in the stream)",
    ),
    (
        "paths:\n  allow: [a\n  deny: [b]\n",
        3,
        7,
        "invalid YAML: expected ',' or ']', but got ':' (while parsing a flow sequence)",
    ),
    (
        "mode: !!python/object/apply:os.system ['echo hi']\n",
        1,
        7,
        "invalid YAML: could not determine a constructor for the tag 'tag:yaml.org,2002:python/object/apply:os.system'",
    ),
    (
        "mode: !custom x\n",
        1,
        7,
        "invalid YAML: could not determine a constructor for the tag '!custom'",
    ),
    ("mode: a\x00\n", 1, 8, "invalid YAML: the control character U+0000 is not allowed"),
    (
        "labels: [a]\nmode: x\x07y\n",
        2,
        8,
        "invalid YAML: the control character U+0007 is not allowed",
    ),
    # the top level
    (
        "- mode\n",
        1,
        1,
        "the file must be a mapping of settings such as `mode: ask_before`, not a list",
    ),
    (
        "just text\n",
        1,
        1,
        "the file must be a mapping of settings such as `mode: ask_before`, not text ('just text')",
    ),
    (
        "42\n",
        1,
        1,
        "the file must be a mapping of settings such as `mode: ask_before`, not a number (42)",
    ),
    # keys YAML allows but a config cannot mean
    ("mode: ask_before\nmode: full_auto\n", 2, 1, "mode: given twice (first on line 1)"),
    ("paths:\n  allow: [a]\n  allow: [b]\n", 3, 3, "paths.allow: given twice (first on line 2)"),
    ("? [a]\n: 1\n", 1, 3, "keys must be text, got a list or mapping"),
    ("true: 1\n", 1, 1, "keys must be text, got true"),
    ("3: x\n", 1, 1, "keys must be text, got 3"),
    # aliases that would never end
    (
        "paths: &p\n  allow: *p\n",
        1,
        8,
        "an alias (*name) refers to a value that contains it; the file would be endless",
    ),
]


@pytest.mark.parametrize(("text", "line", "column", "message"), INVALID)
def test_invalid_config(text: str, line: int, column: int, message: str) -> None:
    error = error_of(text)
    assert (error.line, error.column, error.message) == (line, column, message)
    assert str(error) == f".github/evolve.yml line {line}: {message}"


def test_the_example_error_reads_as_documented() -> None:
    error = error_of("# evolve-bot\n\nmode: yolo\n")
    assert str(error) == f".github/evolve.yml line 3: mode: 'yolo' is not one of {MODES_LIST}"


def test_crlf_files_report_the_same_lines() -> None:
    error = error_of("paths:\r\n  deny:\r\n    - a\r\n    - 5\r\n")
    assert (error.line, error.column, error.message) == (
        4,
        7,
        "paths.deny[1]: expected text, got a number (5)",
    )


def test_every_problem_is_reported_in_file_order() -> None:
    error = error_of(
        "foo: 1\nmax_open_prs: -1\nmode: yolo\npriors:\n  rewrite: {alpha: 0, beta: 1}\n"
    )
    assert [(p.line, p.message) for p in error.problems] == [
        (1, f"foo: unknown key (the keys here are {TOP_KEYS})"),
        (2, "max_open_prs: must be at least 0, got -1"),
        (3, f"mode: 'yolo' is not one of {MODES_LIST}"),
        (5, "priors.rewrite.alpha: must be greater than 0, got 0"),
    ]
    assert (error.line, error.message) == (1, f"foo: unknown key (the keys here are {TOP_KEYS})")
    assert str(error).splitlines() == [
        f".github/evolve.yml line 1: foo: unknown key (the keys here are {TOP_KEYS})",
        ".github/evolve.yml line 2: max_open_prs: must be at least 0, got -1",
        f".github/evolve.yml line 3: mode: 'yolo' is not one of {MODES_LIST}",
        ".github/evolve.yml line 5: priors.rewrite.alpha: must be greater than 0, got 0",
    ]


def test_a_nested_error_names_the_line_of_the_nested_key() -> None:
    text = """\
# settings
mode: confidence

paths:
  allow:
    - "src/**"
  deny:
    - ".github/**"
    - 12
priors:
  revert:
    alpha: 9
    beta: 1
  rewrite:
    alpha: "seven"
    beta: 3
"""
    error = error_of(text)
    assert [(p.line, p.column, p.message) for p in error.problems] == [
        (9, 7, "paths.deny[1]: expected text, got a number (12)"),
        (15, 12, "priors.rewrite.alpha: expected a number, got text ('seven')"),
    ]


def test_yaml_aliases_are_followed() -> None:
    config = parse_config("paths:\n  allow: &src [src/**]\n  deny: *src\n")
    assert config.paths.allow == config.paths.deny == ["src/**"]


def test_an_alias_bomb_is_refused_without_expanding_it() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 9)]
    error = error_of("\n".join(lines) + "\n")
    assert (error.line, error.message) == (
        1,
        "the file has more than 10000 values once its aliases (*name) are expanded",
    )


def test_deep_nesting_is_refused_before_python_recursion_runs_out() -> None:
    error = error_of("labels: " + "[" * 5000 + "]" * 5000 + "\n")
    assert (error.line, error.column, error.message) == (
        1,
        40,
        "values are nested more than 32 levels deep",
    )


def test_a_huge_file_is_refused() -> None:
    text = "# padding\n" * (MAX_CONFIG_CHARS // 10 + 1)
    error = error_of(text)
    assert (error.line, error.message) == (
        1,
        f"the file is {len(text)} characters long; the limit is {MAX_CONFIG_CHARS}",
    )


def test_a_config_error_needs_a_problem() -> None:
    with pytest.raises(ValueError, match="at least one problem"):
        ConfigError([])


# --- path_allowed -----------------------------------------------------------------------------

DEFAULT_PATHS = [
    ("src/app.py", True),
    ("README.md", True),
    ("a/b/c/d.txt", True),
    (".github/workflows/ci.yml", False),
    (".github/evolve.yml", False),
    ("./.github/evolve.yml", False),
    ("/.github/evolve.yml", False),
    ("docs/.github/notes.md", True),  # `.github/**` has a slash, so it is anchored at the root
    ("", False),
]


@pytest.mark.parametrize(("path", "allowed"), DEFAULT_PATHS)
def test_path_allowed_by_default(path: str, allowed: bool) -> None:
    assert RepoConfig().path_allowed(path) is allowed


CUSTOM_PATHS_TEXT = """\
paths:
  allow: ["src/**", "*.md", "/scripts/"]
  deny: ["src/vendor/**", "**/*.lock", "generated"]
"""
CUSTOM_PATHS = [
    ("src/app.py", True),
    ("src/deep/er/mod.py", True),
    ("lib/app.py", False),  # not allowed
    ("README.md", True),
    ("docs/guide/intro.md", True),  # a pattern without a slash matches at any depth
    ("scripts/release.sh", True),
    ("tools/scripts/x.sh", False),  # a leading slash anchors at the root
    ("src/vendor/six.py", False),  # deny wins over allow
    ("src/poetry.lock", False),
    ("src/generated/api.py", False),  # "generated" matches a folder at any depth
    ("src/generated.py", True),
    ("src\\app.py", True),  # Windows separators from a careless caller still match
]


@pytest.mark.parametrize(("path", "allowed"), CUSTOM_PATHS)
def test_path_allowed_with_custom_globs(path: str, allowed: bool) -> None:
    assert parse_config(CUSTOM_PATHS_TEXT).path_allowed(path) is allowed


def test_negation_inside_a_list_uses_gitignore_semantics() -> None:
    config = parse_config("paths:\n  deny: ['src/**', '!src/keep.py']\n")
    assert config.path_allowed("src/keep.py") is True
    assert config.path_allowed("src/other.py") is False


def test_an_empty_allow_list_allows_nothing() -> None:
    config = parse_config("paths:\n  allow: []\n  deny: []\n")
    assert config.path_allowed("README.md") is False


# --- priors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "mean"),
    [
        ("rewrite", 0.7),
        ("instruction", 0.5),
        ("learned_rule", 0.6),
        ("revert", 0.9),
        ("playbook", 0.5),
        ("onboarding", 0.9),
    ],
)
def test_prior_is_the_beta_mean(kind: str, mean: float) -> None:
    assert RepoConfig().prior(kind) == pytest.approx(mean)


def test_a_configured_prior_changes_the_mean() -> None:
    config = parse_config("priors:\n  rewrite: {alpha: 1, beta: 3}\n")
    assert config.prior("rewrite") == pytest.approx(0.25)
    assert config.prior("revert") == pytest.approx(0.9)


def test_priors_read_like_the_mapping_in_the_file() -> None:
    priors = parse_config("priors:\n  playbook: {alpha: 3, beta: 1}\n").priors
    assert priors["playbook"] == priors.get("playbook") == BetaPrior(alpha=3, beta=1)
    assert priors.get("refactor") is None
    with pytest.raises(KeyError):
        priors["refactor"]


def test_an_unknown_kind_has_no_prior() -> None:
    with pytest.raises(
        ValueError, match="unknown proposal kind 'refactor'; the kinds are rewrite, instruction"
    ):
        RepoConfig().prior("refactor")


# --- the onboarding file ----------------------------------------------------------------------


def test_default_config_text_parses_to_the_defaults() -> None:
    assert parse_config(DEFAULT_CONFIG_TEXT) == RepoConfig()


def test_default_config_text_writes_out_every_key() -> None:
    def keys(model: type[BaseModel], data: dict[str, Any], prefix: str = "") -> list[str]:
        missing = []
        for name, info in model.model_fields.items():
            if name not in data:
                missing.append(prefix + name)
            elif (
                isinstance(data[name], dict)
                and isinstance(info.annotation, type)
                and issubclass(info.annotation, BaseModel)
            ):
                missing += keys(info.annotation, data[name], prefix + name + ".")
        return missing

    data = yaml.safe_load(DEFAULT_CONFIG_TEXT)
    assert keys(RepoConfig, data) == []
    assert data.keys() == RepoConfig.model_fields.keys()


def test_default_config_text_explains_every_mode() -> None:
    for mode in MODES:
        assert re.search(rf"^#\s+{mode}\s+\S", DEFAULT_CONFIG_TEXT, re.MULTILINE), mode


def test_default_config_text_has_a_working_llm_example() -> None:
    # The commented `llm:` example must be valid once uncommented.
    lines = DEFAULT_CONFIG_TEXT.splitlines()
    start = lines.index("# llm:")
    example = [lines[start][2:]]
    for line in lines[start + 1 :]:
        if not line.startswith("#   "):
            break
        example.append(line[2:])
    config = parse_config("\n".join(example) + "\n")
    assert config.llm == LlmSettings(
        provider="anthropic", model="claude-sonnet-4-5", base_url=None, max_tokens_per_proposal=4000
    )
