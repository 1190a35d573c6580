"""Webhook signatures as Stripe computes them (the ``Stripe-Signature`` header)."""

import hashlib
import hmac
import time


def sign_payload(payload, secret, timestamp=None):
    """Return the ``Stripe-Signature`` header Stripe would send with ``payload``.

    Stripe signs ``b"<timestamp>.<payload>"`` with HMAC-SHA256 keyed by the endpoint's secret and
    sends ``t=<timestamp>,v1=<hex digest>``. ``stripe.Webhook.construct_event(payload, header,
    secret)`` accepts the
    result as long as ``timestamp`` (default: now) is within its tolerance (300 s).

    :param bytes|str payload: the exact request body
    :param str secret: the endpoint's signing secret
    :param int timestamp: Unix time to sign with; pass an old one to forge a replayed delivery
    """
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    signed = b"%d.%s" % (timestamp, payload)
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
