from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import OfnWalletCase
from .credit_common import OfnCreditCase


class QueuedMails:
    """The e-mails queued for a customer (Odoo's mail queue sends them later)."""

    def _queued(self, partner, record, subject_part):
        mails = self.env["mail.mail"].search(
            [
                ("recipient_ids", "in", partner.ids),
                ("model", "=", record._name),
                ("res_id", "=", record.id),
                ("subject", "ilike", subject_part),
            ]
        )
        self.assertEqual(len(mails), 1, f"one e-mail {subject_part!r} to {partner.name}")
        self.assertEqual(mails.state, "outgoing", "queued, not sent at once")
        self.assertEqual(mails.recipient_ids, partner)
        return mails


@tagged("post_install", "-at_install")
class TestConsentMails(QueuedMails, OfnWalletCase):
    """The customer is told when a hub may charge their card, and when it no longer may (and
    why); the hub sees in the consent's chatter who did what."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hub, cls.manager = cls._create_hub("Mail Hub", "mail_hub_manager")
        cls.account = cls._connect_hub(cls.hub)
        cls.other_hub, cls.other_manager = cls._create_hub("Other Mail Hub", "other_mail_manager")

    def _allowed(self, name):
        customer = self._create_customer(name)
        self._save_card(customer)
        consent, _secret = self.env["ofn.wallet.consent"].grant(customer, self.hub)
        self.assertEqual(consent.state, "active", consent.reason)
        return customer, consent

    def _flush_tracking(self):
        self.env.flush_all()
        self.env.cr.precommit.run()

    def test_granting_tells_the_customer_which_card_the_hub_may_charge(self):
        customer, _consent = self._allowed("Gina Granted")

        mail = self._queued(customer, _consent, "may now charge your card")
        self.assertEqual(mail.subject, "Mail Hub may now charge your card")
        self.assertIn("****4242", mail.body_html)
        self.assertIn("Mail Hub", mail.body_html)

    def test_the_customer_is_told_in_their_own_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        template = self.env.ref("ofn_customer_wallet.mail_template_consent_granted")
        template.with_context(
            lang="fr_FR"
        ).subject = "{{ object.company_id.name }} peut désormais débiter votre carte"
        customer = self._create_customer("Amélie Accord")
        customer.lang = "fr_FR"
        self._save_card(customer)

        consent, _secret = self.env["ofn.wallet.consent"].grant(customer, self.hub)

        mail = self._queued(customer, consent, "peut désormais débiter")
        self.assertEqual(mail.subject, "Mail Hub peut désormais débiter votre carte")

    def test_revoking_tells_the_customer_why(self):
        for name, revoke, why in (
            ("Rita Revoked", lambda consent: consent.revoke("revoked by the customer"), None),
            (
                "Dan Deleted",
                lambda consent: consent.card_id.action_ofn_remove_from_wallet(),
                "card deleted",
            ),
            (
                "Chris Changed",
                lambda consent: self._save_card(consent.partner_id).action_ofn_make_default(),
                "default card changed",
            ),
        ):
            with self.subTest(name):
                customer, consent = self._allowed(name)

                revoke(consent)

                self.assertEqual(consent.state, "revoked")
                mail = self._queued(customer, consent, "can no longer charge your card")
                self.assertEqual(mail.subject, "Mail Hub can no longer charge your card")
                self.assertIn("****4242", mail.body_html)
                self.assertIn(f"Why: {why or 'revoked by the customer'}.", mail.body_html)

    def test_the_hub_revokes_a_consent_and_its_chatter_tells_who_did_what(self):
        customer, consent = self._allowed("Hugo Hub")
        self._flush_tracking()

        consent.with_user(self.manager).action_revoke()
        self._flush_tracking()

        self.assertEqual((consent.state, consent.reason), ("revoked", "revoked by Mail Hub"))
        mail = self._queued(customer, consent, "can no longer charge your card")
        self.assertIn("Why: revoked by Mail Hub.", mail.body_html)
        changes = {
            (value.field_id.name, value.new_value_char, message.author_id)
            for message in consent.message_ids
            for value in message.sudo().tracking_value_ids
        }
        self.assertIn(("state", "Revoked", self.manager.partner_id), changes)
        self.assertIn(("reason", "revoked by Mail Hub", self.manager.partner_id), changes)
        told = consent.message_ids.filtered(lambda message: message.message_type == "comment")
        self.assertEqual(
            sorted(told.mapped("subject")),
            ["Mail Hub can no longer charge your card", "Mail Hub may now charge your card"],
            "the hub sees what the customer was told, and when",
        )
        self.assertEqual(told.author_id, self.hub.partner_id)
        self.assertEqual(told.partner_ids, customer)

    def test_only_the_hubs_managers_revoke_for_the_hub(self):
        customer, consent = self._allowed("Olga Other")
        portal = new_test_user(self.env, login="olga_portal", groups="base.group_portal")
        for user in (self.other_manager, portal):
            with self.subTest(user.login), self.assertRaises(AccessError):
                consent.with_user(user).action_revoke()
        self.assertEqual(consent.state, "active")
        self.assertFalse(
            self.env["mail.mail"].search(
                [("recipient_ids", "in", customer.ids), ("subject", "ilike", "no longer")]
            )
        )


@tagged("post_install", "-at_install")
class TestCreditMails(QueuedMails, OfnCreditCase):
    """The customer is told when a hub changes their credit by hand."""

    def test_credit_adjusted_by_the_hub_tells_amount_balance_and_note(self):
        self.customer.email = "carol@customer.example"
        given = self.ledger.with_user(self.manager_a).adjust(
            self.customer, self.hub_a, 12.5, "Eggs missing from the box"
        )
        taken = self.ledger.with_user(self.manager_a).adjust(
            self.customer, self.hub_a, -2.0, "Credit given twice"
        )

        for movement, facts in (
            (given, ("gave you", "12.50", "Eggs missing from the box", "is now", "12.50")),
            (taken, ("took back", "2.00", "Credit given twice", "is now", "10.50")),
        ):
            mail = self._queued(self.customer, movement, "Your credit with")
            self.assertEqual(mail.subject, "Your credit with Green Valley Hub changed")
            for fact in facts:
                self.assertIn(fact, mail.body_html)

    def test_credit_applied_to_an_invoice_sends_nothing(self):
        self.ledger.adjust(self.customer, self.hub_a, 5.0, "Goodwill")
        self._invoice(self.hub_a, self.customer, 20.0)

        mails = self.env["mail.mail"].search(
            [("model", "=", "ofn.wallet.transaction"), ("recipient_ids", "in", self.customer.ids)]
        )
        self.assertEqual(len(mails), 1, "only the hub's own adjustment is told")
