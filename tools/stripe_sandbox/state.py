"""What the sandbox remembers between requests, and the ``--state-file`` it is kept in.

Stripe keeps each account's objects apart, and so does the sandbox: ``stores`` maps an account id to
that account's localstripe store (``'object:id' -> object``). Idempotent responses, OAuth codes and
Account Link tokens are kept next to them, so that a restarted sandbox answers like the one that
stopped.
"""

import asyncio
import os
import pickle
import tempfile
import time

from aiohttp import web

#: Seconds to wait after a change before writing the state file (changes come in bursts).
SAVE_DELAY = 1.0
#: Writing the file blocks the server (one thread), for a time that grows with the data: the next
#: write waits at least this many times as long as the last one took, so that writing never takes
#: more than a few percent of the server's time (a benchmark's thousands of objects included).
SAVE_WAIT_FACTOR = 20


class SandboxState:
    def __init__(self):
        self.stores = {}  # account id -> {'object:id': StripeObject}
        self.idempotency = {}  # (account id, Idempotency-Key) -> idempotency.StoredResponse
        self.oauth_codes = {}  # 'ac_...' -> connect_oauth.AuthorizationCode
        self.account_links = {}  # token -> onboarding.AccountLinkGrant
        self.blocked_cards = {}  # saved card (cards.lineage) -> decline code, see cards.block

    def clear(self):
        self.__init__()


STATE = SandboxState()


class StateFile:
    """Loads :data:`STATE` at start-up, writes it back atomically after changes and at exit."""

    def __init__(self, path):
        self.path = os.path.abspath(path)
        self._pending_save = None
        self._last_save_seconds = 0.0
        os.makedirs(os.path.dirname(self.path), exist_ok=True)

    def load(self):
        """Replace :data:`STATE` by the file's content; a missing file leaves it empty."""
        try:
            with open(self.path, "rb") as f:
                loaded = pickle.load(f)
        except FileNotFoundError:
            return
        STATE.__dict__.update(loaded.__dict__)

    def save(self):
        if self._pending_save is not None:
            self._pending_save.cancel()
            self._pending_save = None
        started = time.perf_counter()
        fd, tmp_path = tempfile.mkstemp(dir=os.path.dirname(self.path), prefix=".stripe_sandbox-")
        with os.fdopen(fd, "wb") as f:
            pickle.dump(STATE, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp_path, self.path)
        self._last_save_seconds = time.perf_counter() - started

    def save_delay(self):
        """Seconds from a change to the write that keeps it."""
        return max(SAVE_DELAY, SAVE_WAIT_FACTOR * self._last_save_seconds)

    def middleware(self):
        """An aiohttp middleware that schedules a save after every request that may change data."""

        @web.middleware
        async def save_after_changes(request, handler):
            try:
                return await handler(request)
            finally:
                if request.method in ("POST", "DELETE") and self._pending_save is None:
                    loop = asyncio.get_running_loop()
                    self._pending_save = loop.call_later(self.save_delay(), self.save)

        return save_after_changes
