"""RepoConfig: a repository's `.github/evolve.yml`, parsed strictly, with errors that name the line.

`parse_config` is pure: the file's text goes in (others read it from the default branch), a
frozen `RepoConfig` or a `ConfigError` comes out. YAML is read with PyYAML's safe loader (no
arbitrary tags) and validated by pydantic in strict mode, so `max_open_prs: "3"` is an error
rather than a guess. Pydantic's error locations (`("paths", "deny", 1)`) are mapped back to the
YAML nodes to give the line and column a person has to fix.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Annotated, Any, Literal, Protocol, get_args
from urllib.parse import urlsplit

import pathspec
import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

CONFIG_PATH = ".github/evolve.yml"

Mode = Literal["suggest_only", "ask_before", "confidence", "full_auto"]
ProposalKind = Literal["rewrite", "instruction", "learned_rule", "revert", "playbook", "onboarding"]
LlmProvider = Literal["openai", "anthropic"]

MODES: tuple[str, ...] = get_args(Mode)
PROPOSAL_KINDS: tuple[str, ...] = get_args(ProposalKind)

# A config file is a few dozen lines; the caps keep a hostile file (a huge blob, or a
# "billion laughs" of YAML aliases that pydantic would walk exponentially) from stalling the bot.
MAX_CONFIG_CHARS = 64 * 1024
MAX_CONFIG_NODES = 10_000
# PyYAML composes nodes recursively; a deeper file would hit Python's recursion limit.
MAX_CONFIG_DEPTH = 32
# GitHub refuses label names longer than this.
MAX_LABEL_LENGTH = 50

UNKNOWN_KIND = "unknown proposal kind {kind!r}; the kinds are {kinds}"
ERROR_PREFIX = "{path} line {line}: {message}"
TOO_LONG = "the file is {length} characters long; the limit is {limit}"
TOO_MANY_NODES = "the file has more than {limit} values once its aliases (*name) are expanded"
TOO_DEEP = "values are nested more than {limit} levels deep"
RECURSIVE_ALIAS = "an alias (*name) refers to a value that contains it; the file would be endless"
YAML_SYNTAX = "invalid YAML: {problem}"
BAD_CHARACTER = "the control character U+{code:04X} is not allowed"
NOT_A_MAPPING = "the file must be a mapping of settings such as `mode: ask_before`, not {kind}"
KEY_NOT_TEXT = "keys must be text, got {value}"
DUPLICATE_KEY = "{key}: given twice (first on line {first})"
UNKNOWN_KEY_SUGGESTION = "{key}: unknown key (did you mean '{suggestion}'?)"
UNKNOWN_KEY_LISTING = "{key}: unknown key (the keys here are {known})"
MISSING_KEY = "{where}: missing key '{key}'"
NOT_ONE_OF = "{key}: {value} is not one of {options}"
EXPECTED_TYPE = "{key}: expected {expected}, got {actual}"
OUT_OF_RANGE = "{key}: must be {bound}, got {value}"
NOT_FINITE = "{key}: must be a finite number, got {value}"
INVALID_VALUE = "{key}: {reason}"

EMPTY_TEXT = "must not be empty"
LABEL_TOO_LONG = f"must be at most {MAX_LABEL_LENGTH} characters long"
GLOB_INVALID = "{glob!r} is not a valid glob: {reason}"
GLOB_COMMENT = "{glob!r} starts with '#', which gitignore-style globs read as a comment; write '\\#' for a literal '#'"
URL_INVALID = "{url!r} is not an http(s) URL such as https://api.example.com/v1"

# What a branch prefix must avoid so that `<prefix><name>` is a valid ref (`git check-ref-format`).
BRANCH_PREFIX_PROBLEM = re.compile(
    r"""
      (?P<blank>[\x00-\x20\x7f])      # spaces and control characters
    | (?P<dots>\.\.)                   # ".." would read as a revision range
    | (?P<leading_slash>^/)            # refs/heads/<prefix> must not get an empty part
    | (?P<double_slash>//)             # nor an empty part in the middle
    | (?P<special>[~^:?*\[\\])          # revision syntax and glob characters
    | (?P<reflog>@\{)                  # "@{" starts reflog syntax
    | (?P<hidden>(?:^|/)\.)            # a part starting with "." is refused by git
    | (?P<lock>\.lock/)                # a part ending in ".lock" is refused by git
    """,
    re.VERBOSE,
)
BRANCH_PREFIX_MESSAGES = {
    "blank": "must not contain spaces or control characters",
    "dots": "must not contain '..'",
    "leading_slash": "must not start with '/'",
    "double_slash": "must not contain '//'",
    "special": "must not contain any of ~ ^ : ? * [ \\",
    "reflog": "must not contain '@{'",
    "hidden": "no part between slashes may start with '.'",
    "lock": "no part between slashes may end with '.lock'",
}

# Pydantic lists a Literal's options as "'a', 'b' or 'c'".
LITERAL_OPTION = re.compile(
    r"""
    '(?P<option>[^']*)'                # each quoted option
    """,
    re.VERBOSE,
)

# Kinds of YAML value, as a person reads them in an error message.
EXPECTED_BY_ERROR_TYPE = {
    "string_type": "text",
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "model_type": "a mapping of keys",
    "dict_type": "a mapping of keys",
}
BOUND_BY_ERROR_TYPE = {
    "greater_than": "greater than {gt}",
    "greater_than_equal": "at least {ge}",
    "less_than": "less than {lt}",
    "less_than_equal": "at most {le}",
}


def _check_text(value: str) -> str:
    if not value.strip():
        raise ValueError(EMPTY_TEXT)
    return value


def _check_label(value: str) -> str:
    _check_text(value)
    if len(value) > MAX_LABEL_LENGTH:
        raise ValueError(LABEL_TOO_LONG)
    return value


def _check_glob(value: str) -> str:
    _check_text(value)
    if value.startswith("#"):
        raise ValueError(GLOB_COMMENT.format(glob=value))
    try:
        pathspec.PathSpec.from_lines("gitignore", [value])
    except (ValueError, re.error) as error:  # GitIgnorePatternError is a ValueError
        raise ValueError(GLOB_INVALID.format(glob=value, reason=error)) from None
    return value


def _check_branch_prefix(value: str) -> str:
    _check_text(value)
    problem = BRANCH_PREFIX_PROBLEM.search(value)
    if problem is not None and problem.lastgroup is not None:
        raise ValueError(BRANCH_PREFIX_MESSAGES[problem.lastgroup])
    return value


def _check_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(URL_INVALID.format(url=value))
    return value


Text = Annotated[str, AfterValidator(_check_text)]
Label = Annotated[str, AfterValidator(_check_label)]
Glob = Annotated[str, AfterValidator(_check_glob)]
BranchPrefix = Annotated[str, AfterValidator(_check_branch_prefix)]
Url = Annotated[str, AfterValidator(_check_url)]
# Strict floats still take YAML integers (`alpha: 7`), but never booleans, text or .inf/.nan.
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class StrictModel(BaseModel):
    """Unknown keys are errors and nothing is coerced: YAML already says what type a value is."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class PathRules(StrictModel):
    """Which files the bot may change: gitignore-style globs; a path must match allow and not deny."""

    allow: list[Glob] = Field(default_factory=lambda: ["**"])
    deny: list[Glob] = Field(default_factory=lambda: [".github/**"])

    @cached_property
    def _allow_spec(self) -> pathspec.PathSpec[Any]:
        return pathspec.PathSpec.from_lines("gitignore", self.allow)

    @cached_property
    def _deny_spec(self) -> pathspec.PathSpec[Any]:
        return pathspec.PathSpec.from_lines("gitignore", self.deny)

    def allowed(self, path: str) -> bool:
        """Deny wins over allow, so a broad allow can never reopen `.github/**`."""
        path = _normalise_path(path)
        if not path:
            return False
        return self._allow_spec.match_file(path) and not self._deny_spec.match_file(path)


class BetaPrior(StrictModel):
    """Beta(alpha, beta) belief that a proposal of one kind gets merged; both must be positive."""

    alpha: Positive
    beta: Positive

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)


