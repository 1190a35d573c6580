"""What the sandbox was asked: every ``/v1`` and ``/oauth`` request, with the API version it
carried and how it was answered, and the TCP connections it came over.

- ``GET /_sandbox/requests?method=&path=&account=&version=&status=``: the requests since the last
  reset, oldest first, each ``{method, path, route, account, version, status,
  idempotency_key}`` (``route`` is the path template, ``/v1/setup_intents/{id}/confirm``;
  ``version`` the ``Stripe-Version`` header, or ``null``). Tests use it to assert that Stripe
  accepted each request the addons make under the version it carried.
- ``GET /_sandbox/stats``: ``{"requests": n, "connections": m}``, the API requests and the
  distinct client connections (peer address and port) they came over since the last reset:
  ``make bench`` reports connections per 100 calls (a client that reuses its HTTP connections
  opens a few; one that makes a new client per call opens one per call).

Nothing secret is kept: no key, no body, no query string.
"""

from aiohttp import web

routes = web.RouteTableDef()

_REQUESTS = []
_PEERS = set()


def forget():
    _REQUESTS.clear()
    _PEERS.clear()


def _logged(path):
    return path.startswith(("/v1/", "/oauth/"))


def record(request, status):
    """Keep an API request and how it was answered (called by the access log, which knows the
    status whatever the handler did)."""
    if not _logged(request.path):
        return
    peer = request.transport.get_extra_info("peername") if request.transport else None
    if peer:
        _PEERS.add(tuple(peer[:2]))
    route = request.match_info.route.resource
    _REQUESTS.append(
        {
            "method": request.method,
            "path": request.path,
            "route": route.canonical if route is not None else request.path,
            "account": request.headers.get("Stripe-Account"),
            "version": request.headers.get("Stripe-Version"),
            "status": status,
            "idempotency_key": request.headers.get("Idempotency-Key"),
        }
    )


@routes.get("/_sandbox/requests")
async def list_requests(request):
    filters = {
        name: request.query[name]
        for name in ("method", "path", "route", "account", "version")
        if name in request.query
    }
    if "status" in request.query:
        filters["status"] = int(request.query["status"])
    found = [r for r in _REQUESTS if all(r.get(k) == v for k, v in filters.items())]
    return web.json_response({"data": found})


@routes.get("/_sandbox/stats")
async def stats(request):
    return web.json_response({"requests": len(_REQUESTS), "connections": len(_PEERS)})
