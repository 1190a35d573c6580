import pytest
import requests

CARD_EXPIRY = {"exp_month": 12, "exp_year": 2034, "cvc": "123"}


@pytest.fixture
def platform(stripe_sandbox):
    """A StripeClient acting for the platform (no Stripe-Account header)."""
    return stripe_sandbox.client()


@pytest.fixture
def onboard(stripe_sandbox, platform):
    """Complete an account's onboarding through its Account Link page, as a hub manager would."""

    def complete(account_id):
        link = platform.v1.account_links.create(
            {
                "account": account_id,
                "type": "account_onboarding",
                "refresh_url": "http://hub.example/refresh",
                "return_url": "http://hub.example/return",
            }
        )
        response = requests.post(
            link.url, data={"action": "complete"}, allow_redirects=False, timeout=10
        )
        assert response.status_code == 302
        return response

    return complete


@pytest.fixture
def hub(platform, onboard):
    """An onboarded Express account connected to the platform: its id."""
    account = platform.v1.accounts.create(
        {
            "type": "express",
            "country": "FR",
            "email": "hub@example.com",
            "business_profile": {"name": "Green Valley Hub"},
        }
    )
    onboard(account.id)
    return account.id


@pytest.fixture
def hub_client(stripe_sandbox, hub):
    return stripe_sandbox.client(stripe_account=hub)


@pytest.fixture
def new_card():
    """Create a card PaymentMethod with a client (attached to ``customer`` if given)."""

    def create(client, number="4242424242424242", customer=None):
        card = client.v1.payment_methods.create(
            {
                "type": "card",
                "card": {"number": number, **CARD_EXPIRY},
                "billing_details": {"name": "Alice Martin"},
            }
        )
        if customer:
            card = client.v1.payment_methods.attach(card.id, {"customer": customer})
        return card

    return create