class Priors(StrictModel):
    """One Beta prior per proposal kind; a kind left out keeps its default."""

    rewrite: BetaPrior = BetaPrior(alpha=2.8, beta=1.2)
    instruction: BetaPrior = BetaPrior(alpha=2, beta=2)
    learned_rule: BetaPrior = BetaPrior(alpha=2.4, beta=1.6)
    revert: BetaPrior = BetaPrior(alpha=3.6, beta=0.4)
    playbook: BetaPrior = BetaPrior(alpha=2, beta=2)
    onboarding: BetaPrior = BetaPrior(alpha=3.6, beta=0.4)

    # Read like the mapping the file spells (kind -> {alpha, beta}); a model gives "did you mean".
    def __getitem__(self, kind: str) -> BetaPrior:
        if kind not in PROPOSAL_KINDS:
            raise KeyError(kind)
        prior: BetaPrior = getattr(self, kind)
        return prior

    def get(self, kind: str) -> BetaPrior | None:
        return self[kind] if kind in PROPOSAL_KINDS else None


class LearnSettings(StrictModel):
    """How the learner treats review outcomes (used once the learner lands)."""

    min_examples: int = Field(default=2, ge=1)
    settle_days: int = Field(default=7, ge=0)


class LlmSettings(StrictModel):
    """Which model writes free-text proposals (used once that lands).

    A consumer must not send the operator's own API key to a repository-chosen `base_url`:
    whoever can edit this file could otherwise collect the key.
    """

    provider: LlmProvider
    model: Text
    base_url: Url | None = None
    max_tokens_per_proposal: int = Field(default=4000, ge=1)


