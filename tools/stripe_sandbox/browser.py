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


def confirm_setup(base_url, publishable_key, client_secret, payment_method, account=None):
    """What Stripe.js's ``confirmSetup`` does in the customer's browser: confirm the SetupIntent
    with its client secret and the card, then pass 3-D Secure when the bank asks. Returns the
    SetupIntent's final status."""
    intent_id = client_secret.split("_secret_")[0]
    headers = {"Stripe-Account": account} if account else {}
    params = {"key": publishable_key, "client_secret": client_secret}
    url = f"{base_url}/v1/setup_intents/{intent_id}"
    response = requests.post(
        f"{url}/confirm",
        data={**params, "payment_method": payment_method},
        headers=headers,
        timeout=10,
    )
    response.raise_for_status()
    if response.json()["status"] == "requires_action":
        response = requests.post(
            f"{url}/_authenticate", data={**params, "success": "true"}, headers=headers, timeout=10
        )
        response.raise_for_status()
    return response.json()["status"]
