"""What a person does on the sandbox's pages, for scripts (the demo) that have no browser."""

from urllib.parse import parse_qs, urlsplit

import requests


def decide_oauth(authorize_url, decision="approve"):
    """Click Approve (or Deny) on the OAuth page at ``authorize_url``; returns the query Stripe
    sends back to the ``redirect_uri`` (``code`` and ``state``, or ``error``)."""
    response = requests.post(
        authorize_url, data={"decision": decision}, allow_redirects=False, timeout=10
    )
    response.raise_for_status()
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    return {key: values[0] for key, values in query.items()}