class RepoConfig(StrictModel):
    """Everything `.github/evolve.yml` can say; `RepoConfig()` is the behaviour without the file."""

    mode: Mode = "ask_before"
    confidence_threshold: float = Field(default=0.8, ge=0, le=1, allow_inf_nan=False)
    max_open_prs: int = Field(default=3, ge=0)
    paths: PathRules = PathRules()
    branch_prefix: BranchPrefix = "evolve/"
    labels: list[Label] = Field(default_factory=lambda: ["evolve-bot"])
    required_checks: list[Text] | None = None
    automerge: bool = False
    max_diff_lines: int = Field(default=400, ge=1)
    untested_after_minutes: int = Field(default=30, ge=1)
    priors: Priors = Priors()
    learn: LearnSettings = LearnSettings()
    llm: LlmSettings | None = None

    def path_allowed(self, path: str) -> bool:
        """May the bot change `path` (relative to the repository root)?"""
        return self.paths.allowed(path)

    def prior(self, kind: str) -> float:
        """The prior mean for a proposal kind: the confidence to use until the learner lands."""
        if kind not in PROPOSAL_KINDS:
            raise ValueError(UNKNOWN_KIND.format(kind=kind, kinds=", ".join(PROPOSAL_KINDS)))
        return self.priors[kind].mean


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with the file: 1-based line and column, and what to fix."""

    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return ERROR_PREFIX.format(path=CONFIG_PATH, line=self.line, message=self.message)


class ConfigError(ValueError):
    """The file cannot be used; `.line`, `.column`, `.message` describe the first problem in it."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        if not problems:
            raise ValueError("a ConfigError needs at least one problem")
        self.problems = tuple(sorted(problems, key=lambda p: (p.line, p.column)))
        first = self.problems[0]
        self.line = first.line
        self.column = first.column
        self.message = first.message
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


def parse_config(text: str) -> RepoConfig:
    """Parse `.github/evolve.yml`; an empty file (or only comments) means every default."""
    if len(text) > MAX_CONFIG_CHARS:
        raise ConfigError(
            [ConfigProblem(1, 1, TOO_LONG.format(length=len(text), limit=MAX_CONFIG_CHARS))]
        )
    root, data = _load_yaml(text)
    if root is None or data is None:
        return RepoConfig()
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError([_problem_at(root, NOT_A_MAPPING.format(kind=_describe(data)))])
    try:
        return RepoConfig.model_validate(data)
    except ValidationError as error:
        raise ConfigError([_explain(detail, root) for detail in error.errors()]) from None


