from datetime import datetime, timedelta

from lxml import html
from markupsafe import escape

from odoo import fields
from odoo.tests import tagged
from odoo.tools import format_datetime

from odoo.addons.ofn_stripe_connect.tests.common import new_hub_manager

from .common import OneHubChargeCase, StandingOrderChargeHttpCase

BEFORE_CLOSE = "before the cycle closes."
AT_RISK = "would fail"  # the customer's e-mail's subject
HUB_LIST = "Card payments at risk"  # the managers'
FLAG = "//*[contains(@class, 'o_ofn_card_expiring')]"  # a card flagged on the Wallet page


class PreCloseCheckCommon:
    """Cycles closing soon, the customers' standing orders in them, and the hourly check."""

    def _cycle(self, closes_in_hours=24, opened_hours_ago=1, schedule=None):
        schedule = schedule or self.schedule
        now = fields.Datetime.now()
        return self.env["ofn.order.cycle"].create(
            {
                "company_id": schedule.company_id.id,
                "schedule_id": schedule.id,
                "opens_at": now - timedelta(hours=opened_hours_ago),
                "closes_at": now + timedelta(hours=closes_in_hours),
            }
        )

    def _ordering(self, customer, cycle, product=None):
        """The customer's new standing order (by card), its occurrence in ``cycle``."""
        standing = self._standing(customer, cycle.schedule_id, [(product or self.eggs, 1)])
        return standing.occurrence_ids.filtered(lambda o: o.cycle_id == cycle).ensure_one()

    def _check(self):
        self._run_cron("_cron_pre_close_check")

    @staticmethod
    def _expire(card, months_ago=1):
        """The card's last valid month ended ``months_ago`` months ago."""
        year, month = divmod(fields.Date.today().year * 12 + fields.Date.today().month - 1, 12)
        year, month = divmod(year * 12 + month - months_ago, 12)
        card.write({"ofn_card_exp_month": month + 1, "ofn_card_exp_year": year})

    def _hrefs(self, mail):
        return html.fromstring(mail.body_html).xpath("//a[@class='o_ofn_risk_link']/@href")

    def _wallet_link(self):
        return f"{self.hub.get_base_url()}/my/wallet#ofn-hub-{self.hub.id}"


