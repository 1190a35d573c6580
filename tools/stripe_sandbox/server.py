"""The sandbox's aiohttp application and command line.

It is localstripe's application rebuilt: the sandbox's routes first (so that they replace
localstripe's for the same method and path), then every other localstripe route, behind these
middlewares, outermost first: access log (without query strings or tokens), ``--latency-ms``,
localstripe's error rendering, the outages tests ask for (:mod:`.faults`), the ``Stripe-Account``
scope, API keys, strictness by API version (:mod:`.strict`: a refused request goes no further),
idempotency, and saving to the ``--state-file``.
"""

import argparse
import asyncio
import logging
import signal
import sys
import time
from pathlib import Path

from aiohttp import web
from localstripe import server as localstripe_server

from . import (
    PLATFORM_ACCOUNT_ID,
    accounts,
    api_versions,
    auth,
    balance,
    cards,
    connect_oauth,
    faults,
    fees,
    idempotency,
    onboarding,
    payment_intents,
    payment_methods,
    request_log,
    scoping,
    setup_intents,
    strict,
    webhooks,
)
from .config import CONFIG
from .state import STATE, StateFile

_logger = logging.getLogger("stripe_sandbox")

routes = web.RouteTableDef()

ROUTE_MODULES = (
    accounts,
    onboarding,
    connect_oauth,
    payment_methods,
    payment_intents,
    setup_intents,
    balance,
    fees,
    webhooks,
    request_log,
    faults,
)
STRIPE_JS = Path(__file__).parent / "static" / "stripe-v3.js"
CORS_ALLOWED_HEADERS = (
    "Accept, Authorization, Content-Type, Idempotency-Key, Stripe-Account, Stripe-Version"
)


@routes.get("/_sandbox/health")
async def health(request):
    return web.json_response({"ok": True})


@routes.get("/js.stripe.com/v3/")
async def stripe_js(request):
    """The sandbox's Stripe.js (Payment Element, confirmPayment, ...) in place of localstripe's."""
    return web.FileResponse(STRIPE_JS, headers={"Content-Type": "application/javascript"})


@routes.post("/_sandbox/reset")
@routes.delete("/_config/data")
async def reset(request):
    """Forget all data (every account's objects, idempotent responses, OAuth codes, events,
    deliveries); keep the webhook registrations and the platform account."""
    STATE.clear()
    webhooks.forget_deliveries()
    request_log.forget()
    faults.forget()
    accounts.ensure_platform_account()
    return web.json_response({"ok": True})


@routes.post("/_sandbox/idempotency/expire")
async def expire_idempotency_keys(request):
    """Forget every stored idempotent answer, as Stripe does 24 hours later; the objects stay.
    Tests call it before each test: a test's rolled back database would otherwise reuse the keys
    (derived from records and attempts) of the test before it."""
    STATE.idempotency.clear()
    return web.json_response({"ok": True})


@routes.post("/_sandbox/latency")
async def set_latency(request):
    """How long every ``/v1`` response waits from now on (``ms``), as ``--latency-ms`` does
    from the start: ``make bench`` sets up its world at full speed, then measures with the
    latency asked. Answers the latency it replaced."""
    data = await request.post()
    try:
        latency_ms = float(data["ms"])
    except (KeyError, ValueError):
        return web.json_response({"error": "ms: a number of milliseconds"}, status=400)
    if latency_ms < 0:
        return web.json_response({"error": "ms cannot be negative"}, status=400)
    previous, CONFIG.latency_ms = CONFIG.latency_ms, latency_ms
    return web.json_response({"previous": previous, "ms": CONFIG.latency_ms})


@routes.post("/_sandbox/cards/block")
async def block_card(request):
    """Make a saved card decline from now on (``payment_method`` of the account named by
    ``Stripe-Account``, or of the platform; ``decline_code``, default ``lost_card``)."""
    data = await request.post()
    account = request.headers.get("Stripe-Account") or PLATFORM_ACCOUNT_ID
    with scoping.acting_as(account):
        method = scoping.STORE.get("payment_method:" + data.get("payment_method", ""))
    if method is None:
        return web.json_response({"error": "No such payment_method"}, status=404)
    cards.block(method, data.get("decline_code") or "lost_card")
    return web.json_response({"blocked": method.id})


async def preflight(request):
    """Browsers ask before sending Stripe-Account or Authorization from another origin."""
    return web.Response(status=204)