def _load_yaml(text: str) -> tuple[yaml.Node | None, Any]:
    # SafeLoader builds only plain YAML types; the node tree is kept to map errors back to lines.
    try:
        _check_depth(text)
        loader = yaml.SafeLoader(text)
        try:
            root = loader.get_single_node()
            if root is None:
                return None, None
            problems = _check_nodes(root)
            if problems:
                raise ConfigError(problems)
            return root, loader.construct_document(root)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or "unreadable"
        if error.context:
            problem = f"{problem} ({error.context})"
        raise ConfigError([_problem_at_mark(mark, YAML_SYNTAX.format(problem=problem))]) from None
    except yaml.reader.ReaderError as error:
        # A character YAML does not allow (NUL, most control characters) has an offset only.
        before = text[: error.position]
        line, column = before.count("\n") + 1, len(before) - before.rfind("\n")
        problem = BAD_CHARACTER.format(code=error.character)
        raise ConfigError(
            [ConfigProblem(line, column, YAML_SYNTAX.format(problem=problem))]
        ) from None


def _check_depth(text: str) -> None:
    # The event parser is a flat state machine, so it can measure depth before anything recurses.
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_CONFIG_DEPTH:
                message = TOO_DEEP.format(limit=MAX_CONFIG_DEPTH)
                raise ConfigError([_problem_at_mark(event.start_mark, message)])
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _check_nodes(root: yaml.Node) -> list[ConfigProblem]:
    """Problems YAML lets through: duplicate or non-text keys, endless or exploding aliases."""
    problems: list[ConfigProblem] = []
    sizes: dict[int, int] = {}
    on_path: set[int] = set()

    def size(node: yaml.Node) -> int:
        # Aliases share nodes, so memoise by identity: counts the expanded size without expanding.
        if id(node) in sizes:
            return sizes[id(node)]
        if id(node) in on_path:
            raise ConfigError([_problem_at(node, RECURSIVE_ALIAS)])
        on_path.add(id(node))
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(item) for item in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(key) + size(value) for key, value in node.value)
        on_path.discard(id(node))
        sizes[id(node)] = total
        if total > MAX_CONFIG_NODES:
            raise ConfigError([ConfigProblem(1, 1, TOO_MANY_NODES.format(limit=MAX_CONFIG_NODES))])
        return total

    size(root)
    seen: set[int] = set()

    def keys(node: yaml.Node, where: tuple[str | int, ...]) -> None:
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                keys(item, (*where, index))
        elif isinstance(node, yaml.MappingNode):
            first_line: dict[str, int] = {}
            for key, value in node.value:
                if key.tag == "tag:yaml.org,2002:merge":
                    keys(value, where)
                    continue
                if not (isinstance(key, yaml.ScalarNode) and key.tag == "tag:yaml.org,2002:str"):
                    shown = key.value if isinstance(key, yaml.ScalarNode) else "a list or mapping"
                    problems.append(_problem_at(key, KEY_NOT_TEXT.format(value=shown)))
                    continue
                if key.value in first_line:
                    message = DUPLICATE_KEY.format(
                        key=_dotted((*where, key.value)), first=first_line[key.value]
                    )
                    problems.append(_problem_at(key, message))
                else:
                    first_line[key.value] = key.start_mark.line + 1
                keys(value, (*where, key.value))

    keys(root, ())
    return problems


