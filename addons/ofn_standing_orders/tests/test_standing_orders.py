from datetime import date

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import TransactionCase, tagged

from odoo.addons.ofn_stripe_connect.tests.common import new_hub_manager

from .common import CycleCloseDriver


class StandingOrderCommon(CycleCloseDriver, TransactionCase):
    """A hub with a weekly schedule, a customer and a product."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hub = cls.env["res.company"].create({"name": "Standing Hub"})
        cls.schedule = cls.env["ofn.schedule"].create(
            {
                "name": "Weekly boxes",
                "company_id": cls.hub.id,
                "start_date": date(2026, 11, 23),
                "horizon_weeks": 6,
            }
        )
        cls.schedule._generate_cycles(today=date(2026, 11, 23))
        cls.customer = cls.env["res.partner"].create({"name": "Sam Standing"})
        cls.product = cls.env["product.product"].create({"name": "Egg box", "lst_price": 4.5})

    def _order(self, **values):
        return self.env["ofn.standing.order"].create(
            {
                "company_id": self.hub.id,
                "partner_id": self.customer.id,
                "schedule_id": self.schedule.id,
                "start_date": date(2026, 11, 30),
                "end_date": date(2026, 12, 20),
                "payment_mode": "invoice",
                "status": "active",
                "line_ids": [(0, 0, {"product_id": self.product.id, "quantity": 2})],
                **values,
            }
        )


@tagged("post_install", "-at_install")
class TestStandingOrders(StandingOrderCommon):
    """A standing order follows its schedule's cycles: one occurrence per cycle in its dates."""

    def _weeks(self, order):
        return sorted(o.cycle_id.opens_at.date() for o in order.occurrence_ids)

    def test_one_occurrence_per_cycle_in_its_dates(self):
        order = self._order()
        self.assertEqual(
            self._weeks(order), [date(2026, 11, 30), date(2026, 12, 7), date(2026, 12, 14)]
        )
        self.assertEqual(order.amount_estimate, 9.0)

    def test_syncing_again_never_duplicates(self):
        order = self._order()
        before = order.occurrence_ids
        (order | order)._sync_occurrences()
        order.invalidate_recordset()
        self.assertEqual(order.occurrence_ids, before)

    def test_shorter_dates_remove_unplaced_occurrences_only(self):
        order = self._order()
        placed = order.occurrence_ids.sorted("cycle_opens_at")[-1]
        placed.write({"state": "placed"})
        order.end_date = date(2026, 12, 1)
        self.assertEqual(self._weeks(order), [date(2026, 11, 30), date(2026, 12, 14)])
        self.assertIn(placed, order.occurrence_ids, "a placed order is never dropped")

    def test_moving_a_cycle_moves_its_unplaced_occurrences(self):
        order = self._order()
        last = order.occurrence_ids.sorted("cycle_opens_at")[-1].cycle_id
        last.write({"opens_at": "2027-01-04 07:00:00", "closes_at": "2027-01-07 17:00:00"})
        order.invalidate_recordset()
        self.assertNotIn(last, order.occurrence_ids.cycle_id, "now after the order's end date")
        later = self.schedule.cycle_ids.filtered(lambda c: c.opens_at.date() == date(2026, 12, 21))
        later.write({"opens_at": "2026-12-17 07:00:00", "closes_at": "2026-12-19 17:00:00"})
        order.invalidate_recordset()
        self.assertIn(later, order.occurrence_ids.cycle_id, "now within the order's dates")

    def test_new_cycles_reach_the_standing_orders(self):
        order = self._order(end_date=False)
        before = order.occurrence_ids.cycle_id
        created = self.schedule._generate_cycles(today=date(2026, 12, 7))
        self.assertTrue(created)
        order.invalidate_recordset()
        self.assertEqual(order.occurrence_ids.cycle_id, before | created)

    def test_draft_and_cancelled_orders_have_no_planned_cycles(self):
        order = self._order(status="draft")
        self.assertFalse(order.occurrence_ids)
        order.action_activate()
        self.assertEqual(len(order.occurrence_ids), 3)
        order.action_cancel()
        self.assertFalse(order.occurrence_ids)

    def test_ended_is_computed_from_the_end_date(self):
        order = self._order(start_date=date(2020, 1, 1), end_date=date(2020, 2, 1))
        self.assertEqual(order.state, "ended")

    def test_card_payment_needs_the_customers_consent(self):
        with self.assertRaises(ValidationError) as refused:
            self._order(payment_mode="card")
        self.assertIn("no card in their wallet", refused.exception.args[0])

    def test_end_before_start_is_refused(self):
        with self.assertRaises(ValidationError):
            self._order(end_date=date(2026, 11, 1))

    def test_customer_with_active_standing_orders_is_not_archived_silently(self):
        self._order()
        with self.assertRaises(UserError):
            self.customer.active = False
        self.customer.with_context(ofn_archive_standing_orders=True).active = False
        self.assertFalse(self.customer.active)

    def test_hubs_see_only_their_own_standing_orders(self):
        order = self._order()
        other = self.env["res.company"].create({"name": "Other Standing Hub"})
        manager = new_hub_manager(self.env, "standing_other", other)
        self.assertFalse(self.env["ofn.standing.order"].with_user(manager).search([]))
        self.assertFalse(self.env["ofn.standing.order.occurrence"].with_user(manager).search([]))
        with self.assertRaises(AccessError):
            order.with_user(manager).read(["name"])
