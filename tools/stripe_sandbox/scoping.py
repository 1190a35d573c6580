"""Per-account data, chosen by the ``Stripe-Account`` header as Stripe does for Connect.

localstripe keeps every object in one global ``store``. The sandbox replaces it with :data:`STORE`,
a mapping that delegates to the store of the *current account*: a context variable that
:func:`middleware` sets for each request (aiohttp runs each request in its own task, hence its own
context). Without the header a request acts for the platform. An account the platform cannot reach
(unknown, deleted, deauthorized) gets Stripe's 403 ``account_invalid``.

Importing this module also makes lookups Stripe-like: a missing object is a 404 ``resource_missing``
("No such customer: 'cus_x'"), and lists come newest first.
"""

from collections.abc import MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar

from aiohttp import web
from localstripe import resources
from localstripe import server as localstripe_server
from localstripe.resources import List, StripeObject

from . import PLATFORM_ACCOUNT_ID, errors
from .state import STATE

_current_account = ContextVar("stripe_sandbox_account", default=PLATFORM_ACCOUNT_ID)


def current_account():
    """The id of the account the request acts for (the platform's without ``Stripe-Account``)."""
    return _current_account.get()


def connected_account():
    """The connected account the request acts for, or ``None`` when it acts for the platform."""
    account_id = _current_account.get()
    return None if account_id == PLATFORM_ACCOUNT_ID else account_id


@contextmanager
def acting_as(account_id):
    token = _current_account.set(account_id)
    try:
        yield
    finally:
        _current_account.reset(token)


def platform():
    return acting_as(PLATFORM_ACCOUNT_ID)


def current_store():
    """The plain dict holding the current account's objects."""
    return STATE.stores.setdefault(_current_account.get(), {})


class AccountScopedStore(MutableMapping):
    """localstripe's ``store``, seen through the current account."""

    def __getitem__(self, key):
        return current_store()[key]

    def __setitem__(self, key, value):
        current_store()[key] = value

    def __delitem__(self, key):
        del current_store()[key]

    def __iter__(self):
        return iter(current_store())

    def __len__(self):
        return len(current_store())


STORE = AccountScopedStore()
resources.store = STORE
localstripe_server.store = STORE


def account_is_accessible(account_id):
    """Whether the platform may act for ``account_id``: it exists and is connected."""
    account = STATE.stores.get(PLATFORM_ACCOUNT_ID, {}).get("account:" + str(account_id))
    return account is not None and account._connected


@web.middleware
async def middleware(request, handler):
    account_id = request.headers.get("Stripe-Account") or PLATFORM_ACCOUNT_ID
    if account_id != PLATFORM_ACCOUNT_ID and not account_is_accessible(account_id):
        raise errors.account_invalid(account_id)
    with acting_as(account_id):
        return await handler(request)


def _retrieve(cls, id):
    obj = current_store().get(f"{cls.object}:{id}")
    if obj is None:
        raise errors.resource_missing(cls.object, id)
    return obj


def _list_all(cls, url, limit=None, starting_after=None, **kwargs):
    if kwargs:
        raise errors.not_implemented(kwargs)
    listing = List(url, limit=limit, starting_after=starting_after)
    prefix = cls.object + ":"
    listing._list = [
        obj for key, obj in reversed(current_store().items()) if key.startswith(prefix)
    ]
    return listing


StripeObject._api_retrieve = classmethod(_retrieve)
StripeObject._api_list_all = classmethod(_list_all)