def _explain(detail: Any, root: yaml.Node) -> ConfigProblem:
    """Turn one pydantic error into a line-numbered sentence about the YAML the person wrote."""
    loc: tuple[str | int, ...] = tuple(detail["loc"])
    kind: str = detail["type"]
    value = detail.get("input")
    context = detail.get("ctx") or {}
    if kind == "extra_forbidden":
        node = _node_at(root, loc, want_key=True)
        return _problem_at(node, _unknown_key(loc))
    if kind == "missing":
        node = _node_at(root, loc[:-1], want_key=True)
        return _problem_at(
            node, MISSING_KEY.format(where=_dotted(loc[:-1]) or "the file", key=loc[-1])
        )
    key = _dotted(loc)
    node = _node_at(root, loc, want_key=False)
    if kind == "literal_error":
        options = ", ".join(LITERAL_OPTION.findall(context.get("expected", "")))
        message = NOT_ONE_OF.format(key=key, value=_show(value), options=options)
    elif kind in EXPECTED_BY_ERROR_TYPE:
        message = EXPECTED_TYPE.format(
            key=key, expected=EXPECTED_BY_ERROR_TYPE[kind], actual=_describe(value)
        )
    elif kind in BOUND_BY_ERROR_TYPE:
        bound = BOUND_BY_ERROR_TYPE[kind].format(
            **{name: _bound(limit) for name, limit in context.items()}
        )
        message = OUT_OF_RANGE.format(key=key, bound=bound, value=_show(value))
    elif kind == "finite_number":
        message = NOT_FINITE.format(key=key, value=_show(value))
    elif kind == "value_error":
        message = INVALID_VALUE.format(key=key, reason=context.get("error", detail["msg"]))
    else:  # a pydantic error type this file does not expect; its own words are still readable
        message = INVALID_VALUE.format(key=key, reason=detail["msg"])
    return _problem_at(node, message)


def _unknown_key(loc: tuple[str | int, ...]) -> str:
    *parent, unknown = loc
    known = list(_model_at(tuple(parent)).model_fields)
    lowered = {name.lower(): name for name in known}
    close = difflib.get_close_matches(str(unknown).lower(), list(lowered), n=1, cutoff=0.6)
    if close:
        return UNKNOWN_KEY_SUGGESTION.format(key=_dotted(loc), suggestion=lowered[close[0]])
    return UNKNOWN_KEY_LISTING.format(key=_dotted(loc), known=", ".join(known))


def _model_at(loc: tuple[str | int, ...]) -> type[BaseModel]:
    model: type[BaseModel] = RepoConfig
    for part in loc:
        annotation = model.model_fields[str(part)].annotation
        # Unwrap `LlmSettings | None` to the model inside it.
        candidates = [annotation, *get_args(annotation)]
        model = next(c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel))
    return model


def _node_at(root: yaml.Node, loc: tuple[str | int, ...], *, want_key: bool) -> yaml.Node:
    """The YAML node at a pydantic location: the key node for key errors, else the value node.

    Stops at the deepest node that exists (a missing key's mapping, or a merged `<<:` entry) and
    then points at the key that leads there, which is the line a person would edit.
    """
    node = root
    key_node: yaml.Node = root
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if isinstance(node, yaml.MappingNode):
            match = next(
                (
                    (k, v)
                    for k, v in node.value
                    if isinstance(k, yaml.ScalarNode) and k.value == str(part)
                ),
                None,
            )
            if match is None:
                return key_node
            key_node, node = match
            if last and want_key:
                return key_node
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            key_node = node = node.value[part]
        else:
            return key_node
    return node


def _problem_at(node: yaml.Node, message: str) -> ConfigProblem:
    return _problem_at_mark(node.start_mark, message)


class Mark(Protocol):
    """Where PyYAML saw something: 0-based line and column."""

    line: int
    column: int


def _problem_at_mark(mark: Mark | None, message: str) -> ConfigProblem:
    # PyYAML's marks are 0-based; editors and GitHub count lines and columns from 1.
    if mark is None:
        return ConfigProblem(1, 1, message)
    return ConfigProblem(mark.line + 1, mark.column + 1, message)


