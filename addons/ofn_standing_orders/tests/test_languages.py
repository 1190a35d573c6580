"""The customers and the hubs read the platform in their own language: pages, e-mails, money,
dates. The expected words are read from the addons' own .po files (whoever translated them)."""

import functools
import re
from html import unescape

from babel.messages.pofile import read_po

from odoo.modules.module import get_module_path
from odoo.tests import tagged
from odoo.tools import format_amount, format_datetime

from odoo.addons.ofn_stripe_connect.tests.common import new_hub_manager
from odoo.addons.queue_job.tests.common import trap_jobs

from .common import OneHubChargeHttpCase

ADDONS = ("ofn_stripe_connect", "ofn_customer_wallet", "ofn_standing_orders")
LANGS = ("fr_FR", "es_ES", "de_DE")


@functools.cache
def _catalog(addon, lang):
    """{msgid: msgstr} of ``addon``'s i18n/<lc>.po (``lang`` fr_FR: fr.po)."""
    path = f"{get_module_path(addon)}/i18n/{lang.split('_')[0]}.po"
    with open(path, "rb") as po_file:
        return {message.id: message.string for message in read_po(po_file) if message.id}


def _tr(lang, msgid, addon="ofn_standing_orders"):
    translated = _catalog(addon, lang)[msgid]
    assert translated and translated != msgid or lang == "en_US", (lang, msgid)
    return translated


def _msgid_with(text, addon="ofn_standing_orders"):
    """The one msgid of ``addon`` containing ``text`` (a template's whole body)."""
    [msgid] = [key for key in _catalog(addon, "fr_FR") if text in key]
    return msgid


def _first_sentence(html):
    """The first piece of text of a template's translation, between its markup."""
    return next(
        piece.strip()
        for piece in re.split(r"<[^>]*>", html)
        if len(piece.strip()) > 12 and "{{" not in piece
    )


