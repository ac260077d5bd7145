"""A scripted model server on 127.0.0.1 speaking OpenAI chat completions and Anthropic Messages.

Each test scripts the answers (`server.script(Reply(...), Fail(500), ...)`); the server pops
one per request, whichever API it arrives on, and records every request so the test can check
what was sent. Usage is counted the way the real APIs report it (roughly chars / 4).
"""

from __future__ import annotations

import asyncio
import json
import math
import uuid
from dataclasses import dataclass, field
from typing import Any, Self

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

OPENAI_STOPS = {"end": "stop", "length": "length", "filter": "content_filter"}
ANTHROPIC_STOPS = {"end": "end_turn", "length": "max_tokens", "filter": "refusal"}
# Servers ask for a retry in milliseconds: the SDKs honour it, so retry tests stay fast.
FAST_RETRY = {"retry-after-ms": "1"}


@dataclass(frozen=True)
class Reply:
    """A normal answer. `stop="length"` is a truncated one; `usage` overrides the counted tokens."""

    text: str
    stop: str = "end"  # end | length | filter
    usage: tuple[int, int] | None = None
    model: str | None = None
    omit_usage: bool = False  # some OpenAI-compatible servers send no usage at all


@dataclass(frozen=True)
class Refusal:
    """The model declines: OpenAI's `message.refusal`, Anthropic's `stop_reason: refusal`."""

    text: str = "I'm sorry, but I can't help with that request."


@dataclass(frozen=True)
class Fail:
    """An HTTP error in the provider's own error shape (429 and 5xx are retried by the SDKs)."""

    status: int
    message: str = "The server had an error while processing your request."
    headers: dict[str, str] = field(default_factory=lambda: dict(FAST_RETRY))


@dataclass(frozen=True)
class Slow:
    """Answers after `seconds` (or at shutdown), so the client's timeout fires first."""

    seconds: float
    then: Reply | None = None


Step = Reply | Refusal | Fail | Slow


@dataclass
class Recorded:
    """One request as the server received it."""

    api: str  # "openai" or "anthropic"
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    raw: bytes

    @property
    def texts(self) -> list[str]:
        """The system prompt and every message's text, in order."""
        out: list[str] = []
        if isinstance(self.body.get("system"), str):
            out.append(self.body["system"])
        for message in self.body.get("messages", []):
            content = message.get("content")
            if isinstance(content, str):
                out.append(content)
            elif isinstance(content, list):
                out.extend(part.get("text", "") for part in content if isinstance(part, dict))
        return out

    @property
    def prompt(self) -> str:
        return "\n".join(self.texts)

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))


