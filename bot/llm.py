"""Language-model backends (OpenAI-compatible chat, Anthropic Messages) and token budgets.

`llm_settings_from_env(env, repo=...)` reads the operator's choice from a mapping (the process
environment in production, a dict in tests) and lays a repository's `llm:` section over it;
`llm_from_settings` makes the backend, or None when no model is configured. Each backend calls
the provider's official SDK, which owns the retries (`max_retries`) and the per-attempt
`timeout`: there is deliberately no second retry layer here. A `TokenBudget` spans every call made
for one proposal and refuses a call that would go over it.
"""

from __future__ import annotations

import dataclasses
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, cast
from urllib.parse import urlsplit

import anthropic
import openai

from bot.config import LlmSettings

Provider = Literal["openai", "anthropic"]
PROVIDERS: tuple[Provider, ...] = ("openai", "anthropic")

ENV_PROVIDER = "EVOLVE_LLM_PROVIDER"
ENV_MODEL = "EVOLVE_LLM_MODEL"
ENV_BASE_URL = "EVOLVE_LLM_BASE_URL"
ENV_TIMEOUT = "EVOLVE_LLM_TIMEOUT"
ENV_MAX_RETRIES = "EVOLVE_LLM_MAX_RETRIES"
ENV_MAX_TOKENS_PER_PROPOSAL = "EVOLVE_LLM_MAX_TOKENS_PER_PROPOSAL"
ENV_MAX_OUTPUT_TOKENS = "EVOLVE_LLM_MAX_OUTPUT_TOKENS"
KEY_VARIABLES: dict[Provider, str] = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}
# Always passed explicitly: left out, the SDKs would read OPENAI_BASE_URL / ANTHROPIC_BASE_URL.
OFFICIAL_BASE_URLS: dict[Provider, str] = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com",
}
OFFICIAL_OPENAI_HOST = "api.openai.com"

DEFAULT_TIMEOUT = 120.0  # seconds per attempt; a long diff takes a while to write
DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_TOKENS_PER_PROPOSAL = 60_000
DEFAULT_MAX_OUTPUT_TOKENS = 4_096
# Below this many output tokens no edit worth having fits: refuse the call instead.
MIN_OUTPUT_TOKENS = 256
# The rough rule for English and code; only used before a call, the API's usage counts after.
CHARS_PER_TOKEN = 4
MESSAGE_OVERHEAD_TOKENS = 4
# Sent as the key to servers that need none (Ollama, llama.cpp): the SDKs insist on one, and
# without an explicit value they would read the real key from the environment.
NO_KEY = "no-key"

REDACTED = "[redacted]"
# Shorter values ("1", "true") would blank out ordinary text.
MIN_SECRET_LENGTH = 8
SECRET_NAME_RE = re.compile(
    r"""
    _KEY$               # OPENAI_API_KEY, STRIPE_SECRET_KEY, ...
    | ^PRIVATE_KEY      # the GitHub App's key, and PRIVATE_KEY_PATH's neighbours
    | TOKEN             # GITHUB_TOKEN, NPM_TOKEN, ANTHROPIC_AUTH_TOKEN
    | SECRET            # WEBHOOK_SECRET, AWS_SECRET_ACCESS_KEY
    | PASSWORD | PASSWD
    | CREDENTIAL
    | (?:^|_)DATABASE_URL$ | _DSN$   # connection strings carry passwords
    """,
    re.VERBOSE | re.IGNORECASE,
)

# US dollars per million input / output tokens, list prices as published in 2025. A model not
# listed costs None ("unknown"), never a guess; self-hosted models have no price.
PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-5": (1.25, 10.00),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5-nano": (0.05, 0.40),
    "o3": (2.00, 8.00),
    "o3-mini": (1.10, 4.40),
    "o4-mini": (1.10, 4.40),
    "claude-opus-4-5": (5.00, 25.00),
    "claude-opus-4-1": (15.00, 75.00),
    "claude-opus-4": (15.00, 75.00),
    "claude-sonnet-4-5": (3.00, 15.00),
    "claude-sonnet-4": (3.00, 15.00),
    "claude-3-7-sonnet": (3.00, 15.00),
    "claude-3-5-sonnet": (3.00, 15.00),
    "claude-haiku-4-5": (1.00, 5.00),
    "claude-3-5-haiku": (0.80, 4.00),
}
MODEL_VERSION_RE = re.compile(
    r"""
    ^(?:
        -\d{8}                  # Anthropic's snapshot date: claude-sonnet-4-5-20250929
      | -\d{4}-\d{2}-\d{2}      # OpenAI's snapshot date: gpt-4o-2024-08-06
      | -latest                 # claude-3-5-sonnet-latest
    )?$
    """,
    re.VERBOSE,
)