@tagged("post_install", "-at_install")
class TestPreCloseCheck(PreCloseCheckCommon, OneHubChargeCase):
    """Within its hub's check hours before a cycle closes, every card payment of the cycle is
    checked: what would make it fail is stored on the occurrence for the hub's list, each
    customer gets one e-mail with what to do and the link to do it, the hub's managers the list;
    never twice for the same problem, nothing when all is well."""

    hub_name, manager_login = "Check Hub", "check_manager"

    def test_all_well_nothing_is_sent(self):
        customer = self._customer("Wendy Well", [self.hub])
        occurrence = self._ordering(customer, self._cycle())

        self._check()

        self.assertFalse(occurrence.at_risk)
        self.assertFalse(occurrence.risk_codes)
        self.assertFalse(self._mails_to(customer, AT_RISK))
        self.assertFalse(self._mails_to(self.manager.partner_id, HUB_LIST))

    def test_each_customer_problem_is_found_told_and_listed(self):
        cycle = self._cycle()
        expiring = self._customer("Eve Expiring", [self.hub])
        deleted = self._customer("Dave Deleted", [self.hub])
        revoked = self._customer("Rose Revoked", [self.hub])
        cloneless = self._customer("Cleo Cloneless", [self.hub])
        occurrences = {
            customer: self._ordering(customer, cycle)
            for customer in (expiring, deleted, revoked, cloneless)
        }
        card = expiring.ofn_default_card()
        self._expire(card)
        deleted.ofn_default_card().action_ofn_remove_from_wallet()
        revoked.ofn_consent_ids.revoke("changed my mind")
        cloneless.ofn_consent_ids.hub_token_id.active = False

        self._check()

        expiry = f"{card.ofn_card_exp_month:02d}/{card.ofn_card_exp_year}"
        expected = {
            expiring: (
                "card_expires",
                f"The card of Eve Expiring expires at the end of {expiry}, {BEFORE_CLOSE}",
                "Add or update my card",
            ),
            deleted: (
                "card_deleted",
                "The card allowed for Check Hub was deleted from the wallet.",
                "Add a card",
            ),
            revoked: (
                "no_consent",
                "Rose Revoked has not allowed Check Hub to charge their card.",
                "Allow Check Hub again",
            ),
            cloneless: (
                "clone_missing",
                "Check Hub's copy of the card of Cleo Cloneless is missing.",
                "Allow Check Hub again",
            ),
        }
        hub_list = self._mails_to(self.manager.partner_id, HUB_LIST)
        self.assertEqual(len(hub_list), 1)
        for customer, (code, message, link_text) in expected.items():
            occurrence = occurrences[customer]
            self.assertTrue(occurrence.at_risk, customer.name)
            self.assertEqual(occurrence.risk_codes, code)
            self.assertEqual(occurrence.risk_message, message)
            self.assertEqual(occurrence.risk_notified_codes, code)
            self.assertEqual(occurrence.state, "planned", "the check changes no state")
            mail = self._mails_to(customer, AT_RISK)
            self.assertEqual(len(mail), 1, customer.name)
            self.assertEqual(mail.author_id, self.hub.partner_id, "from the hub")
            self.assertEqual(self._hrefs(mail), [self._wallet_link()])
            self.assertIn(link_text, mail.body_html)
            self.assertIn(escape(message), hub_list.body_html)
        self.assertIn("expires at the end of", self._mails_to(expiring, AT_RISK).body_html)

    def test_one_email_per_customer_and_cycle(self):
        cycle = self._cycle()
        customer = self._customer("Tom Two", [self.hub])
        eggs = self._ordering(customer, cycle, self.eggs)
        box = self._ordering(customer, cycle, self.veg_box)
        other = self._customer("Olga Other", [self.hub])
        fine = self._ordering(other, cycle)
        customer.ofn_consent_ids.revoke("changed my mind")

        self._check()

        self.assertEqual((eggs.risk_codes, box.risk_codes), ("no_consent", "no_consent"))
        self.assertFalse(fine.at_risk)
        mail = self._mails_to(customer, AT_RISK)
        self.assertEqual(len(mail), 1, "one e-mail for both orders")
        self.assertEqual(self._hrefs(mail), [self._wallet_link()] * 2, "a line per order")
        self.assertFalse(self._mails_to(other, AT_RISK))
        hub_list = self._mails_to(self.manager.partner_id, HUB_LIST)
        self.assertEqual(len(html.fromstring(hub_list.body_html).xpath("//li")), 2)

    def test_never_twice_and_a_new_problem_alone(self):
        customer = self._customer("Nina Never", [self.hub])
        occurrence = self._ordering(customer, self._cycle())
        self._expire(customer.ofn_default_card())

        self._check()
        self._check()

        self.assertEqual(len(self._mails_to(customer, AT_RISK)), 1, "not twice")
        self.assertEqual(len(self._mails_to(self.manager.partner_id, HUB_LIST)), 1)

        self.account.charges_enabled = False  # a new problem, the hub's
        self._check()

        self.assertEqual(occurrence.risk_codes, "hub_disconnected,card_expires")
        self.assertEqual(len(self._mails_to(customer, AT_RISK)), 1, "nothing new for her")
        hub_lists = self._mails_to(self.manager.partner_id, HUB_LIST).sorted("id")
        self.assertEqual(len(hub_lists), 2)
        self.assertIn("cannot take card payments", hub_lists[1].body_html)
        self.assertNotIn("expires", hub_lists[1].body_html, "only the new problem")

        customer.ofn_consent_ids.revoke("changed my mind")  # a new problem, hers
        self._check()
        self._check()

        mails = self._mails_to(customer, AT_RISK).sorted("id")
        self.assertEqual(len(mails), 2)
        self.assertIn("Allow Check Hub again", mails[1].body_html)
        self.assertNotIn("expires", mails[1].body_html, "only the new problem")
        self.assertEqual(
            set(occurrence.risk_notified_codes.split(",")),
            {"card_expires", "hub_disconnected", "no_consent"},
        )

    def test_a_disconnected_hub_is_told_to_its_managers_only(self):
        customer = self._customer("Hal Hubless", [self.hub])
        occurrence = self._ordering(customer, self._cycle())
        self.account.mark_revoked("the hub disconnected its account")

        self._check()

        self.assertEqual(occurrence.risk_codes, "hub_disconnected")
        self.assertEqual(occurrence.risk_message, "Check Hub's Stripe account is not connected.")
        self.assertFalse(self._mails_to(customer, AT_RISK), "the hub's to fix")
        hub_list = self._mails_to(self.manager.partner_id, HUB_LIST)
        self.assertIn("Stripe account is not connected.", hub_list.body_html)
        self.assertIn(occurrence.standing_order_id.name, hub_list.body_html)

    def test_only_within_the_hubs_check_hours(self):
        customer = self._customer("Lou Later", [self.hub])
        later = self._ordering(customer, self._cycle(closes_in_hours=72))
        customer.ofn_consent_ids.revoke("changed my mind")

        self._check()

        self.assertFalse(later.at_risk, "closes in 72 hours: not checked yet (48)")

        self.hub.ofn_pre_close_check_hours = 96
        self._check()
        self.assertTrue(later.at_risk)

        self.hub.ofn_pre_close_check_hours = 0  # the hub does no check: nothing stays flagged
        soon_cycle = self._cycle(closes_in_hours=12, opened_hours_ago=2)
        soon = later.standing_order_id.occurrence_ids.filtered(lambda o: o.cycle_id == soon_cycle)
        self._check()

        self.assertEqual(soon.state, "planned")
        self.assertFalse(soon.at_risk)
        self.assertFalse(later.at_risk)
        self.assertEqual(len(self._mails_to(customer, AT_RISK)), 1, "the one of 96 hours")

    def test_only_the_orders_charged_by_card(self):
        customer = self._customer("Ivan Invoice", [self.hub])
        cycle = self._cycle()
        by_invoice = self._standing(customer, self.schedule, [(self.eggs, 1)], "invoice")
        skipped = self._ordering(customer, cycle, self.veg_box)
        skipped._skip()
        customer.ofn_consent_ids.revoke("changed my mind")

        self._check()

        self.assertFalse(by_invoice.occurrence_ids.filtered("at_risk"))
        self.assertFalse(skipped.at_risk)
        self.assertFalse(self._mails_to(customer, AT_RISK))

    def test_a_fixed_problem_clears_the_risk(self):
        customer = self._customer("Fay Fixed", [self.hub])
        occurrence = self._ordering(customer, self._cycle())
        customer.ofn_consent_ids.revoke("changed my mind")
        self._check()
        self.assertTrue(occurrence.at_risk)

        self._allow(customer, self.hub)  # she allows the hub again: checked again at once

        self.assertFalse(occurrence.at_risk)
        self.assertFalse(occurrence.risk_codes)
        self.assertFalse(occurrence.risk_message)

        clone = customer.ofn_consent_ids.hub_token_id
        clone.active = False
        self._check()
        self.assertEqual(occurrence.risk_codes, "clone_missing")
        clone.active = True  # fixed otherwise: the next check clears it
        self._check()
        self.assertFalse(occurrence.at_risk)

    def test_no_longer_to_be_charged_no_longer_at_risk(self):
        customer = self._customer("Sam Skipper", [self.hub])
        cycle = self._cycle()
        skipped = self._ordering(customer, cycle, self.eggs)
        closing = self._ordering(customer, cycle, self.veg_box)
        customer.ofn_consent_ids.revoke("changed my mind")
        self._check()
        self.assertTrue(skipped.at_risk and closing.at_risk)

        skipped._skip()
        self._check()

        self.assertFalse(skipped.at_risk, "skipped: nothing to charge")
        self.assertTrue(closing.at_risk)

        self._close(cycle)
        self._check()

        self.assertFalse(closing.at_risk, "closed: the charge tells from now on")
        self.assertEqual(len(self._mails_to(customer, AT_RISK)), 1)

    def test_the_customer_reads_it_in_their_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        customer = self._customer("Francoise Francaise", [self.hub])
        customer.write({"lang": "fr_FR", "tz": "Europe/Paris"})
        cycle = self._cycle(closes_in_hours=30)
        self._ordering(customer, cycle)
        customer.ofn_consent_ids.revoke("changed my mind")

        self._check()

        mail = self._mails_to(customer, AT_RISK)
        french = format_datetime(
            self.env(context={"lang": "fr_FR"}), cycle.closes_at, "Europe/Paris", "short"
        )
        english = format_datetime(
            self.env(context={"lang": "en_US"}), cycle.closes_at, "Europe/Paris", "short"
        )
        self.assertNotEqual(french, english)
        self.assertIn(french, mail.body_html)

    def test_each_manager_reads_the_list_in_their_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        french = new_hub_manager(self.env, "check_manager_fr", self.hub)
        french.lang = "fr_FR"
        customer = self._customer("Mia Managers", [self.hub])
        self._ordering(customer, self._cycle())
        customer.ofn_consent_ids.revoke("changed my mind")
        self.assertEqual(self.hub.ofn_managers(), self.manager | french)

        self._check()

        english_list = self._mails_to(self.manager.partner_id, HUB_LIST)
        french_list = self._mails_to(french.partner_id, HUB_LIST)
        self.assertEqual(len(english_list), 1)
        self.assertEqual(len(french_list), 1)
        self.assertNotEqual(english_list, french_list, "one e-mail per language")
        self.assertNotIn(french.partner_id, english_list.recipient_ids)

    def test_a_card_is_valid_through_its_expiry_month(self):
        card = self.env["payment.token"].new({"ofn_card_exp_month": 12, "ofn_card_exp_year": 2026})
        self.assertFalse(card.ofn_card_expires_before(datetime(2026, 12, 31, 23, 59)))
        self.assertTrue(card.ofn_card_expires_before(datetime(2027, 1, 1)))
        card.ofn_card_exp_month = 3
        self.assertFalse(card.ofn_card_expires_before(datetime(2026, 3, 31, 12)))
        self.assertTrue(card.ofn_card_expires_before(datetime(2026, 4, 1, 0, 1)))


