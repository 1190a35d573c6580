"""What Odoo looks up again and again for each record of a batch (the stock rules of each order
line, the default journal of each invoice...), looked up once while the batch runs."""

from contextlib import contextmanager

FOUND = "ofn_looked_up_once"  # the cursor's cache, while a batch runs


@contextmanager
def looked_up_once(env):
    """While the block runs (a batch: the orders a cycle's close confirms, their lines'
    procurements, their invoices), what :func:`once` is asked is looked up once: the settings
    it reads (stock rules, journals) do not change within a batch."""
    cache = env.cr.cache
    if FOUND in cache:  # a batch within a batch (a chain of rules): the outer one's
        yield
        return
    cache[FOUND] = {}
    try:
        yield
    finally:
        cache.pop(FOUND, None)


def once(env, key, look_up):
    """``look_up()``, or what it gave for ``key`` (in ``env``'s user, companies and
    ``active_test``) earlier in the same batch; outside a batch, ``look_up()``."""
    found = env.cr.cache.get(FOUND)
    if found is None:
        return look_up()
    key = (*key, env.uid, env.su, tuple(env.companies.ids), env.context.get("active_test", True))
    if key not in found:
        found[key] = look_up()
    return found[key]