class LLMServer:
    """`async with LLMServer() as server:` serves both APIs on a free loopback port."""

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.requests: list[Recorded] = []
        self.released = asyncio.Event()
        app = Starlette(
            routes=[
                Route("/v1/chat/completions", self.openai, methods=["POST"]),
                Route("/v1/messages", self.anthropic, methods=["POST"]),
            ]
        )
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="off")
        self.server = uvicorn.Server(config)
        self.task: asyncio.Task[None] | None = None
        self.url = ""

    def script(self, *steps: Step) -> None:
        self.steps.extend(steps)

    @property
    def openai_url(self) -> str:
        return f"{self.url}/v1"

    @property
    def anthropic_url(self) -> str:
        return self.url

    def base_url(self, provider: str) -> str:
        return self.openai_url if provider == "openai" else self.anthropic_url

    async def __aenter__(self) -> Self:
        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            if self.task.done():
                self.task.result()
            await asyncio.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.released.set()  # slow answers return now instead of holding up the shutdown
        self.server.should_exit = True
        if self.task is not None:
            await self.task

    # -- the two APIs --

    async def _take(
        self, request: Request, *, api: str
    ) -> tuple[Reply | Refusal | Fail | None, Recorded]:
        raw = await request.body()
        recorded = Recorded(api, request.url.path, dict(request.headers), json.loads(raw), raw)
        self.requests.append(recorded)
        step = self.steps.pop(0) if self.steps else None
        if isinstance(step, Slow):
            try:
                await asyncio.wait_for(self.released.wait(), timeout=step.seconds)
            except TimeoutError:
                pass
            return step.then or Reply("(slow answer)"), recorded
        return step, recorded

    async def openai(self, request: Request) -> JSONResponse:
        step, recorded = await self._take(request, api="openai")
        model = recorded.body.get("model", "unknown")
        if step is None:
            return _openai_error(400, "llm_server: the test scripted no answer for this request")
        if isinstance(step, Fail):
            return _openai_error(step.status, step.message, headers=step.headers)
        message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
        if isinstance(step, Refusal):
            message["refusal"] = step.text
            finish, text = "stop", step.text
        else:
            message["content"] = step.text
            finish, text = OPENAI_STOPS[step.stop], step.text
        prompt_tokens, completion_tokens = _usage(recorded, text=text, step=step)
        body: dict[str, Any] = {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": 1_760_000_000,
            "model": getattr(step, "model", None) or model,
            "choices": [
                {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
            ],
            "system_fingerprint": "fp_llm_server",
        }
        if not getattr(step, "omit_usage", False):
            body["usage"] = {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            }
        return JSONResponse(body)

    async def anthropic(self, request: Request) -> JSONResponse:
        step, recorded = await self._take(request, api="anthropic")
        model = recorded.body.get("model", "unknown")
        if step is None:
            return _anthropic_error(400, "llm_server: the test scripted no answer for this request")
        if isinstance(step, Fail):
            return _anthropic_error(step.status, step.message, headers=step.headers)
        if isinstance(step, Refusal):
            text, stop = step.text, "refusal"
        else:
            text, stop = step.text, ANTHROPIC_STOPS[step.stop]
        input_tokens, output_tokens = _usage(recorded, text=text, step=step)
        return JSONResponse(
            {
                "id": f"msg_{uuid.uuid4().hex[:24]}",
                "type": "message",
                "role": "assistant",
                "model": getattr(step, "model", None) or model,
                "content": [{"type": "text", "text": text}] if text else [],
                "stop_reason": stop,
                "stop_sequence": None,
                "usage": {
                    "input_tokens": input_tokens,
                    "output_tokens": output_tokens,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0,
                },
            }
        )


def llm_env(model: LLMServer, provider: str) -> dict[str, str]:
    """The bot's environment for talking to `model` as `provider` ("openai" or "anthropic")."""
    key = "OPENAI_API_KEY" if provider == "openai" else "ANTHROPIC_API_KEY"
    return {
        "EVOLVE_LLM_PROVIDER": provider,
        "EVOLVE_LLM_MODEL": "gpt-4o-mini" if provider == "openai" else "claude-test-model",
        "EVOLVE_LLM_BASE_URL": model.base_url(provider),
        key: "sk-test-not-a-real-key",
    }


def _usage(recorded: Recorded, *, text: str, step: Step) -> tuple[int, int]:
    if isinstance(step, Reply) and step.usage is not None:
        return step.usage
    return math.ceil(len(recorded.prompt) / 4) + 3, max(1, math.ceil(len(text) / 4))


def _openai_error(
    status: int, message: str, *, headers: dict[str, str] | None = None
) -> JSONResponse:
    kind = {429: "rate_limit_exceeded", 401: "invalid_api_key"}.get(status, "server_error")
    return JSONResponse(
        {"error": {"message": message, "type": kind, "param": None, "code": kind}},
        status_code=status,
        headers=headers,
    )


def _anthropic_error(
    status: int, message: str, *, headers: dict[str, str] | None = None
) -> JSONResponse:
    kind = {429: "rate_limit_error", 529: "overloaded_error", 401: "authentication_error"}.get(
        status, "api_error" if status >= 500 else "invalid_request_error"
    )
    return JSONResponse(
        {"type": "error", "error": {"type": kind, "message": message}},
        status_code=status,
        headers=headers,
    )


class Backends:
    """Real SDK backends pointed at one LLMServer, closed together: `make("openai", timeout=1)`."""

    def __init__(self, server: LLMServer, *, models: dict[str, str], key: str, max_retries: int) -> None:
        self.server = server
        self.models = models
        self.key = key
        self.max_retries = max_retries
        self.made: list[Any] = []

    def make(self, provider: str, **overrides: Any) -> Any:
        import dataclasses

        from bot.llm import LLMSettings, llm_from_settings

        settings = LLMSettings(
            provider=provider,  # type: ignore[arg-type]
            model=self.models[provider],
            base_url=self.server.base_url(provider),
            api_key=self.key,
            timeout=10,
            max_retries=self.max_retries,
        )
        llm = llm_from_settings(dataclasses.replace(settings, **overrides))
        assert llm is not None
        self.made.append(llm)
        return llm

    async def aclose(self) -> None:
        for llm in self.made:
            await llm.aclose()