# Stop reasons, as the providers spell them.
TRUNCATED_STOPS = frozenset({"length", "max_tokens", "model_context_window_exceeded"})
REFUSED_STOPS = frozenset({"refusal", "content_filter"})
RETRIED_STATUSES = frozenset({408, 409, 429})

# --- user-facing messages -------------------------------------------------------------------

UNKNOWN_PROVIDER = "{name} is {value!r}; it must be one of: {providers}"
MISSING_MODEL = (
    f"{ENV_PROVIDER} is set but {ENV_MODEL} is not: name the model, e.g. gpt-4.1 or "
    "claude-sonnet-4-5"
)
MISSING_KEY = (
    "{provider} needs an API key: set {variable}, or point {base} at a server that needs none "
    "(Ollama, vLLM, llama.cpp)"
)
BAD_URL = "{name} is {value!r}, which is not an http(s) URL such as https://llm.example.com/v1"
BAD_NUMBER = "{name} is {value!r}; it must be {kind}"
REPO_BASE_URL_REFUSED = (
    "`.github/evolve.yml` sets llm.base_url to {url}, but this bot sends its API key only to the "
    "server its operator configured; remove llm.base_url (or set it to that server's URL)"
)
REPO_PROVIDER_WITHOUT_KEY = (
    "`.github/evolve.yml` asks for provider {provider}, but this bot has no {variable}; remove "
    "the llm section to use the bot's own model"
)
PROMPT_OVER_BUDGET = (
    "the request needs about {needed} tokens ({prompt} for the prompt, at least {minimum} for "
    "the answer), more than the budget of {limit} tokens per proposal; name fewer or smaller "
    "files, or raise the budget (EVOLVE_LLM_MAX_TOKENS_PER_PROPOSAL)"
)
BUDGET_EXCEEDED = (
    "the token budget for this proposal is spent: {used} of {limit} tokens used, and the next "
    "request needs about {needed} ({prompt} for the prompt, at least {minimum} for the answer)"
)
# Replies go into public comments: a server the operator set is named by its setting, not by
# its (possibly internal) URL.
OFFICIAL_API = "the {provider} API ({endpoint})"
OPERATOR_SERVER = f"the {{provider}}-compatible server set in {ENV_BASE_URL}"
TIMED_OUT = "{where} did not answer within {timeout:g} s ({tries} attempt{s})"
UNREACHABLE = "could not reach {where} ({tries} attempt{s}): {detail}"
STATUS_ERROR = "{where} answered HTTP {status}{after}: {detail}"
AFTER_TRIES = " after {tries} attempts"
KEY_REJECTED = "{where} rejected the API key (HTTP {status}): {detail}"
EMPTY_ANSWER = "{where} sent an answer with no choices"
DETAIL_CHARS = 300


# --- errors ---------------------------------------------------------------------------------


class LLMError(Exception):
    """A model call could not be made or did not answer; the message says why, for the reply."""


class LLMConfigError(LLMError, ValueError):
    """The operator's settings or a repository's `llm:` section cannot be used as they are."""


class BudgetExceeded(LLMError):
    """The call would take the proposal over its token budget, so it was not made."""


class LLMUnavailable(LLMError):
    """The API failed, timed out or refused the request, after the SDK's retries."""


# --- settings -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LLMSettings:
    """Which model to call, where, with which key, and how much one proposal may spend."""

    provider: Provider
    model: str
    base_url: str | None = None  # None: the provider's own API
    api_key: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES
    max_tokens_per_proposal: int = DEFAULT_MAX_TOKENS_PER_PROPOSAL
    max_output_tokens: int = DEFAULT_MAX_OUTPUT_TOKENS
    # Values of secret-looking settings: scrubbed from everything sent to the model.
    secrets: frozenset[str] = field(default=frozenset(), repr=False)

    @property
    def endpoint(self) -> str:
        return self.base_url or OFFICIAL_BASE_URLS[self.provider]