@tagged("post_install", "-at_install")
class TestLanguages(OneHubChargeHttpCase):
    hub_name, manager_login = "Babel Hub", "babel_manager"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for lang in LANGS:
            cls.env["res.lang"]._activate_lang(lang)
        cls.env["ir.module.module"].search([("name", "in", ADDONS)])._update_translations(
            list(LANGS)
        )

    def _customer_in(self, name, lang, tz):
        customer = self._customer(name, [self.hub])
        customer.write({"lang": lang, "tz": tz})
        return customer

    def _body(self, mail):
        return unescape(mail.body_html)

    def test_a_french_customer_reads_the_wallet_and_standing_orders_in_french(self):
        chloe = self._customer_in("Chloe Francaise", "fr_FR", "Europe/Paris")
        self._standing(chloe, self.schedule, [(self.veg_box, 1)])
        self._placed_and_closed(self.schedule)

        self.start_tour("/my/wallet", "ofn_portal_in_french", login="chloe_francaise")

        self.authenticate("chloe_francaise", "chloe_francaise")
        wallet = unescape(self.url_open("/my/wallet").text)
        for msgid in ("Cards", "Hubs allowed to charge your card"):
            self.assertIn(_tr("fr_FR", msgid, "ofn_customer_wallet"), wallet)
        self.assertNotIn("Hubs allowed to charge your card", wallet)
        orders = unescape(self.url_open("/my/standing_orders").text)
        self.assertIn(_tr("fr_FR", "Standing orders"), orders)
        self.assertNotIn(">Standing orders<", orders)

    def test_a_spanish_customer_reads_their_emails_in_spanish(self):
        hugo = self._customer_in("Hugo Espanol", "es_ES", "Europe/Madrid")
        self._standing(hugo, self.schedule, [(self.veg_box, 1)])
        self._standing(hugo, self.schedule, [(self.eggs, 3)], payment_mode="invoice")
        occurrences = self._placed_and_closed(self.schedule)
        self._block_card(hugo.ofn_default_card(), "insufficient_funds")

        self._confirm()

        failed = occurrences.filtered(lambda o: o.state == "failed")
        self.assertTrue(failed.next_charge_at, "a soft decline: tried again")
        subject = _tr("es_ES", "Your payment to {{ object.company_id.name }} did not go through")
        mail = self._mails_to(hugo, subject.split("{{")[0].strip()[:12])
        self.assertEqual(len(mail), 1)
        self.assertEqual(
            mail.subject, subject.replace("{{ object.company_id.name }}", self.hub.name)
        )
        body = self._body(mail)
        self.assertIn(
            _first_sentence(_tr("es_ES", _msgid_with("We could not charge your card"))), body
        )
        self.assertIn(
            _tr(
                "es_ES",
                "There was not enough money on the card, or its spending limit was reached.",
            ),
            body,
        )
        spanish = self.env(context={"lang": "es_ES"})
        when = format_datetime(
            spanish, failed.next_charge_at, tz="Europe/Madrid", dt_format="short"
        )
        self.assertIn(when, body, "the next attempt, the Spanish way, in Madrid's time")

        invoiced = occurrences.filtered(lambda o: o.standing_order_id.payment_mode == "invoice")
        subject = _tr("es_ES", "Your invoice from {{ object.company_id.name }}")
        [mail] = self.env["mail.mail"].search(
            [
                ("recipient_ids", "in", hugo.ids),
                ("subject", "=", subject.replace("{{ object.company_id.name }}", self.hub.name)),
            ]
        )
        amount = format_amount(spanish, 13.5, invoiced.invoice_id.currency_id)
        self.assertIn("13,50", amount)
        self.assertIn(amount, self._body(mail), "the amount, the Spanish way")

    def test_the_pay_page_says_why_in_the_customers_language(self):
        """The order's stored failure message is the hub's (its staff read it); the customer's
        pay page says why in the customer's language."""
        self.manager.lang = "de_DE"
        self.hub.partner_id.lang = "de_DE"
        lucia = self._customer_in("Lucia Pagadora", "es_ES", "Europe/Madrid")
        self._standing(lucia, self.schedule, [(self.veg_box, 1)])
        [occurrence] = self._placed_and_closed(self.schedule)
        self._block_card(lucia.ofn_default_card(), "insufficient_funds")
        self._confirm()
        self.assertEqual(occurrence.state, "failed")

        self.authenticate("lucia_pagadora", "lucia_pagadora")
        page = unescape(self.url_open(f"/my/standing_orders/occurrence/{occurrence.id}/pay").text)
        english = "There was not enough money on the card, or its spending limit was reached."
        self.assertIn(_tr("es_ES", english), page)
        self.assertNotIn(english, page)

    def test_a_french_hubs_charge_and_booking_jobs_are_in_french(self):
        """The jobs a French hub's close enqueues run in French and are described in French:
        its charges, and the booking its charges enqueue (from a charge job, in the charge's
        language, not read again)."""
        self.hub.partner_id.lang = "fr_FR"
        chloe = self._customer_in("Chloe Jobs", "es_ES", "Europe/Madrid")
        self._standing(chloe, self.schedule, [(self.veg_box, 1)])
        self._placed_and_closed(self.schedule)
        occurrences = self.env["ofn.standing.order.occurrence"]
        with trap_jobs() as trap:
            occurrences._cron_confirm()
            [confirm] = trap.enqueued_jobs
            confirm.perform()
            [charge] = [job for job in trap.enqueued_jobs if job.method_name == "_charge"]
            charge.perform()
            [booking] = [job for job in trap.enqueued_jobs if job.method_name == "_book_hub"]

        self.assertEqual(charge.recordset.env.lang, "fr_FR")
        self.assertEqual(charge.recordset.env.company, self.hub)
        self.assertEqual(booking.recordset.env.lang, "fr_FR")
        booking_text = _tr("fr_FR", "Book the card payments of %(hub)s")
        self.assertEqual(booking.description, booking_text % {"hub": self.hub.name})

    def test_a_german_manager_reads_the_hub_summary_in_german(self):
        self.manager.lang = "de_DE"
        english = new_hub_manager(self.env, "babel_english", self.hub)
        english.lang = "en_US"
        dora = self._customer_in("Dora Declined", "fr_FR", "Europe/Paris")
        self._standing(dora, self.schedule, [(self.veg_box, 1)])
        self._placed_and_closed(self.schedule)
        self._block_card(dora.ofn_default_card(), "generic_decline")

        self._confirm()

        german = _tr("de_DE", "Standing orders confirmed for {{ object.company_id.name }}")
        subject = german.replace("{{ object.company_id.name }}", self.hub.name)
        [mail] = self.env["mail.mail"].search([("subject", "=", subject)])
        self.assertEqual(mail.recipient_ids, self.manager.partner_id, "one e-mail per language")
        reason = _tr("de_DE", "Card declined")
        title = _tr("de_DE", "Payment failed: %(reason)s") % {"reason": reason}
        self.assertIn(title, self._body(mail))
        [english_mail] = self.env["mail.mail"].search(
            [("subject", "=", f"Standing orders confirmed for {self.hub.name}")]
        )
        self.assertEqual(english_mail.recipient_ids, english.partner_id)
        self.assertIn("Payment failed: Card declined", self._body(english_mail))
