"""Events and their webhook deliveries, as Stripe sends them to Connect endpoints.

Every event is stored with the account it happened on (``GET /v1/events`` lists them per account).
An event that happens on a connected account carries ``"account": "acct_..."``; platform events have
no ``account`` key. Each event is POSTed to every registered endpoint (``--webhook-url`` at
start-up, ``POST /_config/webhooks/{id}`` with ``url``, ``secret``, ``events[]`` and
``api_version``, removed with ``DELETE /_config/webhooks/{id}``) with a ``Stripe-Signature`` that
``stripe.Webhook.construct_event`` accepts, after ``--webhook-delay`` seconds; there are no
retries. As on Stripe, an endpoint gets its events in its own API version (default: the accounts'
default version, :data:`.api_versions.DEFAULT`): ``"api_version"`` says which, and
``data.object`` has that version's fields (:func:`.api_versions.render`). ``GET
/_sandbox/webhook_deliveries`` lists the attempts so that tests can wait for them.
"""

import asyncio
import copy
import json
import logging
import time

import aiohttp
from aiohttp import web
from localstripe import resources
from localstripe import webhooks as localstripe_webhooks
from localstripe.resources import Event
from localstripe.server import get_post_data, json_response

from . import api_versions, errors, scoping
from .config import CONFIG
from .signing import sign_payload

_logger = logging.getLogger(__name__)

routes = web.RouteTableDef()

DELIVERY_TIMEOUT = aiohttp.ClientTimeout(total=30)

_deliveries = []
_pending = set()
_waiting: dict = {}  # task -> the event it delivers once its delay is over


class _Snapshot:
    """A dict standing in for a Stripe object as an event's ``data.object`` (an ``application``)."""

    def __init__(self, data):
        self._data = data

    def _export(self, expand=None):
        return copy.deepcopy(self._data)


def emit(event_type, obj, account=None):
    """Record ``event_type`` about ``obj`` (Stripe object or dict) on ``account`` (or current)."""
    if isinstance(obj, dict):
        obj = _Snapshot(obj)
    with scoping.acting_as(account or scoping.current_account()):
        event = Event(event_type, obj)
    schedule_webhook(event)
    return event


def schedule_webhook(event):
    task = asyncio.ensure_future(_deliver(event))
    _pending.add(task)
    _waiting[task] = event
    task.add_done_callback(_forget)


def _forget(task):
    _pending.discard(task)
    _waiting.pop(task, None)


def forget_deliveries():
    """Cancel deliveries not yet made and clear the delivery log (a reset)."""
    for task in list(_pending):
        task.cancel()
    _deliveries.clear()


def register(name, url, secret, events=None, api_version=None):
    """Deliver events (all, or those of ``events``) to ``url``, in ``api_version``."""
    api_version = api_version or api_versions.DEFAULT
    if api_version not in api_versions.KNOWN:
        raise errors.api_version_invalid(api_version)
    localstripe_webhooks.register_webhook(name, url, secret, events)
    localstripe_webhooks._webhooks[name].api_version = api_version


async def _deliver(event, delay=None):
    await asyncio.sleep(CONFIG.webhook_delay if delay is None else delay)
    for webhook in list(localstripe_webhooks._webhooks.values()):
        if webhook.events is not None and event.type not in webhook.events:
            continue
        rendered = api_versions.render(event._export(), webhook.api_version)
        payload = json.dumps(rendered, indent=2, sort_keys=True).encode("utf-8")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": sign_payload(payload, webhook.secret),
        }
        try:
            async with (
                aiohttp.ClientSession(timeout=DELIVERY_TIMEOUT) as session,
                session.post(webhook.url, data=payload, headers=headers) as response,
            ):
                status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError) as e:
            status = None
            _logger.warning(
                "webhook %s (%s) to %s failed: %s", event.id, event.type, webhook.url, e
            )
        _deliveries.append(
            {
                "event": event.id,
                "type": event.type,
                "account": getattr(event, "account", None),
                "url": webhook.url,
                "status": status,
                "ok": status is not None and 200 <= status < 300,
                "delivered_at": time.time(),
            }
        )


_event_init = Event.__init__


def _event_init_with_account(self, type, data):
    _event_init(self, type, data)
    account = scoping.connected_account()
    if account:
        self.account = account


Event.__init__ = _event_init_with_account
resources.schedule_webhook = schedule_webhook


@routes.post("/_sandbox/webhooks/delay")
async def set_delay(request):
    """How long the events made from now on wait before they are delivered (``seconds``; a
    day stands for webhooks that come late). Answers the delay it replaced."""
    data = await request.post()
    previous, CONFIG.webhook_delay = CONFIG.webhook_delay, float(data["seconds"])
    return web.json_response({"previous": previous, "seconds": CONFIG.webhook_delay})


@routes.post("/_sandbox/webhooks/deliver_now")
async def deliver_now(request):
    """Time passes for the webhooks: the events still waiting for their delay are delivered
    now, oldest first."""
    waiting = list(_waiting.items())
    for task, _event in waiting:
        task.cancel()
    for _task, event in waiting:
        await _deliver(event, delay=0)
    return web.json_response({"delivered": len(waiting)})


@routes.get("/_sandbox/webhook_deliveries")
async def list_deliveries(request):
    """Delivery attempts, oldest first, filtered by ``type``, ``account``, ``event``, ``url``."""
    wanted = {
        k: request.query[k] for k in ("type", "account", "event", "url") if k in request.query
    }
    data = [d for d in _deliveries if all(d[k] == v for k, v in wanted.items())]
    return json_response({"object": "list", "data": data})


@routes.post("/_config/webhooks/{id}")
async def register_webhook(request):
    """localstripe's registration, with the endpoint's ``api_version``."""
    data = await get_post_data(request) or {}
    url, secret, events = data.get("url"), data.get("secret"), data.get("events")
    if not url or not secret or not url.startswith("http"):
        raise errors.invalid_request("Give the endpoint's url (http...) and secret.")
    if events is not None and not isinstance(events, list):
        raise errors.invalid_request("events[] is a list of event types.", param="events")
    register(request.match_info["id"], url, secret, events, data.get("api_version"))
    return web.Response()


@routes.delete("/_config/webhooks/{id}")
async def unregister_webhook(request):
    localstripe_webhooks._webhooks.pop(request.match_info["id"], None)
    return web.Response()