async def cors_headers(request, response):
    """localstripe's CORS headers, also allowing the headers a Stripe.js shim or the SDK sends."""
    await localstripe_server.add_cors_headers(request, response)
    if "Access-Control-Allow-Origin" in response.headers:
        response.headers["Access-Control-Allow-Headers"] = CORS_ALLOWED_HEADERS


@web.middleware
async def access_log(request, handler):
    started = time.monotonic()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as e:
        status = e.status
        raise
    finally:
        # Tokens in paths (onboarding links) are secrets; query strings may hold client secrets
        # or OAuth codes.
        path = request.path
        if "token" in request.match_info:
            path = request.match_info.route.resource.canonical
        account = request.headers.get("Stripe-Account")
        request_log.record(request, status)
        _logger.info(
            "%s %s%s -> %s (%.0f ms)",
            request.method,
            path,
            f" [{account}]" if account else "",
            status,
            (time.monotonic() - started) * 1000,
        )


async def _sleep(seconds):
    await asyncio.sleep(seconds)


@web.middleware
async def latency(request, handler):
    """``--latency-ms``: every ``/v1`` response waits that long, as if Stripe were far away."""
    try:
        return await handler(request)
    finally:
        if CONFIG.latency_ms > 0 and request.path.startswith("/v1/"):
            await _sleep(CONFIG.latency_ms / 1000)


def build_app(state_file=None):
    middlewares = [
        access_log,
        latency,
        localstripe_server.error_middleware,
        faults.middleware,
        scoping.middleware,
        auth.middleware,
        strict.middleware,
        idempotency.middleware,
    ]
    if state_file is not None:
        middlewares.append(state_file.middleware())
    app = web.Application(middlewares=middlewares)
    app.on_response_prepare.append(cors_headers)
    app.add_routes(routes)
    for module in ROUTE_MODULES:
        app.add_routes(module.routes)
    taken = {(route.method, route.resource.canonical) for route in app.router.routes()}
    for route in localstripe_server.app.router.routes():
        if (route.method, route.resource.canonical) not in taken:
            app.router.add_route(route.method, route.resource.canonical, route.handler)
    app.router.add_route("OPTIONS", "/{path:.*}", preflight)
    return app


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m stripe_sandbox",
        description="A local Stripe with Connect (localstripe extended).",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=8420, help="port to listen on; 0 picks a free one"
    )
    parser.add_argument(
        "--state-file", help="file the data is kept in between runs (default: memory only)"
    )
    parser.add_argument(
        "--from-scratch", action="store_true", help="ignore the state file's current content"
    )
    parser.add_argument("--webhook-url", help="endpoint that receives every event")
    parser.add_argument("--webhook-secret", help="signing secret of --webhook-url")
    parser.add_argument(
        "--webhook-api-version",
        default=api_versions.DEFAULT,
        choices=api_versions.KNOWN,
        help=f"API version of the events sent to --webhook-url (default: {api_versions.DEFAULT})",
    )
    parser.add_argument(
        "--webhook-delay",
        type=float,
        default=1.0,
        help="seconds between an event and its delivery (default: 1)",
    )
    parser.add_argument(
        "--client-id", help="the only Connect client id OAuth accepts (default: any ca_...)"
    )
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        help="milliseconds added to every /v1 response (default: 0)",
    )
    args = parser.parse_args(argv)
    if bool(args.webhook_url) != bool(args.webhook_secret):
        parser.error("--webhook-url and --webhook-secret go together")
    if args.latency_ms < 0:
        parser.error("--latency-ms cannot be negative")
    return args


async def serve(app, host, port, state_file):
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_host, bound_port = runner.addresses[0][:2]
    if ":" in bound_host:
        bound_host = f"[{bound_host}]"
    print(f"stripe_sandbox listening on http://{bound_host}:{bound_port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await runner.cleanup()
    if state_file is not None:
        state_file.save()


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s: %(message)s"
    )
    CONFIG.client_id = args.client_id
    CONFIG.webhook_delay = args.webhook_delay
    CONFIG.latency_ms = args.latency_ms
    state_file = StateFile(args.state_file) if args.state_file else None
    if state_file is not None and not args.from_scratch:
        state_file.load()
    accounts.ensure_platform_account()
    if args.webhook_url:
        webhooks.register(
            "command-line",
            args.webhook_url,
            args.webhook_secret,
            api_version=args.webhook_api_version,
        )
    asyncio.run(serve(build_app(state_file), args.host, args.port, state_file))
