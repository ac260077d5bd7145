"""Model backends through the real SDKs against a local server: settings, usage, cost, retries, budget."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.config import parse_config
from bot.llm import (
    REDACTED,
    BudgetExceeded,
    ChatBackend,
    LLMConfigError,
    LLMUnavailable,
    Message,
    TokenBudget,
    llm_from_settings,
    llm_settings_from_env,
    output_limit_field,
    price,
    secret_values,
)
from tests.helpers.llm_server import Backends, Fail, LLMServer, Refusal, Reply, Slow

PROVIDERS = ["openai", "anthropic"]
MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-haiku-4-5"}
KEY = "sk-test-0123456789abcdef"


@pytest.fixture
async def server() -> AsyncIterator[LLMServer]:
    async with LLMServer() as running:
        yield running


@pytest.fixture
async def make_llm(server: LLMServer) -> AsyncIterator[Callable[..., ChatBackend]]:
    backends = Backends(server, models=MODELS, key=KEY, max_retries=2)
    yield backends.make
    await backends.aclose()


def ask(text: str = "Say hello.") -> list[Message]:
    return [Message("user", text)]


# --- settings from the environment ----------------------------------------------------------


def test_no_provider_means_no_llm() -> None:
    assert llm_settings_from_env({"OPENAI_API_KEY": KEY}) is None
    assert llm_from_settings(None) is None


def test_operator_settings_are_read_from_the_mapping() -> None:
    settings = llm_settings_from_env(
        {
            "EVOLVE_LLM_PROVIDER": "Anthropic",
            "EVOLVE_LLM_MODEL": "claude-sonnet-4-5",
            "ANTHROPIC_API_KEY": KEY,
            "OPENAI_API_KEY": "sk-other-key-000000",
            "EVOLVE_LLM_TIMEOUT": "45.5",
            "EVOLVE_LLM_MAX_RETRIES": "0",
            "EVOLVE_LLM_MAX_TOKENS_PER_PROPOSAL": "30000",
            "EVOLVE_LLM_MAX_OUTPUT_TOKENS": "2000",
        }
    )
    assert settings is not None
    assert (settings.provider, settings.model, settings.base_url) == (
        "anthropic",
        "claude-sonnet-4-5",
        None,
    )
    assert settings.api_key == KEY
    assert settings.endpoint == "https://api.anthropic.com"
    assert (settings.timeout, settings.max_retries) == (45.5, 0)
    assert (settings.max_tokens_per_proposal, settings.max_output_tokens) == (30000, 2000)
    assert KEY not in repr(settings)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"EVOLVE_LLM_PROVIDER": "gemini"},
            "EVOLVE_LLM_PROVIDER is 'gemini'; it must be one of: openai, anthropic",
        ),
        (
            {"EVOLVE_LLM_PROVIDER": "openai"},
            "EVOLVE_LLM_PROVIDER is set but EVOLVE_LLM_MODEL is not",
        ),
        (
            {"EVOLVE_LLM_PROVIDER": "openai", "EVOLVE_LLM_MODEL": "gpt-4o"},
            "openai needs an API key: set OPENAI_API_KEY, or point EVOLVE_LLM_BASE_URL",
        ),
        (
            {"EVOLVE_LLM_PROVIDER": "anthropic", "EVOLVE_LLM_MODEL": "c", "OPENAI_API_KEY": KEY},
            "anthropic needs an API key: set ANTHROPIC_API_KEY",
        ),
        (
            {
                "EVOLVE_LLM_PROVIDER": "openai",
                "EVOLVE_LLM_MODEL": "m",
                "EVOLVE_LLM_BASE_URL": "localhost:11434",
            },
            "EVOLVE_LLM_BASE_URL is 'localhost:11434', which is not an http(s) URL",
        ),
        (
            {
                "EVOLVE_LLM_PROVIDER": "openai",
                "EVOLVE_LLM_MODEL": "m",
                "OPENAI_API_KEY": KEY,
                "EVOLVE_LLM_TIMEOUT": "soon",
            },
            "EVOLVE_LLM_TIMEOUT is 'soon'; it must be a number of at least 0.001",
        ),
        (
            {
                "EVOLVE_LLM_PROVIDER": "openai",
                "EVOLVE_LLM_MODEL": "m",
                "OPENAI_API_KEY": KEY,
                "EVOLVE_LLM_MAX_RETRIES": "-1",
            },
            "EVOLVE_LLM_MAX_RETRIES is '-1'; it must be a whole number of at least 0",
        ),
        (
            {
                "EVOLVE_LLM_PROVIDER": "openai",
                "EVOLVE_LLM_MODEL": "m",
                "OPENAI_API_KEY": KEY,
                "EVOLVE_LLM_MAX_TOKENS_PER_PROPOSAL": "1e9",
            },
            "EVOLVE_LLM_MAX_TOKENS_PER_PROPOSAL is '1e9'; it must be a whole number of at least 256",
        ),
    ],
)
def test_bad_operator_settings_say_what_to_fix(env: dict[str, str], message: str) -> None:
    with pytest.raises(LLMConfigError) as error:
        llm_settings_from_env(env)
    assert message in str(error.value)


def test_a_keyless_server_needs_no_key_and_gets_none_of_the_environment() -> None:
    settings = llm_settings_from_env(
        {
            "EVOLVE_LLM_PROVIDER": "openai",
            "EVOLVE_LLM_MODEL": "llama3.1",
            "EVOLVE_LLM_BASE_URL": "http://ollama:11434/v1",
        }
    )
    assert settings is not None and settings.api_key is None
    assert settings.endpoint == "http://ollama:11434/v1"


OPERATOR = {
    "EVOLVE_LLM_PROVIDER": "openai",
    "EVOLVE_LLM_MODEL": "gpt-4o",
    "EVOLVE_LLM_BASE_URL": "https://llm.internal.example/v1",
    "OPENAI_API_KEY": KEY,
    "EVOLVE_LLM_MAX_TOKENS_PER_PROPOSAL": "50000",
}


def repo_llm(text: str) -> Any:
    return parse_config(text).llm


def test_a_repository_picks_its_model() -> None:
    settings = llm_settings_from_env(
        OPERATOR, repo=repo_llm("llm:\n  provider: openai\n  model: gpt-4.1\n")
    )
    assert settings is not None
    assert (settings.model, settings.base_url, settings.api_key) == (
        "gpt-4.1",
        OPERATOR["EVOLVE_LLM_BASE_URL"],
        KEY,
    )
    # The section's default (4000) is not a choice the file made: the operator's budget stands.
    assert settings.max_tokens_per_proposal == 50000


def test_a_repository_base_url_never_gets_the_operators_key() -> None:
    repo = repo_llm(
        "llm:\n  provider: openai\n  model: gpt-4o\n  base_url: https://collector.example/v1\n"
    )
    with pytest.raises(LLMConfigError) as error:
        llm_settings_from_env(OPERATOR, repo=repo)
    message = str(error.value)
    assert "llm.base_url" in message and "https://collector.example/v1" in message
    assert "sends its API key only to the server its operator configured" in message
    assert OPERATOR["EVOLVE_LLM_BASE_URL"] not in message  # the operator's server stays private


def test_a_repository_base_url_on_the_official_api_is_refused_too() -> None:
    operator = {
        "EVOLVE_LLM_PROVIDER": "anthropic",
        "EVOLVE_LLM_MODEL": "claude-sonnet-4-5",
        "ANTHROPIC_API_KEY": KEY,
    }
    repo = repo_llm("llm:\n  provider: anthropic\n  model: x\n  base_url: http://127.0.0.1:9/\n")
    with pytest.raises(LLMConfigError):
        llm_settings_from_env(operator, repo=repo)


def test_a_repository_may_name_the_operators_own_server() -> None:
    repo = repo_llm(
        "llm:\n  provider: openai\n  model: gpt-4o\n  base_url: HTTPS://LLM.internal.example/v1/\n"
    )
    settings = llm_settings_from_env(OPERATOR, repo=repo)
    assert settings is not None and settings.base_url == OPERATOR["EVOLVE_LLM_BASE_URL"]


def test_a_repository_may_switch_provider_when_the_operator_has_that_key() -> None:
    env = {**OPERATOR, "ANTHROPIC_API_KEY": "sk-ant-operator-key-1"}
    settings = llm_settings_from_env(
        env, repo=repo_llm("llm:\n  provider: anthropic\n  model: claude-haiku-4-5\n")
    )
    assert settings is not None
    assert (settings.provider, settings.base_url, settings.api_key) == (
        "anthropic",
        None,
        "sk-ant-operator-key-1",
    )
    assert settings.endpoint == "https://api.anthropic.com"


def test_a_repository_switching_to_a_provider_without_key_is_refused() -> None:
    with pytest.raises(LLMConfigError) as error:
        llm_settings_from_env(
            OPERATOR, repo=repo_llm("llm:\n  provider: anthropic\n  model: claude-haiku-4-5\n")
        )
    assert "asks for provider anthropic, but this bot has no ANTHROPIC_API_KEY" in str(error.value)


@pytest.mark.parametrize(("asked", "granted"), [(2000, 2000), (900_000, 50000)])
def test_a_repository_may_lower_the_budget_but_not_raise_it(asked: int, granted: int) -> None:
    repo = repo_llm(
        f"llm:\n  provider: openai\n  model: gpt-4o\n  max_tokens_per_proposal: {asked}\n"
    )
    settings = llm_settings_from_env(OPERATOR, repo=repo)
    assert settings is not None and settings.max_tokens_per_proposal == granted


def test_secret_values_are_collected_by_name() -> None:
    env = {
        "OPENAI_API_KEY": "sk-openai-secret",
        "GITHUB_TOKEN": "ghp_abcdefghijkl",
        "WEBHOOK_SECRET": "hook-secret-value",
        "PRIVATE_KEY": "-----BEGIN RSA PRIVATE KEY-----\\nMIIEabc\\n-----END RSA PRIVATE KEY-----",
        "EVOLVE_DATABASE_URL": "postgresql://bot:hunter2hunter2@db/evolve",
        "DB_PASSWORD": "correct-horse",
        "SHORT_TOKEN": "abc",
        "EVOLVE_LLM_MODEL": "gpt-4o-mini-model",
        "HOME": "/home/evolve-bot",
    }
    found = secret_values(env)
    assert {
        "sk-openai-secret",
        "ghp_abcdefghijkl",
        "hook-secret-value",
        "postgresql://bot:hunter2hunter2@db/evolve",
        "correct-horse",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY-----",
    } <= found
    assert (
        "abc" not in found and "gpt-4o-mini-model" not in found and "/home/evolve-bot" not in found
    )


# --- prices ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "cost"),
    [
        ("gpt-4o", 2.50 + 10.00),
        ("gpt-4o-2024-08-06", 2.50 + 10.00),
        ("gpt-4o-mini", 0.15 + 0.60),
        ("claude-sonnet-4-5-20250929", 3.00 + 15.00),
        ("claude-3-5-sonnet-latest", 3.00 + 15.00),
        ("anthropic/claude-haiku-4-5", 1.00 + 5.00),
        ("o3-pro", None),  # not o3: a different price
        ("llama3.1:8b", None),
        ("my-finetune", None),
    ],
)
def test_cost_comes_from_the_price_table_or_is_unknown(model: str, cost: float | None) -> None:
    assert price(model, input_tokens=1_000_000, output_tokens=1_000_000) == cost


def test_official_openai_gets_max_completion_tokens_and_compatible_servers_max_tokens() -> None:
    assert output_limit_field("https://api.openai.com/v1") == "max_completion_tokens"
    assert output_limit_field("http://127.0.0.1:11434/v1") == "max_tokens"
    assert output_limit_field("https://myorg.openai.azure.com/openai/v1") == "max_tokens"


# --- calls through the SDKs -----------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_call_returns_text_usage_cost_and_stop_reason(
    provider: str, server: LLMServer, make_llm: Callable[..., ChatBackend]
) -> None:
    server.script(Reply("Hello!", usage=(1200, 30)))
    budget = TokenBudget(10_000)
    completion = await make_llm(provider).complete(
        system="Be brief.", messages=ask(), budget=budget
    )
    assert completion.text == "Hello!"
    assert (completion.input_tokens, completion.output_tokens) == (1200, 30)
    assert completion.model == MODELS[provider]
    expected = price(MODELS[provider], input_tokens=1200, output_tokens=30)
    assert expected is not None and completion.cost_usd == expected
    assert completion.stop_reason == ("stop" if provider == "openai" else "end_turn")
    assert not completion.truncated and not completion.refused
    assert budget.used == 1230 and budget.completions == [completion]
    (request,) = server.requests
    assert request.texts == ["Be brief.", "Say hello."]
    assert request.body["model"] == MODELS[provider]
    if provider == "openai":
        assert request.path == "/v1/chat/completions"
        assert request.messages[0] == {"role": "system", "content": "Be brief."}
        assert request.headers["authorization"] == f"Bearer {KEY}"
        assert request.body["max_tokens"] == 4096
    else:
        assert request.path == "/v1/messages"
        assert request.body["system"] == "Be brief."
        # The SDK sends the key as x-api-key or as a bearer token, depending on its version.
        assert KEY in (
            request.headers.get("x-api-key", "") + request.headers.get("authorization", "")
        )
        assert request.body["max_tokens"] == 4096


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_truncated_answer_says_so(
    provider: str, server: LLMServer, make_llm: Callable[..., ChatBackend]
) -> None:
    server.script(Reply("```diff\n--- a/x.py\n+++ b/x.py\n@@ -1,3 +1,3 @@\n x", stop="length"))
    completion = await make_llm(provider).complete(
        system="s", messages=ask(), budget=TokenBudget(10_000)
    )
    assert completion.truncated
    assert completion.stop_reason == ("length" if provider == "openai" else "max_tokens")


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_refusal_is_marked(
    provider: str, server: LLMServer, make_llm: Callable[..., ChatBackend]
) -> None:
    server.script(Refusal("I can't help with that."))
    completion = await make_llm(provider).complete(
        system="s", messages=ask(), budget=TokenBudget(10_000)
    )
    assert completion.refused and completion.stop_reason == "refusal"
    assert completion.text == "I can't help with that."


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_server_errors_and_rate_limits_are_retried_by_the_sdk_alone(
    provider: str, server: LLMServer, make_llm: Callable[..., ChatBackend]
) -> None:
    server.script(Fail(500), Fail(429, "Rate limit reached"), Reply("third time lucky"))
    completion = await make_llm(provider, max_retries=2).complete(
        system="s", messages=ask(), budget=TokenBudget(10_000)
    )
    assert completion.text == "third time lucky"
    # One retry layer: three requests in all, numbered by the SDK.
    assert [r.headers.get("x-stainless-retry-count") for r in server.requests] == ["0", "1", "2"]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_retries_are_bounded_and_the_error_says_how_many(
    provider: str, server: LLMServer, make_llm: Callable[..., ChatBackend]
) -> None:
    server.script(
        Fail(503, "upstream overloaded"), Fail(503, "upstream overloaded"), Reply("too late")
    )
    budget = TokenBudget(10_000)
    with pytest.raises(LLMUnavailable) as error:
        await make_llm(provider, max_retries=1).complete(system="s", messages=ask(), budget=budget)
    assert (
        f"the {provider}-compatible server set in EVOLVE_LLM_BASE_URL answered HTTP 503 "
        "after 2 attempts: upstream overloaded" == str(error.value)
    )
    assert len(server.requests) == 2
    assert budget.completions == []


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_bad_request_is_not_retried(
    provider: str, server: LLMServer, make_llm: Callable[..., ChatBackend]
) -> None:
    server.script(Fail(400, "max_tokens is too large"))
    with pytest.raises(LLMUnavailable) as error:
        await make_llm(provider).complete(system="s", messages=ask(), budget=TokenBudget(10_000))
    assert str(error.value).endswith("answered HTTP 400: max_tokens is too large")
    assert len(server.requests) == 1


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_rejected_key_is_named_without_showing_it(
    provider: str, server: LLMServer, make_llm: Callable[..., ChatBackend]
) -> None:
    server.script(Fail(401, f"Incorrect API key provided: {KEY}"))
    with pytest.raises(LLMUnavailable) as error:
        await make_llm(provider).complete(system="s", messages=ask(), budget=TokenBudget(10_000))
    assert "rejected the API key (HTTP 401)" in str(error.value)
    assert KEY not in str(error.value)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_slow_server_times_out(
    provider: str, server: LLMServer, make_llm: Callable[..., ChatBackend]
) -> None:
    server.script(Slow(30))
    with pytest.raises(LLMUnavailable) as error:
        await make_llm(provider, timeout=0.3, max_retries=0).complete(
            system="s", messages=ask(), budget=TokenBudget(10_000)
        )
    assert (
        str(error.value)
        == f"the {provider}-compatible server set in EVOLVE_LLM_BASE_URL did not answer within "
        "0.3 s (1 attempt)"
    )


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_timed_out_attempt_is_retried(
    provider: str, server: LLMServer, make_llm: Callable[..., ChatBackend]
) -> None:
    server.script(Slow(30), Reply("fast this time"))
    completion = await make_llm(provider, timeout=0.3, max_retries=1).complete(
        system="s", messages=ask(), budget=TokenBudget(10_000)
    )
    assert completion.text == "fast this time"
    assert len(server.requests) == 2


async def test_an_unreachable_server_is_reported(make_llm: Callable[..., ChatBackend]) -> None:
    llm = make_llm("openai", base_url="http://127.0.0.1:9/v1", max_retries=0)
    with pytest.raises(LLMUnavailable) as error:
        await llm.complete(system="s", messages=ask(), budget=TokenBudget(10_000))
    assert str(error.value).startswith(
        "could not reach the openai-compatible server set in EVOLVE_LLM_BASE_URL (1 attempt)"
    )


async def test_missing_usage_is_estimated_and_marked(
    server: LLMServer, make_llm: Callable[..., ChatBackend]
) -> None:
    server.script(Reply("x" * 400, omit_usage=True))
    budget = TokenBudget(10_000)
    completion = await make_llm("openai").complete(system="s" * 400, messages=ask(), budget=budget)
    assert completion.usage_estimated
    assert completion.output_tokens == 100 and completion.input_tokens > 100
    assert budget.used == completion.input_tokens + completion.output_tokens


# --- the token budget -----------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_the_budget_caps_max_tokens_and_refuses_a_call_that_cannot_fit(
    provider: str, server: LLMServer, make_llm: Callable[..., ChatBackend]
) -> None:
    llm = make_llm(provider)
    budget = TokenBudget(3000)
    server.script(Reply("first", usage=(1500, 100)), Reply("second", usage=(1000, 200)))
    await llm.complete(system="s", messages=ask(), budget=budget)
    await llm.complete(system="s", messages=ask(), budget=budget)
    # 1400 tokens left: the second request could ask for at most that, minus its prompt.
    assert 1300 < server.requests[1].body["max_tokens"] < 1400
    assert budget.remaining == 200
    with pytest.raises(BudgetExceeded) as error:
        await llm.complete(system="s", messages=ask(), budget=budget)
    assert str(error.value).startswith(
        "the token budget for this proposal is spent: 2800 of 3000 tokens used"
    )
    assert len(server.requests) == 2  # refused before it was sent


async def test_a_prompt_bigger_than_the_budget_is_never_sent(
    server: LLMServer, make_llm: Callable[..., ChatBackend]
) -> None:
    with pytest.raises(BudgetExceeded) as error:
        await make_llm("anthropic").complete(
            system="s", messages=ask("x" * 40_000), budget=TokenBudget(5_000)
        )
    assert str(error.value).startswith("the request needs about 10")
    assert "more than the budget of 5000 tokens per proposal" in str(error.value)
    assert "EVOLVE_LLM_MAX_TOKENS_PER_PROPOSAL" in str(error.value)
    assert server.requests == []


def test_budget_usage_totals_for_the_journal() -> None:
    budget = TokenBudget(10_000)
    assert budget.usage() == {
        "calls": 0, "input_tokens": 0, "output_tokens": 0, "cost_usd": None, "models": [], "budget": 10_000,
    }  # fmt: skip


async def test_budget_cost_is_unknown_when_any_call_has_no_price(
    server: LLMServer, make_llm: Callable[..., ChatBackend]
) -> None:
    budget = TokenBudget(100_000)
    server.script(Reply("a", usage=(1000, 10)), Reply("b", usage=(1000, 10), model="local-llama"))
    llm = make_llm("openai")
    await llm.complete(system="s", messages=ask(), budget=budget)
    assert budget.usage()["cost_usd"] == price("gpt-4o-mini", input_tokens=1000, output_tokens=10)
    await llm.complete(system="s", messages=ask(), budget=budget)
    usage = budget.usage()
    assert usage["calls"] == 2 and usage["input_tokens"] == 2000 and usage["output_tokens"] == 20
    assert usage["cost_usd"] is None
    assert usage["models"] == ["gpt-4o-mini", "local-llama"]


# --- secrets --------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_secret_values_are_scrubbed_from_everything_sent(
    provider: str, server: LLMServer, make_llm: Callable[..., ChatBackend]
) -> None:
    secret = "ghp_live_token_value_123"
    llm = make_llm(provider, secrets=frozenset({secret}))
    server.script(Reply("ok"))
    await llm.complete(
        system=f"system {secret}",
        messages=[
            Message("user", f"the token is {secret}."),
            Message("assistant", secret),
            Message("user", "go"),
        ],
        budget=TokenBudget(10_000),
    )
    (request,) = server.requests
    assert secret.encode() not in request.raw
    assert request.texts[:3] == [f"system {REDACTED}", f"the token is {REDACTED}.", REDACTED]
