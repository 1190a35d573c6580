"""The hub's approval of the standing orders customers start on a schedule's subscription page
(``res.company.ofn_subscription_approval``): a pending standing order is never placed nor
charged; approved, it is placed and charged from the next cycle on; refused, its cycles are
removed. What a hub offers is checked on the offer itself."""

import ast
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import OneHubChargeCase


@tagged("post_install", "-at_install")
class TestSubscriptionApproval(OneHubChargeCase):
    hub_name = "Approving Hub"
    manager_login = "approving_manager"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hub.ofn_subscription_approval = True
        (cls.eggs | cls.veg_box).ofn_standing_order_ok = True
        cls.schedule.write(
            {
                "subscribe_ok": True,
                "offer_ids": [
                    (0, 0, {"product_id": cls.veg_box.id, "min_quantity": 1, "max_quantity": 3}),
                    (0, 0, {"product_id": cls.eggs.id, "min_quantity": 1, "max_quantity": 6}),
                ],
            }
        )
        cls.customer = cls._customer("Pia Pending", [cls.hub])
        cls.other_hub, cls.other_manager = cls._create_hub("Other Approving Hub", "other_approver")

    def _pending(self, customer=None, schedule=None):
        """A standing order as the customer starts it when the hub approves new ones."""
        schedule = schedule or self.schedule
        return self.env["ofn.standing.order"].create(
            {
                "company_id": schedule.company_id.id,
                "partner_id": (customer or self.customer).id,
                "schedule_id": schedule.id,
                "start_date": fields.Date.today() - timedelta(days=7),
                "payment_mode": "card",
                "status": "pending",
                "origin": "customer",
                "line_ids": [(0, 0, {"product_id": self.veg_box.id, "quantity": 2})],
            }
        )

    def _as_manager(self, records, manager=None):
        return records.with_user(manager or self.manager)

    def _refuse(self, standing, reason, manager=None):
        action = self._as_manager(standing, manager).action_refuse()
        wizard = (
            self.env[action["res_model"]]
            .with_user(manager or self.manager)
            .with_context(**action["context"])
            .create({"reason": reason})
        )
        self.assertEqual(wizard.standing_order_ids, standing)
        wizard.action_confirm()

    def _told(self, standing, subject_part):
        """The customer's message on the standing order's chatter, from the hub."""
        return standing.message_ids.filtered(
            lambda m: (
                self.customer.commercial_partner_id in m.partner_ids
                and subject_part in (m.subject or "")
            )
        )

    # ------------------------------------------------------------------ before the approval
    def test_nothing_is_placed_nor_charged_before_the_approval(self):
        standing = self._pending()
        cycle = self._open_cycle(self.schedule)
        occurrence = standing.occurrence_ids
        self.assertEqual(occurrence.cycle_id, cycle, "the customer sees the cycles ahead")

        self.assertFalse(self._place(), "the placement leaves it alone")
        self._close(cycle)
        self.assertFalse(self._confirm(), "the close too")

        self.assertEqual(standing.status, "pending")
        self.assertEqual(occurrence.state, "planned")
        self.assertFalse(occurrence.sale_order_id)
        self.assertFalse(occurrence.transaction_ids)
        self.assertFalse(self._intents(self.account, occurrence))

    # ------------------------------------------------------------------ approval
    def test_approving_tells_the_customer_and_the_next_placement_places_and_charges_it(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.customer.lang = "fr_FR"
        template = self.env.ref("ofn_standing_orders.mail_template_standing_order_approved")
        french = "{{ object.company_id.name }} a accepté votre commande récurrente"
        template.with_context(lang="fr_FR").subject = french
        standing = self._pending()
        cycle = self._open_cycle(self.schedule)
        self._place()  # the cycle's placement ran while it waited
        self.assertFalse(standing.occurrence_ids.sale_order_id)

        self._as_manager(standing).action_approve()

        self.assertEqual(standing.status, "active")
        mail = self._mails_to(self.customer, "a accepté votre commande récurrente")
        self.assertEqual(len(mail), 1, "one e-mail, in the customer's language")
        self.assertEqual(mail.author_id, self.hub.partner_id, "from the hub")
        self.assertIn("/my/standing_orders", mail.body_html)
        self.assertIn("Vegetable box", mail.body_html)
        self.assertTrue(self._told(standing, "a accepté"), "on the standing order's chatter")

        placed = self._place()
        self.assertEqual(placed, standing.occurrence_ids)
        self.assertEqual(placed.state, "placed")
        self.assertEqual(placed.cycle_id, cycle)
        self._close(cycle)
        self._confirm()

        self.assertEqual(placed.state, "paid")
        intents = self._intents(self.account, placed)
        self.assertEqual([(pi.amount, pi.status) for pi in intents], [(3650, "succeeded")])

    def test_approving_twice_or_a_standing_order_not_pending_is_refused(self):
        standing = self._pending()
        self._as_manager(standing).action_approve()

        with self.assertRaisesRegex(UserError, "Pia Pending is not waiting for the hub's approval"):
            self._as_manager(standing).action_approve()
        with self.assertRaisesRegex(UserError, "not waiting for the hub's approval"):
            self._as_manager(standing).action_refuse()
        with self.assertRaisesRegex(UserError, "Approve or refuse"):
            self._as_manager(self._pending()).action_activate()
        by_the_hub = self._standing(self.customer, self.schedule, [(self.eggs, 1)])
        with self.assertRaisesRegex(UserError, "not waiting for the hub's approval"):
            self._as_manager(by_the_hub).action_approve()
        self.assertEqual(len(self._mails_to(self.customer, "approved your standing order")), 1)

    def test_a_consent_revoked_meanwhile_stops_the_approval(self):
        standing = self._pending()
        self.customer.ofn_consent_for(self.hub).revoke("I changed my mind")

        with self.assertRaisesRegex(
            UserError, "The standing order of Pia Pending cannot be approved: .*not allowed"
        ):
            self._as_manager(standing).action_approve()

        self.assertEqual(standing.status, "pending")
        self.assertFalse(self._mails_to(self.customer, "approved your standing order"))

    # ------------------------------------------------------------------ refusal
    def test_refusing_with_a_reason_removes_its_cycles_and_tells_the_customer(self):
        standing = self._pending()
        cycle = self._open_cycle(self.schedule)
        occurrence = standing.occurrence_ids
        self.assertTrue(occurrence)

        self._refuse(standing, "We do not deliver to your street yet.")

        self.assertEqual(standing.status, "refused")
        self.assertEqual(standing.refusal_reason, "We do not deliver to your street yet.")
        self.assertFalse(standing.occurrence_ids, "its cycles are removed")
        self.assertFalse(occurrence.exists())
        self.assertFalse(self._place().filtered(lambda o: o.cycle_id == cycle))
        self._close(cycle)
        self._confirm()
        self.assertFalse(self._intents(self.account, occurrence), "nothing ever charged")
        mail = self._mails_to(self.customer, "did not accept your standing order")
        self.assertEqual(len(mail), 1)
        self.assertIn("We do not deliver to your street yet.", mail.body_html)
        self.assertIn("/my/standing_orders", mail.body_html)
        told = self._told(standing, "did not accept")
        self.assertIn("We do not deliver to your street yet.", told.body)

        with self.assertRaisesRegex(UserError, "not waiting for the hub's approval"):
            self._refuse(standing, "Again")
        with self.assertRaisesRegex(UserError, "not waiting for the hub's approval"):
            self._as_manager(standing).action_approve()
        with self.assertRaisesRegex(UserError, "cannot be activated"):
            self._as_manager(standing).action_activate()
        self.assertEqual(standing.status, "refused")

    def test_a_refusal_needs_a_reason(self):
        standing = self._pending()
        with self.assertRaisesRegex(UserError, "Tell the customer why"):
            self._as_manager(standing)._refuse("  ")
        self.assertEqual(standing.status, "pending")

    def test_several_at_once_from_the_list(self):
        other = self._customer("Quentin Pending", [self.hub])
        both = self._pending() | self._pending(customer=other)

        self._as_manager(both).action_approve()

        self.assertEqual(set(both.mapped("status")), {"active"})
        self.assertTrue(self._mails_to(other, "approved your standing order"))
        self.assertTrue(self._mails_to(self.customer, "approved your standing order"))

    # ------------------------------------------------------------------ who decides
    def test_another_hubs_manager_cannot_see_approve_or_refuse_it(self):
        standing = self._pending()

        with self.assertRaises(AccessError):
            self._as_manager(standing, self.other_manager).action_approve()
        with self.assertRaises(AccessError):
            self._as_manager(standing, self.other_manager).action_refuse()
        with self.assertRaises(AccessError):
            self._as_manager(standing, self.other_manager)._refuse("Not mine")
        self.assertEqual(standing.status, "pending")
        self.assertFalse(
            self.env["ofn.standing.order"]
            .with_user(self.other_manager)
            .search([("id", "=", standing.id)])
        )

    def test_the_to_approve_list_has_the_pending_ones_of_the_managers_hub(self):
        pending = self._pending()
        self._standing(self.customer, self.schedule, [(self.eggs, 1)])  # active
        refused = self._pending()
        self._refuse(refused, "Full")
        other_schedule = self.env["ofn.schedule"].create(
            {"name": "Other boxes", "company_id": self.other_hub.id}
        )
        elsewhere = self._pending(schedule=other_schedule)
        action = self.env.ref("ofn_standing_orders.ofn_standing_order_to_approve_action")
        domain = ast.literal_eval(action.domain)

        listed = self.env["ofn.standing.order"].with_user(self.manager).search(domain)
        self.assertEqual(listed, pending)
        listed_elsewhere = (
            self.env["ofn.standing.order"].with_user(self.other_manager).search(domain)
        )
        self.assertEqual(listed_elsewhere, elsewhere)

    # ------------------------------------------------------------------ what the hub offers
    def test_an_offer_is_a_flagged_product_of_the_hub_within_bounds(self):
        Offer = self.env["ofn.schedule.offer"]
        unflagged = self.env["product.product"].create({"name": "Honey", "lst_price": 7.0})
        with self.assertRaisesRegex(ValidationError, "not offered for standing orders"):
            Offer.create({"schedule_id": self.schedule.id, "product_id": unflagged.id})
        theirs = self.env["product.product"].create(
            {
                "name": "Their cider",
                "company_id": self.other_hub.id,
                "ofn_standing_order_ok": True,
            }
        )
        with self.assertRaisesRegex(ValidationError, "another hub's product"):
            Offer.create({"schedule_id": self.schedule.id, "product_id": theirs.id})
        flagged = self.env["product.product"].create(
            {"name": "Jam", "lst_price": 5.0, "ofn_standing_order_ok": True}
        )
        with self.assertRaisesRegex(ValidationError, "cannot be below the smallest"):
            Offer.create(
                {
                    "schedule_id": self.schedule.id,
                    "product_id": flagged.id,
                    "min_quantity": 4,
                    "max_quantity": 2,
                }
            )
        bread = self.env["product.product"].create(
            {"name": "Bread", "lst_price": 3.0, "ofn_standing_order_ok": True}
        )
        offer = Offer.create({"schedule_id": self.schedule.id, "product_id": bread.id})
        self.assertEqual(offer.company_id, self.hub)
        link = f"/standing_orders/subscribe/{self.schedule.id}"
        self.assertTrue(self.schedule.subscribe_url.endswith(link))

    def test_the_managers_screens_show_the_offer_and_the_approval(self):
        schedule_form = (
            self.env["ofn.schedule"].with_user(self.manager).get_views([(False, "form")])
        )["views"]["form"]["arch"]
        for field in ("subscribe_ok", "offer_ids", "allow_pause", "allow_cancel", "subscribe_url"):
            self.assertIn(f'name="{field}"', schedule_form)
        action = self.env.ref("ofn_standing_orders.ofn_standing_order_to_approve_action")
        views = (
            self.env["ofn.standing.order"]
            .with_user(self.manager)
            .get_views([(view.view_id.id, view.view_mode) for view in action.view_ids])
        )["views"]
        self.assertIn('name="action_approve"', views["list"]["arch"])
        self.assertIn('name="action_refuse"', views["list"]["arch"])
        self.assertIn('name="refusal_reason"', views["form"]["arch"])
        self.assertIn("<chatter", views["form"]["arch"])
        product_form = (
            self.env["product.template"].with_user(self.manager).get_views([(False, "form")])
        )["views"]["form"]["arch"]
        self.assertIn('name="ofn_standing_order_ok"', product_form)