def llm_settings_from_env(
    env: Mapping[str, str], *, repo: LlmSettings | None = None
) -> LLMSettings | None:
    """The operator's model from `env`, with a repository's `llm:` section laid over it.

    None when the operator configured no model (no EVOLVE_LLM_PROVIDER): a repository cannot
    switch one on at the operator's expense. A repository may pick the model, the provider (if
    the operator has that provider's key) and a smaller budget, but never a server of its own.
    """
    provider_text = env.get(ENV_PROVIDER, "").strip().lower()
    if not provider_text:
        return None
    if provider_text not in PROVIDERS:
        raise LLMConfigError(
            UNKNOWN_PROVIDER.format(
                name=ENV_PROVIDER, value=provider_text, providers=", ".join(PROVIDERS)
            )
        )
    provider = cast(Provider, provider_text)
    model = env.get(ENV_MODEL, "").strip()
    if not model:
        raise LLMConfigError(MISSING_MODEL)
    base_url = env.get(ENV_BASE_URL, "").strip() or None
    if base_url is not None and not _is_http_url(base_url):
        raise LLMConfigError(BAD_URL.format(name=ENV_BASE_URL, value=base_url))
    api_key = env.get(KEY_VARIABLES[provider], "").strip() or None
    if api_key is None and base_url is None:
        raise LLMConfigError(
            MISSING_KEY.format(
                provider=provider, variable=KEY_VARIABLES[provider], base=ENV_BASE_URL
            )
        )
    operator = LLMSettings(
        provider=provider,
        model=model,
        base_url=base_url,
        api_key=api_key,
        timeout=_number(env, ENV_TIMEOUT, default=DEFAULT_TIMEOUT, integer=False, minimum=0.001),
        max_retries=int(_number(env, ENV_MAX_RETRIES, default=DEFAULT_MAX_RETRIES, minimum=0)),
        max_tokens_per_proposal=int(
            _number(
                env,
                ENV_MAX_TOKENS_PER_PROPOSAL,
                default=DEFAULT_MAX_TOKENS_PER_PROPOSAL,
                minimum=MIN_OUTPUT_TOKENS,
            )
        ),
        max_output_tokens=int(
            _number(
                env,
                ENV_MAX_OUTPUT_TOKENS,
                default=DEFAULT_MAX_OUTPUT_TOKENS,
                minimum=MIN_OUTPUT_TOKENS,
            )
        ),
        secrets=secret_values(env),
    )
    if repo is None:
        return operator
    return _for_repository(operator, repo=repo, env=env)


def _for_repository(
    operator: LLMSettings, *, repo: LlmSettings, env: Mapping[str, str]
) -> LLMSettings:
    provider = repo.provider
    if repo.base_url is not None:
        # Whoever can edit .github/evolve.yml could otherwise point the bot, key and all, at a
        # server of their own and read the key from its logs.
        if operator.base_url is None or not _same_url(repo.base_url, operator.base_url):
            raise LLMConfigError(REPO_BASE_URL_REFUSED.format(url=repo.base_url))
        base_url: str | None = operator.base_url
    elif provider == operator.provider:
        base_url = operator.base_url
    else:
        base_url = None
    if provider == operator.provider:
        api_key = operator.api_key
    else:
        api_key = env.get(KEY_VARIABLES[provider], "").strip() or None
        if api_key is None and base_url is None:
            raise LLMConfigError(
                REPO_PROVIDER_WITHOUT_KEY.format(
                    provider=provider, variable=KEY_VARIABLES[provider]
                )
            )
    budget = operator.max_tokens_per_proposal
    # The operator pays: a repository may lower the budget but not raise it. Only a value the
    # file states counts; the section's default must not shrink the operator's budget.
    if "max_tokens_per_proposal" in repo.model_fields_set:
        budget = min(budget, repo.max_tokens_per_proposal)
    return dataclasses.replace(
        operator,
        provider=provider,
        model=repo.model,
        base_url=base_url,
        api_key=api_key,
        max_tokens_per_proposal=budget,
    )