def _dotted(loc: tuple[str | int, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _show(value: Any) -> str:
    """A value as it would be written in YAML, for echoing it back."""
    if isinstance(value, str):
        return repr(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return _describe(value)


def _bound(limit: Any) -> str:
    # Pydantic hands back `gt=0` on a float field as 0.0; people wrote 0.
    if isinstance(limit, float) and limit.is_integer():
        return str(int(limit))
    return str(limit)


def _describe(value: Any) -> str:
    """What kind of YAML value this is, with the value when it is short."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({_show(value)})"
    if isinstance(value, (int, float)):
        return f"a number ({_show(value)})"
    if isinstance(value, str):
        return f"text ({value!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, date):
        return f"a date ({value.isoformat()})"
    return f"a {type(value).__name__}"


def _normalise_path(path: str) -> str:
    # Paths come from diffs and API payloads: drop a leading "./" or "/" so globs anchor at the root.
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path.lstrip("/")


DEFAULT_CONFIG_TEXT = """\
# evolve-bot settings for this repository. Every key is optional: a key left out (or this
# whole file missing) means the default shown here. Changes take effect once merged into the
# default branch.

# How far the bot may go on its own:
#   suggest_only  only comment with suggestions; never open a pull request
#   ask_before    propose in a comment; open a pull request after someone with write
#                 access answers `/evolve apply`
#   confidence    open pull requests by itself when its confidence is at least
#                 confidence_threshold; ask first otherwise
#   full_auto     open pull requests and merge them once the required checks pass
mode: ask_before

# The confidence (0 to 1) a proposal needs before the bot acts without asking (mode: confidence).
confidence_threshold: 0.8

# At most this many of the bot's pull requests open at once; 0 pauses new ones.
max_open_prs: 3

# Files the bot may change, as gitignore-style globs relative to the repository root
# (`**` matches any number of folders, `*.py` matches at any depth). A path must match
# `allow` and not `deny`; deny wins.
paths:
  allow:
    - "**"
  deny:
    - ".github/**"

# Branches the bot pushes are named <branch_prefix><name>. No spaces, '..', leading '/',
# or any of ~ ^ : ? * [ \\
branch_prefix: evolve/

# Labels put on every pull request the bot opens.
labels:
  - evolve-bot

# Check names that must pass before a pull request counts as green, for example
# [ci/test, lint]. null means every check reported on the head commit.
required_checks: null

# In full_auto mode, use GitHub's auto-merge (when the repository allows it) instead of
# merging from the bot.
automerge: false

# Proposals whose diff is longer than this many lines are split or dropped, not opened.
max_diff_lines: 400

# A pull request with no check reported within this many minutes is marked untested.
untested_after_minutes: 30

# Beta(alpha, beta) prior for each kind of proposal: how likely one is to be merged before
# the bot has learned anything here. The prior mean alpha / (alpha + beta) is the confidence;
# alpha + beta is how many outcomes here the prior weighs as much as. The defaults weigh 4:
# repositories differ widely in what they accept, so this repository's own outcomes should
# soon outweigh the guess. Heavier priors (say alpha 7, beta 3) learn more slowly.
priors:
  rewrite:       # /evolve rewrite: a structural search-and-replace
    alpha: 2.8
    beta: 1.2
  instruction:   # /evolve <free text>
    alpha: 2
    beta: 2
  learned_rule:  # a rule learned from reviews of earlier pull requests
    alpha: 2.4
    beta: 1.6
  revert:        # undoing a merged pull request of the bot that broke something
    alpha: 3.6
    beta: 0.4
  playbook:      # a change from a shared playbook
    alpha: 2
    beta: 2
  onboarding:    # the pull request that adds this file
    alpha: 3.6
    beta: 0.4

# How the bot learns from reviews: a lesson needs min_examples reviews that agree, and a
# merged pull request's outcome is final after settle_days days without a revert.
learn:
  min_examples: 2
  settle_days: 7

# The language model for free-text proposals; null uses the bot's own. For example:
# llm:
#   provider: anthropic          # openai or anthropic
#   model: claude-sonnet-4-5
#   base_url: null               # an OpenAI-compatible server, e.g. https://llm.example.com/v1
#   max_tokens_per_proposal: 4000
llm: null
"""
