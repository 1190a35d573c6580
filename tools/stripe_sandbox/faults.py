"""Outages on demand, for tests of what a real one does to the addons.

``POST /_sandbox/faults`` with ``method``, ``path`` (exact), ``kind`` and ``times`` (default 1):
the next ``times`` matching API requests fail that way.

- ``answer_lost``: the request is handled as usual (objects created, the idempotent answer
  stored, webhooks emitted), then the connection is closed before the answer is sent, as when a
  network drops between Stripe and its caller. The caller cannot know whether anything happened.
- ``request_lost``: the connection drops before the request is handled: Stripe never saw it,
  nothing is created (the caller cannot know that either).
- ``rate_limited``: 429 ``rate_limit`` before anything is handled (Stripe's "Too many requests").

``DELETE /_sandbox/faults`` forgets the faults not spent yet (a reset does too).
"""

from aiohttp import web

from . import errors

routes = web.RouteTableDef()

KINDS = ("answer_lost", "request_lost", "rate_limited")
_FAULTS = []


def forget():
    _FAULTS.clear()


def _take(request):
    for fault in _FAULTS:
        if fault["method"] == request.method and fault["path"] == request.path:
            fault["times"] -= 1
            if fault["times"] <= 0:
                _FAULTS.remove(fault)
            return fault["kind"]
    return None


@web.middleware
async def middleware(request, handler):
    kind = _take(request) if _FAULTS else None
    if kind == "rate_limited":
        raise errors.StripeError(
            429,
            "Too many requests hit the API too quickly. We recommend an exponential backoff of "
            "your requests.",
            code="rate_limit",
        )
    if kind == "request_lost":
        request.transport.abort()  # nothing handled: the caller's connection drops
        return web.Response(status=502)  # never sent
    response = await handler(request)
    if kind == "answer_lost":
        request.transport.abort()  # the answer never leaves: the caller's connection drops
    return response


@routes.post("/_sandbox/faults")
async def add_fault(request):
    data = await request.post()
    kind = data.get("kind", "")
    if kind not in KINDS or not data.get("path", "").startswith("/v1/"):
        return web.json_response({"error": f"kind is one of {KINDS}, path a /v1 path"}, status=400)
    _FAULTS.append(
        {
            "method": data.get("method", "POST").upper(),
            "path": data["path"],
            "kind": kind,
            "times": int(data.get("times", 1)),
        }
    )
    return web.json_response({"faults": len(_FAULTS)})


@routes.delete("/_sandbox/faults")
async def forget_faults(request):
    forget()
    return web.json_response({"ok": True})
