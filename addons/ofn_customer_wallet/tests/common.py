"""Wallet test ground: customers saving cards the way Stripe.js does, against the sandbox."""

import requests

from odoo.addons.ofn_stripe_connect.tests.common import OfnStripeCase, OfnStripeHttpCase

VISA = "pm_card_visa"
THREE_D_SECURE = "pm_card_authenticationRequired"


class OfnWalletCommon:
    """Mixin over the Stripe test ground: customers and their wallet cards."""

    @classmethod
    def _create_customer(cls, name, env=None):
        env = env or cls.env
        return env["res.partner"].create(
            {"name": name, "email": f"{name.lower().replace(' ', '.')}@customer.example"}
        )

    @classmethod
    def _save_card(cls, partner, test_card=VISA):
        """What the Wallet page does: a SetupIntent on the platform, confirmed in the browser by
        Stripe.js with the card (here the sandbox's test PaymentMethod), then stored."""
        started = partner.action_ofn_start_card_setup()
        client = cls._sandbox_client()
        intent = client.v1.setup_intents.confirm(
            started["setup_intent"], {"payment_method": test_card}
        )
        if intent.status == "requires_action":  # the customer passes 3-D Secure in the browser
            client.raw_request(
                "post", f"/v1/setup_intents/{intent.id}/_authenticate", success="true"
            )
        return partner.action_ofn_save_card(started["setup_intent"])

    @classmethod
    def _block_card(cls, card, decline_code="lost_card"):
        """The card's holder reports it lost: from now on the bank declines it everywhere (with
        ``decline_code``: another reason, e.g. ``insufficient_funds``, for a card that declines
        for a while)."""
        requests.post(
            cls.sandbox_url + "/_sandbox/cards/block",
            data={"payment_method": card.stripe_payment_method, "decline_code": decline_code},
            timeout=10,
        ).raise_for_status()


class OfnWalletCase(OfnWalletCommon, OfnStripeCase):
    pass


class OfnWalletHttpCase(OfnWalletCommon, OfnStripeHttpCase):
    pass
