"""A whole cycle close, from placement to payment, with one failure of each kind, run as the crons
and the jobrunner run it (no language in the context): no ``_()`` may find itself without a
language ("no translation language detected"), the warning with a stack trace Odoo logs then, or
its silent debug twin that leaves the text in English."""

import logging
from unittest.mock import patch

import requests

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.ofn_customer_wallet.tests.common import THREE_D_SECURE, VISA
from odoo.addons.ofn_stripe_connect.tests.common import new_hub_manager

from .common import StandingOrderChargeCase

LANGS = ("fr_FR", "es_ES", "de_DE", "en_US")
NO_LANGUAGE = "no translation language detected"


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@tagged("post_install", "-at_install")
class TestTranslationLogs(StandingOrderChargeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for lang in LANGS:
            cls.env["res.lang"]._activate_lang(lang)
        cls.hub, cls.manager, cls.account, cls.schedule = cls._setup_hub(
            "Polyglot Hub", "polyglot_manager"
        )
        cls.hub.partner_id.lang = "de_DE"
        cls.manager.lang = "de_DE"
        cls.other_managers = [
            new_hub_manager(cls.env, login, cls.hub)
            for login in ("polyglot_fr", "polyglot_es", "polyglot_en")
        ]
        for user, lang in zip(cls.other_managers, ("fr_FR", "es_ES", "en_US"), strict=True):
            user.lang = lang
        cls.gone, cls.gone_manager, cls.gone_account, cls.gone_schedule = cls._setup_hub(
            "Vanished Hub", "vanished_manager"
        )
        cls.gone_manager.lang = "es_ES"
        cls._setup_products()

    def _customer_in(self, name, lang, hub=None, test_card=None):
        customer = self._customer(name, [hub or self.hub], test_card=test_card or VISA)
        customer.write({"lang": lang, "tz": "Europe/Paris"})
        return customer

    def _capture(self):
        handler = _Records()
        root = logging.getLogger()
        translate = logging.getLogger("odoo.tools.translate")
        level = translate.level
        root.addHandler(handler)
        translate.setLevel(logging.DEBUG)  # the silent "skipping translation" too

        def restore():
            root.removeHandler(handler)
            translate.setLevel(level)

        self.addCleanup(restore)
        return handler

    def test_a_cycle_close_with_every_failure_logs_no_missing_language(self):
        soft = self._customer_in("Fanny Soft", "fr_FR")
        hard = self._customer_in("Hugo Hard", "es_ES")
        secure = self._customer_in("Dieter Secure", "de_DE", test_card=THREE_D_SECURE)
        revoked = self._customer_in("Nora Noconsent", "en_US")
        deleted = self._customer_in("Chloe Deleted", "fr_FR")
        stuck = self._customer_in("Sara Stuck", "es_ES")
        slow = self._customer_in("Ursula Unanswered", "de_DE")
        limited = self._customer_in("Rafa Ratelimited", "es_ES")
        paying = self._customer_in("Paul Paid", "fr_FR")
        disconnected = self._customer_in("Dora Disconnected", "de_DE", hub=self.gone)
        for customer in (soft, hard, secure, revoked, deleted, stuck, slow, limited, paying):
            self._standing(customer, self.schedule, [(self.veg_box, 1)])
        self._standing(disconnected, self.gone_schedule, [(self.eggs, 2)])
        handler = self._capture()

        occurrences = self._placed_and_closed(self.schedule, self.gone_schedule)
        self.assertEqual(len(occurrences), 10)
        by_customer = {o.partner_id: o for o in occurrences}
        self._block_card(soft.ofn_default_card(), "insufficient_funds")
        self._block_card(hard.ofn_default_card(), "lost_card")
        revoked.ofn_consent_ids.revoke("changed my mind")
        deleted.ofn_default_card().action_ofn_remove_from_wallet()
        self.gone_account.mark_revoked("the hub disconnected its account")
        self.addCleanup(requests.delete, self.sandbox_url + "/_sandbox/faults", timeout=10)
        for kind in ("answer_lost", "rate_limited"):
            requests.post(
                self.sandbox_url + "/_sandbox/faults",
                data={"kind": kind, "path": "/v1/payment_intents", "times": 3},
                timeout=10,
            ).raise_for_status()
        SaleOrder = type(self.env["sale.order"])
        create_invoices = SaleOrder._create_invoices
        stuck_order = by_customer[stuck].sale_order_id
        refusal = UserError("No journal to invoice with")

        def refuse_one(orders, *args, **kwargs):
            if stuck_order in orders:
                raise refusal
            return create_invoices(orders, *args, **kwargs)

        with patch.object(SaleOrder, "_create_invoices", autospec=True, side_effect=refuse_one):
            self._confirm()
        self.assertEqual(by_customer[stuck].state, "placed", "its confirmation failed")
        self.assertTrue(by_customer[stuck].needs_attention)
        requests.delete(self.sandbox_url + "/_sandbox/faults", timeout=10).raise_for_status()
        self._run_postponed()  # Stripe answers again
        self._run_postponed()
        self._retry_later(occurrences.filtered(lambda o: o.state == "failed"))
        self._retry()
        self._run_cron("_cron_confirm")  # confirms the stuck order again; books the payments

        states = {o.partner_id.name: (o.state, o.failure_reason) for o in occurrences}
        self.assertEqual(states["Fanny Soft"], ("failed", "declined"))
        self.assertEqual(states["Hugo Hard"], ("failed", "declined"))
        self.assertTrue(by_customer[hard].hard_decline)
        self.assertEqual(states["Dieter Secure"][0], "awaiting_authentication")
        self.assertEqual(states["Nora Noconsent"], ("failed", "no_consent"))
        self.assertEqual(states["Chloe Deleted"], ("failed", "card_deleted"))
        self.assertEqual(states["Dora Disconnected"], ("failed", "hub_disconnected"))
        for name in ("Sara Stuck", "Ursula Unanswered", "Rafa Ratelimited", "Paul Paid"):
            self.assertEqual(states[name][0], "paid", name)
        self.assertTrue(self._mails_to(soft, ""), "the customers are told")

        missing = [
            record.getMessage().splitlines()[0]
            for record in handler.records
            if NO_LANGUAGE in record.getMessage()
        ]
        self.assertFalse(missing, "\n".join(missing))
