from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .test_standing_orders import StandingOrderCommon


@tagged("post_install", "-at_install")
class TestPauseCancel(StandingOrderCommon):
    """Pausing or cancelling a standing order asks what happens to the orders it already has
    in cycles still open: kept (confirmed when the cycle closes) or cancelled."""

    def setUp(self):
        super().setUp()
        now = fields.Datetime.now()
        schedule = self.env["ofn.schedule"].create(
            {"name": "Hand-made cycles", "company_id": self.hub.id, "start_date": now.date()}
        )
        self.cycle = self.env["ofn.order.cycle"].create(
            {
                "company_id": self.hub.id,
                "schedule_id": schedule.id,
                "opens_at": now - timedelta(hours=1),
                "closes_at": now + timedelta(days=2),
            }
        )
        self.standing = self._order(
            schedule_id=schedule.id, start_date=fields.Date.today(), end_date=False
        )
        self.env["ofn.order.cycle"].create(  # next week's
            {
                "company_id": self.hub.id,
                "schedule_id": schedule.id,
                "opens_at": now + timedelta(days=6),
                "closes_at": now + timedelta(days=9),
            }
        )
        self._place()
        self.open_one = self.standing.occurrence_ids.filtered(lambda o: o.cycle_id == self.cycle)
        self.assertEqual(self.open_one.state, "placed")

    def _answer(self, action, open_orders):
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        self.assertEqual(wizard.open_occurrence_ids, self.open_one)
        wizard.open_orders = open_orders
        wizard.action_confirm()

    def test_pausing_asks_and_keeping_the_open_order_confirms_it_at_closing(self):
        action = self.standing.action_pause()

        self.assertEqual(action["res_model"], "ofn.standing.order.stop", "it asks first")
        self.assertEqual(self.standing.status, "active", "nothing happens before the answer")
        self._answer(action, "keep")

        self.assertEqual(self.standing.status, "paused")
        self.assertEqual(self.open_one.state, "placed")
        later = self.standing.occurrence_ids - self.open_one
        self.assertTrue(later, "the paused order keeps its next cycles, unplaced")
        self.cycle.write(
            {
                "opens_at": fields.Datetime.now() - timedelta(days=3),
                "closes_at": fields.Datetime.now() - timedelta(minutes=1),
            }
        )
        self._place()
        self.assertEqual(set(later.mapped("state")), {"planned"}, "nothing more is placed")

    def test_cancelling_the_open_order_with_the_standing_order(self):
        order = self.open_one.sale_order_id

        self._answer(self.standing.action_cancel(), "cancel")

        self.assertEqual(self.standing.status, "cancelled")
        self.assertEqual(self.open_one.state, "cancelled")
        self.assertEqual(order.state, "cancel")
        self.assertEqual(
            self.standing.occurrence_ids, self.open_one, "its unplaced cycles are gone"
        )
        told = order.message_ids.filtered(lambda m: self.customer in m.partner_ids)
        self.assertIn("is cancelled", told[:1].subject)

    def test_without_open_orders_it_stops_at_once(self):
        self.open_one.sale_order_id.action_cancel()
        self.open_one.write({"state": "skipped"})

        self.assertIs(self.standing.action_pause(), True)

        self.assertEqual(self.standing.status, "paused")
        self.assertIs(self.standing.action_cancel(), True)
        self.assertEqual(self.standing.status, "cancelled")
        self.assertEqual(self.open_one.state, "skipped")

    def test_a_closed_cycles_order_is_never_cancelled_by_stopping(self):
        self.cycle.write(
            {
                "opens_at": fields.Datetime.now() - timedelta(days=3),
                "closes_at": fields.Datetime.now() - timedelta(minutes=1),
            }
        )

        self.assertIs(self.standing.action_cancel(), True, "nothing open to ask about")

        self.assertEqual(self.open_one.state, "placed", "confirmed by the next run")
        self.assertEqual(self.open_one.sale_order_id.state, "draft")