def secret_values(env: Mapping[str, str]) -> frozenset[str]:
    """Values of settings whose names say they are secret (`*_KEY`, `*TOKEN*`, `*SECRET*`, ...)."""
    found: set[str] = set()
    for name, value in env.items():
        if not SECRET_NAME_RE.search(name) or not isinstance(value, str):
            continue
        for variant in (value, value.replace("\\n", "\n")):
            variant = variant.strip()
            if len(variant) >= MIN_SECRET_LENGTH:
                found.add(variant)
    return frozenset(found)


def redact(text: str, *, secrets: Iterable[str]) -> str:
    """`text` with each secret value replaced by a marker (longest first: one may hold another)."""
    for secret in sorted(secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def _number(
    env: Mapping[str, str], name: str, *, default: float, minimum: float, integer: bool = True
) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    kind = (
        f"a whole number of at least {minimum:g}"
        if integer
        else f"a number of at least {minimum:g}"
    )
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        raise LLMConfigError(BAD_NUMBER.format(name=name, value=raw, kind=kind)) from None
    if not math.isfinite(value) or value < minimum:
        raise LLMConfigError(BAD_NUMBER.format(name=name, value=raw, kind=kind))
    return value


def _is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _same_url(a: str, b: str) -> bool:
    def norm(url: str) -> tuple[str, str, str]:
        parts = urlsplit(url.strip())
        return parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/")

    return norm(a) == norm(b)


# --- messages, completions, budgets ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Message:
    """One turn of the conversation."""

    role: Literal["user", "assistant"]
    content: str


@dataclass(frozen=True, slots=True)
class Completion:
    """The model's answer to one call, with what it cost; recorded in the journal."""

    text: str
    input_tokens: int
    output_tokens: int
    model: str
    cost_usd: float | None  # None: no price known for this model
    stop_reason: str  # the provider's own word: stop, end_turn, length, max_tokens, refusal, ...
    usage_estimated: bool = False  # the server sent no usage; the counts are chars/4 estimates

    @property
    def truncated(self) -> bool:
        """The answer stopped at the output limit, not because the model was done."""
        return self.stop_reason in TRUNCATED_STOPS

    @property
    def refused(self) -> bool:
        return self.stop_reason in REFUSED_STOPS

    def journal(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": self.cost_usd,
            "stop_reason": self.stop_reason,
            "usage_estimated": self.usage_estimated,
        }


def price(model: str, *, input_tokens: int, output_tokens: int) -> float | None:
    """What the call cost in US dollars by the list price of `model`; None if it is not listed."""
    name = model.lower().rsplit("/", 1)[-1]  # LiteLLM and OpenRouter write provider/model
    best: str | None = None
    for known in PRICES:
        fits = name.startswith(known) and MODEL_VERSION_RE.match(name[len(known) :])
        if fits and (best is None or len(known) > len(best)):
            best = known
    if best is None:
        return None
    per_input, per_output = PRICES[best]
    return round((input_tokens * per_input + output_tokens * per_output) / 1_000_000, 6)


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


class TokenBudget:
    """Tokens (input and output) that one proposal may spend over all its model calls."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.completions: list[Completion] = []

    @property
    def used(self) -> int:
        return sum(c.input_tokens + c.output_tokens for c in self.completions)

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)

    def allowance(self, *, prompt_tokens: int, max_output: int) -> int:
        """`max_tokens` for a prompt of about `prompt_tokens`; BudgetExceeded if none fits."""
        room = self.remaining - prompt_tokens
        if room < MIN_OUTPUT_TOKENS:
            message = PROMPT_OVER_BUDGET if not self.completions else BUDGET_EXCEEDED
            raise BudgetExceeded(
                message.format(
                    used=self.used,
                    limit=self.limit,
                    needed=prompt_tokens + MIN_OUTPUT_TOKENS,
                    prompt=prompt_tokens,
                    minimum=MIN_OUTPUT_TOKENS,
                )
            )
        return min(max_output, room)

    def record(self, completion: Completion) -> None:
        self.completions.append(completion)

    def usage(self) -> dict[str, Any]:
        """Totals for the journal: calls, tokens, cost (None if any call's price is unknown)."""
        costs = [c.cost_usd for c in self.completions]
        return {
            "calls": len(self.completions),
            "input_tokens": sum(c.input_tokens for c in self.completions),
            "output_tokens": sum(c.output_tokens for c in self.completions),
            "cost_usd": (
                round(sum(c for c in costs if c is not None), 6)
                if costs and all(c is not None for c in costs)
                else None
            ),
            "models": sorted({c.model for c in self.completions}),
            "budget": self.limit,
        }


# --- backends -------------------------------------------------------------------------------


class LLM(Protocol):
    """What a patch strategy needs from a model."""

    settings: LLMSettings

    async def complete(
        self, *, system: str, messages: Sequence[Message], budget: TokenBudget
    ) -> Completion: ...

    async def aclose(self) -> None: ...


class ChatBackend(ABC):
    """Shared by both providers: secrets scrubbed, budget checked, SDK errors made readable."""

    settings: LLMSettings

    async def complete(
        self, *, system: str, messages: Sequence[Message], budget: TokenBudget
    ) -> Completion:
        """One call: refused unsent if it would overrun `budget`; recorded in it after."""
        secrets = self.settings.secrets
        system = redact(system, secrets=secrets)
        messages = [Message(m.role, redact(m.content, secrets=secrets)) for m in messages]
        prompt_tokens = estimate_tokens(system) + sum(
            estimate_tokens(m.content) + MESSAGE_OVERHEAD_TOKENS for m in messages
        )
        max_tokens = budget.allowance(
            prompt_tokens=prompt_tokens, max_output=self.settings.max_output_tokens
        )
        try:
            completion = await self._call(system=system, messages=messages, max_tokens=max_tokens)
        except (openai.APITimeoutError, anthropic.APITimeoutError) as exc:
            raise LLMUnavailable(
                TIMED_OUT.format(**self._where(), timeout=self.settings.timeout, **self._tries())
            ) from exc
        except (openai.APIConnectionError, anthropic.APIConnectionError) as exc:
            raise LLMUnavailable(
                UNREACHABLE.format(**self._where(), **self._tries(), detail=self._detail(exc))
            ) from exc
        except (openai.APIStatusError, anthropic.APIStatusError) as exc:
            raise LLMUnavailable(self._status_message(exc)) from exc
        if completion.usage_estimated:
            completion = dataclasses.replace(
                completion,
                input_tokens=prompt_tokens,
                output_tokens=estimate_tokens(completion.text),
            )
        completion = dataclasses.replace(
            completion,
            cost_usd=price(
                completion.model,
                input_tokens=completion.input_tokens,
                output_tokens=completion.output_tokens,
            ),
        )
        budget.record(completion)
        return completion

    @abstractmethod
    async def _call(
        self, *, system: str, messages: Sequence[Message], max_tokens: int
    ) -> Completion:
        """One request through the SDK (which retries); `cost_usd` is filled in by the caller."""

    @abstractmethod
    async def aclose(self) -> None: ...

    def _where(self) -> dict[str, str]:
        settings = self.settings
        if settings.base_url is None:
            where = OFFICIAL_API.format(provider=settings.provider, endpoint=settings.endpoint)
        else:
            where = OPERATOR_SERVER.format(provider=settings.provider)
        return {"where": where}

    def _tries(self) -> dict[str, Any]:
        tries = self.settings.max_retries + 1
        return {"tries": tries, "s": "" if tries == 1 else "s"}

    def _detail(self, exc: Exception | str) -> str:
        text = redact(
            str(exc), secrets={*self.settings.secrets, self.settings.api_key or ""} - {""}
        )
        text = " ".join(text.split())
        return text[:DETAIL_CHARS] + ("…" if len(text) > DETAIL_CHARS else "")

    def _status_message(self, exc: openai.APIStatusError | anthropic.APIStatusError) -> str:
        status = exc.status_code
        detail = self._detail(exc)
        # Both SDKs put "Error code: 400 - {whole body}" in the message; the body's own message
        # is what a person needs.
        body: Any = exc.body
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            body = body["error"]
        if isinstance(body, dict) and isinstance(body.get("message"), str):
            detail = self._detail(body["message"])
        if status in (401, 403):
            return KEY_REJECTED.format(**self._where(), status=status, detail=detail)
        retried = status in RETRIED_STATUSES or status >= 500
        after = AFTER_TRIES.format(tries=self.settings.max_retries + 1) if retried else ""
        return STATUS_ERROR.format(**self._where(), status=status, after=after, detail=detail)


def output_limit_field(endpoint: str) -> str:
    """The request field that caps the answer's length on an OpenAI-compatible `endpoint`.

    OpenAI's own API has deprecated `max_tokens` and its reasoning models reject it; the
    servers that copy the API (vLLM, Ollama, llama.cpp, LiteLLM) have long understood
    `max_tokens`, not all of them the newer name.
    """
    host = urlsplit(endpoint).hostname or ""
    return "max_completion_tokens" if host == OFFICIAL_OPENAI_HOST else "max_tokens"


class OpenAIChat(ChatBackend):
    """OpenAI's chat-completions API, and every server that speaks it (Azure, vLLM, Ollama, ...)."""

    def __init__(self, settings: LLMSettings) -> None:
        self.settings = settings
        self.client = openai.AsyncOpenAI(
            api_key=settings.api_key or NO_KEY,
            base_url=settings.endpoint,
            timeout=settings.timeout,
            max_retries=settings.max_retries,
        )
        self.limit_field = output_limit_field(settings.endpoint)

    async def _call(
        self, *, system: str, messages: Sequence[Message], max_tokens: int
    ) -> Completion:
        body: list[Any] = [{"role": "system", "content": system}]
        body += [{"role": m.role, "content": m.content} for m in messages]
        use_completion_field = self.limit_field == "max_completion_tokens"
        response = await self.client.chat.completions.create(
            model=self.settings.model,
            messages=body,
            max_completion_tokens=max_tokens if use_completion_field else openai.omit,
            max_tokens=openai.omit if use_completion_field else max_tokens,
        )
        if not response.choices:
            raise LLMUnavailable(EMPTY_ANSWER.format(**self._where()))
        choice = response.choices[0]
        text = choice.message.content or ""
        stop = str(choice.finish_reason or "unknown")
        refusal = getattr(choice.message, "refusal", None)
        if refusal:
            # Structured refusals arrive beside an empty content; Anthropic calls this "refusal".
            text, stop = refusal, "refusal"
        usage = response.usage
        return Completion(
            text=text,
            input_tokens=usage.prompt_tokens if usage else 0,
            output_tokens=usage.completion_tokens if usage else 0,
            model=response.model or self.settings.model,
            cost_usd=None,
            stop_reason=stop,
            usage_estimated=usage is None,
        )

    async def aclose(self) -> None:
        await self.client.close()


class AnthropicChat(ChatBackend):
    """Anthropic's Messages API."""

    def __init__(self, settings: LLMSettings) -> None:
        self.settings = settings
        self.client = anthropic.AsyncAnthropic(
            api_key=settings.api_key or NO_KEY,
            base_url=settings.endpoint,
            timeout=settings.timeout,
            max_retries=settings.max_retries,
        )

    async def _call(
        self, *, system: str, messages: Sequence[Message], max_tokens: int
    ) -> Completion:
        response = await self.client.messages.create(
            model=self.settings.model,
            max_tokens=max_tokens,
            system=system,
            messages=[cast(Any, {"role": m.role, "content": m.content}) for m in messages],
        )
        text = "".join(
            getattr(block, "text", "") for block in response.content if block.type == "text"
        )
        usage = response.usage
        # Cached prompt tokens are billed and count against the context all the same.
        input_tokens = (
            usage.input_tokens
            + (usage.cache_creation_input_tokens or 0)
            + (usage.cache_read_input_tokens or 0)
        )
        return Completion(
            text=text,
            input_tokens=input_tokens,
            output_tokens=usage.output_tokens,
            model=response.model or self.settings.model,
            cost_usd=None,
            stop_reason=str(response.stop_reason or "unknown"),
        )

    async def aclose(self) -> None:
        await self.client.close()


def llm_from_settings(settings: LLMSettings | None) -> ChatBackend | None:
    """The backend for `settings`; None when no model is configured."""
    if settings is None:
        return None
    if settings.provider == "anthropic":
        return AnthropicChat(settings)
    return OpenAIChat(settings)