@tagged("post_install", "-at_install")
class TestWalletExpiringCards(PreCloseCheckCommon, StandingOrderChargeHttpCase):
    """/my/wallet flags a card that expires before the next charge of one of the customer's
    standing orders, with that charge's date (in the customer's time) and hub."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hub, cls.manager, cls.account, cls.schedule = cls._setup_hub(
            "Wallet Check Hub", "wallet_check_manager"
        )
        cls._setup_products()

    def test_the_expiring_card_is_flagged_with_its_next_charge(self):
        customer = self._customer("Wanda Wallet", [self.hub])
        customer.tz = "Pacific/Auckland"
        cycle = self._cycle(closes_in_hours=24 * 5)  # outside the check's hours: flagged too
        self._ordering(customer, cycle)
        expiring = customer.ofn_default_card()
        self._expire(expiring)
        spare = self._save_card(customer)  # another card, not used by any hub yet

        self.authenticate("wanda_wallet", "wanda_wallet")
        page = self.url_open("/my/wallet")

        self.assertEqual(page.status_code, 200)
        tree = html.fromstring(page.text)
        flagged = tree.xpath(f"//tr[@data-card-id='{expiring.id}']{FLAG}")
        self.assertEqual(len(flagged), 1)
        when = format_datetime(self.env, cycle.closes_at, "Pacific/Auckland", "short")
        text = " ".join(flagged[0].text_content().split())
        self.assertIn(f"Expires before your order of {when} at Wallet Check Hub", text)
        self.assertEqual(flagged[0].xpath(".//a/@href"), [f"#ofn-hub-{self.hub.id}"])
        self.assertTrue(tree.xpath(f"//tr[@id='ofn-hub-{self.hub.id}']"), "the anchor's row")
        self.assertFalse(tree.xpath(f"//tr[@data-card-id='{spare.id}']{FLAG}"))

    def test_a_card_valid_at_the_next_charge_is_not_flagged(self):
        customer = self._customer("Vic Valid", [self.hub])
        self._ordering(customer, self._cycle())

        self.authenticate("vic_valid", "vic_valid")
        page = self.url_open("/my/wallet")

        self.assertEqual(page.status_code, 200)
        tree = html.fromstring(page.text)
        self.assertTrue(tree.xpath("//tr[@data-card-id]"))
        self.assertFalse(tree.xpath(FLAG))
