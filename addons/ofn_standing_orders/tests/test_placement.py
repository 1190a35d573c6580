from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from odoo.addons.ofn_stripe_connect.tests.common import new_hub_manager

from .test_standing_orders import StandingOrderCommon


@tagged("post_install", "-at_install")
class TestPlacement(StandingOrderCommon):
    """The placement job turns each active standing order of an open cycle into an order."""

    def _open_cycle(self):
        now = fields.Datetime.now()
        return self.env["ofn.order.cycle"].create(
            {
                "company_id": self.hub.id,
                "schedule_id": self.schedule.id,
                "opens_at": now - timedelta(hours=1),
                "closes_at": now + timedelta(days=2),
            }
        )

    def _occurrence(self, order, cycle):
        return order.occurrence_ids.filtered(lambda o: o.cycle_id == cycle)

    def test_an_order_is_placed_and_the_customer_told(self):
        cycle = self._open_cycle()
        standing = self._order(start_date=fields.Date.today(), end_date=False)
        occurrence = self._occurrence(standing, cycle)
        self.assertEqual(occurrence.state, "planned")
        self.env["ofn.cycle.placer"].place()
        self.assertEqual(occurrence.state, "placed")
        order = occurrence.sale_order_id
        self.assertEqual(order.company_id, self.hub)
        self.assertEqual(order.partner_id, self.customer)
        self.assertEqual(
            [(line.product_id, line.product_uom_qty) for line in order.order_line],
            [(self.product, 2.0)],
        )
        told = order.message_ids.filtered(lambda m: self.customer in m.partner_ids)
        self.assertIn("is placed for this cycle", told.body)
        self.assertIn(order.get_portal_url().split("?")[0], told.body)

    def test_placing_twice_places_once(self):
        cycle = self._open_cycle()
        standing = self._order(start_date=fields.Date.today(), end_date=False)
        placer = self.env["ofn.cycle.placer"]
        placer.place()
        self.assertFalse(placer.place(), "nothing left to place")
        self.assertEqual(len(self._occurrence(standing, cycle).sale_order_id), 1)

    def test_nothing_to_order_is_reported_not_placed(self):
        cycle = self._open_cycle()
        standing = self._order(start_date=fields.Date.today(), end_date=False)
        self.product.active = False
        self.env["ofn.cycle.placer"].place()
        occurrence = self._occurrence(standing, cycle)
        self.assertEqual(occurrence.state, "empty")
        self.assertFalse(occurrence.sale_order_id)

    def test_the_hubs_managers_get_one_summary(self):
        manager = new_hub_manager(self.env, "placement_manager", self.hub)
        self._open_cycle()
        self._order(start_date=fields.Date.today(), end_date=False)
        second = self.env["res.partner"].create({"name": "Nora Nothing"})
        empty = self._order(start_date=fields.Date.today(), end_date=False, partner_id=second.id)
        empty.line_ids.product_id = self.env["product.product"].create(
            {"name": "Gone", "sale_ok": False}
        )
        self.env["ofn.cycle.placer"].place()
        cycles = self.env["ofn.order.cycle"].search(
            [("schedule_id", "=", self.schedule.id), ("state", "=", "open")]
        )  # the one made here, and the schedule's own if one is open today
        summaries = self.env["mail.message"].search(
            [("partner_ids", "in", manager.partner_id.ids), ("subject", "ilike", "placed for")]
        )
        self.assertEqual(len(summaries), 1)
        self.assertIn(
            f"Standing orders placed: {len(cycles)}. Nothing to order: {len(cycles)}.",
            summaries.body,
        )
        self.assertIn("Nora Nothing", summaries.body)

    def test_paused_orders_and_closed_cycles_are_left_alone(self):
        cycle = self._open_cycle()
        standing = self._order(start_date=fields.Date.today(), end_date=False)
        standing.action_pause()
        self.env["ofn.cycle.placer"].place()
        self.assertFalse(self._occurrence(standing, cycle).sale_order_id)
