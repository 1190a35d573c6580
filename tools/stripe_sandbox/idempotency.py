"""Idempotent requests: ``Idempotency-Key`` replayed per account for 24 hours, as Stripe does.

The first response to a key on a ``POST /v1/...`` (any status below 500, declines included) is kept
with a fingerprint of the request (method, path, parameters) under the acting account. The same key
with the same request gets that response again, with ``Idempotent-Replayed: true``; with a different
request, a 400 ``idempotency_error`` (the SDK raises ``stripe.IdempotencyError``). The SDK sends a
fresh key with every POST, so retries are safe.
"""

import json
import time
from dataclasses import dataclass

from aiohttp import web
from localstripe.errors import UserError
from localstripe.server import get_post_data

from . import errors, scoping
from .state import STATE

KEY_LIFETIME = 24 * 3600
PRUNE_INTERVAL = 60

_last_prune = 0.0


@dataclass
class StoredResponse:
    fingerprint: str
    status: int
    body: bytes
    content_type: str
    created: float

    @property
    def expired(self):
        return time.time() - self.created > KEY_LIFETIME


async def _fingerprint(request):
    params = await get_post_data(request, remove_auth=False) or {}
    return json.dumps([request.method, request.path, params], sort_keys=True, default=str)


def _prune():
    global _last_prune
    if time.time() - _last_prune > PRUNE_INTERVAL:
        _last_prune = time.time()
        for key in [key for key, stored in STATE.idempotency.items() if stored.expired]:
            del STATE.idempotency[key]


@web.middleware
async def middleware(request, handler):
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not key or not request.path.startswith("/v1/"):
        return await handler(request)
    _prune()
    cache_key = (scoping.current_account(), key)
    fingerprint = await _fingerprint(request)
    stored = STATE.idempotency.get(cache_key)
    if stored is not None and not stored.expired:
        if stored.fingerprint != fingerprint:
            raise errors.idempotency_key_in_use(key)
        return web.Response(
            status=stored.status,
            body=stored.body,
            content_type=stored.content_type,
            headers={"Idempotent-Replayed": "true"},
        )
    try:
        response = await handler(request)
    except UserError as e:
        response = e.to_response()
    if response.status < 500:
        STATE.idempotency[cache_key] = StoredResponse(
            fingerprint, response.status, response.body, response.content_type, time.time()
        )
    return response
