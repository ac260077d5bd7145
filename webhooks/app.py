"""The ASGI app: the webhook endpoint, /healthz and /metrics, with the workers in its lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping, Sequence

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot import logs
from bot.app_auth import GitHubApp
from bot.loop.autopilot import Autopilot
from bot.metrics import Metrics
from bot.settings import Settings
from bot.store import Store
from bot.store.deliveries import IGNORED, PENDING, PING

from .router import Router
from .routes import router as default_router
from .sansio import (
    MAX_BODY_BYTES,
    TOO_LARGE,
    PayloadTooLarge,
    WebhookError,
    check_headers,
    read_delivery,
)
from .worker import DeliveryWorkers, SignalHandler

log = logging.getLogger("evolve.intake")

ACCEPTED = "accepted"
DUPLICATE = "duplicate: this delivery was received before and is not processed again"
IGNORED_MESSAGE = "ignored: evolve-bot does not act on {what}"
PONG = "pong"


async def read_body(request: Request, *, limit: int = MAX_BODY_BYTES) -> bytes:
    """The raw body, refused as soon as it passes `limit`, never held whole when too large."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(TOO_LARGE)
    return bytes(body)


class Intake:
    """The webhook endpoint: verify, commit to the store, then answer; workers do the rest."""

    def __init__(self, *, settings: Settings, router: Router, metrics: Metrics) -> None:
        self.secret = settings.require_secret()
        self.router = router
        self.metrics = metrics
        self.store: Store | None = None
        self.workers: DeliveryWorkers | None = None

    async def handle(self, request: Request) -> Response:
        assert self.store is not None, "the app's lifespan did not run"
        headers = {name.lower(): value for name, value in request.headers.items()}
        event = headers.get("x-github-event", "unknown")
        try:
            check_headers(headers)
            delivery = read_delivery(headers, await read_body(request), secret=self.secret)
        except WebhookError as exc:
            self.metrics.deliveries.labels(event, "rejected").inc()
            log.warning(
                "rejected delivery: %s",
                exc.message,
                extra={"status": exc.status, "delivery_id": headers.get("x-github-delivery")},
            )
            return JSONResponse({"message": exc.message}, status_code=exc.status)

        token = logs.delivery_id.set(delivery.delivery_id)
        try:
            if delivery.event == "ping":
                status, code, message = PING, 200, PONG
            elif self.router.handles(delivery.event, delivery.action):
                status, code, message = PENDING, 202, ACCEPTED
            else:
                what = delivery.event + (f".{delivery.action}" if delivery.action else "")
                status, code, message = IGNORED, 202, IGNORED_MESSAGE.format(what=what)
            # Committed before answering: once GitHub sees 2xx, the delivery survives a crash.
            if not await self.store.deliveries.accept(delivery, status=status):
                self.metrics.deliveries.labels(delivery.event, "duplicate").inc()
                log.info("duplicate delivery")
                return JSONResponse({"message": DUPLICATE, "delivery": delivery.delivery_id}, status_code=200)
            self.metrics.deliveries.labels(delivery.event, status if status != PENDING else "accepted").inc()
            log.info(message, extra={"event": delivery.event, "action": delivery.action})
            if status == PENDING and self.workers is not None:
                self.workers.wake()
            return JSONResponse({"message": message, "delivery": delivery.delivery_id}, status_code=code)
        finally:
            logs.delivery_id.reset(token)


async def start_autopilot(settings: Settings, store: Store, *, llm_env: Mapping[str, str] | None = None) -> Autopilot:
    """The loop, authenticated as the App; its slug comes from settings or from GitHub.

    The model settings come from the process environment unless `llm_env` is given (tests)."""
    github = GitHubApp.from_settings(settings)
    slug = settings.app_slug or await github.slug()
    env = settings.environment() if llm_env is None else llm_env
    return Autopilot(app=github, store=store, app_slug=slug, llm_env=env)


async def sweep_forever(pilot: Autopilot, *, every: float) -> None:
    """Reconcile proposals waiting on CI, for webhooks that never came; errors are logged, not fatal."""
    while True:
        await asyncio.sleep(every)
        try:
            await pilot.sweep()
        except Exception:
            log.exception("reconciliation sweep failed")


def create_app(
    settings: Settings,
    *,
    router: Router = default_router,
    handlers: Sequence[SignalHandler] = (),
    store: Store | None = None,
    with_autopilot: bool = True,
    llm_env: Mapping[str, str] | None = None,
) -> Starlette:
    """The server. Opens (and migrates) the store, starts `settings.workers` workers and, when
    the App's credentials are set, the autopilot that acts on the signals."""
    metrics = Metrics()
    intake = Intake(settings=settings, router=router, metrics=metrics)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        opened = store or await Store.open(settings.database_url)
        workers = DeliveryWorkers(
            opened,
            router,
            count=settings.workers,
            metrics=metrics,
            handlers=handlers,
            max_attempts=settings.max_attempts,
        )
        intake.store, intake.workers = opened, workers
        app.state.store, app.state.workers = opened, workers
        app.state.autopilot = None
        sweeper: asyncio.Task[None] | None = None
        if settings.app_id is not None and with_autopilot:
            # With App credentials the bot acts; without, it only records signals.
            app.state.autopilot = pilot = await start_autopilot(settings, opened, llm_env=llm_env)
            workers.handlers.append(pilot)
            if settings.sweep_seconds > 0 and settings.workers > 0:
                sweeper = asyncio.create_task(sweep_forever(pilot, every=settings.sweep_seconds), name="evolve-sweep")
        await workers.start()
        log.info(
            "evolve-bot listening",
            extra={"webhook_path": settings.webhook_path, "workers": settings.workers, "acting": app.state.autopilot is not None},
        )
        try:
            yield
        finally:
            if sweeper is not None:
                sweeper.cancel()
                await asyncio.gather(sweeper, return_exceptions=True)
            await workers.stop()
            if store is None:
                await opened.close()

    async def healthz(request: Request) -> Response:
        try:
            await request.app.state.store.ping()
            backlog = await request.app.state.store.deliveries.backlog()
        except Exception as exc:  # the point of the check is to report any database failure
            return JSONResponse({"status": "error", "database": f"{type(exc).__name__}: {exc}"}, status_code=503)
        return JSONResponse(
            {"status": "ok", "database": request.app.state.store.backend, "backlog": backlog}
        )

    async def metrics_page(request: Request) -> Response:
        try:
            metrics.backlog.set(await request.app.state.store.deliveries.backlog())
        except Exception:
            log.exception("backlog unavailable for /metrics")
        return Response(metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")

    app = Starlette(
        routes=[
            Route(settings.webhook_path, intake.handle, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics_page, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.metrics = metrics
    return app
